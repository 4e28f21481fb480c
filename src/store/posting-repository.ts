import type {
  EncounterState,
  MessagePlan,
  Requisition,
  StewardshipHold,
  StoredMessage,
} from '../apply/plan.ts';
import { eventsToJson, jsonText } from '../canonical/index.ts';
import { CrosswalkError, ERRORS, type ErrorCode } from '../errors/index.ts';
import { entryTotals, type FiscalPeriod, type JournalEntry, type PeriodStatus } from '../ledger/index.ts';
import { contentFromJson, contentToJson, type MappingRelease } from '../mapping/index.ts';
import { documentsForBatch } from '../outbox/documents.ts';
import { fromRows, insertRows, insertRowsTogether } from './bulk.ts';
import { openRaw } from './inbox-repository.ts';
import { saveInventory } from './inventory-repository.ts';
import { recordLatePostings } from './late-postings.ts';
import { enqueueDocuments } from './outbox-repository.ts';
import { arrayParam } from './pg-arrays.ts';
import type { Row, SqlExecutor, Store } from './port.ts';
import { asBigInt } from './values.ts';

// --- fiscal periods -------------------------------------------------------------------------------

export async function savePeriods(tx: SqlExecutor, periods: readonly FiscalPeriod[]): Promise<void> {
  await insertRows(
    tx,
    'fiscal_periods',
    periods.map((p) => ({
      entityCode: p.entityCode,
      id: p.id,
      startDate: p.startDate,
      endDate: p.endDate,
      status: p.status,
    })),
    'ON CONFLICT (entity_code, id) DO NOTHING',
  );
}

export async function listPeriods(db: SqlExecutor): Promise<FiscalPeriod[]> {
  return fromRows<FiscalPeriod>(
    await db.query(
      'SELECT entity_code, id, start_date, end_date, status FROM fiscal_periods ORDER BY entity_code, start_date',
    ),
  );
}

export async function setPeriodStatus(
  db: SqlExecutor,
  entityCode: string,
  id: string,
  status: PeriodStatus,
  at: string,
): Promise<number> {
  return (
    await db.execute(
      'UPDATE fiscal_periods SET status = ?, updated_at = ? WHERE entity_code = ? AND id = ?',
      [status, at, entityCode, id],
    )
  ).rowsAffected;
}

/**
 * Moves a period from `from` to `to` only if it is still in `from` (compare and set): of two people
 * closing and reopening the same period at once, one wins and the other is told. True when it moved.
 */
export async function movePeriodStatus(
  db: SqlExecutor,
  entityCode: string,
  id: string,
  from: PeriodStatus,
  to: PeriodStatus,
  at: string,
): Promise<boolean> {
  const r = await db.execute(
    'UPDATE fiscal_periods SET status = ?, updated_at = ? WHERE entity_code = ? AND id = ? AND status = ?',
    [to, at, entityCode, id, from],
  );
  return r.rowsAffected > 0;
}

// --- mapping releases -----------------------------------------------------------------------------

export interface StoredRelease {
  readonly id: string;
  readonly label: string;
  readonly author: string;
  readonly proposedAt: string;
  readonly approvedBy: string | null;
  readonly approvedAt: string | null;
  readonly active: boolean;
}

