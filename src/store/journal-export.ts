/**
 * The journal as the outbox exports it: posted entries with their lines for one entity and/or period
 * (or all), in a stable order (accounting date, then id; lines by line number) so a re-export of the
 * same books gives the same file.
 */
import type { JournalEntry } from '../ledger/index.ts';
import { entryFilter, journalEntriesWhere } from './books-queries.ts';
import type { SqlExecutor } from './port.ts';

export async function exportJournalEntries(
  db: SqlExecutor,
  filter: { entity?: string; periodId?: string } = {},
): Promise<JournalEntry[]> {
  const { sql, params } = entryFilter(filter);
  return journalEntriesWhere(db, `${sql} ORDER BY e.accounting_date, e.id`, params);
}
