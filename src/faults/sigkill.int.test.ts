/**
 * SIGKILL of the hub at random points of a long send, on both engines: 20,000 DFT^P03 (5 FT1 each) sent
 * with 50 in flight to the real `crosswalk serve`, which is SIGKILLed 20 times at seeded points (after a
 * drawn number of positive ACKs plus a drawn delay) and restarted on the same database and port each
 * time; the sender resends whatever it saw no ACK for. The hub delivers to an HTTP fake ERP that honours
 * idempotency keys, so kills also land between ERP calls and their recording. Afterwards: zero invariant
 * violations, every acknowledged message applied exactly once, and the ERP booked each document once.
 *
 * CROSSWALK_TEST_SEED overrides the seed and CROSSWALK_FAULT_MESSAGES the message count (both printed).
 * Measured on the 2-core CI machine under load from other work: see docs/architecture.md.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { killChildren } from '../cli/test-process.ts';
import { Random } from '../demo/index.ts';
import { within } from '../mllp/test-peer.ts';
import { type FakeErp, startFakeErp } from '../outbox/test-erp.ts';
import { pendingCount } from '../store/posting-repository.ts';
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

const SEED = Number(process.env['CROSSWALK_TEST_SEED'] ?? 20_261_205);
const MESSAGES = Number(process.env['CROSSWALK_FAULT_MESSAGES'] ?? 20_000);
const KILLS = 20;

after(() => {
  abandonSends();
  killChildren();
});

eachEngine('fault: SIGKILL of the hub at random points of a long send', (engine) => {
  let hub: Hub | undefined;
  let erp: FakeErp | undefined;
  after(async () => {
    await hub?.close();
    await erp?.close();
  });

  test(`${MESSAGES} messages, ${KILLS} kills: each acknowledged message applied once, each document booked once`, {
    timeout: 900_000,
  }, async (t) => {
    const random = new Random(SEED).fork(`sigkill-${engine.dialect}`);
    const points = new Set<number>();
    while (points.size < KILLS)
      points.add(random.int(Math.floor(MESSAGES * 0.02), Math.floor(MESSAGES * 0.97)));
    const kills = [...points]
      .sort((a, b) => a - b)
      .map((afterAcks) => ({ afterAcks, delayMs: random.int(0, 40) }));
    t.diagnostic(
      `seed ${SEED}, ${MESSAGES} messages; SIGKILL after ${kills.map((k) => `${k.afterAcks}+${k.delayMs}ms`).join(', ')} ACKs`,
    );

    erp = await startFakeErp({ honoursIdempotencyKey: true });
    hub = await startHub(await engine.freshUrl({ migrated: true }), erp, { honours: true });
    const h = hub;
    const messages = traffic(MESSAGES, 'K');
    const acked = new Uint8Array(MESSAGES);
    let ackCount = 0;
    // Where the time goes: the hub down (kill to listening again) and the sender's way back to it
    // (listening to the next ACK).
    let downMs = 0;
    let backMs = 0;
    let listeningAt: number | undefined;
    const started = Date.now();
    const sending = sendUntilAcked(messages, h.port, {
      retryForMs: 120_000,
      onReply: (i) => {
        if (listeningAt !== undefined) {
          backMs += Date.now() - listeningAt;
          listeningAt = undefined;
        }
        if (acked[i] === 0) {
          acked[i] = 1;
          ackCount++;
        }
      },
    });
    const atKill: string[] = [];
    const killing = (async () => {
      for (const k of kills) {
        // Past the drawn point, and past some traffic since the last restart: a point the sender passed
        // while the hub was down must not make the next kill land before the new process did anything.
        const since = ackCount;
        await waitFor(
          () => ackCount >= k.afterAcks && ackCount >= since + 25,
          300_000,
          `${k.afterAcks} ACKs`,
          5,
        );
        await sleep(k.delayMs);
        const killedAt = Date.now();
        h.server.child.kill('SIGKILL');
        await within(h.server.exited, 10_000, 'the killed hub to exit');
        const stored = await count(h.reader, 'SELECT COUNT(*) AS n FROM inbound_messages');
        atKill.push(`${ackCount}/${stored}/${await pendingCount(h.reader)}`);
        await h.start();
        listeningAt = Date.now();
        downMs += listeningAt - killedAt;
      }
    })();
    const [sent] = await within(Promise.all([sending, killing]), 840_000, 'the send and the kills');
    const sentAt = Date.now();
    await drained(h, 300_000);
    await h.server.stop();
    t.diagnostic(`at each kill (acked/stored/pending): ${atKill.join(' ')}`);
    t.diagnostic(
      `hub down ${(downMs / 1000).toFixed(1)} s in all (kill to listening), the sender back ${(backMs / 1000).toFixed(1)} s after (listening to the next ACK)`,
    );
    assert.equal(atKill.length, KILLS, 'every kill happened');
    const figures = await assertClean(h, erp, sent.replies);
    t.diagnostic(
      `${JSON.stringify(figures)}; sent in ${((sentAt - started) / 1000).toFixed(1)} s, drained ${((Date.now() - sentAt) / 1000).toFixed(1)} s later`,
    );
  });
});
