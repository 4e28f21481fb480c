import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type AuditInput,
  type AuditRecord,
  type Checkpoint,
  canonicalJson,
  nextRecord,
  signCheckpoint,
} from '../governance/index.ts';
import type { SqlExecutor } from './port.ts';
import { asNumber } from './values.ts';

/** An arbitrary constant: the advisory lock that makes appends to the chain one at a time on PostgreSQL. */
const AUDIT_LOCK = 7_310_425_001;

/**
 * Appends one record to the chain inside the caller's transaction, so the action and its record commit
 * together. On PostgreSQL a transaction lock orders concurrent appenders; SQLite's write transaction
 * already does.
 */
export async function appendAudit(tx: SqlExecutor, input: AuditInput): Promise<AuditRecord> {
  if (tx.capabilities.dialect === 'postgres') await tx.query('SELECT pg_advisory_xact_lock(?)', [AUDIT_LOCK]);
  const [head] = await tx.query('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
  const record = nextRecord(head ? { seq: asNumber(head['seq']), hash: String(head['hash']) } : null, input);
  await tx.execute(
    `INSERT INTO audit_log (seq, at, actor, action, object, before_state, after_state, prev_hash, hash)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      record.seq,
      record.at,
      record.actor,
      record.action,
      record.object,
      record.before === null ? null : canonicalJson(record.before),
      record.after === null ? null : canonicalJson(record.after),
      record.prevHash,
      record.hash,
    ],
  );
  return record;
}

/** The chain as stored, in sequence order. */
export async function readAuditChain(db: SqlExecutor, limit?: number): Promise<AuditRecord[]> {
  const rows = await db.query(
    `SELECT seq, at, actor, action, object, before_state, after_state, prev_hash, hash FROM audit_log ORDER BY seq${limit ? ` DESC LIMIT ${Math.floor(limit)}` : ''}`,
  );
  const records = rows.map((r) => ({
    seq: asNumber(r['seq']),
    at: String(r['at']),
    actor: String(r['actor']),
    action: String(r['action']),
    object: String(r['object']),
    before: r['before_state'] === null ? null : JSON.parse(String(r['before_state'])),
    after: r['after_state'] === null ? null : JSON.parse(String(r['after_state'])),
    prevHash: String(r['prev_hash']),
    hash: String(r['hash']),
  }));
  return limit ? records.reverse() : records;
}

/** Writes a checkpoint file atomically (temp + rename) into a folder outside the database. */
export function writeCheckpointFile(dir: string, c: Checkpoint): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `audit-checkpoint-${String(c.seq).padStart(12, '0')}.json`);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(c, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
  return path;
}

/** Every checkpoint file in the folder (none when it does not exist). */
export function readCheckpointFiles(dir: string): Checkpoint[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /^audit-checkpoint-\d+\.json$/.test(n));
  } catch {
    return [];
  }
  return names.sort().map((n) => JSON.parse(readFileSync(join(dir, n), 'utf8')) as Checkpoint);
}

/**
 * Signs the chain head into the checkpoint folder: what `crosswalk audit checkpoint` does, and what
 * `serve` does every CROSSWALK_AUDIT_CHECKPOINT_INTERVAL_MS. Null when the chain is empty. Files are
 * named by sequence number, so two processes checkpointing the same head write the same file.
 */
export async function writeAuditCheckpoint(
  db: SqlExecutor,
  key: Uint8Array,
  dir: string,
  now: Date = new Date(),
): Promise<{ checkpoint: Checkpoint; path: string } | null> {
  const [head] = await readAuditChain(db, 1);
  if (!head) return null;
  const checkpoint = signCheckpoint(key, head, now.toISOString());
  return { checkpoint, path: writeCheckpointFile(dir, checkpoint) };
}
