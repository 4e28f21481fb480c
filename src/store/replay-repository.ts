import type { StoredMessage } from '../apply/plan.ts';
import type { PostedEntry, PostedEvent, PostedFacts } from '../apply/replay.ts';
import type { JournalEntry, JournalLine } from '../ledger/index.ts';
import { journalEntryOf, journalLineOf } from './books-queries.ts';
import type { Row, SqlExecutor } from './port.ts';
import { STORED_MESSAGE_COLUMNS, STORED_MESSAGE_COLUMNS_M, storedMessageOf } from './posting-repository.ts';
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

/** The first and last id of the processed messages received in [from, to), or null when there are none. */
export async function processedIdRange(
  db: SqlExecutor,
  from: string,
  to: string,
): Promise<{ firstId: bigint; lastId: bigint } | null> {
  const rows = await db.query<{ first_id: unknown; last_id: unknown }>(
    `SELECT MIN(m.id) AS first_id, MAX(m.id) AS last_id
     FROM inbound_messages m JOIN message_outcomes o ON o.message_id = m.id
     WHERE m.received_at >= ? AND m.received_at < ?`,
    [from, to],
  );
  const r = rows[0];
  if (!r || r.first_id === null || r.first_id === undefined) return null;
  return { firstId: asBigInt(r.first_id), lastId: asBigInt(r.last_id) };
}

const STORED_MESSAGE_NAMES = STORED_MESSAGE_COLUMNS.split(', ');

/**
 * The processed messages received in [from, to) with ids in [firstId, lastId], in arrival order. Rows
 * are read as arrays and named here: the driver's named rows cost about a microsecond a message more.
 */
export async function processedMessagesIn(
  db: SqlExecutor,
  from: string,
  to: string,
  firstId: bigint,
  lastId: bigint,
): Promise<StoredMessage[]> {
  const rows = await db.queryArrays(
    `SELECT ${STORED_MESSAGE_COLUMNS_M}
     FROM inbound_messages m JOIN message_outcomes o ON o.message_id = m.id
     WHERE m.id >= ? AND m.id <= ? AND m.received_at >= ? AND m.received_at < ? ORDER BY m.id`,
    [firstId, lastId, from, to],
  );
  const names = STORED_MESSAGE_NAMES;
  return rows.map((values) => {
    const r: Row = {};
    for (let i = 0; i < names.length; i++) r[names[i]!] = values[i];
    return storedMessageOf(db, r);
  });
}

/**
 * A posted entry's lines as one JSON text, `[[side, account, costCenter, "amount"], …]` in line order
 * (amount a decimal string: it is exact beyond 2^53), built by the database: the diff reads it against
 * the candidate's lines (`linesTextIs`, apply/replay-compare.ts) and parses it only when they differ,
 * so a window's lines cost one string per entry instead of one object per line.
 */
function linesJson(dialect: 'sqlite' | 'postgres'): string {
  return dialect === 'sqlite'
    ? // In the primary key's order, which is line order; sorting them cost a tenth of the query. Lines
      // in another order would only be parsed and compared as a multiset (apply/replay.ts).
      `(SELECT json_group_array(json_array(l.side, l.account, l.cost_center, CAST(l.amount AS TEXT)))
        FROM journal_lines l WHERE l.entry_id = e.id)`
    : `(SELECT '[' || string_agg('[' || to_json(l.side)::text || ',' || to_json(l.account)::text || ','
                || COALESCE(to_json(l.cost_center)::text, 'null') || ',"' || l.amount::text || '"]', ',' ORDER BY l.line_no) || ']'
        FROM journal_lines l WHERE l.entry_id = e.id)`;
}

/**
 * Posted events, entries and movement values of the messages with ids in [firstId, lastId], in the
 * shapes replayDiff compares: one range query over the events' message index, an event per row with
 * the sum of its movements and its entry (lines as text) joined on, an event of several entries on as
 * many adjacent rows; rows as arrays. One pass over the events rather than one for events and one for
 * entries: each event is found and read once. Events stay the JSON text they were stored as, entries
 * stay compact (`PostedEntry`); `postedEntriesById` reads the few whole entries a correction reverses.
 */
