/**
 * The apply stage's crash test, on both engines: a real `crosswalk serve` takes a generated demo day and
 * is SIGKILLed twice while its Applier still has a backlog (small apply batches keep it busy; the kill
 * points are drawn from a seed), restarted each time on the same database and port, and left to drain.
 * Afterwards every message must have been applied exactly once: one outcome per message, one row per
 * canonical event and per movement key, and books identical, account by account, to those of a clean
 * run of the same traffic on another fresh database (same events, same entry ids, same stock).
 *
 * CROSSWALK_TEST_SEED overrides the seed (it is printed).
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { sendReliably } from '../cli/sender.ts';
import { freePort, killChildren, type ServeProcess, startServe } from '../cli/test-process.ts';
import { loadConfig } from '../config/index.ts';
import { generateDemoHealthSystem, generateTraffic, Random } from '../demo/index.ts';
import { verifyOnHand } from '../inventory/index.ts';
import { within } from '../mllp/test-peer.ts';
import { startServer } from '../server/runtime.ts';
import { asNumber, openStore, type SqlExecutor, type Store } from '../store/index.ts';
import { pendingCount } from '../store/posting-repository.ts';
import { eachEngine } from '../store/test-engines.ts';
import { accountBalances, loadDemo, storedMovements, storedPositions, tokenKeyFolder } from './testing.ts';

const SEED = Number(process.env['CROSSWALK_TEST_SEED'] ?? 20_261_124);
const SYSTEM = generateDemoHealthSystem();
const TRAFFIC = [...generateTraffic(SYSTEM, { seed: SEED })].map((m) => Buffer.from(m.message, 'utf8'));
const TOTAL = TRAFFIC.length;
const KILLS = 2;
const MIN_BACKLOG = 20;

after(killChildren);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function count(db: SqlExecutor, sql: string): Promise<number> {
  return asNumber((await db.query<{ n: unknown }>(sql))[0]!.n);
}

/** Polls until `condition` holds; fails the test after `ms`. */
async function waitFor(condition: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(3);
  }
}

/** What a run left in the books, in a form two databases can be compared by. */
async function snapshot(db: SqlExecutor) {
  const list = async (sql: string) =>
    (await db.query(sql)).map((r) => Object.values(r).map(String).join(' '));
  return {
    balances: await accountBalances(db),
    entries: await list('SELECT id FROM journal_entries ORDER BY id'),
    events: await list('SELECT id, type FROM canonical_events ORDER BY id'),
    outcomes: await list(
      `SELECT m.sender, m.control_id, o.state, o.event_count FROM inbound_messages m
       JOIN message_outcomes o ON o.message_id = m.id ORDER BY m.sender, m.control_id`,
    ),
    movements: await list(
      'SELECT movement_key, quantity, value FROM inventory_movements ORDER BY movement_key',
    ),
    stock: await list(
      'SELECT item_code, par_location_code, quantity, value FROM stock_on_hand ORDER BY item_code, par_location_code',
    ),
    requisitions: await list('SELECT id FROM requisitions ORDER BY id'),
    exceptions: await list(
      `SELECT x.reason_code, m.control_id, x.event_id FROM exceptions x JOIN inbound_messages m ON m.id = x.message_id
       ORDER BY x.reason_code, m.control_id, x.event_id`,
    ),
  };
}

/** The same traffic, sent once to an in-process server on a fresh database, with no kills. */
async function cleanRun(url: string, keyFile: string) {
  const setup = await openStore(url, { poolMax: 2 });
  try {
    await loadDemo(setup, SYSTEM);
  } finally {
    await setup.close();
  }
  const running = await startServer({
    config: loadConfig({
      env: {
        CROSSWALK_DATABASE_URL: url,
        CROSSWALK_HTTP_PORT: '0',
        CROSSWALK_MLLP_PORT: '0',
        CROSSWALK_TOKEN_KEY_FILE: keyFile,
        CROSSWALK_LOG_LEVEL: 'silent',
      },
    }),
    version: 'test',
  });
  try {
    const sent = await within(
      sendReliably(TRAFFIC, {
        host: running.mllp[0]!.host,
        port: running.mllp[0]!.port,
        window: 50,
        timeoutMs: 30_000,
        retryForMs: 0,
      }),
      60_000,
      'the clean run to be sent',
    );
    assert.equal(sent.replies.filter((r) => r === null).length, 0);
    await waitFor(
      async () => {
        running.applier.notify();
        return (await pendingCount(running.store)) === 0;
      },
      60_000,
      'the clean run to be applied',
    );
    await within(running.applier.idle(), 30_000, 'the clean run applier to be idle');
    return await snapshot(running.store);
  } finally {
    await running.stop('clean run done');
  }
}

