/**
 * Delivery to a real HTTP ERP (a node:http server on port 0 in this process) and to a folder, on both
 * engines, with documents written by the real apply stage: order per ordering key, Idempotency-Key
 * headers, no duplicate bookings where keys are honoured, quarantine where they are not, retries on
 * 500 and 429 (Retry-After honoured), refusals (400, 200 with an error body) as exceptions that hold
 * their key back, pause and resume, one alert per outage and one on recovery, metrics, and the drain
 * after an outage.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createLogger, Metrics } from '../observe/index.ts';
import type { Store } from '../store/index.ts';
import {
  claimDelivery,
  type DeliveryState,
  setPaused,
  settleStuck,
  syncDestinations,
} from '../store/outbox-repository.ts';
import { type EngineUnderTest, eachEngine } from '../store/test-engines.ts';
import { asBigInt, asNumber } from '../store/values.ts';
import { Deliverer } from './deliverer.ts';
import { journalFilesConnector } from './files-connector.ts';
import { httpConnector } from './http-connector.ts';
import { type FakeErp, startFakeErp } from './test-erp.ts';
import { AT, applyUsage, count, demoBooks } from './testing.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(
  what: string,
  cond: () => Promise<boolean> | boolean,
  timeoutMs = 15_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

interface Rig {
  store: Store;
  erp: FakeErp;
  dir: string;
  logs: Record<string, unknown>[];
  metrics: Metrics;
  deliverer(options?: { honours?: boolean; timeoutMs?: number; alertAfterMs?: number }): Deliverer;
  /** The deliverer's clock (the apply instant plus real elapsed time): operator actions are stamped by it. */
  now(): Date;
  documents(): Promise<Map<string, { key: string; seq: bigint; part: number }>>;
  states(destination: string): Promise<Record<string, number>>;
}

async function rig(engine: EngineUnderTest, honours: boolean, perKey = 6): Promise<Rig> {
  const { store } = await engine.freshStore({ migrated: true });
  await demoBooks(store);
  await store.transaction((tx) =>
    syncDestinations(
      tx,
      [
        { name: 'erp', connector: 'http', kinds: ['journal-batch', 'requisition'] },
        { name: 'files', connector: 'journal-files', kinds: ['journal-batch', 'requisition'] },
      ],
      AT.toISOString(),
    ),
  );
  await applyUsage(store, { keys: ['or', 'cath'], perKey, batchSize: 2 });
  const erp = await startFakeErp({ honoursIdempotencyKey: honours });
  const dir = await mkdtemp(join(tmpdir(), 'cw-outbox-'));
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger('info', { write: (line: string) => void logs.push(JSON.parse(line)) });
  const metrics = new Metrics({ defaultMetrics: false });
  const started: Deliverer[] = [];
  cleanups.push(async () => {
    for (const d of started) await d.stop();
    await erp.close();
    await rm(dir, { recursive: true, force: true });
  });
  // The deliverer's clock starts at the apply instant and runs in real time, so queue ages are real.
  const t0 = Date.now();
  const clock = () => new Date(AT.getTime() + (Date.now() - t0));
  return {
    store,
    erp,
    dir,
    logs,
    metrics,
    now: clock,
    deliverer(o = {}) {
      const d = new Deliverer({
        store,
        connectors: [
          httpConnector({
            name: 'erp',
            url: erp.url,
            honoursIdempotencyKey: o.honours ?? honours,
            timeoutMs: o.timeoutMs ?? 1000,
            now: clock,
          }),
          journalFilesConnector({ name: 'files', folder: dir, formats: ['csv', 'json', 'hledger'] }),
        ],
        retry: { baseMs: 20, maxMs: 100 },
        alertAfterMs: o.alertAfterMs ?? 60_000,
        pollMs: 20,
        clock,
        random: () => 0.5,
        logger,
        metrics,
      });
      started.push(d);
      return d;
    },
    async documents() {
      const out = new Map<string, { key: string; seq: bigint; part: number }>();
      for (const r of await store.query(
        'SELECT id, ordering_key, seq_message_id, seq_part FROM outbox_documents',
      )) {
        out.set(String(r['id']), {
          key: String(r['ordering_key']),
          seq: asBigInt(r['seq_message_id']),
          part: asNumber(r['seq_part']),
        });
      }
      return out;
    },
    async states(destination) {
      const out: Record<string, number> = {};
      for (const r of await store.query(
        'SELECT state, COUNT(*) AS n FROM outbox_deliveries WHERE destination = ? GROUP BY state',
        [destination],
      )) {
        out[String(r['state'])] = asNumber(r['n']);
      }
      return out;
    },
  };
}

