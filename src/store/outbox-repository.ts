/**
 * The outbox in the database: documents written in the apply transaction (`enqueueDocuments`, the hot
 * path), and the delivery state machine the deliverer drives (claim → delivered | retry | quarantined |
 * failed), destination state (configured, paused, alerting, lease) and the reads behind the CLI and API.
 *
 * Order: within a destination and ordering key a delivery is only handed out when every earlier one is
 * delivered (`headsOf`), so a quarantined or failed document holds back the rest of its key there — a
 * person decides (retry or confirm) before anything overtakes it.
 */
import { CrosswalkError, ERRORS, type ErrorCode } from '../errors/index.ts';
import type { DocumentKind, OutboundDocument } from '../outbox/documents.ts';
import { appendAudit } from './audit-repository.ts';
import { fromRows, insertRows } from './bulk.ts';
import type { SqlExecutor, SqlValue } from './port.ts';
import { asBigInt, asBool, asNumber, asOptionalString } from './values.ts';

export type DeliveryState = 'pending' | 'delivering' | 'delivered' | 'quarantined' | 'failed';
export const DELIVERY_STATES: readonly DeliveryState[] = [
  'pending',
  'delivering',
  'delivered',
  'quarantined',
  'failed',
];

// --- the hot path ---------------------------------------------------------------------------------------

/**
 * Writes documents and one delivery per document × enabled destination that takes its kind, in the
 * caller's transaction: two statements whatever the number of destinations. A document already stored
 * (same content, same id) is left as it is, and so are its deliveries.
 */
export async function enqueueDocuments(
  tx: SqlExecutor,
  docs: readonly OutboundDocument[],
  /** Deliver to this destination only, whatever kinds it takes (an explicit `publish --to`). */
  onlyTo?: string,
): Promise<void> {
  if (docs.length === 0) return;
  const join =
    onlyTo === undefined
      ? "d.enabled AND (',' || d.kinds || ',') LIKE ('%,' || x.kind || ',%')"
      : 'd.name = ?';
  await insertRows(
    tx,
    'outbox_documents',
    docs.map((d) => ({
      id: d.id,
      kind: d.kind,
      orderingKey: d.orderingKey,
      seqMessageId: d.seqMessageId,
      seqPart: d.seqPart,
      entity: d.entity,
      firstMessageId: d.firstMessageId,
      lastMessageId: d.lastMessageId,
      itemCount: d.itemCount,
      payload: d.payload,
      createdAt: d.createdAt,
    })),
    'ON CONFLICT (id) DO NOTHING',
  );
  for (let i = 0; i < docs.length; i += 500) {
    const ids = docs.slice(i, i + 500).map((d) => d.id);
    await tx.execute(
      `INSERT INTO outbox_deliveries (destination, document_id, ordering_key, seq_message_id, seq_part, state,
         attempts, next_attempt_at, created_at, updated_at)
       SELECT d.name, x.id, x.ordering_key, x.seq_message_id, x.seq_part, 'pending', 0, x.created_at, x.created_at, x.created_at
       FROM outbox_documents x JOIN outbox_destinations d ON ${join}
       WHERE x.id IN (${ids.map(() => '?').join(', ')})
       ON CONFLICT (destination, document_id) DO NOTHING`,
      onlyTo === undefined ? ids : [onlyTo, ...ids],
    );
  }
}

// --- destinations ---------------------------------------------------------------------------------------

export interface DestinationRegistration {
  readonly name: string;
  readonly connector: 'journal-files' | 'http' | 'mllp' | 'fhir';
  readonly kinds: readonly DocumentKind[];
}

/**
 * Makes the table match the configuration: the configured destinations receive new documents, the
 * others stop receiving (their queued deliveries stay, visible, until someone configures them again).
 */
