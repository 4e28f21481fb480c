/**
 * The ERP misbehaving, through the real hub process, on both engines: down for a while then back, 500s,
 * 429 with Retry-After, answering after the timeout (it booked, the hub cannot know), and 200 with an
 * error in the body (a refusal: an exception holding the key back until a person runs
 * `crosswalk outbox retry`). Traffic keeps arriving between the phases. Ends with zero invariant
 * violations, every acknowledged message applied once and every document booked once, in order per key.
 *
 * The same behaviours are tested at the Deliverer's level (in-process, with injected clocks, metrics and
 * alerts) in src/outbox/deliver.int.test.ts; this suite is the end-to-end counterpart.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { authedCli, killChildren } from '../cli/test-process.ts';
import { type FakeErp, startFakeErp } from '../outbox/test-erp.ts';
import { eachEngine } from '../store/test-engines.ts';
import {
  abandonSends,
  assertClean,
  count,
  drained,
  type Hub,
  sendUntilAcked,
  sleep,
  startHub,
  traffic,
  waitFor,
} from './testing.ts';

after(() => {
  abandonSends();
  killChildren();
});

const CHUNK = 60;

eachEngine('fault: the ERP down, failing, throttling, slow, refusing', (engine) => {
  let hub: Hub | undefined;
  let erp: FakeErp | undefined;
  after(async () => {
    await hub?.close();
    await erp?.close();
  });

  test('each misbehaviour in turn while traffic flows; nothing lost, nothing booked twice', {
    timeout: 300_000,
  }, async (t) => {
    erp = await startFakeErp({ honoursIdempotencyKey: true });
    hub = await startHub(await engine.freshUrl({ migrated: true }), erp, {
      honours: true,
      erpTimeoutMs: 800,
      env: { CROSSWALK_APPLY_BATCH_SIZE: '10' },
    });
    const h = hub;
    const e = erp;
    const acknowledged: Buffer[] = [];
    let chunk = 0;
    const send = async () => {
      const sent = await sendUntilAcked(traffic(CHUNK, `E${chunk++}-`, chunk), h.port);
      acknowledged.push(...sent.replies);
    };
    const attempts = (outcome: string) =>
      count(h.reader, 'SELECT COUNT(*) AS n FROM outbox_attempts WHERE outcome = ?', [outcome]);
    const answered = (a: string) => e.requests.filter((r) => r.answered === a).length;

    // Down: everything queues, retried with backoff; back up: it drains.
    await e.down();
    await send();
    await waitFor(async () => (await attempts('retry')) >= 3, 30_000, 'retries against a down ERP');
    assert.equal(e.booked.length, 0, 'nothing reached a down ERP');
    await e.up();
    await drained(h, 60_000);
    t.diagnostic(`down: ${await attempts('retry')} retries, ${e.booked.length} booked after it came back`);

    // 500: retried until it answers again.
    e.mode = { kind: 'status', status: 500 };
    await send();
    await waitFor(() => answered('500') >= 3, 30_000, 'three 500s');
    e.mode = { kind: 'ok' };
    await drained(h, 60_000);

    // 429 with Retry-After: 1 — the next call waits at least that long.
    e.mode = { kind: 'status', status: 429, retryAfter: '1' };
    await send();
    await waitFor(() => answered('429') >= 1, 30_000, 'a 429');
    const throttledAt = e.requests.find((r) => r.answered === '429')!.at;
    e.mode = { kind: 'ok' };
    await drained(h, 60_000);
    const next = e.requests.find((r) => r.at > throttledAt)!;
    assert.ok(
      next.at - throttledAt >= 950,
      `Retry-After honoured: next call ${next.at - throttledAt} ms later`,
    );

    // Slow beyond the timeout: it booked, the hub saw no answer; resent under the same key, booked once.
    e.mode = { kind: 'slow', delayMs: 2500 };
    await send();
    await waitFor(() => answered('slow') >= 1, 30_000, 'a slow answer');
    await waitFor(async () => (await attempts('unknown-resend')) >= 1, 30_000, 'the timeout');
    e.mode = { kind: 'ok' };
    await drained(h, 60_000);
    const keys = e.requests.map((r) => r.idempotencyKey);
    assert.ok(keys.length > new Set(keys).size, 'a document was sent again with the same Idempotency-Key');

    // 200 with an error body: refused, an exception, its key held back; a person retries it.
    e.mode = { kind: 'error-body' };
    await send();
    await waitFor(
      async () =>
        (await count(h.reader, "SELECT COUNT(*) AS n FROM outbox_deliveries WHERE state = 'failed'")) === 1,
      30_000,
      'the refusal',
    );
    const failed = String(
      (await h.reader.query("SELECT document_id FROM outbox_deliveries WHERE state = 'failed'"))[0]![
        'document_id'
      ],
    );
    assert.equal(
      await count(
        h.reader,
        "SELECT COUNT(*) AS n FROM exceptions WHERE reason_code = 'CW_ERR_OUTBOX_REJECTED' AND status = 'open'",
      ),
      1,
      'one open exception for the refusal',
    );
    await sleep(500);
    assert.ok(!e.booked.some((b) => b.id === failed), 'the refused document is not booked');
    e.mode = { kind: 'ok' };
    const retried = await authedCli(() => ({ CROSSWALK_DATABASE_URL: h.url }))([
      'outbox',
      'retry',
      'erp',
      failed,
      '--as',
      'ana.controller',
    ]);
    assert.equal(retried.code, 0, retried.stderr);
    await drained(h, 60_000);

    await h.server.stop();
    const figures = await assertClean(h, e, acknowledged);
    t.diagnostic(
      `${JSON.stringify(figures)}; answers: ${JSON.stringify(Object.fromEntries(['200', '500', '429', 'slow', '200-error'].map((a) => [a, answered(a)])))}`,
    );
  });
});
