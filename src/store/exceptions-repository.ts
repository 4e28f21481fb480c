import { createHash } from 'node:crypto';
import type { EncounterState, MessagePlan, Requisition, StoredMessage } from '../apply/plan.ts';
import { eventsToJson } from '../canonical/index.ts';
import { CrosswalkError } from '../errors/index.ts';
import {
  type Command,
  type Decision,
  decide,
  dueAt,
  type ExceptionState,
  type ExceptionStatus,
  type FieldEdit,
  type HistoryEntry,
  type HistoryKind,
  isOverdue,
} from '../exceptions/index.ts';
import { documentsForBatch } from '../outbox/documents.ts';
import { appendAudit } from './audit-repository.ts';
import { ENCOUNTER_UPSERT, recordFlags, recordStewardship, saveEntries } from './batch-writes.ts';
import { fromRows, insertRows } from './bulk.ts';
import { openRaw } from './inbox-repository.ts';
import { saveInventory } from './inventory-repository.ts';
import { enqueueDocuments } from './outbox-repository.ts';
import type { Row, SqlExecutor, SqlValue, Store } from './port.ts';
import { STORED_MESSAGE_COLUMNS_M, storedMessageOf } from './posting-repository.ts';
import { asBigInt, asBool, asNumber, asOptionalString } from './values.ts';

/**
 * The exception work-queue in the database: reading it with filters, recording what people decide
 * (history, append-only), corrected message versions, and the write path of a replayed message.
 *
 * A replay writes one message's effects without touching its ordering key's apply cursor: the cursor
 * only ever moves forward over arrival order, and a failed message is already behind it. The outcome
 * row is the guard instead: it flips from `failed` only once (compare and set, locked on PostgreSQL),
 * so two replays of the same exception cannot both write.
 */

export interface ExceptionRecord extends ExceptionState {
  readonly team: string;
  readonly orderingKey: string | null;
  readonly messageId: bigint | null;
  readonly eventId: string | null;
  readonly subject: string | null;
  readonly occurrences: number;
  readonly summary: string;
  readonly evidence: Record<string, unknown>;
  readonly updatedAt: string;
  readonly resolvedAt: string | null;
  readonly resolvedBy: string | null;
  readonly resolution: string | null;
  /** The message whose `failed` outcome this exception is, and that outcome's state now; null for flags and refusals. */
  readonly failedMessage: { readonly id: bigint; readonly state: string } | null;
  /** created + the reason's SLA, or the explicit due date. */
  readonly due: string;
}

const COLUMNS = `x.id, x.reason_code, x.team, x.status, x.ordering_key, x.message_id, x.event_id, x.subject,
  x.occurrences, x.summary, x.evidence, x.created_at, x.updated_at, x.assignee, x.due_at, x.resolved_at,
  x.resolved_by, x.resolution, o.message_id AS outcome_message_id, o.state AS outcome_state`;
const FROM = 'FROM exceptions x LEFT JOIN message_outcomes o ON o.exception_id = x.id';

function recordOf(r: Row): ExceptionRecord {
  const evidence = r['evidence'];
  const base = {
    id: asBigInt(r['id']),
    reasonCode: String(r['reason_code']),
    team: String(r['team']),
    status: String(r['status']) as ExceptionStatus,
    orderingKey: asOptionalString(r['ordering_key']),
    messageId: r['message_id'] === null ? null : asBigInt(r['message_id']),
    eventId: asOptionalString(r['event_id']),
    subject: asOptionalString(r['subject']),
    occurrences: asNumber(r['occurrences']),
    summary: String(r['summary']),
    evidence: (typeof evidence === 'string' ? JSON.parse(evidence) : evidence) as Record<string, unknown>,
    createdAt: String(r['created_at']),
    updatedAt: String(r['updated_at']),
    assignee: asOptionalString(r['assignee']),
    dueAt: asOptionalString(r['due_at']),
    resolvedAt: asOptionalString(r['resolved_at']),
    resolvedBy: asOptionalString(r['resolved_by']),
    resolution: asOptionalString(r['resolution']),
    failedMessage:
      r['outcome_message_id'] === null || r['outcome_message_id'] === undefined
        ? null
        : { id: asBigInt(r['outcome_message_id']), state: String(r['outcome_state']) },
  };
  return { ...base, due: dueAt(base) };
}

