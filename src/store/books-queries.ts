import type { JournalEntry, JournalLine, ReasonCode, Side } from '../ledger/index.ts';
import { openRaw } from './inbox-repository.ts';
import type { Row, SqlExecutor, SqlValue } from './port.ts';
import { asBigInt, asNumber, asOptionalString } from './values.ts';

export interface TrialBalanceRow {
  readonly entity: string;
  readonly currency: string;
  readonly account: string;
  readonly accountName: string;
  readonly debit: bigint;
  readonly credit: bigint;
  /** debit − credit */
  readonly net: bigint;
}

/** Trial balance from the posted lines, per entity × currency × account (optionally one period). */
export async function trialBalance(
  db: SqlExecutor,
  filter: { entity?: string; periodId?: string } = {},
): Promise<TrialBalanceRow[]> {
  const where: string[] = [];
  const params: string[] = [];
  if (filter.entity) {
    where.push('l.entity = ?');
    params.push(filter.entity);
  }
  if (filter.periodId) {
    where.push('l.period_id = ?');
    params.push(filter.periodId);
  }
  const rows = await db.query(
    `SELECT l.entity, l.currency, l.account, a.name AS account_name,
            SUM(CASE WHEN l.side = 'debit' THEN l.amount ELSE 0 END) AS debit,
            SUM(CASE WHEN l.side = 'credit' THEN l.amount ELSE 0 END) AS credit
     FROM journal_lines l JOIN accounts a ON a.code = l.account
     ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     GROUP BY l.entity, l.currency, l.account, a.name
     ORDER BY l.entity, l.currency, l.account`,
    params,
  );
  return rows.map((r) => {
    const debit = asBigInt(r['debit']);
    const credit = asBigInt(r['credit']);
    return {
      entity: String(r['entity']),
      currency: String(r['currency']),
      account: String(r['account']),
      accountName: String(r['account_name']),
      debit,
      credit,
      net: debit - credit,
    };
  });
}

/** Per entity and currency: Σ net over every account, which is zero when the books balance. */
export function netByEntity(rows: readonly TrialBalanceRow[]): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const r of rows)
    out.set(`${r.entity} ${r.currency}`, (out.get(`${r.entity} ${r.currency}`) ?? 0n) + r.net);
  return out;
}

export interface FlowSummary {
  readonly messages: number;
  readonly rejected: number;
  readonly outcomes: Record<string, number>;
  readonly pending: number;
  readonly events: number;
  readonly movements: number;
  readonly journalEntries: number;
  readonly journalLines: number;
  readonly requisitions: number;
  readonly openExceptions: Record<string, number>;
}

async function count(db: SqlExecutor, sql: string): Promise<number> {
  return asNumber((await db.query<{ n: unknown }>(sql))[0]!.n);
}

export async function flowSummary(db: SqlExecutor): Promise<FlowSummary> {
  const outcomes: Record<string, number> = {};
  for (const r of await db.query('SELECT state, COUNT(*) AS n FROM message_outcomes GROUP BY state')) {
    outcomes[String(r['state'])] = asNumber(r['n']);
  }
  const openExceptions: Record<string, number> = {};
  for (const r of await db.query(
    "SELECT reason_code, COUNT(*) AS n FROM exceptions WHERE status IN ('open', 'assigned') GROUP BY reason_code ORDER BY reason_code",
  )) {
    openExceptions[String(r['reason_code'])] = asNumber(r['n']);
  }
  const messages = await count(db, 'SELECT COUNT(*) AS n FROM inbound_messages');
  const processed = Object.values(outcomes).reduce((a, b) => a + b, 0);
  return {
    messages,
    rejected: await count(db, 'SELECT COUNT(*) AS n FROM inbound_rejections'),
    outcomes,
    pending: messages - processed,
    events: await count(db, 'SELECT COUNT(*) AS n FROM canonical_events'),
    movements: await count(
      db,
      "SELECT COUNT(*) AS n FROM inventory_movements WHERE movement_type <> 'opening'",
    ),
    journalEntries: await count(db, 'SELECT COUNT(*) AS n FROM journal_entries'),
    journalLines: await count(db, 'SELECT COUNT(*) AS n FROM journal_lines'),
    requisitions: await count(db, 'SELECT COUNT(*) AS n FROM requisitions'),
    openExceptions,
  };
}

