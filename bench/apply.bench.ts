/**
 * The apply stage on its own, in this process, on embedded SQLite: N generated DFT^P03 (5 FT1, demo
 * supply usage and charges) stored straight into the inbox of fresh books, then drained
 *   planned here:       Applier.drain() planning and writing each batch on this thread (the peer);
 *   planner thread:     the same with a PlannerThread planning batch n+1 while this thread writes n,
 *                       as the apply thread of `crosswalk serve` does on SQLite.
 * Each round drains both, in alternating order, each on its own fresh file. CPU is the process's, all
 * threads, per message.
 * A third figure is a floor, not a peer: the statements alone. The batches a drain wrote are recorded
 * as the planner thread hands them over (Applier.recordBatch), then run again, batch by batch in a
 * transaction each, on a copy of the database as it was before the drain: what SQLite itself costs to
 * write what the messages post (the writing thread's checks and exceptions left out), with no reading,
 * interpreting or planning.
 *
 *   npm run bench -- apply [--messages=N] [--rounds=N] [--by-statement]
 *
 * --by-statement: the first round of the statements alone also times each statement, summed per table
 * (the commits are in the rate, not in these lines), so a change to the schema can be placed.
 */
import { copyFileSync } from 'node:fs';
import type { BatchPlanner, StaticContext } from '../src/apply/applier.ts';
import type { RecordedBatch } from '../src/apply/batch-plan.ts';
import { Applier } from '../src/apply/index.ts';
import { PlannerThread, SuccessivePlanner } from '../src/apply/planner-thread.ts';
import { openStore } from '../src/store/index.ts';
import { type RecordedStatement, replayStatements } from '../src/store/recording.ts';
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

/** A planner on this thread that keeps the statements of every batch it hands over. */
class KeepingPlanner implements BatchPlanner {
  readonly batches: RecordedStatement[][] = [];
  private readonly planner: SuccessivePlanner;
  constructor(applier: Applier) {
    this.planner = new SuccessivePlanner(applier);
  }
  async plan(key: string, after: boolean, base: StaticContext, at: string): Promise<RecordedBatch | null> {
    const recorded = await this.planner.next(key, after, base, at);
    if (recorded) this.batches.push([...recorded.recorded.effects]);
    return recorded;
  }
}

/** `INSERT INTO journal_lines`, `UPDATE apply_cursors`: a statement by what it does to which table. */
function statementName(sql: string): string {
  const m = /^\s*(INSERT INTO|UPDATE|DELETE FROM|WITH)\s+(\w+)/i.exec(sql);
  return m ? `${m[1]!.toUpperCase()} ${m[2]}` : sql.trim().slice(0, 40);
}

/** The statements a drain of n messages wrote, run again on a copy of the books from before it. */
async function statementsAlone(
  n: number,
  round: number,
  byStatement: boolean,
): Promise<{ rate: number; cpuMicros: number; batches: number }> {
  const db = await freshDb('sqlite', `floor${round}`);
  const copy = `${db.url}.before`;
  try {
    const setup = await openStore(db.url, { poolMax: 4 });
    await demoBooks(setup);
    await storeGenerated(setup, n, `F${round}`, new Date().toISOString());
    await setup.close();
    copyFileSync(db.url, copy);
    const store = await openStore(db.url, { poolMax: 4, walCheckpoints: 'background' });
    const keeping = new KeepingPlanner(new Applier({ store, tokenKey: KEY, batchSize: BATCH }));
    let entries: unknown;
    try {
      const applied = await new Applier({ store, tokenKey: KEY, batchSize: BATCH, planner: keeping }).drain();
      if (applied !== n) throw new Error(`drained ${applied} of ${n} messages`);
      entries = (await store.query('SELECT COUNT(*) AS n FROM journal_entries'))[0]?.['n'];
    } finally {
      await store.close();
    }
    const again = await openStore(copy, { poolMax: 4, walCheckpoints: 'background' });
    try {
      const cpu = process.cpuUsage();
      const t = performance.now();
      const cost = byStatement ? new Map<string, number>() : null;
      for (const statements of keeping.batches)
        await again.transaction(async (tx) => {
          if (!cost) return replayStatements(tx, statements);
          for (const st of statements) {
            const t0 = performance.now();
            await tx.execute(st.sql, st.params);
            const what = statementName(st.sql);
            cost.set(what, (cost.get(what) ?? 0) + performance.now() - t0);
          }
        });
      const seconds = (performance.now() - t) / 1000;
      const used = process.cpuUsage(cpu);
      // A batch the writer planned again (its state moved) was written otherwise than recorded.
      const same = (await again.query('SELECT COUNT(*) AS n FROM journal_entries'))[0]?.['n'];
      if (same !== entries) throw new Error(`the statements posted ${same} entries, the drain ${entries}`);
      for (const [what, ms] of [...(cost ?? [])].sort((x, y) => y[1] - x[1]))
        console.log(`    ${fmt((ms * 1000) / n).padStart(5)} µs/message  ${what}`);
      return { rate: n / seconds, cpuMicros: (used.user + used.system) / n, batches: keeping.batches.length };
    } finally {
      await again.close();
    }
  } finally {
    await db.drop();
  }
}

export async function run(args: string[]): Promise<void> {
  const n = Number(arg(args, 'messages', '20000'));
  const rounds = Number(arg(args, 'rounds', '3'));
  const byStatement = args.includes('--by-statement');
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
  // SQLite has one writer: the rate at which it runs these statements bounds any drain, on any number of cores.
  const floor: { rate: number; cpuMicros: number }[] = [];
  for (let r = 0; r < rounds; r++) {
    const x = await statementsAlone(n, r, byStatement && r === 0);
    floor.push(x);
    console.log(
      `  round ${r + 1}: the statements alone (${fmt(x.batches)} batches) ${fmt(x.rate)} msg/s, CPU ${fmt(x.cpuMicros)} µs/message`,
    );
  }
  console.log(
    `floor: the statements alone  ${fmt(rate(floor))} msg/s median (the most one writer can post); CPU ${fmt(cpu(floor))} µs/message, ${(cpu(floor) / cpu(here)).toFixed(2)} of the peer's`,
  );
}