export async function postedFactsFor(db: SqlExecutor, firstId: bigint, lastId: bigint): Promise<PostedFacts> {
  const eventsByMessage = new Map<bigint, PostedEvent[]>();
  const entriesByEvent = new Map<string, PostedEntry[]>();
  const movementValueByEvent = new Map<string, bigint>();
  const pg = db.capabilities.dialect === 'postgres';
  let mid: bigint | null = null;
  let list: PostedEvent[] = [];
  let eventId: string | null = null;
  let entries: PostedEntry[] | null = null;
  for (const r of await db.queryArrays(
    // NULL movement sum: the event moved no stock (no row), which is not a movement worth 0. NULL entry
    // id: the event posted no entry.
    `SELECT ev.source_message_id, ev.id, ev.type, ev.mapping_release_id, ${pg ? 'ev.payload::text' : 'ev.payload'},
            (SELECT SUM(m.value) FROM inventory_movements m WHERE m.source_event_id = ev.id),
            e.id, e.rule_id, e.entity, e.currency, e.reverses, ${linesJson(db.capabilities.dialect)}
     FROM canonical_events ev LEFT JOIN journal_entries e ON e.source_event_id = ev.id
     WHERE ev.source_message_id BETWEEN ? AND ? ORDER BY ev.source_message_id, ev.id`,
    [firstId, lastId],
  )) {
    const id = r[1] as string;
    // Ordered by event id, which is unique: an event's rows are adjacent, its first row reads the event.
    if (id !== eventId) {
      eventId = id;
      entries = null;
      // Rows come grouped by message: one map entry per message, not a lookup per event.
      const m = asBigInt(r[0]);
      if (m !== mid) {
        mid = m;
        list = [];
        eventsByMessage.set(m, list);
      }
      list.push({ id, type: r[2] as string, mappingReleaseId: r[3] as string, text: r[4] as string });
      if (r[5] !== null) movementValueByEvent.set(id, asBigInt(r[5]));
    }
    if (r[6] === null) continue;
    const entry: PostedEntry = {
      id: r[6] as string,
      sourceEventId: id,
      ruleId: r[7] as string,
      entity: r[8] as string,
      currency: r[9] as string,
      reverses: (r[10] as string | null) ?? null,
      lines: (r[11] as string | null) ?? '[]',
    };
    if (entries) entries.push(entry);
    else {
      entries = [entry];
      entriesByEvent.set(id, entries);
    }
  }
  for (const l of entriesByEvent.values())
    if (l.length > 1) l.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { eventsByMessage, entriesByEvent, movementValueByEvent };
}

/** Whole posted entries (with their lines) by id, in the order asked; the ones not found are left out. */
export async function postedEntriesById(db: SqlExecutor, ids: readonly string[]): Promise<JournalEntry[]> {
  const byId = new Map<string, JournalEntry>();
  for (let i = 0; i < ids.length; i += 400) {
    const part = ids.slice(i, i + 400);
    const marks = part.map(() => '?').join(', ');
    const lines = new Map<string, JournalLine[]>();
    for (const r of await db.query(
      `SELECT entry_id, line_no, account, cost_center, side, amount, memo, dimensions
       FROM journal_lines WHERE entry_id IN (${marks}) ORDER BY entry_id, line_no`,
      part,
    )) {
      const id = String(r['entry_id']);
      const list = lines.get(id) ?? [];
      list.push(journalLineOf(r));
      lines.set(id, list);
    }
    for (const r of await db.query(
      `SELECT id, entity, currency, period_id, late_from_period, effective_date, accounting_date,
              posted_at, source_event_id, rule_id, reason_code, description, group_id, reverses
       FROM journal_entries WHERE id IN (${marks})`,
      part,
    )) {
      const id = String(r['id']);
      byId.set(id, journalEntryOf(r, lines.get(id) ?? []));
    }
  }
  return ids.flatMap((id) => {
    const e = byId.get(id);
    return e ? [e] : [];
  });
}
