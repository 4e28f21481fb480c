/**
 * The database going away mid-stream, on both engines.
 *
 * PostgreSQL: the shared server on this machine also serves other people's tests, so it is not
 * restarted; instead every backend of the hub's database is ended with pg_terminate_backend (what a
 * server restart or failover does to a client: each connection dies mid-statement) three times during a
 * send. The hub must survive it: the inbox refuses (AR) what it could not store, the sender resends
 * those, the apply stage and the deliverer retry on fresh connections.
 *
 * SQLite: the database is a file inside the hub's process, so the equivalent is the process going away
 * (a graceful restart and a SIGKILL mid-stream).
 *
 * Ends with zero invariant violations, every acknowledged message applied once, every document booked once.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import pg from 'pg';
import { killChildren } from '../cli/test-process.ts';
import { type FakeErp, startFakeErp } from '../outbox/test-erp.ts';
import { eachEngine, TEST_POSTGRES_URL } from '../store/test-engines.ts';
import {
  abandonSends,
  assertAlive,
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

const N = 1500;

/** Ends every connection to `database` but this one; returns how many it ended. */
async function terminateBackends(database: string): Promise<number> {
  const c = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await c.connect();
  try {
    const r = await c.query(
      'SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [database],
    );
    return r.rows.length;
  } finally {
    await c.end();
  }
}

eachEngine('fault: the database restarted mid-stream', (engine) => {
  let hub: Hub | undefined;
  let erp: FakeErp | undefined;
  after(async () => {
    await hub?.close();
    await erp?.close();
  });

  test(`${N} messages through three database outages`, { timeout: 300_000 }, async (t) => {
    erp = await startFakeErp({ honoursIdempotencyKey: true });
    hub = await startHub(await engine.freshUrl({ migrated: true }), erp, {
      honours: true,
      env: { CROSSWALK_APPLY_BATCH_SIZE: '25' },
    });
    const h = hub;
    const database = new URL(h.url.startsWith('postgres') ? h.url : 'file:///x').pathname.slice(1);
    let acks = 0;
    const sending = sendUntilAcked(traffic(N, 'B'), h.port, { onReply: () => acks++ });
    const outages: string[] = [];
    for (const at of [0.2, 0.45, 0.7]) {
      await waitFor(
        () => {
          assertAlive(h);
          return acks >= N * at;
        },
        120_000,
        `${at * 100}% of the ACKs`,
        5,
      );
      const stored = await count(h.reader, 'SELECT COUNT(*) AS n FROM inbound_messages');
      if (engine.dialect === 'postgres') {
        const ended = await terminateBackends(database);
        outages.push(`${ended} connections ended at ${stored} stored`);
        await sleep(50);
      } else {
        const graceful = outages.length % 2 === 0;
        await h.restart({ graceful });
        outages.push(`${graceful ? 'SIGTERM' : 'SIGKILL'} and restart at ${stored} stored`);
      }
    }
    const sent = await sending;
    await drained(h, 120_000);
    assert.equal(h.server.child.exitCode, null, `the hub is still running: ${h.server.output()}`);
    await h.server.stop();
    const refused = sent.refused;
    t.diagnostic(`${outages.join('; ')}; ${refused} refusals resent, ${sent.rounds} rounds`);
    t.diagnostic(JSON.stringify(await assertClean(h, erp, sent.replies)));
  });
});
