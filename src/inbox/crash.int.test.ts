/**
 * The crash test: a real `crosswalk serve` is SIGKILLed in the middle of a pipelined send (three times,
 * the first after at least 1,000 ACKs) and restarted each time on the same database and port; the
 * sender reconnects and resends whatever it saw no ACK for. Afterwards the database, read directly, must
 * hold every message exactly once, byte for byte, and every message the sender saw acknowledged AA must
 * be among them: an AA is a promise that the message is durable, and the sender never resends it.
 *
 * The kill points are drawn from a seed (CROSSWALK_TEST_SEED overrides it; the seed is printed).
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { sendReliably } from '../cli/sender.ts';
import { freePort, killChildren, type ServeProcess, startServe } from '../cli/test-process.ts';
import { generateDftP03Batch, Random } from '../demo/index.ts';
import { parseMessage } from '../hl7v2/index.ts';
import { within } from '../mllp/test-peer.ts';
import { openRaw } from '../store/inbox-repository.ts';
import { asNumber, openStore } from '../store/index.ts';
import { eachEngine } from '../store/test-engines.ts';

const TOTAL = 10_000;
const WINDOW = 50;
const KILLS = 3;
const SEED = Number(process.env['CROSSWALK_TEST_SEED'] ?? 20_261_124);
const BATCH = generateDftP03Batch(TOTAL, 7).map((m) => Buffer.from(m, 'utf8'));
const CONTROL_IDS = BATCH.map((m) => parseMessage(m).header.controlId);

after(killChildren);

eachEngine('crash: SIGKILL of serve mid-send, restart, resend', (engine) => {
  test(`${TOTAL} DFT^P03: every AA is stored exactly once, byte for byte, nothing lost or doubled`, {
    timeout: 180_000,
  }, async (t) => {
    assert.equal(new Set(CONTROL_IDS).size, TOTAL, 'the generated control ids are unique');
    const url = await engine.freshUrl({ migrated: true });
    const env = { CROSSWALK_DATABASE_URL: url };
    const random = new Random(SEED).fork(`crash-${engine.dialect}`);
    // Kill points: the first after at least 1,000 ACKs, then one in each later stretch, so that every
    // restart has a few thousand messages behind and ahead of it.
    const stretch = Math.floor((TOTAL - 2_000) / KILLS);
    const kills = Array.from({ length: KILLS }, (_, k) => ({
      afterAcks: 1_000 + k * stretch + random.int(0, stretch - WINDOW * 2),
      // Killing from inside the reply callback would always find the server idle (the next sends are
      // not even written yet); a short delay lets it land while a batch is committed or answered.
      delayMs: random.int(0, 15),
    }));
    t.diagnostic(
      `seed ${SEED}: SIGKILL ${kills.map((k) => `${k.delayMs} ms after ${k.afterAcks} AAs`).join(', ')}`,
    );

    // Each restarted server must come back where the sender reconnects to.
    const port = await freePort();
    let server: ServeProcess = await startServe(env, { mllpPort: port });
    let restarting: Promise<ServeProcess> | undefined;
    const restartErrors: unknown[] = [];
    let killed = 0;

    const acknowledged = new Set<string>();
    const answered = new Set<number>();
    // Per kill: when it happened and which messages had no reply yet (to count the lost ACKs below).
    const killMoments: { at: string; unanswered: Set<number> }[] = [];
    const codes = new Map<string, number>();
    const misattributed: string[] = [];
    let reconnects = 0;
    const result = await within(
      sendReliably(BATCH, {
        host: '127.0.0.1',
        port,
        window: WINDOW,
        timeoutMs: 30_000,
        retryForMs: 90_000,
        onReply: (i, reply) => {
          const ack = parseMessage(reply);
          const code = ack.get('MSA-1');
          codes.set(code, (codes.get(code) ?? 0) + 1);
          answered.add(i);
          // Replies are matched to sends by order: MSA-2 proves the match is right.
          if (ack.get('MSA-2') !== CONTROL_IDS[i]) misattributed.push(`${i}: ${ack.get('MSA-2')}`);
          if (code === 'AA') acknowledged.add(CONTROL_IDS[i]!);
          const next = kills[killed];
          if (next && restarting === undefined && acknowledged.size >= next.afterAcks) {
            killed++;
            const victim = server;
            setTimeout(() => {
              victim.child.kill('SIGKILL');
              killMoments.push({
                at: new Date().toISOString(),
                unanswered: new Set(BATCH.map((_, j) => j).filter((j) => !answered.has(j))),
              });
            }, next.delayMs);
            restarting = victim.exited
              .then(() => startServe(env, { mllpPort: port }))
              .then((s) => {
                server = s;
                return s;
              })
              .catch((e: unknown) => {
                restartErrors.push(e);
                throw e;
              })
              .finally(() => {
                restarting = undefined;
              });
            // Surfaced through restartErrors; this keeps it from being an unhandled rejection.
            restarting.catch(() => undefined);
          }
        },
        onReconnect: () => {
          reconnects++;
        },
      }),
      160_000,
      'the reliable send to finish',
    );
    assert.deepEqual(restartErrors, [], 'every restart succeeded');
    assert.equal(killed, KILLS, `the server was killed ${KILLS} times mid-send`);
    if (restarting) await restarting;

    t.diagnostic(
      `${result.connections} connections, ${reconnects} reconnect attempts, ${Math.round(result.elapsedMs)} ms`,
    );
    assert.equal(await server.stop(), 0, `the restarted server stops cleanly: ${server.output()}`);

    assert.deepEqual(misattributed, [], 'every reply names the control id it was sent for');
    assert.equal(result.replies.filter((r) => r === null).length, 0, 'every message got a reply in the end');
    assert.deepEqual(Object.fromEntries(codes), { AA: TOTAL }, 'every reply is AA (nothing refused)');
    assert.ok(
      result.connections > KILLS,
      `the sender reconnected after each kill (${result.connections} connections)`,
    );
    assert.equal(acknowledged.size, TOTAL, 'every control id was acknowledged AA');

    const store = await openStore(url, { poolMax: 1 });
    try {
      // Bodies are sealed at rest: read them back through the store's key ring.
      const rows = await store.query(
        'SELECT id, control_id, content_sha256, raw, raw_key_id, received_at FROM inbound_messages',
      );
      const indexOf = new Map(CONTROL_IDS.map((id, i) => [id, i]));
      const stored = new Map<string, number>();
      let different = 0;
      // Committed by a server before it was killed, yet unanswered then: its ACK was lost, it was
      // resent, and the next server answered it from the store without storing it again.
      let lostAcks = 0;
      for (const row of rows) {
        const id = String(row['control_id']);
        stored.set(id, (stored.get(id) ?? 0) + 1);
        const i = indexOf.get(id);
        if (i === undefined || !openRaw(store, 'inbound_messages', row).equals(BATCH[i]!)) different++;
        const receivedAt = String(row['received_at']);
        if (i !== undefined && killMoments.some((k) => receivedAt < k.at && k.unanswered.has(i))) lostAcks++;
      }
      t.diagnostic(`${lostAcks} messages were committed but their ACK lost in a kill, then resent`);

      // The promise first: an AA means durable. A message AA'd but missing was acknowledged before its
      // commit and lost in a kill (the sender never resends what it saw acknowledged).
      const notOnce = [...acknowledged].filter((id) => stored.get(id) !== 1);
      assert.equal(
        notOnce.length,
        0,
        `every control id acknowledged AA is stored exactly once; not so for ${notOnce.length}, e.g. ${notOnce.slice(0, 3).join(', ')}`,
      );
      assert.equal(rows.length, TOTAL, 'exactly one row per message sent');
      assert.equal(different, 0, 'every stored raw equals what was sent, byte for byte');
      const doubled = await store.query(
        'SELECT sender, control_id, COUNT(*) AS n FROM inbound_messages GROUP BY sender, control_id HAVING COUNT(*) <> 1',
      );
      assert.deepEqual(doubled, [], 'no key is stored more than once');
      const [rejections] = await store.query<{ n: unknown }>('SELECT COUNT(*) AS n FROM inbound_rejections');
      assert.equal(asNumber(rejections!.n), 0, 'no rejections');
    } finally {
      await store.close();
    }
  });
});