export async function syncDestinations(
  tx: SqlExecutor,
  configured: readonly DestinationRegistration[],
  at: string,
): Promise<void> {
  for (const d of configured) {
    await tx.execute(
      `INSERT INTO outbox_destinations (name, connector, kinds, enabled, updated_at) VALUES (?, ?, ?, TRUE, ?)
       ON CONFLICT (name) DO UPDATE SET connector = excluded.connector, kinds = excluded.kinds, enabled = TRUE,
         updated_at = excluded.updated_at`,
      [d.name, d.connector, d.kinds.join(','), at],
    );
  }
  const names = configured.map((d) => d.name);
  await tx.execute(
    `UPDATE outbox_destinations SET enabled = FALSE, updated_at = ?
     WHERE enabled${names.length ? ` AND name NOT IN (${names.map(() => '?').join(', ')})` : ''}`,
    [at, ...names],
  );
}

export interface DestinationRow {
  readonly name: string;
  readonly connector: string;
  readonly kinds: readonly string[];
  readonly enabled: boolean;
  readonly paused: boolean;
  readonly pausedBy: string | null;
  readonly pausedAt: string | null;
  readonly pauseReason: string | null;
  readonly alerting: boolean;
  readonly alertSince: string | null;
  readonly alertExceptionId: bigint | null;
  readonly leaseOwner: string | null;
  readonly leaseUntil: string | null;
}

function destinationOf(r: Record<string, unknown>): DestinationRow {
  return {
    name: String(r['name']),
    connector: String(r['connector']),
    kinds: String(r['kinds']).split(',').filter(Boolean),
    enabled: asBool(r['enabled']),
    paused: asBool(r['paused']),
    pausedBy: asOptionalString(r['paused_by']),
    pausedAt: asOptionalString(r['paused_at']),
    pauseReason: asOptionalString(r['pause_reason']),
    alerting: asBool(r['alerting']),
    alertSince: asOptionalString(r['alert_since']),
    alertExceptionId: r['alert_exception_id'] == null ? null : asBigInt(r['alert_exception_id']),
    leaseOwner: asOptionalString(r['lease_owner']),
    leaseUntil: asOptionalString(r['lease_until']),
  };
}

export async function listDestinations(db: SqlExecutor): Promise<DestinationRow[]> {
  return (await db.query('SELECT * FROM outbox_destinations ORDER BY name')).map(destinationOf);
}

export async function getDestination(db: SqlExecutor, name: string): Promise<DestinationRow | null> {
  const r = (await db.query('SELECT * FROM outbox_destinations WHERE name = ?', [name]))[0];
  return r ? destinationOf(r) : null;
}

/** Pauses (true) or resumes (false); false when it already was in that state. */
export async function setPaused(
  db: SqlExecutor,
  name: string,
  paused: boolean,
  by: string,
  reason: string | null,
  at: string,
): Promise<boolean> {
  const r = await db.execute(
    `UPDATE outbox_destinations SET paused = ?, paused_by = ?, paused_at = ?, pause_reason = ?, updated_at = ?
     WHERE name = ? AND paused = ?`,
    [paused, paused ? by : null, paused ? at : null, paused ? reason : null, at, name, !paused],
  );
  if (r.rowsAffected === 0) return false;
  await appendAudit(db, {
    at,
    actor: by,
    action: paused ? 'outbox.pause' : 'outbox.resume',
    object: `destination:${name}`,
    before: { paused: !paused },
    after: { paused, reason },
  });
  return true;
}

/**
 * Takes or renews the right to deliver to `name` until `until` (compare and set on the row): one
 * process at a time delivers to a destination, so its order holds with several processes. True when
 * `owner` holds it now.
 */
export async function takeLease(
  db: SqlExecutor,
  name: string,
  owner: string,
  now: string,
  until: string,
): Promise<boolean> {
  const r = await db.execute(
    `UPDATE outbox_destinations SET lease_owner = ?, lease_until = ?
     WHERE name = ? AND (lease_owner = ? OR lease_owner IS NULL OR lease_until IS NULL OR lease_until < ?)`,
    [owner, until, name, owner, now],
  );
  return r.rowsAffected > 0;
}

export async function releaseLease(db: SqlExecutor, name: string, owner: string): Promise<void> {
  await db.execute(
    'UPDATE outbox_destinations SET lease_owner = NULL, lease_until = NULL WHERE name = ? AND lease_owner = ?',
    [name, owner],
  );
}

// --- deliveries -----------------------------------------------------------------------------------------

