/**
 * The apply stage and replay on their own, in this process, on embedded SQLite (or PostgreSQL):
 * N generated DFT^P03 (5 FT1, demo supply usage and charges) stored straight into the inbox, then
 *   apply:  Applier.drain() — interpret, value stock, journalize, write everything, move the cursor;
 *   replay: re-interpret all N under the active release and diff against the books (read-only).
 * Peer in the same run: parsing and interpretation alone over the same messages, the floor under both.
 *
 *   npm run bench -- replay [--engine=sqlite|postgres] [--messages=N] [--rounds=N]
 */
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { staticContextFor } from '../src/apply/applier.ts';
import { Applier, setUpDemoBooks } from '../src/apply/index.ts';
import { interpretStored } from '../src/apply/plan.ts';
import { runReplay } from '../src/apply/replay-run.ts';
import { generateDemoHealthSystem, generateDftP03Batch } from '../src/demo/index.ts';
import { parseMessage } from '../src/hl7v2/index.ts';
import { InboxRepository } from '../src/store/inbox-repository.ts';
import { migrate, openStore } from '../src/store/index.ts';
import { loadMasterData } from '../src/store/master-data.ts';
import { activeReleaseId, listPeriods, loadRelease } from '../src/store/posting-repository.ts';
import { processedMessagesBetween } from '../src/store/replay-repository.ts';
import { arg, freshDb, withUniqueControlIds } from './harness.ts';
import { fmt, median } from './stats.ts';

const KEY = Buffer.alloc(32, 9);

export async function run(args: string[]): Promise<void> {
  const engine = arg(args, 'engine', 'sqlite') as 'sqlite' | 'postgres';
  const n = Number(arg(args, 'messages', '10000'));
  const rounds = Number(arg(args, 'rounds', '3'));
  const system = generateDemoHealthSystem({ seed: 42 });
  const templates = generateDftP03Batch(2000, 11, system);
  console.log(`${engine}: ${fmt(n)} DFT^P03 (5 FT1) per round, ${rounds} rounds`);
  const apply: number[] = [];
  const replay: number[] = [];
  const replayOne: number[] = [];
  const interpretOnly: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const db = await freshDb(engine, `replay${r}`);
    const store = await openStore(db.url, { poolMax: 4 });
    try {
      await migrate(store);
      await loadMasterData(store, system);
      await setUpDemoBooks(store, system, new Date('2026-11-25T00:00:00Z'));
      const repo = new InboxRepository(store);
      const at = new Date().toISOString();
      const batch = [];
      for (const raw of withUniqueControlIds(templates, n, `B${r}`)) {
        const h = parseMessage(raw).header;
        batch.push({
          interfaceName: 'bench',
          orderingKey: 'bench',
          sender: `${h.sendingApplication}|${h.sendingFacility}`,
          controlId: h.controlId,
          messageType: h.messageType,
          receivedAt: at,
          contentSha256: createHash('sha256').update(raw).digest('hex'),
          raw,
          ack: Buffer.from('ACK'),
          ackCode: 'AA',
        });
        if (batch.length === 1000) await repo.storeBatch(batch.splice(0));
      }
      await repo.storeBatch(batch);

      let t = performance.now();
      const applied = await new Applier({ store, tokenKey: KEY }).drain();
      apply.push(applied / ((performance.now() - t) / 1000));

      const releaseId = (await activeReleaseId(store))!;
      const release = (await loadRelease(store, releaseId))!;
      const periods = await listPeriods(store);
      const ctx = { ...(await staticContextFor(store, release, KEY)), periods, postedAt: at };
      for (const [threads, into] of [
        [0, replayOne],
        [availableParallelism(), replay],
      ] as const) {
        t = performance.now();
        const report = await runReplay({
          store,
          databaseUrl: db.url,
          releaseId,
          tokenKey: KEY,
          from: '0000',
          to: '9999',
          at,
          threads,
        });
        const changed = report.entries.changed + report.entries.added + report.entries.removed;
        if (changed !== 0) throw new Error(`replay under the active release found ${changed} differences`);
        if (report.messages !== n) throw new Error(`replay saw ${report.messages} of ${n} messages`);
        into.push(n / ((performance.now() - t) / 1000));
      }

      const messages = await processedMessagesBetween(store, '0000', '9999');
      t = performance.now();
      for (const m of messages) interpretStored(m, ctx);
      interpretOnly.push(messages.length / ((performance.now() - t) / 1000));
    } finally {
      await store.close();
      await db.drop();
    }
  }
  console.log(
    `apply  (drain)              ${fmt(median(apply))} msg/s median [${apply.map((x) => fmt(x)).join(', ')}]`,
  );
  console.log(
    `replay (read, re-derive, diff) ${fmt(median(replay))} msg/s median [${replay.map((x) => fmt(x)).join(', ')}] on ${availableParallelism()} threads; ${fmt(median(replayOne))} msg/s on this thread alone`,
  );
  console.log(
    `peer: parse + interpret only ${fmt(median(interpretOnly))} msg/s; apply is ${(median(apply) / median(interpretOnly)).toFixed(2)}x, replay ${(median(replay) / median(interpretOnly)).toFixed(2)}x of it`,
  );
}
