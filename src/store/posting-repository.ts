import type { EncounterState, StoredMessage } from '../apply/plan.ts';
import type { FiscalPeriod, PeriodStatus } from '../ledger/index.ts';
import { contentFromJson, contentToJson, type MappingRelease } from '../mapping/index.ts';
import { fromRows, insertRows } from './bulk.ts';
import { openRaw } from './inbox-repository.ts';
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

export type { Store };