export interface DeliveryRow {
  readonly destination: string;
  readonly documentId: string;
  readonly kind: DocumentKind;
  readonly orderingKey: string;
  readonly seqMessageId: bigint;
  readonly seqPart: number;
  readonly entity: string | null;
  readonly itemCount: number;
  readonly state: DeliveryState;
  readonly attempts: number;
  readonly nextAttemptAt: string;
  readonly lastError: string | null;
  readonly deliveredAt: string | null;
  readonly response: string | null;
  readonly exceptionId: bigint | null;
  readonly createdAt: string;
}

const DELIVERY_COLUMNS = `v.destination, v.document_id, x.kind, v.ordering_key, v.seq_message_id, v.seq_part,
  x.entity, x.item_count, v.state, v.attempts, v.next_attempt_at, v.last_error, v.delivered_at, v.response,
  v.exception_id, v.created_at`;

function deliveryOf(r: Record<string, unknown>): DeliveryRow {
  return fromRows<DeliveryRow>([r], {
    seqMessageId: 'bigint',
    seqPart: 'int',
    itemCount: 'int',
    attempts: 'int',
    exceptionId: 'bigint',
  })[0]!;
}

/** Ordering keys with something not yet delivered at `destination`. */
export async function openKeys(db: SqlExecutor, destination: string): Promise<string[]> {
  return (
    await db.query<{ ordering_key: string }>(
      `SELECT DISTINCT ordering_key FROM outbox_deliveries WHERE destination = ? AND state <> 'delivered'`,
      [destination],
    )
  ).map((r) => String(r.ordering_key));
}

/**
 * The next undelivered deliveries of one key at a destination, in order, without payloads (bounded
 * memory however long the queue). Only the first can be sent; the rest wait for it.
 */
export async function headsOf(
  db: SqlExecutor,
  destination: string,
  orderingKey: string,
  limit: number,
): Promise<DeliveryRow[]> {
  const rows = await db.query(
    `SELECT ${DELIVERY_COLUMNS} FROM outbox_deliveries v JOIN outbox_documents x ON x.id = v.document_id
     WHERE v.destination = ? AND v.ordering_key = ? AND v.state <> 'delivered'
     ORDER BY v.seq_message_id, v.seq_part LIMIT ${Math.max(1, Math.floor(limit))}`,
    [destination, orderingKey],
  );
  return rows.map(deliveryOf);
}

/** Deliveries left in `delivering` (a process stopped between claiming and recording the outcome). */
export async function inFlight(db: SqlExecutor, destination: string): Promise<DeliveryRow[]> {
  return (
    await db.query(
      `SELECT ${DELIVERY_COLUMNS} FROM outbox_deliveries v JOIN outbox_documents x ON x.id = v.document_id
       WHERE v.destination = ? AND v.state = 'delivering' ORDER BY v.ordering_key, v.seq_message_id, v.seq_part`,
      [destination],
    )
  ).map(deliveryOf);
}

/** pending → delivering, counting the attempt; committed before the call so a crash leaves evidence. */
export async function claimDelivery(
  db: SqlExecutor,
  destination: string,
  documentId: string,
  at: string,
): Promise<boolean> {
  const r = await db.execute(
    `UPDATE outbox_deliveries SET state = 'delivering', attempts = attempts + 1, updated_at = ?
     WHERE destination = ? AND document_id = ? AND state = 'pending'`,
    [at, destination, documentId],
  );
  return r.rowsAffected > 0;
}

export interface StoredDocument {
  readonly id: string;
  readonly kind: DocumentKind;
  readonly orderingKey: string;
  readonly seqMessageId: bigint;
  readonly seqPart: number;
  readonly entity: string | null;
  readonly firstMessageId: bigint | null;
  readonly lastMessageId: bigint | null;
  readonly itemCount: number;
  readonly payload: string;
  readonly createdAt: string;
}

export async function loadDocument(db: SqlExecutor, id: string): Promise<StoredDocument | null> {
  const rows = await db.query('SELECT * FROM outbox_documents WHERE id = ?', [id]);
  return (
    fromRows<StoredDocument>(rows, {
      seqMessageId: 'bigint',
      seqPart: 'int',
      firstMessageId: 'bigint',
      lastMessageId: 'bigint',
      itemCount: 'int',
    })[0] ?? null
  );
}