export interface ExceptionFilter {
  readonly statuses?: readonly ExceptionStatus[];
  readonly team?: string;
  readonly reasonCode?: string;
  readonly orderingKey?: string;
  readonly messageId?: bigint;
  /** Raised before this instant (ISO 8601): "older than". */
  readonly createdBefore?: string;
  /** Only those past their due date at this instant (open or assigned). */
  readonly overdueAt?: Date;
  /** Only those that are the failure of a stored message still failed (what a replay can act on). */
  readonly replayable?: boolean;
  readonly limit?: number;
}

/**
 * Exceptions matching the filter, oldest first. Overdue is decided in code (the SLA lives in the error
 * registry, not in the database), after the SQL filters have narrowed the set.
 */
export async function listExceptions(
  db: SqlExecutor,
  filter: ExceptionFilter = {},
): Promise<ExceptionRecord[]> {
  const where: string[] = [];
  const params: SqlValue[] = [];
  if (filter.statuses && filter.statuses.length > 0) {
    where.push(`x.status IN (${filter.statuses.map(() => '?').join(', ')})`);
    params.push(...filter.statuses);
  }
  for (const [column, value] of [
    ['x.team', filter.team],
    ['x.reason_code', filter.reasonCode],
    ['x.ordering_key', filter.orderingKey],
  ] as const) {
    if (value !== undefined) {
      where.push(`${column} = ?`);
      params.push(value);
    }
  }
  if (filter.messageId !== undefined) {
    where.push('(x.message_id = ? OR o.message_id = ?)');
    params.push(filter.messageId, filter.messageId);
  }
  if (filter.createdBefore !== undefined) {
    where.push('x.created_at < ?');
    params.push(filter.createdBefore);
  }
  if (filter.replayable) where.push(`o.state = 'failed' AND x.status IN ('open', 'assigned')`);
  if (filter.overdueAt) where.push(`x.status IN ('open', 'assigned')`);
  const sqlLimit =
    filter.overdueAt === undefined && filter.limit !== undefined
      ? ` LIMIT ${Math.max(1, Math.floor(filter.limit))}`
      : '';
  const rows = (
    await db.query(
      `SELECT ${COLUMNS} ${FROM} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY x.id${sqlLimit}`,
      params,
    )
  ).map(recordOf);
  if (!filter.overdueAt) return rows;
  const now = filter.overdueAt;
  const overdue = rows.filter((x) => isOverdue(x, now));
  return filter.limit === undefined ? overdue : overdue.slice(0, filter.limit);
}

/** One exception; on PostgreSQL `lock` holds its row until the transaction ends (two people acting at once). */
export async function getException(
  db: SqlExecutor,
  id: bigint,
  lock = false,
): Promise<ExceptionRecord | null> {
  const suffix = lock && db.capabilities.concurrentWriters ? ' FOR UPDATE OF x' : '';
  const rows = await db.query(`SELECT ${COLUMNS} ${FROM} WHERE x.id = ?${suffix}`, [id]);
  return rows[0] ? recordOf(rows[0]) : null;
}

export async function requireException(db: SqlExecutor, id: bigint, lock = false): Promise<ExceptionRecord> {
  const x = await getException(db, id, lock);
  if (!x) throw new CrosswalkError('CW_ERR_API_NOT_FOUND', { what: 'exception', id: String(id) });
  return x;
}

export interface StoredHistoryEntry extends HistoryEntry {
  readonly id: bigint;
}

export async function historyOf(db: SqlExecutor, id: bigint): Promise<StoredHistoryEntry[]> {
  return (
    await db.query(
      'SELECT id, kind, actor, at, from_status, to_status, note, details FROM exception_history WHERE exception_id = ? ORDER BY id',
      [id],
    )
  ).map((r) => ({
    id: asBigInt(r['id']),
    kind: String(r['kind']) as HistoryKind,
    actor: String(r['actor']),
    at: String(r['at']),
    fromStatus: String(r['from_status']) as ExceptionStatus,
    toStatus: String(r['to_status']) as ExceptionStatus,
    note: asOptionalString(r['note']),
    details: (typeof r['details'] === 'string'
      ? JSON.parse(r['details'])
      : r['details']) as HistoryEntry['details'],
  }));
}

/**
 * One entry of an exception's history, and the same action in the audit chain. The audit record keeps
 * the transition and the structured details but not the free-text note: notes are written by people
 * and may quote a message, so they stay in the work-queue, where reading them is itself controlled.
 */