// --- the journal as the CLI and API read it ------------------------------------------------------------

/** A posted entry with where it came from: its canonical event and the inbound message that carried it. */
export interface JournalEntryView extends JournalEntry {
  /** The canonical event's type; null for entries without one (opening balances, manual entries). */
  readonly eventType: string | null;
  /** inbound_messages.id of the message the event was interpreted from; null as for eventType. */
  readonly sourceMessageId: bigint | null;
  readonly total: bigint;
  /** Account names, line by line (lines[i] ↔ accountNames[i]). */
  readonly accountNames: readonly string[];
}

export function entryFilter(filter: { entity?: string; periodId?: string }): {
  sql: string;
  params: SqlValue[];
} {
  const where: string[] = [];
  const params: SqlValue[] = [];
  if (filter.entity) {
    where.push('e.entity = ?');
    params.push(filter.entity);
  }
  if (filter.periodId) {
    where.push('e.period_id = ?');
    params.push(filter.periodId);
  }
  return { sql: where.length ? `WHERE ${where.join(' AND ')}` : '', params };
}

/** A journal_lines row (line_no, account, cost_center, side, amount, memo, dimensions) as a line. */
export function journalLineOf(r: Row): JournalLine {
  const dims = r['dimensions'];
  return {
    lineNo: asNumber(r['line_no']),
    account: String(r['account']),
    costCenter: asOptionalString(r['cost_center']),
    side: String(r['side']) as Side,
    amount: asBigInt(r['amount']),
    memo: asOptionalString(r['memo']),
    dimensions: typeof dims === 'string' ? JSON.parse(dims) : (dims as JournalLine['dimensions']),
  };
}

/** A journal_entries row (its columns under their own names) with its lines, as an entry. */
export function journalEntryOf(r: Row, lines: readonly JournalLine[]): JournalEntry {
  return {
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
    lines,
  };
}

async function linesOf(
  db: SqlExecutor,
  ids: readonly string[],
): Promise<Map<string, { line: JournalLine; accountName: string }[]>> {
  const out = new Map<string, { line: JournalLine; accountName: string }[]>();
  for (let i = 0; i < ids.length; i += 400) {
    const part = ids.slice(i, i + 400);
    const rows = await db.query(
      `SELECT l.entry_id, l.line_no, l.account, a.name AS account_name, l.cost_center, l.side, l.amount, l.memo, l.dimensions
       FROM journal_lines l JOIN accounts a ON a.code = l.account
       WHERE l.entry_id IN (${part.map(() => '?').join(', ')}) ORDER BY l.entry_id, l.line_no`,
      part,
    );
    for (const r of rows) {
      const line = journalLineOf(r);
      const id = String(r['entry_id']);
      const list = out.get(id) ?? [];
      list.push({ line, accountName: String(r['account_name']) });
      out.set(id, list);
    }
  }
  return out;
}

/**
 * Posted entries with their lines (and the event and message they came from), selected by a WHERE /
 * ORDER BY tail over `journal_entries e` and `canonical_events ev`: the one reader of the journal that
 * the CLI, the close check, exports and replay share.
 */
export async function journalEntriesWhere(
  db: SqlExecutor,
  tail: string,
  params: readonly SqlValue[],
): Promise<JournalEntryView[]> {
  const rows = await db.query(
    `SELECT e.id, e.entity, e.currency, e.period_id, e.late_from_period, e.effective_date, e.accounting_date,
            e.posted_at, e.source_event_id, e.rule_id, e.reason_code, e.description, e.group_id, e.reverses,
            e.total_debit, ev.type AS event_type, ev.source_message_id
     FROM journal_entries e LEFT JOIN canonical_events ev ON ev.id = e.source_event_id
     ${tail}`,
    params,
  );
  const lines = await linesOf(
    db,
    rows.map((r) => String(r['id'])),
  );
  return rows.map((r) => {
    const own = lines.get(String(r['id'])) ?? [];
    return {
      ...journalEntryOf(
        r,
        own.map((l) => l.line),
      ),
      eventType: asOptionalString(r['event_type']),
      sourceMessageId: r['source_message_id'] === null ? null : asBigInt(r['source_message_id']),
      total: asBigInt(r['total_debit']),
      accountNames: own.map((l) => l.accountName),
    };
  });
}

