import type { StoredMessage } from '../apply/plan.ts';
import type { PostedFacts } from '../apply/replay.ts';
import { type CanonicalEvent, eventFromJson } from '../canonical/index.ts';
import type { JournalEntry } from '../ledger/index.ts';
import { journalEntriesWhere } from './books-queries.ts';
import type { SqlExecutor } from './port.ts';
import { storedMessageOf } from './posting-repository.ts';
import { asBigInt } from './values.ts';

/** Messages received in [from, to) that the apply stage has processed, in arrival order. */
export async function processedMessagesBetween(
  db: SqlExecutor,
  from: string,
  to: string,
): Promise<StoredMessage[]> {
  const rows = await db.query(
    `SELECT m.id, m.ordering_key, m.sender, m.control_id, m.received_at, m.raw
     FROM inbound_messages m JOIN message_outcomes o ON o.message_id = m.id
     WHERE m.received_at >= ? AND m.received_at < ? ORDER BY m.id`,
    [from, to],
  );
  return rows.map(storedMessageOf);
}

function inList(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}

/** Posted events, entries and movement values of some messages, in the shapes replayDiff compares. */
export async function postedFactsFor(db: SqlExecutor, messageIds: readonly bigint[]): Promise<PostedFacts> {
  const eventsByMessage = new Map<bigint, CanonicalEvent[]>();
  const entriesByEvent = new Map<string, JournalEntry[]>();
  const movementValueByEvent = new Map<string, bigint>();
  for (let i = 0; i < messageIds.length; i += 400) {
    const ids = messageIds.slice(i, i + 400);
    const events = await db.query(
      `SELECT id, source_message_id, payload FROM canonical_events WHERE source_message_id IN (${inList(ids.length)}) ORDER BY source_message_id, id`,
      ids,
    );
    const eventIds: string[] = [];
    for (const r of events) {
      const mid = asBigInt(r['source_message_id']);
      const text = typeof r['payload'] === 'string' ? (r['payload'] as string) : JSON.stringify(r['payload']);
      const list = eventsByMessage.get(mid) ?? [];
      list.push(eventFromJson(text));
      eventsByMessage.set(mid, list);
      eventIds.push(String(r['id']));
    }
    for (let j = 0; j < eventIds.length; j += 400) {
      const part = eventIds.slice(j, j + 400);
      for (const r of await db.query(
        `SELECT source_event_id, SUM(value) AS v FROM inventory_movements WHERE source_event_id IN (${inList(part.length)}) GROUP BY source_event_id`,
        part,
      )) {
        movementValueByEvent.set(String(r['source_event_id']), asBigInt(r['v']));
      }
      for (const entry of await journalEntriesWhere(
        db,
        `WHERE e.source_event_id IN (${inList(part.length)})`,
        part,
      )) {
        const list = entriesByEvent.get(entry.sourceEventId) ?? [];
        list.push(entry);
        entriesByEvent.set(entry.sourceEventId, list);
      }
    }
  }
  return { eventsByMessage, entriesByEvent, movementValueByEvent };
}