export async function appendHistory(tx: SqlExecutor, id: bigint, e: HistoryEntry): Promise<void> {
  await tx.execute(
    `INSERT INTO exception_history (exception_id, kind, actor, at, from_status, to_status, note, details)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    [id, e.kind, e.actor, e.at, e.fromStatus, e.toStatus, e.note, JSON.stringify(e.details)],
  );
  await appendAudit(tx, {
    at: e.at,
    actor: e.actor,
    action: `exception.${e.kind}`,
    object: `exception:${id}`,
    before: { status: e.fromStatus },
    after: { status: e.toStatus, ...e.details },
  });
}

/**
 * Records a decision: the new status (compare and set against the status it was decided on, so of two
 * people acting at once on the same exception the second is told instead of silently overwriting) and
 * its history entry, in the caller's transaction.
 */
export async function recordDecision(
  tx: SqlExecutor,
  x: ExceptionState,
  d: Decision,
  extra: { dueAt?: string } = {},
): Promise<void> {
  const ended = d.status === 'resolved' || d.status === 'ignored';
  const sets = ['status = ?', 'assignee = ?', 'updated_at = ?'];
  const params: SqlValue[] = [d.status, d.assignee, d.entry.at];
  if (ended && d.status !== x.status) {
    sets.push('resolved_at = ?', 'resolved_by = ?', 'resolution = ?');
    params.push(d.entry.at, d.entry.actor, d.resolution);
  }
  if (extra.dueAt !== undefined) {
    sets.push('due_at = ?');
    params.push(extra.dueAt);
  }
  const r = await tx.execute(`UPDATE exceptions SET ${sets.join(', ')} WHERE id = ? AND status = ?`, [
    ...params,
    x.id,
    x.status,
  ]);
  if (r.rowsAffected !== 1) {
    throw new CrosswalkError('CW_ERR_EXCEPTION_BAD_TRANSITION', {
      id: String(x.id),
      status: 'changed by someone else meanwhile',
      action: 'changed on a stale view',
    });
  }
  await appendHistory(tx, x.id, d.entry);
}

/** assign / comment / resolve / ignore, decided by the domain and recorded in one transaction. */
export async function actOnException(
  store: Store,
  id: bigint,
  command: Command,
  actor: string,
  at: string,
  extra: { dueAt?: string } = {},
): Promise<{ exception: ExceptionRecord; entry: HistoryEntry }> {
  return store.transaction(async (tx) => {
    const x = await requireException(tx, id, true);
    const d = decide(x, command, actor, at);
    await recordDecision(tx, x, d, extra);
    return { exception: (await getException(tx, id))!, entry: d.entry };
  });
}

// --- message revisions (corrected versions of a failed message) -------------------------------------

export type RevisionStatus = 'pending' | 'approved' | 'rejected';

export interface MessageRevision {
  readonly id: bigint;
  readonly messageId: bigint;
  readonly exceptionId: bigint;
  readonly basedOn: bigint | null;
  readonly contentSha256: string;
  readonly edits: readonly FieldEdit[];
  readonly reason: string | null;
  readonly needsApproval: boolean;
  readonly editedBy: string;
  readonly editedAt: string;
  readonly status: RevisionStatus;
  readonly decidedBy: string | null;
  readonly decidedAt: string | null;
}

function revisionOf(r: Row): MessageRevision {
  return {
    id: asBigInt(r['id']),
    messageId: asBigInt(r['message_id']),
    exceptionId: asBigInt(r['exception_id']),
    basedOn: r['based_on'] === null ? null : asBigInt(r['based_on']),
    contentSha256: String(r['content_sha256']),
    edits: (typeof r['edits'] === 'string' ? JSON.parse(r['edits']) : r['edits']) as FieldEdit[],
    reason: asOptionalString(r['reason']),
    needsApproval: asBool(r['needs_approval']),
    editedBy: String(r['edited_by']),
    editedAt: String(r['edited_at']),
    status: String(r['status']) as RevisionStatus,
    decidedBy: asOptionalString(r['decided_by']),
    decidedAt: asOptionalString(r['decided_at']),
  };
}

const REVISION_COLUMNS =
  'id, message_id, exception_id, based_on, content_sha256, edits, reason, needs_approval, edited_by, edited_at, status, decided_by, decided_at';

export async function revisionsOf(db: SqlExecutor, exceptionId: bigint): Promise<MessageRevision[]> {
  return (
    await db.query(`SELECT ${REVISION_COLUMNS} FROM message_revisions WHERE exception_id = ? ORDER BY id`, [
      exceptionId,
    ])
  ).map(revisionOf);
}

/** The bytes of a revision. */
export async function revisionBytes(db: SqlExecutor, id: bigint): Promise<Buffer> {
  const rows = await db.query(
    'SELECT id, content_sha256, raw, raw_key_id FROM message_revisions WHERE id = ?',
    [id],
  );
  if (!rows[0])
    throw new CrosswalkError('CW_ERR_API_NOT_FOUND', { what: 'message revision', id: String(id) });
  return openRaw(db, 'message_revisions', rows[0]);
}

export async function insertRevision(
  tx: SqlExecutor,
  r: {
    messageId: bigint;
    exceptionId: bigint;
    basedOn: bigint | null;
    raw: Buffer;
    edits: readonly FieldEdit[];
    reason: string | null;
    needsApproval: boolean;
    editedBy: string;
    at: string;
  },
): Promise<bigint> {
  const contentSha256 = createHash('sha256').update(r.raw).digest('hex');
  const sealed = tx.rawCipher.seal('message_revisions', contentSha256, r.raw);
  const rows = await tx.query<{ id: unknown }>(
    `INSERT INTO message_revisions (message_id, exception_id, based_on, raw, content_sha256, edits, reason,
       needs_approval, edited_by, edited_at, status, decided_by, decided_at, raw_key_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?) RETURNING id`,
    [
      r.messageId,
      r.exceptionId,
      r.basedOn,
      sealed.bytes,
      contentSha256,
      JSON.stringify(r.edits),
      r.reason,
      r.needsApproval,
      r.editedBy,
      r.at,
      r.needsApproval ? 'pending' : 'approved',
      r.needsApproval ? null : r.at,
      sealed.keyId,
    ],
  );
  return asBigInt(rows[0]!.id);
}

/** Moves a pending revision to approved or rejected (once: the database refuses any later change). */
export async function decideRevision(
  tx: SqlExecutor,
  id: bigint,
  status: 'approved' | 'rejected',
  by: string,
  at: string,
): Promise<void> {
  const r = await tx.execute(
    "UPDATE message_revisions SET status = ?, decided_by = ?, decided_at = ? WHERE id = ? AND status = 'pending'",
    [status, by, at, id],
  );
  if (r.rowsAffected !== 1) {
    throw new CrosswalkError('CW_ERR_EXCEPTION_BAD_TRANSITION', {
      id: String(id),
      status: 'decided already',
      action: status,
    });
  }
}

// --- the replay write path --------------------------------------------------------------------------

/**
 * The stored message whose `failed` outcome is this exception, with the outcome's current state; the
 * outcome row is locked on PostgreSQL, so of two replays of one message the second waits and then sees
 * `applied`. Null when the exception is not a message failure (stock flags, inbox refusals).
 */
export async function failedMessageOf(
  tx: SqlExecutor,
  exceptionId: bigint,
): Promise<{ message: StoredMessage; state: string } | null> {
  const lock = tx.capabilities.concurrentWriters ? ' FOR UPDATE OF o' : '';
  const rows = await tx.query(
    `SELECT ${STORED_MESSAGE_COLUMNS_M}, o.state
     FROM message_outcomes o JOIN inbound_messages m ON m.id = o.message_id
     WHERE o.exception_id = ?${lock}`,
    [exceptionId],
  );
  const r = rows[0];
  return r ? { message: storedMessageOf(tx, r), state: String(r['state']) } : null;
}

type AppliedPlan = Extract<MessagePlan, { kind: 'applied' }>;

/**
 * Writes the effects of one replayed message and flips its outcome from failed to applied, in the
 * caller's transaction. Effect ids are the ones the apply stage would have given (events from the
 * message key and position, entries from event and rule, movements from event and line), so a second
 * write of the same effects collides instead of doubling them.
 */
export async function saveReplayedMessage(
  tx: SqlExecutor,
  plan: AppliedPlan,
  inventoryState: Parameters<typeof saveInventory>[2],
  releaseId: string,
  at: string,
): Promise<void> {
  await flipOutcome(tx, plan.message.id, 'applied', releaseId, plan.events.length, at);
  await insertRows(
    tx,
    'canonical_events',
    plan.events.map((e) => ({
      id: e.id,
      type: e.type,
      orderingKey: e.orderingKey,
      sourceMessageId: plan.message.id,
      position: e.position,
      mappingReleaseId: e.mappingReleaseId,
      occurredAt: e.occurredAt,
      entity: e.entity,
      payload: eventsToJson(e),
    })),
  );
  const eventOfMovement = new Map(plan.movements.map((m) => [m.movementKey, m.sourceEventId]));
  await saveInventory(tx, plan.movements, inventoryState, (m) => eventOfMovement.get(m.movementKey) ?? null);
  await saveEntries(tx, plan.entries);
  await insertRows(tx, 'requisitions', plan.requisitions satisfies readonly Requisition[]);
  // A replayed message is older than what its encounters may have seen since: it updates an encounter
  // only if its event is not older than the one the encounter last took.
  const encounters = new Map<string, EncounterState>();
  for (const e of plan.encounters) encounters.set(e.token, e);
  await insertRows(
    tx,
    'encounters',
    [...encounters.values()],
    `${ENCOUNTER_UPSERT} WHERE encounters.updated_at <= excluded.updated_at`,
  );
  await recordFlags(
    tx,
    plan.message.orderingKey,
    plan.flags.map((f) => ({ flag: f, messageId: plan.message.id })),
    at,
  );
  await recordStewardship(
    tx,
    plan.message.orderingKey,
    plan.held.map((hold) => ({ hold, messageId: plan.message.id, controlId: plan.message.controlId })),
    at,
  );
  await enqueueReplayDocuments(tx, plan, at);
}

/**
 * What the replayed message owes other systems (its journal batch, its requisitions), written with its
 * effects. Their ids come from their content, as for any batch; their place in the ordering key is now,
 * not when the message arrived: after everything its key has already sent (the key's cursor, past the
 * parts already written there), so a destination receives them in the order they came to exist and
 * never before what it already has. The cursor row is locked (on PostgreSQL) so the key's applier and
 * other replays cannot take the same place.
 */
async function enqueueReplayDocuments(tx: SqlExecutor, plan: AppliedPlan, at: string): Promise<void> {
  const key = plan.message.orderingKey;
  const docs = documentsForBatch(key, [plan], at);
  if (docs.length === 0) return;
  const lock = tx.capabilities.concurrentWriters ? ' FOR UPDATE' : '';
  const cursor = await tx.query('SELECT last_message_id FROM apply_cursors WHERE ordering_key = ?' + lock, [
    key,
  ]);
  const seqMessageId = cursor[0] ? asBigInt(cursor[0]['last_message_id']) : plan.message.id;
  const parts = await tx.query(
    'SELECT MAX(seq_part) AS p FROM outbox_documents WHERE ordering_key = ? AND seq_message_id = ?',
    [key, seqMessageId],
  );
  const next = parts[0]?.['p'] === null || parts[0]?.['p'] === undefined ? 0 : asNumber(parts[0]['p']) + 1;
  await enqueueDocuments(
    tx,
    docs.map((d, i) => ({ ...d, seqMessageId, seqPart: next + i })),
  );
}

/** failed → applied | skipped, only from failed: false would mean someone else replayed it first. */
export async function flipOutcome(
  tx: SqlExecutor,
  messageId: bigint,
  state: 'applied' | 'skipped',
  releaseId: string,
  eventCount: number,
  at: string,
): Promise<void> {
  const r = await tx.execute(
    `UPDATE message_outcomes SET state = ?, mapping_release_id = ?, event_count = ?, processed_at = ?
     WHERE message_id = ? AND state = 'failed'`,
    [state, releaseId, eventCount, at, messageId],
  );
  if (r.rowsAffected !== 1) {
    throw new CrosswalkError('CW_ERR_EXCEPTION_NOT_REPLAYABLE', {
      id: String(messageId),
      reason: 'its message is no longer failed (replayed meanwhile)',
    });
  }
}

/** Open exceptions per team and reason (the queue's summary). */
export async function queueSummary(
  db: SqlExecutor,
): Promise<{ team: string; reasonCode: string; status: string; count: number }[]> {
  return fromRows(
    await db.query(
      `SELECT team, reason_code, status, COUNT(*) AS count FROM exceptions
       WHERE status IN ('open', 'assigned') GROUP BY team, reason_code, status ORDER BY team, reason_code, status`,
    ),
    { count: 'int' },
  );
}