export interface AttemptRecord {
  readonly destination: string;
  readonly documentId: string;
  readonly attempt: number;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly outcome: string;
  readonly httpStatus: number | null;
  readonly errorCode: string | null;
  readonly detail: string | null;
}

async function logAttempt(db: SqlExecutor, a: AttemptRecord): Promise<void> {
  await insertRows(db, 'outbox_attempts', [a]);
}

/** A work item for a delivery that needs a person; PHI-free evidence (codes, ids, statuses). */
export async function openOutboxException(
  db: SqlExecutor,
  code: ErrorCode,
  subject: string,
  summary: string,
  evidence: object,
  at: string,
): Promise<bigint> {
  const rows = await db.query<{ id: unknown }>(
    `INSERT INTO exceptions (reason_code, team, status, subject, summary, evidence, created_at, updated_at)
     VALUES (?, ?, 'open', ?, ?, ?, ?, ?) RETURNING id`,
    [code, ERRORS[code].team, subject, summary, JSON.stringify(evidence), at, at],
  );
  return asBigInt(rows[0]!.id);
}

export async function resolveException(db: SqlExecutor, id: bigint, at: string): Promise<void> {
  await db.execute(
    "UPDATE exceptions SET status = 'resolved', updated_at = ? WHERE id = ? AND status IN ('open', 'assigned')",
    [at, id],
  );
}

export async function markDelivered(
  db: SqlExecutor,
  attempt: AttemptRecord,
  response: string | null,
): Promise<void> {
  await db.execute(
    `UPDATE outbox_deliveries SET state = 'delivered', delivered_at = ?, response = ?, last_error = NULL, updated_at = ?
     WHERE destination = ? AND document_id = ?`,
    [attempt.finishedAt, response, attempt.finishedAt, attempt.destination, attempt.documentId],
  );
  await logAttempt(db, attempt);
}

export async function markRetry(
  db: SqlExecutor,
  attempt: AttemptRecord,
  nextAttemptAt: string,
): Promise<void> {
  await db.execute(
    `UPDATE outbox_deliveries SET state = 'pending', next_attempt_at = ?, last_error = ?, updated_at = ?
     WHERE destination = ? AND document_id = ?`,
    [nextAttemptAt, attempt.detail, attempt.finishedAt, attempt.destination, attempt.documentId],
  );
  await logAttempt(db, attempt);
}

/** quarantined (unknown outcome) or failed (refused): an exception each, and the key waits behind it. */
export async function markStuck(
  db: SqlExecutor,
  attempt: AttemptRecord,
  state: 'quarantined' | 'failed',
  code: ErrorCode,
  summary: string,
  evidence: object,
): Promise<bigint> {
  const id = await openOutboxException(
    db,
    code,
    `outbox:${attempt.destination}:${attempt.documentId}`,
    summary,
    evidence,
    attempt.finishedAt,
  );
  await db.execute(
    `UPDATE outbox_deliveries SET state = ?, last_error = ?, exception_id = ?, updated_at = ?
     WHERE destination = ? AND document_id = ?`,
    [state, attempt.detail, id, attempt.finishedAt, attempt.destination, attempt.documentId],
  );
  await logAttempt(db, attempt);
  return id;
}

/**
 * A person's decision on a stuck delivery: `retry` sends it again (after checking the receiver does not
 * have it), `confirm` records it as delivered (the receiver has it). Either resolves its exception and
 * is logged as an attempt by that person.
 */
