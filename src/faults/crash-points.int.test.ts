/**
 * Named crash points (src/observe/crash-points.ts), on both engines: the real hub is SIGKILLed at the
 * three moments where a durable step is done and the next one has not made it visible yet, restarted on
 * the same database and port without the crash point, and left to finish. Each test ends with the
 * invariant checker finding nothing, every acknowledged message applied once, and the ERP holding every
 * document once.
 *
 * - between the inbox commit and the ACK: the sender saw no ACK and resends; the stored ACK answers it;
 * - between the apply commit (entries and their outbox documents) and telling the deliverer: the
 *   restarted deliverer finds the documents by itself;
 * - between the ERP's answer and recording it: the ERP booked the document, the hub's row still says
 *   `delivering`. Where the ERP honours idempotency keys the restarted hub resends (booked once); where
 *   it does not, it quarantines (an exception, no blind resend) and a person confirms with
 *   `crosswalk outbox confirm`.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { authedCli, killChildren } from '../cli/test-process.ts';
import { within } from '../mllp/test-peer.ts';
import { type FakeErp, startFakeErp } from '../outbox/test-erp.ts';
import { eachEngine } from '../store/test-engines.ts';
import {
  abandonSends,
  assertClean,
  count,
  drained,
  type Hub,
  sendUntilAcked,
  startHub,
  traffic,
} from './testing.ts';

after(() => {
  abandonSends();
  killChildren();
});

const N = 300;

eachEngine('fault: named crash points', (engine) => {
  const open: { hub?: Hub; erp?: FakeErp }[] = [];
  after(async () => {
    for (const o of open) {
      await o.hub?.close();
      await o.erp?.close();
    }
  });

  async function rig(honours: boolean, crashAt: string, env: Record<string, string> = {}) {
    const erp = await startFakeErp({ honoursIdempotencyKey: honours });
    const slot: { hub?: Hub; erp?: FakeErp } = { erp };
    open.push(slot);
    // The crash point arms the first process only (the demo books leave it nothing to pass before the
    // test's traffic); the restart after the crash runs without it.
    const hub = await startHub(await engine.freshUrl({ migrated: true }), erp, {
      honours,
      env,
      firstStart: { CROSSWALK_CRASH_AT: crashAt },
    });
    slot.hub = hub;
    return { erp, hub };
  }

  test('between the inbox commit and the ACK: the resend gets the stored ACK, nothing twice', {
    timeout: 120_000,
  }, async (t) => {
    const { erp, hub } = await rig(true, 'inbox-committed:120');
    const messages = traffic(N, 'IC');
    let acked = 0;
    const sending = sendUntilAcked(messages, hub.port, { onReply: () => acked++ });
    const code = await within(hub.server.exited, 60_000, 'the crash point to fire');
    assert.equal(code, null, 'the hub died by a signal');
    const ackedAtCrash = acked;
    const storedAtCrash = await count(hub.reader, 'SELECT COUNT(*) AS n FROM inbound_messages');
    t.diagnostic(`at the crash: ${storedAtCrash} stored, ${ackedAtCrash} acknowledged`);
    assert.ok(storedAtCrash >= 120, 'the 120th message was committed');
    assert.ok(storedAtCrash > ackedAtCrash, 'committed messages had not been acknowledged');
    await hub.start();
    const sent = await within(sending, 60_000, 'the send to finish after the restart');
    await drained(hub);
    await hub.server.stop();
    const figures = await assertClean(hub, erp, sent.replies);
    t.diagnostic(JSON.stringify(figures));
  });

  test('between the apply commit and the deliverer: the restarted hub delivers the documents', {
    timeout: 120_000,
  }, async (t) => {
    const { erp, hub } = await rig(true, 'apply-committed:4', { CROSSWALK_APPLY_BATCH_SIZE: '20' });
    const messages = traffic(N, 'AC');
    const sending = sendUntilAcked(messages, hub.port);
    const code = await within(hub.server.exited, 60_000, 'the crash point to fire');
    assert.equal(code, null, 'the hub died by a signal');
    const waiting = await count(
      hub.reader,
      "SELECT COUNT(*) AS n FROM outbox_deliveries WHERE destination = 'erp' AND state <> 'delivered'",
    );
    const outcomes = await count(hub.reader, 'SELECT COUNT(*) AS n FROM message_outcomes');
    t.diagnostic(`at the crash: ${outcomes} outcomes, ${waiting} documents not delivered`);
    assert.ok(outcomes > 0, 'batches had committed');
    assert.ok(waiting > 0, 'the last batch left documents the deliverer had not been told about');
    await hub.start();
    const sent = await within(sending, 60_000, 'the send to finish after the restart');
    await drained(hub);
    await hub.server.stop();
    t.diagnostic(JSON.stringify(await assertClean(hub, erp, sent.replies)));
  });

  test('between the ERP answer and recording it, keys honoured: resent once, booked once', {
    timeout: 120_000,
  }, async (t) => {
    const { erp, hub } = await rig(true, 'erp-answered:3');
    const messages = traffic(N, 'EA');
    const sending = sendUntilAcked(messages, hub.port);
    assert.equal(await within(hub.server.exited, 60_000, 'the crash point to fire'), null);
    const inFlight = await hub.reader.query(
      "SELECT document_id FROM outbox_deliveries WHERE destination = 'erp' AND state = 'delivering'",
    );
    assert.equal(inFlight.length, 1, 'one delivery left in flight');
    const id = String(inFlight[0]!['document_id']);
    assert.ok(
      erp.booked.some((b) => b.id === id),
      'the ERP had booked the document whose answer was lost',
    );
    await hub.start();
    const sent = await within(sending, 60_000, 'the send to finish after the restart');
    await drained(hub);
    await hub.server.stop();
    assert.equal(
      erp.requests.filter((r) => r.idempotencyKey === id).length,
      2,
      'sent again after the restart, with the same Idempotency-Key',
    );
    assert.equal(
      await count(
        hub.reader,
        "SELECT COUNT(*) AS n FROM outbox_attempts WHERE document_id = ? AND outcome = 'unknown-resend'",
        [id],
      ),
      1,
      'the lost answer is recorded as an unknown outcome, resent',
    );
    t.diagnostic(JSON.stringify(await assertClean(hub, erp, sent.replies)));
  });

  test('between the ERP answer and recording it, keys not honoured: quarantined, confirmed by a person', {
    timeout: 120_000,
  }, async (t) => {
    const { erp, hub } = await rig(false, 'erp-answered:3');
    const messages = traffic(N, 'EQ');
    const sending = sendUntilAcked(messages, hub.port);
    assert.equal(await within(hub.server.exited, 60_000, 'the crash point to fire'), null);
    const id = String(
      (
        await hub.reader.query(
          "SELECT document_id FROM outbox_deliveries WHERE destination = 'erp' AND state = 'delivering'",
        )
      )[0]!['document_id'],
    );
    await hub.start();
    const sent = await within(sending, 60_000, 'the send to finish after the restart');
    await within(
      (async () => {
        while (
          (await count(
            hub.reader,
            "SELECT COUNT(*) AS n FROM outbox_deliveries WHERE document_id = ? AND state = 'quarantined'",
            [id],
          )) === 0
        )
          await new Promise((r) => setTimeout(r, 50));
      })(),
      30_000,
      'the lost call to be quarantined',
    );
    assert.equal(
      erp.requests.filter((r) => r.idempotencyKey === id).length,
      1,
      'not resent blindly to an ERP that does not honour keys',
    );
    assert.equal(
      await count(
        hub.reader,
        "SELECT COUNT(*) AS n FROM exceptions WHERE reason_code = 'CW_ERR_OUTBOX_UNKNOWN_OUTCOME' AND status = 'open'",
      ),
      1,
      'one open exception for the unknown outcome',
    );
    // The ERP has it (a person looks there); they confirm, and the rest of the key follows.
    const confirmed = await authedCli(() => ({ CROSSWALK_DATABASE_URL: hub.url }))([
      'outbox',
      'confirm',
      'erp',
      id,
      '--as',
      'ana.controller',
    ]);
    assert.equal(confirmed.code, 0, confirmed.stderr);
    await drained(hub);
    await hub.server.stop();
    t.diagnostic(JSON.stringify(await assertClean(hub, erp, sent.replies)));
  });
});
