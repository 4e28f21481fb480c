import type { StoredMessage } from '../apply/plan.ts';
import type { PostedEvent, PostedFacts } from '../apply/replay.ts';
import type { JournalEntry, JournalLine } from '../ledger/index.ts';
import { journalEntryOf, journalLineOf } from './books-queries.ts';
import type { SqlExecutor } from './port.ts';
import { STORED_MESSAGE_COLUMNS_M, storedMessageOf } from './posting-repository.ts';
import { asBigInt } from './values.ts';

/** Messages received in [from, to) that the apply stage has processed, in arrival order. */
export async function processedMessagesBetween(
  db: SqlExecutor,
  from: string,
  to: string,
): Promise<StoredMessage[]> {
  const rows = await db.query(
    `SELECT ${STORED_MESSAGE_COLUMNS_M}
     FROM inbound_messages m JOIN message_outcomes o ON o.message_id = m.id
     WHERE m.received_at >= ? AND m.received_at < ? ORDER BY m.id`,
    [from, to],
  );
  return rows.map((r) => storedMessageOf(db, r));
}

/**
 * Ids of the processed messages received in [from, to) after `afterId`, in order, at most `limit`:
 * how a long replay is cut into pages without holding the messages themselves.
 */
export async function processedMessageIds(
  db: SqlExecutor,
  from: string,
  to: string,
  afterId: bigint,
  limit: number,
): Promise<bigint[]> {
  const rows = await db.query<{ id: unknown }>(
    `SELECT m.id FROM inbound_messages m JOIN message_outcomes o ON o.message_id = m.id
     WHERE m.id > ? AND m.received_at >= ? AND m.received_at < ? ORDER BY m.id LIMIT ${Math.max(1, Math.floor(limit))}`,
    [afterId, from, to],
  );
  return rows.map((r) => asBigInt(r.id));
}

/** The processed messages received in [from, to) with ids in [firstId, lastId], in arrival order. */
export async function processedMessagesIn(
  db: SqlExecutor,
  from: string,
  to: string,
  firstId: bigint,
  lastId: bigint,
): Promise<StoredMessage[]> {
  const rows = await db.query(
    `SELECT ${STORED_MESSAGE_COLUMNS_M}
     FROM inbound_messages m JOIN message_outcomes o ON o.message_id = m.id
     WHERE m.id >= ? AND m.id <= ? AND m.received_at >= ? AND m.received_at < ? ORDER BY m.id`,
    [firstId, lastId, from, to],
  );
  return rows.map((r) => storedMessageOf(db, r));
}

/**
 * Posted events, entries and movement values of the messages with ids in [firstId, lastId], in the
 * shapes replayDiff compares: a handful of range queries over the events' message index, not one query
 * per few hundred ids. Events stay JSON text until a comparison needs them parsed.
 */
export async function postedFactsFor(db: SqlExecutor, firstId: bigint, lastId: bigint): Promise<PostedFacts> {
  const eventsByMessage = new Map<bigint, PostedEvent[]>();
  const entriesByEvent = new Map<string, JournalEntry[]>();
  const movementValueByEvent = new Map<string, bigint>();
  const range = [firstId, lastId];
  for (const r of await db.query(
    `SELECT id, type, mapping_release_id, source_message_id, payload FROM canonical_events
     WHERE source_message_id BETWEEN ? AND ? ORDER BY source_message_id, id`,
    range,
  )) {
    const mid = asBigInt(r['source_message_id']);
    const list = eventsByMessage.get(mid) ?? [];
    list.push({
      id: String(r['id']),
      type: String(r['type']),
      mappingReleaseId: String(r['mapping_release_id']),
      text: typeof r['payload'] === 'string' ? (r['payload'] as string) : JSON.stringify(r['payload']),
    });
    eventsByMessage.set(mid, list);
  }
  for (const r of await db.query(
    `SELECT m.source_event_id, SUM(m.value) AS v FROM inventory_movements m
     JOIN canonical_events ev ON ev.id = m.source_event_id
     WHERE ev.source_message_id BETWEEN ? AND ? GROUP BY m.source_event_id`,
    range,
  )) {
    movementValueByEvent.set(String(r['source_event_id']), asBigInt(r['v']));
  }
  const lines = new Map<string, JournalLine[]>();
  for (const r of await db.query(
    // From the events' message index outwards; no ORDER BY, which made SQLite scan every line instead.
    `SELECT l.entry_id, l.line_no, l.account, l.cost_center, l.side, l.amount, l.memo, l.dimensions
     FROM canonical_events ev JOIN journal_entries e ON e.source_event_id = ev.id
     JOIN journal_lines l ON l.entry_id = e.id
     WHERE ev.source_message_id BETWEEN ? AND ?`,
    range,
  )) {
    const id = String(r['entry_id']);
    const list = lines.get(id) ?? [];
    list.push(journalLineOf(r));
    lines.set(id, list);
  }
  for (const r of await db.query(
    `SELECT e.id, e.entity, e.currency, e.period_id, e.late_from_period, e.effective_date, e.accounting_date,
            e.posted_at, e.source_event_id, e.rule_id, e.reason_code, e.description, e.group_id, e.reverses
     FROM canonical_events ev JOIN journal_entries e ON e.source_event_id = ev.id
     WHERE ev.source_message_id BETWEEN ? AND ?`,
    range,
  )) {
    const entry = journalEntryOf(
      r,
      (lines.get(String(r['id'])) ?? []).sort((a, b) => a.lineNo - b.lineNo),
    );
    const list = entriesByEvent.get(entry.sourceEventId) ?? [];
    list.push(entry);
    entriesByEvent.set(entry.sourceEventId, list);
  }
  for (const list of entriesByEvent.values()) list.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { eventsByMessage, entriesByEvent, movementValueByEvent };
}
