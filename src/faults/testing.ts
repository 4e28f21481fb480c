/**
 * What the fault tests share (imported by tests only): a hub — the real `crosswalk serve` in a child
 * process on a database loaded with the demo books — delivering journal batches and requisitions over
 * HTTP to a fake ERP in the test process; generated DFT^P03 traffic with unique control ids; a sender
 * that resends whatever got no positive ACK (as an interface engine does); and the closing checks every
 * fault test ends with: the invariant checker finds nothing, every positively acknowledged message was
 * applied once, and the ERP booked every document once.
 */
import assert from 'node:assert/strict';
import { loadDemo, tokenKeyFolder } from '../apply/testing.ts';
import { sendReliably } from '../cli/sender.ts';
import { freePort, type ServeProcess, startServe } from '../cli/test-process.ts';
import { type DemoHealthSystem, generateDemoHealthSystem, generateDftP03Batch } from '../demo/index.ts';
import { within } from '../mllp/test-peer.ts';
import type { FakeErp } from '../outbox/test-erp.ts';
import { asNumber, openStore, type SqlExecutor, type SqlValue, type Store } from '../store/index.ts';
import { pendingCount } from '../store/posting-repository.ts';
import { verifyInvariants } from '../store/verify-repository.ts';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let system: DemoHealthSystem | undefined;
export function demoSystem(): DemoHealthSystem {
  system ??= generateDemoHealthSystem();
  return system;
}

/** Polls until `condition` holds; fails after `ms` naming what it waited for. */
export async function waitFor(
  condition: () => Promise<boolean> | boolean,
  ms: number,
  what: string,
  everyMs = 20,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export async function count(db: SqlExecutor, sql: string, params: SqlValue[] = []): Promise<number> {
  return asNumber((await db.query<{ n: unknown }>(sql, params))[0]!.n);
}

/**
 * `n` DFT^P03 messages (5 FT1 each: supply usage and charges of the demo day) cycling through `distinct`
 * generated ones, each with its own MSH-10 (`<tag><i>`), so every one is new to the inbox.
 */
export function traffic(n: number, tag: string, seed = 5, distinct = Math.min(n, 400)): Buffer[] {
  const templates = generateDftP03Batch(distinct, seed, demoSystem()).map((m) => {
    const segments = m.split('\r');
    const msh = segments[0]!.split('|');
    return { before: msh.slice(0, 9).join('|'), after: msh.slice(10).join('|'), rest: segments.slice(1) };
  });
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const t = templates[i % templates.length]!;
    out.push(Buffer.from([`${t.before}|${tag}${i}|${t.after}`, ...t.rest].join('\r'), 'utf8'));
  }
  return out;
}

/** MSA-1 of a reply. */
export function ackCode(reply: Buffer | null): string | null {
  if (reply === null) return null;
  const at = reply.indexOf('MSA|');
  return at < 0 ? null : reply.toString('latin1', at + 4, at + 6);
}

const POSITIVE = new Set(['AA', 'CA']);

let abandoned = false;
/** For `after` hooks: a send still resending (its test failed) gives up at its next round. */
export function abandonSends(): void {
  abandoned = true;
}

/**
 * Sends until every message has a positive ACK: what got no reply (connection lost) is resent at once
 * by `sendReliably`; what got a refusal (AR/CR: the store failed) is resent in the next round, as a
 * sender does. Returns each message's final reply and how many rounds it took.
 */
export async function sendUntilAcked(
  payloads: readonly Buffer[],
  port: number,
  options: { window?: number; retryForMs?: number; rounds?: number; onReply?: (i: number) => void } = {},
): Promise<{ replies: Buffer[]; rounds: number; refused: number }> {
  const replies: (Buffer | null)[] = payloads.map(() => null);
  let refused = 0;
  for (let round = 1; round <= (options.rounds ?? 20); round++) {
    if (abandoned) throw new Error('send abandoned: the test ended');
    const todo = payloads.map((_, i) => i).filter((i) => !POSITIVE.has(ackCode(replies[i]!) ?? ''));
    if (todo.length === 0) return { replies: replies as Buffer[], rounds: round - 1, refused };
    const sent = await sendReliably(
      todo.map((i) => payloads[i]!),
      {
        host: '127.0.0.1',
        port,
        window: options.window ?? 50,
        timeoutMs: 30_000,
        retryForMs: options.retryForMs ?? 60_000,
        ...(options.onReply ? { onReply: (k: number) => options.onReply!(todo[k]!) } : {}),
      },
    );
    for (const [k, r] of sent.replies.entries()) {
      replies[todo[k]!] = r;
      if (r !== null && !POSITIVE.has(ackCode(r) ?? '')) refused++;
    }
    if (round > 1) await sleep(200);
  }
  throw new Error('messages still without a positive ACK after every round');
}

export interface Hub {
  readonly url: string;
  readonly port: number;
  /** The store the test reads through (a second connection beside the hub's). */
  readonly reader: Store;
  server: ServeProcess;
  /** The hub's environment; `extra` is added for the next start only (e.g. a crash point). */
  start(extra?: Record<string, string>): Promise<ServeProcess>;
  /** SIGKILL (or SIGTERM with `graceful`), wait for the exit, start again on the same database and port. */
  restart(options?: { graceful?: boolean; extra?: Record<string, string> }): Promise<void>;
  close(): Promise<void>;
}