eachEngine('apply crash: SIGKILL of serve while the applier is busy, restart, drain', (engine) => {
  const keys = tokenKeyFolder();
  after(() => keys.remove());

  test(`${TOTAL} demo messages: every one applied exactly once, books equal to a clean run`, {
    timeout: 150_000,
  }, async (t) => {
    const random = new Random(SEED).fork(`apply-crash-${engine.dialect}`);
    // Small batches: many short transactions, so a kill lands mid-drain.
    const batchSize = random.int(2, 5);
    const firstKill = random.int(15, Math.floor(TOTAL / 4));
    const kills = [firstKill, firstKill + random.int(30, Math.floor(TOTAL / 3))].map((afterApplied) => ({
      afterApplied,
      delayMs: random.int(0, 3),
    }));
    assert.equal(kills.length, KILLS);
    t.diagnostic(
      `seed ${SEED}: apply batch ${batchSize}; SIGKILL ${kills.map((k) => `${k.delayMs} ms after ${k.afterApplied} outcomes`).join(', ')}`,
    );

    const url = await engine.freshUrl({ migrated: true });
    // Two connections: on PostgreSQL, migrate holds one for its advisory lock and runs DDL on another.
    const reader: Store = await openStore(url, { poolMax: 2 });
    try {
      await loadDemo(reader, SYSTEM);
      const env = {
        CROSSWALK_DATABASE_URL: url,
        CROSSWALK_TOKEN_KEY_FILE: keys.keyFile,
        CROSSWALK_APPLY_BATCH_SIZE: String(batchSize),
      };
      const port = await freePort();
      let server: ServeProcess = await startServe(env, { mllpPort: port });
      const outcomes = () => count(reader, 'SELECT COUNT(*) AS n FROM message_outcomes');
      const atKill: { outcomes: number; pending: number }[] = [];

      const sending = sendReliably(TRAFFIC, {
        host: '127.0.0.1',
        port,
        window: 50,
        timeoutMs: 30_000,
        retryForMs: 60_000,
      });
      const killing = (async () => {
        for (const kill of kills) {
          // Past the drawn point, and with a backlog the applier needs several transactions for: the
          // kill must find it working, not idle waiting for the sender.
          await waitFor(
            async () =>
              (await outcomes()) >= kill.afterApplied && (await pendingCount(reader)) >= MIN_BACKLOG,
            60_000,
            `${kill.afterApplied} outcomes and a backlog of ${MIN_BACKLOG}`,
          );
          await sleep(kill.delayMs);
          server.child.kill('SIGKILL');
          await within(server.exited, 10_000, 'the killed server to exit');
          atKill.push({ outcomes: await outcomes(), pending: await pendingCount(reader) });
          server = await startServe(env, { mllpPort: port });
        }
      })();
      const [sent] = await within(Promise.all([sending, killing]), 120_000, 'the send and the kills');
      assert.equal(sent.replies.filter((r) => r === null).length, 0, 'every message got a reply in the end');
      await waitFor(
        async () => (await pendingCount(reader)) === 0,
        60_000,
        'the backlog to drain after the last restart',
      );
      assert.equal(await server.stop(), 0, `the restarted server stops cleanly: ${server.output()}`);

      t.diagnostic(
        `at the kills: ${atKill.map((k) => `${k.outcomes} outcomes, ${k.pending} pending`).join('; ')}`,
      );
      for (const [i, k] of atKill.entries()) {
        assert.ok(
          k.pending > 0,
          `kill ${i + 1} left a backlog for the restarted applier (${k.pending} pending)`,
        );
        assert.ok(k.outcomes < TOTAL, `kill ${i + 1} came before the day was applied`);
      }

      // --- exactly once ---------------------------------------------------------------------------------
      assert.equal(
        await count(reader, 'SELECT COUNT(*) AS n FROM inbound_messages'),
        TOTAL,
        'every message stored once',
      );
      assert.equal(await outcomes(), TOTAL, 'one outcome per message');
      assert.equal(
        await count(
          reader,
          'SELECT COUNT(*) AS n FROM inbound_messages m LEFT JOIN message_outcomes o ON o.message_id = m.id WHERE o.message_id IS NULL',
        ),
        0,
        'no message without an outcome',
      );
      assert.equal(
        await count(reader, 'SELECT COUNT(*) AS n FROM canonical_events'),
        await count(reader, 'SELECT COUNT(DISTINCT id) AS n FROM canonical_events'),
        'canonical event ids are unique',
      );
      assert.deepEqual(
        await reader.query(
          `SELECT o.message_id FROM message_outcomes o
           LEFT JOIN (SELECT source_message_id, COUNT(*) AS n FROM canonical_events GROUP BY source_message_id) e
             ON e.source_message_id = o.message_id
           WHERE COALESCE(e.n, 0) <> o.event_count`,
        ),
        [],
        "each message's events are written once: as many as its outcome counts",
      );
      assert.equal(
        await count(reader, 'SELECT COUNT(*) AS n FROM inventory_movements'),
        await count(reader, 'SELECT COUNT(DISTINCT movement_key) AS n FROM inventory_movements'),
        'no movement key twice',
      );
      const report = verifyOnHand(await storedMovements(reader), await storedPositions(reader));
      assert.deepEqual(report.mismatches, [], 'on-hand is Σ movements after the crashes');

      // --- the same books as a clean run ---------------------------------------------------------------
      const crashed = await snapshot(reader);
      const clean = await cleanRun(await engine.freshUrl({ migrated: true }), keys.keyFile);
      assert.equal(crashed.entries.length, clean.entries.length, 'as many journal entries as the clean run');
      assert.deepEqual(
        crashed.balances,
        clean.balances,
        'per-account trial balances equal the clean run exactly',
      );
      assert.deepEqual(crashed.entries, clean.entries, 'the same journal entry ids');
      assert.deepEqual(crashed.events, clean.events, 'the same canonical events');
      assert.deepEqual(crashed.outcomes, clean.outcomes, 'the same outcome per message');
      assert.deepEqual(crashed.movements, clean.movements, 'the same movements');
      assert.deepEqual(crashed.stock, clean.stock, 'the same stock on hand');
      assert.deepEqual(crashed.requisitions, clean.requisitions, 'the same requisitions');
      assert.deepEqual(crashed.exceptions, clean.exceptions, 'the same exceptions');
      t.diagnostic(
        `${crashed.events.length} events, ${crashed.entries.length} entries, ${crashed.movements.length} movements`,
      );
    } finally {
      await reader.close();
    }
  });
});