export async function settleStuck(
  db: SqlExecutor,
  destination: string,
  documentId: string,
  action: 'retry' | 'confirm',
  by: string,
  at: string,
): Promise<DeliveryRow> {
  const row = (
    await db.query(
      `SELECT ${DELIVERY_COLUMNS} FROM outbox_deliveries v JOIN outbox_documents x ON x.id = v.document_id
       WHERE v.destination = ? AND v.document_id = ?`,
      [destination, documentId],
    )
  ).map(deliveryOf)[0];
  if (!row)
    throw new CrosswalkError('CW_ERR_API_NOT_FOUND', { what: `delivery to ${destination}`, id: documentId });
  if (row.state !== 'quarantined' && row.state !== 'failed') {
    throw new CrosswalkError('CW_ERR_OUTBOX_BAD_STATE', {
      document: documentId,
      destination,
      state: row.state,
      expected: 'quarantined or failed',
    });
  }
  if (action === 'retry') {
    await db.execute(
      `UPDATE outbox_deliveries SET state = 'pending', next_attempt_at = ?, updated_at = ?
       WHERE destination = ? AND document_id = ?`,
      [at, at, destination, documentId],
    );
  } else {
    await db.execute(
      `UPDATE outbox_deliveries SET state = 'delivered', delivered_at = ?, response = ?, updated_at = ?
       WHERE destination = ? AND document_id = ?`,
      [at, `confirmed by ${by}`, at, destination, documentId],
    );
  }
  if (row.exceptionId !== null) await resolveException(db, row.exceptionId, at);
  await logAttempt(db, {
    destination,
    documentId,
    attempt: row.attempts,
    startedAt: at,
    finishedAt: at,
    outcome: action === 'retry' ? 'operator-retry' : 'operator-confirmed',
    httpStatus: null,
    errorCode: null,
    detail: `by ${by}`,
  });
  await appendAudit(db, {
    at,
    actor: by,
    action: `outbox.${action}`,
    object: `delivery:${destination}/${documentId}`,
    before: { state: row.state },
    after: { state: action === 'retry' ? 'pending' : 'delivered' },
  });
  return { ...row, state: action === 'retry' ? 'pending' : 'delivered' };
}

// --- queue figures and alerts ---------------------------------------------------------------------------

export interface QueueFigures {
  readonly depth: number;
  readonly oldestCreatedAt: string | null;
  readonly byState: Readonly<Record<DeliveryState, number>>;
}

export async function queueFigures(db: SqlExecutor, destination: string): Promise<QueueFigures> {
  const rows = await db.query(
    `SELECT state, COUNT(*) AS n, MIN(created_at) AS oldest FROM outbox_deliveries
     WHERE destination = ? AND state <> 'delivered' GROUP BY state`,
    [destination],
  );
  const delivered = await db.query(
    `SELECT COUNT(*) AS n FROM outbox_deliveries WHERE destination = ? AND state = 'delivered'`,
    [destination],
  );
  const byState = { pending: 0, delivering: 0, delivered: 0, quarantined: 0, failed: 0 } as Record<
    DeliveryState,
    number
  >;
  let depth = 0;
  let oldest: string | null = null;
  for (const r of rows) {
    const n = asNumber(r['n']);
    byState[String(r['state']) as DeliveryState] = n;
    depth += n;
    const o = asOptionalString(r['oldest']);
    if (o !== null && (oldest === null || o < oldest)) oldest = o;
  }
  byState.delivered = asNumber(delivered[0]?.['n'] ?? 0);
  return { depth, oldestCreatedAt: oldest, byState };
}

/**
 * The destination starts alerting (compare and set, so one process raises it once per episode) and its
 * exception is opened; null when it already was.
 */
export async function startAlert(
  db: SqlExecutor,
  destination: string,
  at: string,
  figures: { depth: number; oldestSeconds: number },
): Promise<bigint | null> {
  const r = await db.execute(
    'UPDATE outbox_destinations SET alerting = TRUE, alert_since = ?, updated_at = ? WHERE name = ? AND NOT alerting',
    [at, at, destination],
  );
  if (r.rowsAffected === 0) return null;
  const id = await openOutboxException(
    db,
    'CW_ERR_OUTBOX_QUEUEING',
    `outbox-destination:${destination}`,
    `destination ${destination} is queueing`,
    { destination, ...figures },
    at,
  );
  await db.execute('UPDATE outbox_destinations SET alert_exception_id = ? WHERE name = ?', [id, destination]);
  return id;
}

