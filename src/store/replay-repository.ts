import type { StoredMessage } from '../apply/plan.ts';
import type { PostedFacts } from '../apply/replay.ts';
import { type CanonicalEvent, eventFromJson } from '../canonical/index.ts';
import type { Dimensions, JournalEntry, JournalLine, ReasonCode } from '../ledger/index.ts';
import type { SqlExecutor } from './port.ts';
import { storedMessageOf } from './posting-repository.ts';
import { asBigInt, asNumber } from './values.ts';

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
      const heads = await db.query(
        `SELECT * FROM journal_entries WHERE source_event_id IN (${inList(part.length)})`,
        part,
      );
      if (heads.length === 0) continue;
      const entryIds = heads.map((h) => String(h['id']));
      const linesByEntry = new Map<string, JournalLine[]>();
      for (let k = 0; k < entryIds.length; k += 400) {
        const ep = entryIds.slice(k, k + 400);
        for (const l of await db.query(
          `SELECT * FROM journal_lines WHERE entry_id IN (${inList(ep.length)}) ORDER BY entry_id, line_no`,
          ep,
        )) {
          const list = linesByEntry.get(String(l['entry_id'])) ?? [];
          list.push({
            lineNo: asNumber(l['line_no']),
            account: String(l['account']),
            costCenter: l['cost_center'] === null ? null : String(l['cost_center']),
            side: String(l['side']) as JournalLine['side'],
            amount: asBigInt(l['amount']),
            memo: l['memo'] === null ? null : String(l['memo']),
            dimensions: (typeof l['dimensions'] === 'string'
              ? JSON.parse(l['dimensions'] as string)
              : l['dimensions']) as Dimensions,
          });
          linesByEntry.set(String(l['entry_id']), list);
        }
      }
      for (const h of heads) {
        const entry: JournalEntry = {
          id: String(h['id']),
          entity: String(h['entity']),
          currency: String(h['currency']),
          periodId: String(h['period_id']),
          lateFromPeriod: h['late_from_period'] === null ? null : String(h['late_from_period']),
          effectiveDate: String(h['effective_date']),
          accountingDate: String(h['accounting_date']),
          postedAt: String(h['posted_at']),
          sourceEventId: String(h['source_event_id']),
          ruleId: String(h['rule_id']),
          reasonCode: String(h['reason_code']) as ReasonCode,
          description: String(h['description']),
          groupId: h['group_id'] === null ? null : String(h['group_id']),
          reverses: h['reverses'] === null ? null : String(h['reverses']),
          lines: linesByEntry.get(String(h['id'])) ?? [],
        };
        const list = entriesByEvent.get(entry.sourceEventId) ?? [];
        list.push(entry);
        entriesByEvent.set(entry.sourceEventId, list);
      }
    }
  }
  return { eventsByMessage, entriesByEvent, movementValueByEvent };
}