export async function saveRelease(
  db: SqlExecutor,
  release: MappingRelease,
  proposedAt: string,
): Promise<boolean> {
  const r = await db.execute(
    `INSERT INTO mapping_releases (id, label, author, proposed_at, approved_by, approved_at, content)
     VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    [
      release.id,
      release.content.name,
      release.author,
      proposedAt,
      release.approver,
      release.approver ? proposedAt : null,
      contentToJson(release.content),
    ],
  );
  return r.rowsAffected > 0;
}

export async function recordApproval(
  db: SqlExecutor,
  id: string,
  approver: string,
  at: string,
): Promise<void> {
  await db.execute(
    'UPDATE mapping_releases SET approved_by = ?, approved_at = ? WHERE id = ? AND approved_by IS NULL',
    [approver, at, id],
  );
}

export async function recordActivation(
  db: SqlExecutor,
  id: string,
  by: string,
  at: string,
  note: string | null,
): Promise<void> {
  await db.execute(
    'INSERT INTO mapping_release_activations (release_id, activated_by, activated_at, note) VALUES (?, ?, ?, ?)',
    [id, by, at, note],
  );
}

export async function activeReleaseId(db: SqlExecutor): Promise<string | null> {
  const rows = await db.query<{ release_id: string }>(
    'SELECT release_id FROM mapping_release_activations ORDER BY seq DESC LIMIT 1',
  );
  return rows[0]?.release_id ?? null;
}

export async function activationHistory(
  db: SqlExecutor,
): Promise<{ releaseId: string; activatedBy: string; activatedAt: string; note: string | null }[]> {
  return fromRows(
    await db.query(
      'SELECT release_id, activated_by, activated_at, note FROM mapping_release_activations ORDER BY seq',
    ),
  );
}

/** A stored release (content parsed), its status derived from approval and activation. */
export async function loadRelease(db: SqlExecutor, id: string): Promise<MappingRelease | null> {
  const rows = await db.query('SELECT id, author, approved_by, content FROM mapping_releases WHERE id = ?', [
    id,
  ]);
  const r = rows[0];
  if (!r) return null;
  const active = (await activeReleaseId(db)) === id;
  const content = typeof r['content'] === 'string' ? (r['content'] as string) : JSON.stringify(r['content']);
  return Object.freeze({
    id: String(r['id']),
    content: contentFromJson(content),
    author: String(r['author']),
    approver: r['approved_by'] === null ? null : String(r['approved_by']),
    status: active ? 'active' : r['approved_by'] === null ? 'proposed' : 'approved',
  }) as MappingRelease;
}

export async function listReleases(db: SqlExecutor): Promise<StoredRelease[]> {
  const active = await activeReleaseId(db);
  const rows = fromRows<Omit<StoredRelease, 'active'>>(
    await db.query(
      'SELECT id, label, author, proposed_at, approved_by, approved_at FROM mapping_releases ORDER BY proposed_at, id',
    ),
  );
  return rows.map((r) => ({ ...r, active: r.id === active }));
}

// --- the apply cursor and its messages -----------------------------------------------------------------

/**
 * The inbox's ordering keys, found by stepping through the (ordering_key, id) index from one key to the
 * next: a handful of index seeks per key (there is one key per interface) where `SELECT DISTINCT` read
 * every message's index entry, on every drain, however many millions the inbox holds.
 */
const ORDERING_KEYS = `WITH RECURSIVE k(ordering_key) AS (
    SELECT MIN(ordering_key) FROM inbound_messages
    UNION ALL
    SELECT (SELECT MIN(m.ordering_key) FROM inbound_messages m WHERE m.ordering_key > k.ordering_key)
    FROM k WHERE k.ordering_key IS NOT NULL)`;

export async function orderingKeys(db: SqlExecutor): Promise<string[]> {
  return (
    await db.query<{ ordering_key: string }>(
      `${ORDERING_KEYS} SELECT ordering_key FROM k WHERE ordering_key IS NOT NULL`,
    )
  ).map((r) => r.ordering_key);
}

/**
 * Takes the apply cursor of one ordering key for this transaction. On PostgreSQL the row is locked
 * (SKIP LOCKED: null when another process holds it), which is what keeps one key's messages applied
 * by one process at a time, in order; on SQLite the write transaction already excludes everyone else.
 */
export async function takeCursor(tx: SqlExecutor, key: string, at: string): Promise<bigint | null> {
  await tx.execute(
    'INSERT INTO apply_cursors (ordering_key, last_message_id, updated_at) VALUES (?, 0, ?) ON CONFLICT (ordering_key) DO NOTHING',
    [key, at],
  );
  const lock = tx.capabilities.supportsSkipLocked ? ' FOR UPDATE SKIP LOCKED' : '';
  const rows = await tx.query<{ last_message_id: unknown }>(
    `SELECT last_message_id FROM apply_cursors WHERE ordering_key = ?${lock}`,
    [key],
  );
  return rows[0] ? asBigInt(rows[0].last_message_id) : null;
}

/** Where the apply stage stands on a key (0 before its first batch), read without taking the cursor. */
export async function readCursor(db: SqlExecutor, key: string): Promise<bigint> {
  const rows = await db.query<{ last_message_id: unknown }>(
    'SELECT last_message_id FROM apply_cursors WHERE ordering_key = ?',
    [key],
  );
  return rows[0] ? asBigInt(rows[0].last_message_id) : 0n;
}

export async function nextMessages(
  tx: SqlExecutor,
  key: string,
  after: bigint,
  limit: number,
): Promise<StoredMessage[]> {
  const rows = await tx.query(
    `SELECT ${STORED_MESSAGE_COLUMNS} FROM inbound_messages
     WHERE ordering_key = ? AND id > ? ORDER BY id LIMIT ${Math.max(1, Math.floor(limit))}`,
    [key, after],
  );
  return rows.map((r) => storedMessageOf(tx, r));
}

/** The inbound_messages columns `storedMessageOf` reads (prefix `m.` where the query joins). */
export const STORED_MESSAGE_COLUMNS =
  'id, ordering_key, interface_name, sender, control_id, received_at, content_sha256, raw, raw_key_id';
export const STORED_MESSAGE_COLUMNS_M = STORED_MESSAGE_COLUMNS.split(', ')
  .map((c) => `m.${c}`)
  .join(', ');

/** An inbound_messages row (STORED_MESSAGE_COLUMNS) as the apply stage reads it, its body opened. */
export function storedMessageOf(db: SqlExecutor, r: Row): StoredMessage {
  return {
    id: asBigInt(r['id']),
    orderingKey: String(r['ordering_key']),
    sender: String(r['sender']),
    controlId: String(r['control_id']),
    receivedAt: String(r['received_at']),
    raw: openRaw(db, 'inbound_messages', r),
    ...(typeof r['interface_name'] === 'string' ? { interfaceName: r['interface_name'] } : {}),
  };
}

export async function pendingCount(db: SqlExecutor): Promise<number> {
  // Per key, a count of the index range past its cursor: the backlog, not the whole inbox, is read.
  const rows = await db.query<{ n: unknown }>(
    `${ORDERING_KEYS}
     SELECT COALESCE(SUM((SELECT COUNT(*) FROM inbound_messages m
                          WHERE m.ordering_key = k.ordering_key
                            AND m.id > COALESCE((SELECT c.last_message_id FROM apply_cursors c
                                                 WHERE c.ordering_key = k.ordering_key), 0))), 0) AS n
     FROM k WHERE k.ordering_key IS NOT NULL`,
  );
  return Number(rows[0]!.n);
}

export async function loadEncounters(
  tx: SqlExecutor,
  tokens: readonly string[],
): Promise<Map<string, EncounterState>> {
  const out = new Map<string, EncounterState>();
  for (let i = 0; i < tokens.length; i += 400) {
    const part = tokens.slice(i, i + 400);
    const rows = fromRows<EncounterState>(
      await tx.query(`SELECT * FROM encounters WHERE token IN (${part.map(() => '?').join(', ')})`, part),
    );
    for (const r of rows) out.set(r.token, r);
  }
  return out;
}

// --- writing what a batch did ----------------------------------------------------------------------------

function entryRows(entries: readonly JournalEntry[]) {
  const lines = entries.flatMap((e) =>
    e.lines.map((l) => ({
      entryId: e.id,
      lineNo: l.lineNo,
      entity: e.entity,
      currency: e.currency,
      periodId: e.periodId,
      accountingDate: e.accountingDate,
      account: l.account,
      costCenter: l.costCenter,
      side: l.side,
      amount: l.amount,
      memo: l.memo,
      dimensions: JSON.stringify(l.dimensions),
    })),
  );
  const headers = entries.map((e) => {
    const { debit, credit } = entryTotals(e);
    return {
      id: e.id,
      entity: e.entity,
      currency: e.currency,
      periodId: e.periodId,
      lateFromPeriod: e.lateFromPeriod,
      effectiveDate: e.effectiveDate,
      accountingDate: e.accountingDate,
      postedAt: e.postedAt,
      sourceEventId: e.sourceEventId,
      ruleId: e.ruleId,
      reasonCode: e.reasonCode,
      description: e.description,
      groupId: e.groupId,
      reverses: e.reverses,
      lineCount: e.lines.length,
      totalDebit: debit,
      totalCredit: credit,
    };
  });
  return { lines, headers };
}

/**
 * Lines and their headers together: one statement on PostgreSQL, lines then headers elsewhere. The
 * database checks each header against its lines (migrations 0004, 0008, 0014).
 */
export async function saveEntries(tx: SqlExecutor, entries: readonly JournalEntry[]): Promise<void> {
  const { lines, headers } = entryRows(entries);
  await insertRowsTogether(tx, [
    { table: 'journal_lines', records: lines },
    { table: 'journal_entries', records: headers },
  ]);
}

async function openException(
  tx: SqlExecutor,
  code: string,
  summary: string,
  evidence: object,
  at: string,
  ref: { orderingKey: string; messageId: bigint | null; eventId: string | null },
): Promise<bigint> {
  const def = ERRORS[code as ErrorCode];
  const rows = await tx.query<{ id: unknown }>(
    `INSERT INTO exceptions (reason_code, team, status, ordering_key, message_id, event_id, summary, evidence, created_at, updated_at)
     VALUES (?, ?, 'open', ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    [
      code,
      def?.team ?? 'integration',
      ref.orderingKey,
      ref.messageId,
      ref.eventId,
      summary,
      jsonText(evidence),
      at,
      at,
    ],
  );
  return asBigInt(rows[0]!.id);
}

/**
 * Flags of applied messages (stock issued beyond the books' on-hand, revaluations) become work items,
 * one per reason and subject (item at par location) while it is open: a busy OR running short of an
 * item raises one exception that counts its occurrences, not one per line — no alert floods.
 */
export async function recordFlags(
  tx: SqlExecutor,
  key: string,
  flags: readonly { flag: Extract<MessagePlan, { kind: 'applied' }>['flags'][number]; messageId: bigint }[],
  at: string,
): Promise<void> {
  if (flags.length === 0) return;
  const groups = new Map<
    string,
    { code: string; subject: string; first: (typeof flags)[number]; last: (typeof flags)[number]; n: number }
  >();
  for (const f of flags) {
    const subject = `stock:${f.flag.itemCode}@${f.flag.parLocationCode}`;
    const g = groups.get(`${f.flag.code}|${subject}`);
    if (g) {
      g.last = f;
      g.n++;
    } else groups.set(`${f.flag.code}|${subject}`, { code: f.flag.code, subject, first: f, last: f, n: 1 });
  }
  const subjects = [...new Set([...groups.values()].map((g) => g.subject))];
  const open = new Map<string, bigint>();
  for (let i = 0; i < subjects.length; i += 400) {
    const part = subjects.slice(i, i + 400);
    for (const r of await tx.query(
      `SELECT id, reason_code, subject FROM exceptions
       WHERE subject IN (${part.map(() => '?').join(', ')}) AND status IN ('open', 'assigned')`,
      part,
    )) {
      open.set(`${r['reason_code']}|${r['subject']}`, asBigInt(r['id']));
    }
  }
  const fresh: object[] = [];
  const recurring: { id: bigint; n: number; evidence: string }[] = [];
  for (const [k, g] of groups) {
    const id = open.get(k);
    if (id !== undefined) {
      recurring.push({ id, n: g.n, evidence: jsonText(g.last.flag) });
    } else {
      fresh.push({
        reasonCode: g.code,
        team: ERRORS[g.code as ErrorCode]?.team ?? 'supply-chain',
        status: 'open',
        orderingKey: key,
        messageId: g.first.messageId,
        eventId: g.first.flag.sourceEventId,
        subject: g.subject,
        occurrences: g.n,
        summary: `${g.code} for item ${g.first.flag.itemCode} at ${g.first.flag.parLocationCode}`,
        evidence: jsonText(g.last.flag),
        createdAt: at,
        updatedAt: at,
      });
    }
  }
  await countRecurrences(tx, recurring, at);
  await insertRows(tx, 'exceptions', fresh);
}

/**
 * Principle 5's work items: master-data changes held back because their sender does not own the kind
 * become one open stewardship exception per kind × sender (subject `ownership:<kind>:<sender>`), counting
 * its changes, so a flood from a misrouted feed is one work item, not thousands. The evidence is the
 * latest change (kind, key, proposed payload, sender, its system, the owner) and the keys the batch held.
 */
export async function recordStewardship(
  tx: SqlExecutor,
  key: string,
  holds: readonly { hold: StewardshipHold; messageId: bigint; controlId: string }[],
  at: string,
): Promise<void> {
  if (holds.length === 0) return;
  const code = 'CW_ERR_STEWARDSHIP_NOT_OWNER';
  const groups = new Map<
    string,
    { first: (typeof holds)[number]; last: (typeof holds)[number]; n: number; keys: Set<string> }
  >();
  for (const h of holds) {
    const subject = `ownership:${h.hold.kind}:${h.hold.sender}`;
    const g = groups.get(subject);
    if (g) {
      g.last = h;
      g.n++;
      if (g.keys.size < 50) g.keys.add(h.hold.key);
    } else groups.set(subject, { first: h, last: h, n: 1, keys: new Set([h.hold.key]) });
  }
  const subjects = [...groups.keys()];
  const open = new Map<string, bigint>();
  for (const r of await tx.query(
    `SELECT id, subject FROM exceptions
     WHERE reason_code = ? AND subject IN (${subjects.map(() => '?').join(', ')}) AND status IN ('open', 'assigned')`,
    [code, ...subjects],
  )) {
    open.set(String(r['subject']), asBigInt(r['id']));
  }
  const evidenceOf = (g: { last: (typeof holds)[number]; keys: Set<string> }) => {
    const { hold, messageId, controlId } = g.last;
    return jsonText({
      kind: hold.kind,
      key: hold.key,
      action: hold.action,
      eventType: hold.eventType,
      proposed: hold.proposed,
      sender: hold.sender,
      senderSystem: hold.senderSystem,
      owner: hold.owner,
      messageId,
      controlId,
      keysInBatch: [...g.keys],
    });
  };
  const fresh: object[] = [];
  const recurring: { id: bigint; n: number; evidence: string }[] = [];
  for (const [subject, g] of groups) {
    const id = open.get(subject);
    if (id !== undefined) {
      recurring.push({ id, n: g.n, evidence: evidenceOf(g) });
      continue;
    }
    const h = g.first.hold;
    fresh.push({
      reasonCode: code,
      team: ERRORS[code].team,
      status: 'open',
      orderingKey: key,
      messageId: g.first.messageId,
      eventId: h.eventId,
      subject,
      occurrences: g.n,
      summary: new CrosswalkError(code, {
        senderSystem: h.senderSystem,
        sender: h.sender,
        count: String(g.n),
        kind: h.kind,
        owner: h.owner,
      }).message,
      evidence: evidenceOf(g),
      createdAt: at,
      updatedAt: at,
    });
  }
  await countRecurrences(tx, recurring, at);
  await insertRows(tx, 'exceptions', fresh);
}

/**
 * Adds the batch's occurrences to exceptions already open, one statement per few hundred of them (a
 * busy feed running short of many items touches hundreds per batch; one UPDATE each was a round trip
 * each on PostgreSQL).
 */
async function countRecurrences(
  tx: SqlExecutor,
  recurring: readonly { id: bigint; n: number; evidence: string }[],
  at: string,
): Promise<void> {
  if (recurring.length === 0) return;
  if (tx.capabilities.dialect === 'postgres') {
    // All of them in one statement of three array parameters (binary, see pg-arrays.ts): a VALUES list
    // of hundreds of rows cost more to parse and plan than the updates themselves.
    const ids = arrayParam(
      recurring.map((r) => r.id),
      { type: 'bigint', oid: 20 },
    );
    const counts = arrayParam(
      recurring.map((r) => r.n),
      { type: 'integer', oid: 23 },
    );
    const evidence = arrayParam(
      recurring.map((r) => r.evidence),
      { type: 'jsonb', oid: 3802 },
    );
    await tx.execute(
      `UPDATE exceptions SET occurrences = exceptions.occurrences + v.n, evidence = ${evidence.expr('v.evidence')},
         updated_at = ?
       FROM unnest(?::${ids.cast}, ?::${counts.cast}, ?::${evidence.cast}) AS v(id, n, evidence)
       WHERE exceptions.id = v.id`,
      [at, ids.value, counts.value, evidence.value],
    );
    return;
  }
  for (let i = 0; i < recurring.length; i += 300) {
    const part = recurring.slice(i, i + 300);
    await tx.execute(
      `UPDATE exceptions SET occurrences = exceptions.occurrences + v.n, evidence = v.evidence, updated_at = ?
       FROM (SELECT column1 AS id, column2 AS n, column3 AS evidence
             FROM (VALUES ${part.map(() => '(?, ?, ?)').join(', ')}) AS t) AS v
       WHERE exceptions.id = v.id`,
      [at, ...part.flatMap((r) => [r.id, r.n, r.evidence])],
    );
  }
}

/**
 * Writes the effects of a planned batch of one ordering key and moves its cursor past the last
 * message, in the caller's transaction: every message ends in exactly one state (applied, failed with
 * an exception, or skipped), and nothing of a failed message is written but its exception.
 */
export async function saveBatch(
  tx: SqlExecutor,
  key: string,
  plans: readonly MessagePlan[],
  inventoryState: Parameters<typeof saveInventory>[2],
  releaseId: string,
  at: string,
): Promise<void> {
  await saveBatchEffects(tx, key, plans, inventoryState, releaseId, at);
  await saveBatchExceptions(tx, key, batchExceptionsOf(plans), releaseId, at);
}

/**
 * The part of a batch's work items that depends on what the database holds (an open exception to count
 * on, a new exception's id): what saveBatchExceptions needs of the plans, and no more.
 */
export interface BatchExceptions {
  readonly flags: readonly {
    flag: Extract<MessagePlan, { kind: 'applied' }>['flags'][number];
    messageId: bigint;
  }[];
  readonly holds: readonly { hold: StewardshipHold; messageId: bigint; controlId: string }[];
  readonly failed: readonly {
    readonly messageId: bigint;
    readonly controlId: string;
    readonly messageType: string;
    readonly code: ErrorCode;
    readonly params: Readonly<Record<string, unknown>>;
    readonly message: string;
  }[];
  /** Applied messages with their entries posted past a closed period (recordLatePostings). */
  readonly late: readonly { kind: 'applied'; message: { id: bigint }; entries: readonly JournalEntry[] }[];
}

export function batchExceptionsOf(plans: readonly MessagePlan[]): BatchExceptions {
  const flags: BatchExceptions['flags'][number][] = [];
  const holds: BatchExceptions['holds'][number][] = [];
  const failed: BatchExceptions['failed'][number][] = [];
  const late: BatchExceptions['late'][number][] = [];
  for (const p of plans) {
    if (p.kind === 'applied') {
      for (const flag of p.flags) flags.push({ flag, messageId: p.message.id });
      for (const hold of p.held)
        holds.push({ hold, messageId: p.message.id, controlId: p.message.controlId });
      const lateEntries = p.entries.filter((e) => e.lateFromPeriod !== null);
      if (lateEntries.length > 0)
        late.push({ kind: 'applied', message: { id: p.message.id }, entries: lateEntries });
    } else if (p.kind === 'failed') {
      failed.push({
        messageId: p.message.id,
        controlId: p.message.controlId,
        messageType: p.messageType,
        code: p.error.code,
        params: p.error.params,
        message: p.error.message,
      });
    }
  }
  return { flags, holds, failed, late };
}

/**
 * Everything of a batch that is written without reading: events, stock, entries, requisitions,
 * encounters, the outcomes of applied and skipped messages, outbound documents and the cursor. It
 * issues statements only, so it can be recorded where the batch is planned and run where it is written
 * (planner-thread.ts).
 */
export async function saveBatchEffects(
  tx: SqlExecutor,
  key: string,
  plans: readonly MessagePlan[],
  inventoryState: Parameters<typeof saveInventory>[2],
  releaseId: string,
  at: string,
): Promise<void> {
  const applied = plans.filter((p): p is Extract<MessagePlan, { kind: 'applied' }> => p.kind === 'applied');
  const events = applied.flatMap((p) =>
    p.events.map((e) => ({
      id: e.id,
      type: e.type,
      orderingKey: e.orderingKey,
      sourceMessageId: p.message.id,
      position: e.position,
      mappingReleaseId: e.mappingReleaseId,
      occurredAt: e.occurredAt,
      entity: e.entity,
      payload: eventsToJson(e),
    })),
  );
  await insertRows(tx, 'canonical_events', events);
  const movements = applied.flatMap((p) => p.movements);
  const eventOfMovement = new Map(movements.map((m) => [m.movementKey, m.sourceEventId]));
  await saveInventory(tx, movements, inventoryState, (m) => eventOfMovement.get(m.movementKey) ?? null);
  await saveEntries(
    tx,
    applied.flatMap((p) => p.entries),
  );
  await insertRows(tx, 'requisitions', applied.flatMap((p) => p.requisitions) satisfies Requisition[]);
  const encounters = new Map<string, EncounterState>();
  for (const p of applied) for (const e of p.encounters) encounters.set(e.token, e);
  await insertRows(
    tx,
    'encounters',
    [...encounters.values()],
    `ON CONFLICT (token) DO UPDATE SET entity = excluded.entity, status = excluded.status, patient_class = excluded.patient_class,
       care_location_code = excluded.care_location_code, department_code = excluded.department_code,
       cost_center_code = excluded.cost_center_code, admitted_at = excluded.admitted_at,
       discharged_at = excluded.discharged_at, last_event_id = excluded.last_event_id, updated_at = excluded.updated_at`,
  );
  await saveOutcomes(
    tx,
    plans
      .filter((p) => p.kind !== 'failed')
      .map((p) => ({
        messageId: p.message.id,
        orderingKey: key,
        state: p.kind,
        mappingReleaseId: releaseId,
        eventCount: p.kind === 'applied' ? p.events.length : 0,
        exceptionId: null,
        processedAt: at,
      })),
  );
  // What the batch owes other systems, written with its effects (see outbox/documents.ts).
  await enqueueDocuments(tx, documentsForBatch(key, plans, at));
  const last = plans.at(-1);
  if (last) {
    await tx.execute('UPDATE apply_cursors SET last_message_id = ?, updated_at = ? WHERE ordering_key = ?', [
      last.message.id,
      at,
      key,
    ]);
  }
}

const saveOutcomes = (tx: SqlExecutor, outcomes: readonly object[]) =>
  insertRows(
    tx,
    'message_outcomes',
    outcomes,
    `ON CONFLICT (message_id) DO UPDATE SET state = excluded.state, mapping_release_id = excluded.mapping_release_id,
       event_count = excluded.event_count, exception_id = excluded.exception_id, processed_at = excluded.processed_at`,
  );

/** A batch's work items, in the transaction that writes its effects (see BatchExceptions). */
export async function saveBatchExceptions(
  tx: SqlExecutor,
  key: string,
  w: BatchExceptions,
  releaseId: string,
  at: string,
): Promise<void> {
  await recordFlags(tx, key, w.flags, at);
  await recordStewardship(tx, key, w.holds, at);
  const outcomes: object[] = [];
  for (const f of w.failed) {
    const evidence = {
      messageId: f.messageId,
      controlId: f.controlId,
      messageType: f.messageType,
      code: f.code,
      params: f.params,
    };
    const ref = { orderingKey: key, messageId: f.messageId, eventId: null };
    const id = await openException(tx, f.code, f.message, evidence, at, ref);
    outcomes.push({
      messageId: f.messageId,
      orderingKey: key,
      state: 'failed',
      mappingReleaseId: releaseId,
      eventCount: 0,
      exceptionId: id,
      processedAt: at,
    });
  }
  await saveOutcomes(tx, outcomes);
  // Events posted past a closed period: one work item per entity and period for the controller.
  await recordLatePostings(tx, key, w.late, at);
}

export type { Store };