/** Booked ids follow (seq, part) within each ordering key. */
function assertOrdered(
  booked: readonly { id: string }[],
  docs: Map<string, { key: string; seq: bigint; part: number }>,
): void {
  const last = new Map<string, { seq: bigint; part: number }>();
  for (const b of booked) {
    const d = docs.get(b.id);
    assert.ok(d, `booked ${b.id} is an outbox document`);
    const prev = last.get(d.key);
    if (prev) {
      assert.ok(
        d.seq > prev.seq || (d.seq === prev.seq && d.part > prev.part),
        `${b.id} of ${d.key} after ${prev.seq}/${prev.part}`,
      );
    }
    last.set(d.key, d);
  }
}

const allDelivered = (r: Rig, destination: string) => async () => {
  const s = await r.states(destination);
  return Object.keys(s).length === 1 && (s['delivered'] ?? 0) > 0;
};

eachEngine('outbox delivery', (engine) => {
  test('every document reaches the ERP and the folder once, in order per key, with its Idempotency-Key', async () => {
    const r = await rig(engine, true);
    const docs = await r.documents();
    const d = r.deliverer();
    d.start();
    await until('all delivered to erp', allDelivered(r, 'erp'));
    await until('all delivered to files', allDelivered(r, 'files'));
    await d.stop();
    assert.equal(r.erp.booked.length, docs.size, 'each document booked once');
    assert.deepEqual(
      [...new Set(r.erp.requests.map((q) => q.idempotencyKey))].sort(),
      [...docs.keys()].sort(),
      'the Idempotency-Key of each request is its document id',
    );
    assertOrdered(r.erp.booked, docs);
    for (const b of r.erp.booked)
      if (b.kind === 'journal-batch') assert.equal(b.batchId, b.id, 'body batchId = key');
    const files = await readdir(join(r.dir, 'journal-batch'));
    const journalDocs = [...docs.keys()].filter((id) => id.startsWith('jb_'));
    assert.equal(files.filter((f) => f.endsWith('.csv')).length, journalDocs.length);
    assert.equal(files.filter((f) => f.endsWith('.journal')).length, journalDocs.length);
    assert.equal(files.filter((f) => f.endsWith('.tmp')).length, 0, 'no temp file left');
    const text = await r.metrics.registry.metrics();
    assert.match(text, /crosswalk_outbox_queue_depth\{destination="erp"\} 0/);
    assert.match(text, /crosswalk_outbox_oldest_age_seconds\{destination="files"\} 0/);
    assert.match(text, /crosswalk_outbox_attempts_total\{destination="erp",outcome="delivered"\} \d+/);
  });

  test('ERP down: everything queues, one alert; back up: drains in order, one recovery', async () => {
    const r = await rig(engine, true);
    await r.erp.down();
    const d = r.deliverer({ alertAfterMs: 300 });
    d.start();
    await until('files delivered while the ERP is down', allDelivered(r, 'files'));
    await until(
      'the alert',
      async () =>
        (await count(
          r.store,
          "SELECT COUNT(*) AS n FROM exceptions WHERE reason_code = 'CW_ERR_OUTBOX_QUEUEING' AND subject = 'outbox-destination:erp'",
        )) === 1,
    );
    // More traffic while it is down queues behind.
    await applyUsage(r.store, { keys: ['or', 'cath'], perKey: 4, batchSize: 2, seed: 12, prefix: 'late-' });
    await sleep(500);
    const alerts = () =>
      r.logs.filter((l) => l['code'] === 'CW_ERR_OUTBOX_QUEUEING' && l['destination'] === 'erp');
    assert.equal(alerts().length, 1, 'one alert for the outage, not one per message or retry');
    assert.equal(alerts()[0]!['level'], 'warn');
    assert.equal(alerts()[0]!['destination'], 'erp');
    assert.equal((await r.states('erp'))['delivered'] ?? 0, 0, 'nothing reached a down ERP');
    assert.match(await r.metrics.registry.metrics(), /crosswalk_outbox_alerting\{destination="erp"\} 1/);
    const attempts = await count(
      r.store,
      "SELECT COUNT(*) AS n FROM outbox_attempts WHERE destination = 'erp' AND outcome = 'retry'",
    );
    assert.ok(attempts >= 2, `retried with backoff (${attempts} attempts)`);

    await r.erp.up();
    await until('drained after the outage', allDelivered(r, 'erp'));
    await until('recovered', () => alerts().length === 2);
    await d.stop();
    assert.equal(alerts()[1]!['recovered'], true);
    const docs = await r.documents();
    assert.equal(r.erp.booked.length, docs.size, 'each document booked once after the outage');
    assertOrdered(r.erp.booked, docs);
    assert.equal(
      await count(
        r.store,
        "SELECT COUNT(*) AS n FROM exceptions WHERE reason_code = 'CW_ERR_OUTBOX_QUEUEING' AND subject = 'outbox-destination:erp' AND status = 'resolved'",
      ),
      1,
      'the alert exception is resolved on recovery',
    );
  });

  test('500 and 429 are retried, Retry-After is honoured; 200 with an error body holds the key back until settled', async () => {
    const r = await rig(engine, true, 4);
    r.erp.mode = { kind: 'status', status: 500 };
    const d = r.deliverer();
    d.start();
    await until('a few 500s', () => r.erp.requests.length >= 3);
    r.erp.mode = { kind: 'status', status: 429, retryAfter: '1' };
    const at429 = r.erp.requests.length;
    await until('a 429', () => r.erp.requests.length > at429);
    const first429 = r.erp.requests.at(-1)!;
    r.erp.mode = { kind: 'ok' };
    await until('the next request', () => r.erp.requests.length > at429 + 1);
    const next = r.erp.requests[at429 + 1]!;
    assert.ok(next.at - first429.at >= 950, `waited for Retry-After: ${next.at - first429.at} ms`);
    await until('all delivered', allDelivered(r, 'erp'));

    // 200 with an error in the body: refused, an exception, the key waits; the other key flows.
    r.erp.mode = { kind: 'error-body' };
    await applyUsage(r.store, { keys: ['or'], perKey: 4, batchSize: 2, seed: 13, prefix: 'e-' });
    await until('refused', async () => ((await r.states('erp'))['failed'] ?? 0) === 1);
    const ex = await r.store.query(
      "SELECT x.reason_code, x.status, x.evidence FROM exceptions x JOIN outbox_deliveries v ON v.exception_id = x.id WHERE v.state = 'failed'",
    );
    assert.equal(ex[0]!['reason_code'], 'CW_ERR_OUTBOX_REJECTED');
    assert.match(
      String(
        typeof ex[0]!['evidence'] === 'string' ? ex[0]!['evidence'] : JSON.stringify(ex[0]!['evidence']),
      ),
      /period 2026-11 is closed/,
    );
    const pendingBehind = (await r.states('erp'))['pending'] ?? 0;
    assert.ok(pendingBehind > 0, 'later documents of the key wait behind the refused one');
    r.erp.mode = { kind: 'ok' };
    await applyUsage(r.store, { keys: ['cath'], perKey: 2, batchSize: 2, seed: 14, prefix: 'c-' });
    await until('the other key flows', async () => {
      const rows = await r.store.query(
        "SELECT COUNT(*) AS n FROM outbox_deliveries WHERE destination = 'erp' AND ordering_key = 'cath' AND state <> 'delivered'",
      );
      return asNumber(rows[0]!['n']) === 0;
    });
    assert.equal((await r.states('erp'))['pending'], pendingBehind, 'the refused key still waits');

    const failed = (
      await r.store.query("SELECT document_id FROM outbox_deliveries WHERE state = 'failed'")
    )[0]!;
    await r.store.transaction((tx) =>
      settleStuck(tx, 'erp', String(failed['document_id']), 'retry', 'ana.controller', r.now().toISOString()),
    );
    await until('all delivered after the retry', allDelivered(r, 'erp'));
    await d.stop();
    assertOrdered(r.erp.booked, await r.documents());
  });

  test('an unknown outcome is resent when the ERP honours idempotency keys, and booked once', async () => {
    const r = await rig(engine, true, 2);
    r.erp.mode = { kind: 'slow', delayMs: 600 };
    const d = r.deliverer({ honours: true, timeoutMs: 200 });
    d.start();
    await until('two slow calls', () => r.erp.requests.length >= 2);
    r.erp.mode = { kind: 'ok' };
    await until('all delivered', allDelivered(r, 'erp'));
    await d.stop();
    const keys = r.erp.requests.map((q) => q.idempotencyKey);
    assert.ok(keys.length > new Set(keys).size, 'a document was sent again with the same key');
    const docs = await r.documents();
    assert.equal(r.erp.booked.length, docs.size, 'the ERP booked each once');
    assert.equal(
      (await count(r.store, "SELECT COUNT(*) AS n FROM outbox_attempts WHERE outcome = 'unknown-resend'")) >
        0,
      true,
    );
  });

  test('an unknown outcome is quarantined when the ERP does not honour idempotency keys: no blind resend', async () => {
    const r = await rig(engine, false, 2);
    r.erp.mode = { kind: 'slow', delayMs: 600 };
    const d = r.deliverer({ honours: false, timeoutMs: 200 });
    d.start();
    await until('quarantined', async () => ((await r.states('erp'))['quarantined'] ?? 0) >= 1);
    r.erp.mode = { kind: 'ok' };
    await sleep(300);
    const stuck = await r.store.query(
      "SELECT document_id, exception_id FROM outbox_deliveries WHERE state = 'quarantined'",
    );
    for (const q of stuck) {
      const id = String(q['document_id']);
      assert.equal(
        r.erp.requests.filter((x) => x.idempotencyKey === id).length,
        1,
        'sent once, never resent',
      );
      const ex = await r.store.query('SELECT reason_code, status, subject FROM exceptions WHERE id = ?', [
        asBigInt(q['exception_id']),
      ]);
      assert.deepEqual(
        { ...ex[0] },
        { reason_code: 'CW_ERR_OUTBOX_UNKNOWN_OUTCOME', status: 'open', subject: `outbox:erp:${id}` },
      );
      // The ERP did book it: a person checks there, confirms, and the rest of the key follows.
      assert.ok(
        r.erp.booked.some((b) => b.id === id),
        'the ERP had booked it',
      );
      await r.store.transaction((tx) =>
        settleStuck(tx, 'erp', id, 'confirm', 'ana.controller', r.now().toISOString()),
      );
    }
    await until('all delivered after the confirmation', allDelivered(r, 'erp'));
    await d.stop();
    const ids = r.erp.booked.map((b) => b.id);
    assert.equal(ids.length, new Set(ids).size, 'no document booked twice');
    assert.equal(ids.length, (await r.documents()).size, 'every document booked');
    assert.equal(
      await count(
        r.store,
        "SELECT COUNT(*) AS n FROM exceptions WHERE reason_code = 'CW_ERR_OUTBOX_UNKNOWN_OUTCOME' AND status = 'resolved'",
      ),
      stuck.length,
    );
  });

  test('a claim left by a stopped process is resent or quarantined by the next one, by the key policy', async () => {
    for (const honours of [true, false]) {
      const r = await rig(engine, honours, 1);
      const first = (
        await r.store.query(
          "SELECT document_id FROM outbox_deliveries WHERE destination = 'erp' ORDER BY ordering_key, seq_message_id, seq_part",
        )
      )[0]!;
      const id = String(first['document_id']);
      assert.equal(await r.store.transaction((tx) => claimDelivery(tx, 'erp', id, AT.toISOString())), true);
      const d = r.deliverer();
      await d.runOnce('erp');
      const state = (
        await r.store.query(
          "SELECT state FROM outbox_deliveries WHERE destination = 'erp' AND document_id = ?",
          [id],
        )
      )[0]!['state'] as DeliveryState;
      const outcomes = (
        await r.store.query('SELECT outcome FROM outbox_attempts WHERE document_id = ? ORDER BY id', [id])
      ).map((a) => String(a['outcome']));
      assert.equal(outcomes[0], honours ? 'unknown-resend' : 'quarantined', `honours=${honours}`);
      if (honours) {
        // Resent: pending again, or already delivered when the short backoff ran out within the pass.
        assert.ok(state === 'pending' || state === 'delivered', `resendable, found ${state}`);
        assert.ok(r.erp.booked.filter((b) => b.id === id).length <= 1, 'booked at most once');
      } else {
        assert.equal(state, 'quarantined');
        assert.equal(r.erp.requests.filter((q) => q.idempotencyKey === id).length, 0, 'not resent blindly');
      }
    }
  });

  test('pausing one destination holds it while the other flows; resuming drains it', async () => {
    const r = await rig(engine, true, 2);
    await r.store.transaction((tx) =>
      setPaused(tx, 'erp', true, 'ops', 'ERP maintenance', r.now().toISOString()),
    );
    const d = r.deliverer();
    d.start();
    await until('files delivered', allDelivered(r, 'files'));
    await sleep(200);
    assert.equal(r.erp.requests.length, 0, 'nothing sent to a paused destination');
    assert.match(await r.metrics.registry.metrics(), /crosswalk_outbox_paused\{destination="erp"\} 1/);
    await r.store.transaction((tx) => setPaused(tx, 'erp', false, 'ops', null, r.now().toISOString()));
    d.notify();
    await until('drained after resume', allDelivered(r, 'erp'));
    await d.stop();
    assertOrdered(r.erp.booked, await r.documents());
  });
});
