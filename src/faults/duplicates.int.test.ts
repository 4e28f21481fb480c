/**
 * Duplicates of inbound messages, through the real hub, on both engines: every message is sent 1 to 5
 * times in all (seeded): copies racing the original on a second connection, copies on new connections
 * after it was applied, and copies after a graceful restart and after a SIGKILL. Each copy must get the
 * original's stored ACK byte for byte, and nothing may happen twice: zero invariant violations, each
 * message stored and applied once, each document booked once by the ERP.
 *
 * CROSSWALK_TEST_SEED overrides the seed (it is printed).
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { sendReliably } from '../cli/sender.ts';
import { killChildren } from '../cli/test-process.ts';
import { Random } from '../demo/index.ts';
import { type FakeErp, startFakeErp } from '../outbox/test-erp.ts';
import { eachEngine } from '../store/test-engines.ts';
import {
  abandonSends,
  assertClean,
  drained,
  type Hub,
  sendUntilAcked,
  startHub,
  traffic,
} from './testing.ts';

const SEED = Number(process.env['CROSSWALK_TEST_SEED'] ?? 20_261_206);
const N = 150;

after(() => {
  abandonSends();
  killChildren();
});

eachEngine('fault: duplicates from new connections and after restarts', (engine) => {
  let hub: Hub | undefined;
  let erp: FakeErp | undefined;
  after(async () => {
    await hub?.close();
    await erp?.close();
  });

  test(`${N} messages, each sent 1 to 5 times: one effect each, the stored ACK to every copy`, {
    timeout: 240_000,
  }, async (t) => {
    const random = new Random(SEED).fork(`duplicates-${engine.dialect}`);
    const copies = Array.from({ length: N }, () => random.int(1, 5));
    // Each extra copy goes in one of four waves: racing the original, after the apply, after a graceful
    // restart, after a SIGKILL.
    const waves: number[][] = [[], [], [], []];
    for (const [i, c] of copies.entries()) for (let k = 1; k < c; k++) waves[random.int(0, 3)]!.push(i);
    t.diagnostic(
      `seed ${SEED}: ${copies.reduce((a, b) => a + b, 0)} sends for ${N} messages; waves ${waves.map((w) => w.length).join('/')}`,
    );

    erp = await startFakeErp({ honoursIdempotencyKey: true });
    hub = await startHub(await engine.freshUrl({ migrated: true }), erp, { honours: true });
    const h = hub;
    const messages = traffic(N, 'D');
    const copiesOf = (wave: number[]) => wave.map((i) => messages[i]!);
    // A wave is sent over several new connections, 10 copies to each.
    const sendWave = async (wave: number[]) => {
      const replies: (Buffer | null)[] = [];
      for (let at = 0; at < wave.length; at += 10) {
        const part = copiesOf(wave.slice(at, at + 10));
        const r = await sendReliably(part, {
          host: '127.0.0.1',
          port: h.port,
          window: 10,
          timeoutMs: 30_000,
          retryForMs: 30_000,
        });
        replies.push(...r.replies);
      }
      return replies;
    };

    const [originals, racing] = await Promise.all([sendUntilAcked(messages, h.port), sendWave(waves[0]!)]);
    await drained(h);
    const afterApply = await sendWave(waves[1]!);
    await h.restart({ graceful: true });
    const afterRestart = await sendWave(waves[2]!);
    await h.restart();
    const afterKill = await sendWave(waves[3]!);
    await drained(h);
    await h.server.stop();

    for (const [w, replies] of [racing, afterApply, afterRestart, afterKill].entries()) {
      for (const [k, reply] of replies.entries()) {
        const i = waves[w]![k]!;
        assert.ok(reply, `wave ${w}: copy of message ${i} got a reply`);
        assert.deepEqual(reply, originals.replies[i], `wave ${w}: copy of message ${i} got the stored ACK`);
      }
    }
    t.diagnostic(JSON.stringify(await assertClean(h, erp, originals.replies)));
  });
});
