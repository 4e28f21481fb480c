/**
 * The apply stage on its own, in this process, on embedded SQLite: N generated DFT^P03 (5 FT1, demo
 * supply usage and charges) stored straight into the inbox of fresh books, then drained
 *   planned here:       Applier.drain() planning and writing each batch on this thread (the peer);
 *   planner thread:     the same with a PlannerThread planning batch n+1 while this thread writes n,
 *                       as the apply thread of `crosswalk serve` does on SQLite.
 * Each round drains both, in alternating order, each on its own fresh file. CPU is the process's, all
 * threads, per message.
 *
 *   npm run bench -- apply [--messages=N] [--rounds=N]
 */
import { Applier } from '../src/apply/index.ts';
import { PlannerThread } from '../src/apply/planner-thread.ts';
import { openStore } from '../src/store/index.ts';
import { demoBooks, storeGenerated } from './books.ts';
import { arg, freshDb } from './harness.ts';
import { fmt, median } from './stats.ts';

const KEY = Buffer.alloc(32, 9);
const BATCH = 500;

async function drainOnce(
  n: number,
  planned: boolean,
  round: number,
): Promise<{ rate: number; cpuMicros: number }> {
  const db = await freshDb('sqlite', `apply${round}`);
  // As the serving process's stores: the WAL checkpointed from a thread of its own.
  const store = await openStore(db.url, { poolMax: 4, walCheckpoints: 'background' });
  const planner = planned
    ? await PlannerThread.start({ databaseUrl: db.url, tokenKey: KEY, batchSize: BATCH })
    : null;
  try {
    await demoBooks(store);
    await storeGenerated(store, n, `A${round}${planned ? 'T' : 'H'}`, new Date().toISOString());
    const applier = new Applier({ store, tokenKey: KEY, batchSize: BATCH, ...(planner ? { planner } : {}) });
    const cpu = process.cpuUsage();
    const t = performance.now();
    const applied = await applier.drain();
    const seconds = (performance.now() - t) / 1000;
    const used = process.cpuUsage(cpu);
    if (applied !== n) throw new Error(`drained ${applied} of ${n} messages`);
    return { rate: n / seconds, cpuMicros: (used.user + used.system) / n };
  } finally {
    await planner?.stop();
    await store.close();
    await db.drop();
  }
}

export async function run(args: string[]): Promise<void> {
  const n = Number(arg(args, 'messages', '20000'));
  const rounds = Number(arg(args, 'rounds', '3'));
  console.log(`sqlite: ${fmt(n)} DFT^P03 (5 FT1) per drain, batches of ${BATCH}, ${rounds} round(s)`);
  const here: { rate: number; cpuMicros: number }[] = [];
  const threaded: { rate: number; cpuMicros: number }[] = [];
  for (let r = 0; r < rounds; r++) {
    // Alternating which goes first, so neither always runs on a machine the other just warmed or loaded.
    for (const planned of r % 2 === 0 ? [false, true] : [true, false]) {
      const x = await drainOnce(n, planned, r);
      (planned ? threaded : here).push(x);
      console.log(
        `  round ${r + 1}: ${planned ? 'planner thread' : 'planned here  '} ${fmt(x.rate)} msg/s, CPU ${fmt(x.cpuMicros)} µs/message`,
      );
    }
  }
  const rate = (xs: typeof here) => median(xs.map((x) => x.rate));
  const cpu = (xs: typeof here) => median(xs.map((x) => x.cpuMicros));
  console.log(
    `apply, planned here (peer)   ${fmt(rate(here))} msg/s median; CPU ${fmt(cpu(here))} µs/message`,
  );
  console.log(
    `apply, planner thread        ${fmt(rate(threaded))} msg/s median; CPU ${fmt(cpu(threaded))} µs/message; ${(rate(threaded) / rate(here)).toFixed(2)}x of the peer`,
  );
}