/**
 * The most recently posted entries with their lines, newest first: by posting time, then by the
 * inbound message they came from (a batch posts many messages at one instant), then by id.
 */
export async function recentJournal(
  db: SqlExecutor,
  filter: { entity?: string; periodId?: string; limit: number },
): Promise<JournalEntryView[]> {
  const { sql, params } = entryFilter(filter);
  const limit = Math.max(1, Math.floor(filter.limit));
  return journalEntriesWhere(
    db,
    `${sql} ORDER BY e.posted_at DESC, COALESCE(ev.source_message_id, 0) DESC, e.id LIMIT ${limit}`,
    params,
  );
}

/**
 * Every entry booked in one entity's period, plus the other entities' entries of the same
 * intercompany groups: what the ledger's close check (`canClose`) reads.
 */
export async function periodJournal(
  db: SqlExecutor,
  entity: string,
  periodId: string,
): Promise<JournalEntry[]> {
  const own = await journalEntriesWhere(db, 'WHERE e.entity = ? AND e.period_id = ? ORDER BY e.id', [
    entity,
    periodId,
  ]);
  const groups = [...new Set(own.flatMap((e) => (e.groupId === null ? [] : [e.groupId])))];
  const mates: JournalEntry[] = [];
  for (let i = 0; i < groups.length; i += 400) {
    const part = groups.slice(i, i + 400);
    mates.push(
      ...(await journalEntriesWhere(
        db,
        `WHERE e.group_id IN (${part.map(() => '?').join(', ')}) AND NOT (e.entity = ? AND e.period_id = ?) ORDER BY e.id`,
        [...part, entity, periodId],
      )),
    );
  }
  return [...own, ...mates];
}

/** Entries per entity and period. */
export async function entryCounts(db: SqlExecutor): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const r of await db.query(
    'SELECT entity, period_id, COUNT(*) AS n FROM journal_entries GROUP BY entity, period_id',
  )) {
    out.set(`${r['entity']} ${r['period_id']}`, asNumber(r['n']));
  }
  return out;
}

/**
 * Open (or assigned) exceptions with what is known of their source: the entity and time of the
 * canonical event when the exception names one, else the raw inbound message (whose MSH tells the
 * sending facility and the message time) when it names one.
 */
export interface OpenExceptionSource {
  readonly id: bigint;
  readonly reasonCode: string;
  readonly messageId: bigint | null;
  readonly eventEntity: string | null;
  readonly eventOccurredAt: string | null;
  /** Only read when no event is known. */
  readonly raw: Buffer | null;
}

export async function openExceptionSources(db: SqlExecutor): Promise<OpenExceptionSource[]> {
  const rows = await db.query(
    `SELECT x.id, x.reason_code, x.message_id, ev.entity AS event_entity, ev.occurred_at AS event_occurred_at,
            CASE WHEN ev.id IS NULL THEN m.raw ELSE NULL END AS raw, m.content_sha256, m.raw_key_id
     FROM exceptions x
     LEFT JOIN canonical_events ev ON ev.id = x.event_id
     LEFT JOIN inbound_messages m ON m.id = x.message_id
     WHERE x.status IN ('open', 'assigned') ORDER BY x.id`,
  );
  return rows.map((r) => ({
    id: asBigInt(r['id']),
    reasonCode: String(r['reason_code']),
    messageId: r['message_id'] === null ? null : asBigInt(r['message_id']),
    eventEntity: asOptionalString(r['event_entity']),
    eventOccurredAt: asOptionalString(r['event_occurred_at']),
    raw:
      r['raw'] === null || r['raw'] === undefined
        ? null
        : openRaw(db, 'inbound_messages', { ...r, id: r['message_id'] }),
  }));
}
