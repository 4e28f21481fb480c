import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type AuditRecord,
  type Checkpoint,
  nextRecord,
  recordHash,
  signCheckpoint,
  verifyChain,
} from './audit-chain.ts';

const KEY = Buffer.alloc(32, 3);
const OTHER_KEY = Buffer.alloc(32, 4);

/** Seeded PRNG (mulberry32): the same trials on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ACTIONS = ['release.approve', 'exceptions.replay', 'journal.export', 'user.sign-in', 'outbox.pause'];

function buildChain(n: number, rnd: () => number): { records: AuditRecord[]; checkpoints: Checkpoint[] } {
  const records: AuditRecord[] = [];
  const checkpoints: Checkpoint[] = [];
  for (let i = 0; i < n; i++) {
    const r = nextRecord(records.at(-1) ?? null, {
      at: new Date(Date.UTC(2026, 10, 25, 8, 0, i)).toISOString(),
      actor: `user${Math.floor(rnd() * 5)}`,
      action: ACTIONS[Math.floor(rnd() * ACTIONS.length)]!,
      object: `object:${Math.floor(rnd() * 1000)}`,
      ...(rnd() < 0.5
        ? { before: { status: 'open', n: Math.floor(rnd() * 9) }, after: { status: 'resolved' } }
        : {}),
    });
    records.push(r);
    if ((i + 1) % 10 === 0) checkpoints.push(signCheckpoint(KEY, r, r.at));
  }
  return { records, checkpoints };
}

/** Recomputes every hash from index `from` on, as an attacker with write access would. */
function rehash(records: AuditRecord[], from: number): AuditRecord[] {
  const out = records.slice(0, from);
  for (let i = from; i < records.length; i++) {
    const { hash: _h, ...body } = records[i]!;
    const fixed = { ...body, seq: i + 1, prevHash: i === 0 ? '0'.repeat(64) : out[i - 1]!.hash };
    out.push({ ...fixed, hash: recordHash(fixed) });
  }
  return out;
}

test('an untouched chain verifies, checkpoints included', () => {
  const { records, checkpoints } = buildChain(57, random(1));
  const v = verifyChain(records, checkpoints, KEY);
  assert.deepEqual([v.ok, v.records, v.firstBadSeq], [true, 57, null]);
  assert.equal(verifyChain([], [], KEY).ok, true, 'an empty chain with no checkpoint is fine');
});

test('1,000 random tamper trials (edit, delete, swap, insert, truncate, rebuild) are all detected and name the first bad record', () => {
  const rnd = random(20261125);
  const kinds = ['edit', 'delete', 'swap', 'insert', 'truncate', 'rebuild'] as const;
  const seen = new Map<string, number>();
  for (let trial = 0; trial < 1000; trial++) {
    const { records, checkpoints } = buildChain(30 + Math.floor(rnd() * 40), rnd);
    const n = records.length;
    const lastCheckpoint = checkpoints.at(-1)!.seq;
    const kind = kinds[trial % kinds.length]!;
    const k = 1 + Math.floor(rnd() * (lastCheckpoint - 1)); // a record at or before the last checkpoint
    let tampered: AuditRecord[];
    let expectFirst: readonly number[];
    switch (kind) {
      case 'edit': {
        const field = (['actor', 'action', 'object', 'at'] as const)[Math.floor(rnd() * 4)]!;
        tampered = records.map((r) => (r.seq === k ? { ...r, [field]: `${r[field]}x` } : r));
        expectFirst = [k];
        break;
      }
      case 'delete':
        tampered = records.filter((r) => r.seq !== k);
        expectFirst = [k];
        break;
      case 'swap': {
        const l = k + 1 + Math.floor(rnd() * (n - k));
        tampered = records.map((r) =>
          r.seq === k ? { ...records[l - 1]!, seq: k } : r.seq === l ? { ...records[k - 1]!, seq: l } : r,
        );
        expectFirst = [k];
        break;
      }
      case 'insert': {
        // A well-formed forgery linked to its predecessor, the later records renumbered after it.
        const forged = nextRecord(k === 1 ? null : records[k - 2]!, {
          at: records[k - 1]!.at,
          actor: 'intruder',
          action: 'journal.export',
          object: 'object:1',
        });
        tampered = [
          ...records.slice(0, k - 1),
          forged,
          ...records.slice(k - 1).map((r) => ({ ...r, seq: r.seq + 1 })),
        ];
        expectFirst = [k + 1];
        break;
      }
      case 'truncate':
        tampered = records.slice(0, k);
        expectFirst = [k + 1];
        break;
      case 'rebuild': {
        // Edit a record, then recompute every hash after it so the chain is self-consistent again.
        const edited = records.map((r) => (r.seq === k ? { ...r, object: 'object:rewritten' } : r));
        tampered = rehash(edited, k - 1);
        const before = checkpoints.filter((c) => c.seq < k).at(-1)?.seq ?? 0;
        expectFirst = [before + 1];
        break;
      }
    }
    const v = verifyChain(tampered, checkpoints, KEY);
    assert.equal(v.ok, false, `trial ${trial}: ${kind} at ${k} of ${n} went unnoticed`);
    assert.ok(
      expectFirst.includes(v.firstBadSeq!),
      `trial ${trial}: ${kind} at ${k}: first bad ${v.firstBadSeq} (${v.problem}: ${v.detail}), expected ${expectFirst}`,
    );
    seen.set(kind, (seen.get(kind) ?? 0) + 1);
  }
  assert.deepEqual(
    [...seen.values()].reduce((a, b) => a + b, 0),
    1000,
  );
});

test('a checkpoint not signed by the audit key is refused, and a forged one cannot hide a truncation', () => {
  const { records, checkpoints } = buildChain(40, random(7));
  const forged = signCheckpoint(OTHER_KEY, records[19]!, records[19]!.at);
  assert.equal(verifyChain(records, [...checkpoints, forged], KEY).problem, 'forged-checkpoint');
  const cut = records.slice(0, 25);
  const v = verifyChain(cut, checkpoints, KEY);
  assert.deepEqual([v.problem, v.firstBadSeq], ['truncated', 26]);
});
