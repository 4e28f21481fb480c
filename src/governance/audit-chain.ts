import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The audit trail as a hash chain: every record carries the hash of the one before it, and its own hash
 * covers its sequence number, time, actor, action, object, before/after and that previous hash. Editing,
 * deleting, inserting or reordering records breaks the chain at the first record touched. Rebuilding the
 * chain after an edit (recomputing every later hash) or cutting its tail is caught by checkpoints: the
 * sequence number and head hash at a moment, signed with a key the database does not hold and kept
 * outside it. Pure: hashing is computation; where records and checkpoints live is the caller's business.
 */

export interface AuditInput {
  /** UTC ISO time of the action. */
  readonly at: string;
  /** Who acted: a user, a token's owner, or `system:<component>`. */
  readonly actor: string;
  /** What was done, e.g. `release.approve`, `exceptions.replay`, `journal.export`. */
  readonly action: string;
  /** What it was done to, e.g. `release:3f2a…`, `exception:42`. Never a patient identifier. */
  readonly object: string;
  readonly before?: unknown;
  readonly after?: unknown;
}

export interface AuditRecord {
  readonly seq: number;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly object: string;
  readonly before: unknown;
  readonly after: unknown;
  readonly prevHash: string;
  readonly hash: string;
}

/** The previous hash of the first record. */
export const GENESIS_HASH = '0'.repeat(64);

/** JSON with object keys sorted at every level, so a value read back from jsonb hashes the same. */
export function canonicalJson(v: unknown): string {
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'bigint') return JSON.stringify(v.toString());
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export function recordHash(r: Omit<AuditRecord, 'hash'>): string {
  const content = [
    r.seq,
    r.at,
    r.actor,
    r.action,
    r.object,
    canonicalJson(r.before),
    canonicalJson(r.after),
    r.prevHash,
  ];
  return createHash('sha256').update(JSON.stringify(content)).digest('hex');
}

/** The record that follows `head` (null: the chain is empty). */
export function nextRecord(head: Pick<AuditRecord, 'seq' | 'hash'> | null, input: AuditInput): AuditRecord {
  const body = {
    seq: head === null ? 1 : head.seq + 1,
    at: input.at,
    actor: input.actor,
    action: input.action,
    object: input.object,
    before: input.before ?? null,
    after: input.after ?? null,
    prevHash: head === null ? GENESIS_HASH : head.hash,
  };
  return { ...body, hash: recordHash(body) };
}

/** The chain's state at a moment, signed (HMAC-SHA256) with a key kept away from the database. */
export interface Checkpoint {
  readonly seq: number;
  readonly headHash: string;
  readonly at: string;
  readonly signature: string;
}

const signatureOf = (key: Uint8Array, seq: number, headHash: string, at: string) =>
  createHmac('sha256', key)
    .update(`crosswalk/audit-checkpoint/v1\u0000${seq}\u0000${headHash}\u0000${at}`)
    .digest('hex');

export function signCheckpoint(
  key: Uint8Array,
  head: Pick<AuditRecord, 'seq' | 'hash'>,
  at: string,
): Checkpoint {
  return { seq: head.seq, headHash: head.hash, at, signature: signatureOf(key, head.seq, head.hash, at) };
}

export function checkpointIsGenuine(key: Uint8Array, c: Checkpoint): boolean {
  const expected = Buffer.from(signatureOf(key, c.seq, c.headHash, c.at), 'hex');
  const given = Buffer.from(typeof c.signature === 'string' ? c.signature : '', 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export type ChainProblemKind =
  | 'modified'
  | 'missing'
  | 'out-of-order'
  | 'broken-link'
  | 'truncated'
  | 'rebuilt'
  | 'forged-checkpoint';

export interface ChainVerdict {
  readonly ok: boolean;
  /** How many records were read. */
  readonly records: number;
  /** The first sequence number that is not as it was written (for a rebuilt chain: the earliest it can be). */
  readonly firstBadSeq: number | null;
  readonly problem: ChainProblemKind | null;
  readonly detail: string | null;
}

/**
 * Checks records as stored, in sequence order, against the chain rules and the signed checkpoints.
 * Names the first bad sequence number: the first record whose number, link or hash is wrong; for a
 * chain shorter than a checkpoint, the first missing number; for a chain whose hashes were recomputed
 * after an edit, the first number after the last checkpoint it still agrees with.
 */
export function verifyChain(
  records: readonly AuditRecord[],
  checkpoints: readonly Checkpoint[],
  key: Uint8Array,
): ChainVerdict {
  const bad = (firstBadSeq: number, problem: ChainProblemKind, detail: string): ChainVerdict => ({
    ok: false,
    records: records.length,
    firstBadSeq,
    problem,
    detail,
  });
  for (const c of checkpoints) {
    if (!checkpointIsGenuine(key, c))
      return bad(c.seq, 'forged-checkpoint', `checkpoint at ${c.seq} is not signed by the audit key`);
  }
  let prev = GENESIS_HASH;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const expected = i + 1;
    if (r.seq !== expected) {
      return r.seq > expected
        ? bad(expected, 'missing', `record ${expected} is missing (next is ${r.seq})`)
        : bad(r.seq, 'out-of-order', `record ${r.seq} appears where ${expected} should be`);
    }
    if (r.prevHash !== prev)
      return bad(r.seq, 'broken-link', `record ${r.seq} does not follow record ${r.seq - 1}`);
    if (recordHash(r) !== r.hash) return bad(r.seq, 'modified', `record ${r.seq} is not what was written`);
    prev = r.hash;
  }
  const sorted = [...checkpoints].sort((a, b) => a.seq - b.seq);
  let agreed = 0;
  for (const c of sorted) {
    if (c.seq > records.length) {
      return bad(
        records.length + 1,
        'truncated',
        `checkpoint at ${c.seq} but the chain ends at ${records.length}`,
      );
    }
    if (records[c.seq - 1]!.hash !== c.headHash) {
      return bad(
        agreed + 1,
        'rebuilt',
        `the chain was rewritten at or before ${c.seq} (agrees up to checkpoint ${agreed})`,
      );
    }
    agreed = c.seq;
  }
  return { ok: true, records: records.length, firstBadSeq: null, problem: null, detail: null };
}