/** The episode ends: alerting off, its exception resolved. False when it was not alerting. */
export async function endAlert(db: SqlExecutor, destination: string, at: string): Promise<boolean> {
  const d = await getDestination(db, destination);
  const r = await db.execute(
    'UPDATE outbox_destinations SET alerting = FALSE, alert_since = NULL, alert_exception_id = NULL, updated_at = ? WHERE name = ? AND alerting',
    [at, destination],
  );
  if (r.rowsAffected === 0) return false;
  if (d?.alertExceptionId != null) await resolveException(db, d.alertExceptionId, at);
  return true;
}

// --- reads for people -----------------------------------------------------------------------------------

export async function listDeliveries(
  db: SqlExecutor,
  destination: string,
  options: { state?: DeliveryState; limit?: number } = {},
): Promise<DeliveryRow[]> {
  const params: SqlValue[] = [destination];
  let where = 'v.destination = ?';
  if (options.state) {
    where += ' AND v.state = ?';
    params.push(options.state);
  } else where += " AND v.state <> 'delivered'";
  const limit = Math.max(1, Math.min(1000, Math.floor(options.limit ?? 50)));
  return (
    await db.query(
      `SELECT ${DELIVERY_COLUMNS} FROM outbox_deliveries v JOIN outbox_documents x ON x.id = v.document_id
       WHERE ${where} ORDER BY v.ordering_key, v.seq_message_id, v.seq_part LIMIT ${limit}`,
      params,
    )
  ).map(deliveryOf);
}

export interface DocumentDetail {
  readonly document: Omit<StoredDocument, 'payload'> & { readonly payloadBytes: number };
  readonly deliveries: readonly DeliveryRow[];
  readonly attempts: readonly AttemptRecord[];
}

export async function documentDetail(db: SqlExecutor, id: string): Promise<DocumentDetail | null> {
  const doc = await loadDocument(db, id);
  if (!doc) return null;
  const { payload, ...rest } = doc;
  const deliveries = (
    await db.query(
      `SELECT ${DELIVERY_COLUMNS} FROM outbox_deliveries v JOIN outbox_documents x ON x.id = v.document_id
       WHERE v.document_id = ? ORDER BY v.destination`,
      [id],
    )
  ).map(deliveryOf);
  const attempts = fromRows<AttemptRecord>(
    await db.query(
      `SELECT destination, document_id, attempt, started_at, finished_at, outcome, http_status, error_code, detail
       FROM outbox_attempts WHERE document_id = ? ORDER BY id`,
      [id],
    ),
    { attempt: 'int', httpStatus: 'int' },
  );
  return { document: { ...rest, payloadBytes: Buffer.byteLength(payload) }, deliveries, attempts };
}

/** Deliveries to `destination` in the order they were delivered (for order checks and people). */
export async function deliveredInOrder(
  db: SqlExecutor,
  destination: string,
): Promise<{ documentId: string; orderingKey: string; seqMessageId: bigint; seqPart: number }[]> {
  return fromRows(
    await db.query(
      `SELECT document_id, ordering_key, seq_message_id, seq_part FROM outbox_deliveries
       WHERE destination = ? AND state = 'delivered' ORDER BY delivered_at, seq_message_id, seq_part`,
      [destination],
    ),
    { seqMessageId: 'bigint', seqPart: 'int' },
  );
}

export interface DestinationOverview extends DestinationRow {
  readonly depth: number;
  readonly oldestCreatedAt: string | null;
  readonly byState: Readonly<Record<DeliveryState, number>>;
}

/** Every destination with its queue figures (for `outbox list` and GET /api/outbox/destinations). */
export async function destinationOverview(db: SqlExecutor): Promise<DestinationOverview[]> {
  const out: DestinationOverview[] = [];
  for (const d of await listDestinations(db)) out.push({ ...d, ...(await queueFigures(db, d.name)) });
  return out;
}

/** The destination, or CW_ERR_OUTBOX_UNKNOWN_DESTINATION. */
export async function requireDestination(db: SqlExecutor, name: string): Promise<DestinationRow> {
  const d = await getDestination(db, name);
  if (!d) throw new CrosswalkError('CW_ERR_OUTBOX_UNKNOWN_DESTINATION', { name });
  return d;
}