/**
 * A hub on a fresh database of `url` with the demo books, delivering to `erp` as destination "erp"
 * (idempotency keys honoured as `honours` says), with short outbox timings so faults resolve in a test's
 * time. Started once; the MLLP port stays the same across restarts.
 */
export async function startHub(
  url: string,
  erp: FakeErp,
  options: {
    honours: boolean;
    erpTimeoutMs?: number;
    env?: Record<string, string>;
    /** Added for the first process only (e.g. a crash point: its restarts run without it). */
    firstStart?: Record<string, string>;
  },
): Promise<Hub> {
  const keys = tokenKeyFolder();
  // Two connections: on PostgreSQL, migrate holds one for its advisory lock and runs DDL on another.
  const reader = await openStore(url, { poolMax: 2 });
  await loadDemo(reader, demoSystem());
  const env: Record<string, string> = {
    CROSSWALK_DATABASE_URL: url,
    CROSSWALK_TOKEN_KEY_FILE: keys.keyFile,
    CROSSWALK_OUTBOX_DESTINATIONS: JSON.stringify([
      {
        name: 'erp',
        type: 'http',
        url: erp.url,
        honoursIdempotencyKey: options.honours,
        timeoutMs: options.erpTimeoutMs ?? 2000,
      },
    ]),
    CROSSWALK_OUTBOX_POLL_MS: '100',
    // A restarted hub takes over the dead one's destinations when its lease lapses: short here.
    CROSSWALK_OUTBOX_LEASE_MS: '4000',
    CROSSWALK_OUTBOX_RETRY_BASE_MS: '50',
    CROSSWALK_OUTBOX_RETRY_MAX_MS: '400',
    CROSSWALK_LOG_LEVEL: 'error',
    ...options.env,
  };
  const port = await freePort();
  const hub: Hub = {
    url,
    port,
    reader,
    server: undefined as unknown as ServeProcess,
    async start(extra = {}) {
      hub.server = await startServe({ ...env, ...extra }, { mllpPort: port });
      return hub.server;
    },
    async restart(o = {}) {
      if (o.graceful) await hub.server.stop();
      else {
        hub.server.child.kill('SIGKILL');
        await within(hub.server.exited, 10_000, 'the killed hub to exit');
      }
      await hub.start(o.extra);
    },
    async close() {
      await hub.server?.stop().catch(() => undefined);
      await reader.close().catch(() => undefined);
      keys.remove();
    },
  };
  await hub.start(options.firstStart);
  return hub;
}

/** Throws with the hub's output if its process has ended (for wait conditions: fail fast, not at a timeout). */
export function assertAlive(hub: Hub): void {
  const c = hub.server.child;
  if (c.exitCode !== null || c.signalCode !== null)
    throw new Error(`the hub ended (${c.exitCode ?? c.signalCode}): ${hub.server.output().slice(-2000)}`);
}

/** Every stored message applied and every document delivered to "erp" (or stuck there, with `stuckOk`). */
export async function drained(hub: Hub, ms = 120_000): Promise<void> {
  await waitFor(async () => (await pendingCount(hub.reader)) === 0, ms, 'the apply backlog to drain', 50);
  await waitFor(
    async () =>
      (await count(
        hub.reader,
        "SELECT COUNT(*) AS n FROM outbox_deliveries WHERE destination = 'erp' AND state <> 'delivered'",
      )) === 0,
    ms,
    'every document to be delivered to the ERP',
    50,
  );
}

/**
 * The closing checks of every fault test, after the hub has drained and stopped:
 * - the invariant checker reports zero violations (no acknowledged message missing, one state per
 *   message, no duplicate effect, entries balanced and the trial balance zero, on-hand = Σ movements,
 *   per-key order at the ERP, nothing immutable changed);
 * - each message with a positive ACK is stored once and has exactly one outcome, `applied`;
 * - the ERP booked each document of the outbox exactly once (by idempotency key), and nothing else.
 */
export async function assertClean(
  hub: Hub,
  erp: FakeErp,
  acknowledged: readonly Buffer[],
): Promise<{ messages: number; documents: number; requests: number }> {
  const violations = await verifyInvariants(hub.reader);
  assert.deepEqual(violations, [], 'the invariant checker reports zero violations');
  const stored = await count(hub.reader, 'SELECT COUNT(*) AS n FROM inbound_messages');
  assert.equal(stored, acknowledged.length, 'each acknowledged message stored exactly once');
  assert.deepEqual(
    (
      await hub.reader.query(
        'SELECT state, COUNT(*) AS n FROM message_outcomes GROUP BY state ORDER BY state',
      )
    ).map((r) => `${String(r['state'])} ${asNumber(r['n'])}`),
    [`applied ${acknowledged.length}`],
    'every acknowledged message applied, once',
  );
  const documents = (
    await hub.reader.query("SELECT document_id FROM outbox_deliveries WHERE destination = 'erp'")
  ).map((r) => String(r['document_id']));
  assert.ok(documents.length > 0, 'the apply stage wrote documents for the ERP');
  const booked = erp.booked.map((b) => b.id);
  assert.equal(booked.length, new Set(booked).size, 'the ERP booked no document twice');
  assert.deepEqual([...booked].sort(), [...documents].sort(), 'the ERP booked every document, once each');
  return { messages: stored, documents: documents.length, requests: erp.requests.length };
}
