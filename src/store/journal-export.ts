/**
 * The journal as the outbox exports it: posted entries with their lines for one entity and/or period
 * (or all), in a stable order (accounting date, then id; lines by line number) so a re-export of the
 * same books gives the same file.
 */
import type { JournalEntry, JournalLine, ReasonCode, Side } from '../ledger/index.ts';
import type { SqlExecutor, SqlValue } from './port.ts';
import { asBigInt, asNumber, asOptionalString } from './values.ts';

/** Ids per IN (…) list: well under SQLite's and PostgreSQL's parameter limits. */
const CHUNK = 400;

export async function exportJournalEntries(
  db: SqlExecutor,
  filter: { entity?: string; periodId?: string } = {},
): Promise<JournalEntry[]> {
  const where: string[] = [];
  const params: SqlValue[] = [];
  if (filter.entity) {
    where.push('entity = ?');
    params.push(filter.entity);
  }
  if (filter.periodId) {
    where.push('period_id = ?');
    params.push(filter.periodId);
  }
  const heads = await db.query(
    `SELECT id, entity, currency, period_id, late_from_period, effective_date, accounting_date, posted_at,
            source_event_id, rule_id, reason_code, description, group_id, reverses
     FROM journal_entries ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY accounting_date, id`,
    params,
  );
  const ids = heads.map((r) => String(r['id']));
  const lines = new Map<string, JournalLine[]>();
  for (let i = 0; i < ids.length; i += CHUNK) {
    const part = ids.slice(i, i + CHUNK);
    const rows = await db.query(
      `SELECT entry_id, line_no, account, cost_center, side, amount, memo, dimensions
       FROM journal_lines WHERE entry_id IN (${part.map(() => '?').join(', ')})
       ORDER BY entry_id, line_no`,
      part,
    );
    for (const r of rows) {
      const dims = r['dimensions'];
      const id = String(r['entry_id']);
      const list = lines.get(id) ?? [];
      list.push({
        lineNo: asNumber(r['line_no']),
        account: String(r['account']),
        costCenter: asOptionalString(r['cost_center']),
        side: String(r['side']) as Side,
        amount: asBigInt(r['amount']),
        memo: asOptionalString(r['memo']),
        dimensions:
          typeof dims === 'string'
            ? (JSON.parse(dims) as JournalLine['dimensions'])
            : ((dims ?? {}) as JournalLine['dimensions']),
      });
      lines.set(id, list);
    }
  }
  return heads.map((r) => ({
    id: String(r['id']),
    entity: String(r['entity']),
    currency: String(r['currency']),
    periodId: String(r['period_id']),
    lateFromPeriod: asOptionalString(r['late_from_period']),
    effectiveDate: String(r['effective_date']),
    accountingDate: String(r['accounting_date']),
    postedAt: String(r['posted_at']),
    sourceEventId: String(r['source_event_id']),
    ruleId: String(r['rule_id']),
    reasonCode: String(r['reason_code']) as ReasonCode,
    description: String(r['description']),
    groupId: asOptionalString(r['group_id']),
    reverses: asOptionalString(r['reverses']),
    lines: lines.get(String(r['id'])) ?? [],
  }));
}
