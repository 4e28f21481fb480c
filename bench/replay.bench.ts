/**
 * The apply stage and replay on their own, in this process, on embedded SQLite (or PostgreSQL):
 * N generated DFT^P03 (5 FT1, demo supply usage and charges) stored straight into the inbox, then
 *   apply:  Applier.drain() — interpret, value stock, journalize, write everything, move the cursor;
 *   replay: re-interpret all N under the active release and diff against the books (read-only), on
 *           one thread and on one thread per core.
 * Peer in the same run: parsing and interpretation alone over the same messages, the floor under both.
 * Phases (single thread, the first --sample messages, in the replay's windows of REPLAY_WINDOW ids):
 * reading messages, reading posted facts, and the diff (re-interpretation included), so a change can be
 * placed; their floor (the reads and the peer, nothing else) bounds what any replay can reach here.
 *
 *   npm run bench -- replay [--engine=sqlite|postgres] [--messages=N] [--rounds=N] [--reuse=PATH]
 *                           [--threads=0,2] [--sample=N] [--build-only]
 *
 * --reuse=PATH (SQLite): the books are built once into PATH (its raw key ring beside it, PATH.keys.json,
 * and what was built, PATH.meta.json, written only once the drain finished) and later runs with the same
 * --messages replay that file instead of building again (after any migration added since); apply is
 * then not measured. A million applied messages take some 20 GB (about 20 KB a message, a tenth of it
 * the body) and the drain's time to set up (10 to 30 minutes at its 650 to 2,000 msg/s on this machine),
 * so the million is built once and replayed many times; --build-only builds and stops.
 */
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { staticContextFor } from '../src/apply/applier.ts';
import { Applier } from '../src/apply/index.ts';
import { interpretStored } from '../src/apply/plan.ts';
import { replayDiff } from '../src/apply/replay.ts';
import { pageOf, REPLAY_WINDOW, runReplay } from '../src/apply/replay-run.ts';
import { migrate, openStore, type Store } from '../src/store/index.ts';
import { activeReleaseId, listPeriods, loadRelease } from '../src/store/posting-repository.ts';
import { postedFactsFor, processedIdRange, processedMessagesIn } from '../src/store/replay-repository.ts';
import { demoBooks, storeGenerated } from './books.ts';
import { arg, type BenchDb, freshDb } from './harness.ts';
import { fmt, median } from './stats.ts';

const KEY = Buffer.alloc(32, 9);

interface Built {
  readonly messages: number;
  readonly at: string;
  readonly builtAt: string;
  readonly applyMsgPerSec: number;
}

/** Stores n generated messages in the inbox and drains them; returns the drain's rate. */
async function build(store: Store, n: number, tag: string, at: string): Promise<number> {
  await demoBooks(store);
  const applier = new Applier({ store, tokenKey: KEY });
  let applied = 0;
  let applySeconds = 0;
  const drain = async () => {
    const t = performance.now();
    applied += await applier.drain();
    applySeconds += (performance.now() - t) / 1000;
  };
  // Stored and drained in slices so a large build does not hold its whole inbox in flight.
  await storeGenerated(store, n, tag, at, async () => {
    await drain();
    console.log(`  built ${fmt(applied)} of ${fmt(n)}`);
  });
  await drain();
  if (applied !== n) throw new Error(`drained ${applied} of ${n} messages`);
  return applied / applySeconds;
}

/** The books to replay: reused from --reuse when built there before, else built now. */
async function books(
  engine: 'sqlite' | 'postgres',
  reuse: string | null,
  n: number,
  round: number,
): Promise<{ db: BenchDb; keys: string | undefined; built: Built; reused: boolean }> {
  if (reuse === null) {
    const db = await freshDb(engine, `replay${round}`);
    const at = new Date().toISOString();
    const store = await openStore(db.url, { poolMax: 4 });
    try {
      const rate = await build(store, n, `B${round}`, at);
      return {
        db,
        keys: undefined,
        reused: false,
        built: { messages: n, at, builtAt: at, applyMsgPerSec: rate },
      };
    } finally {
      await store.close();
    }
  }
  if (engine !== 'sqlite') throw new Error('--reuse is for SQLite files');
  const keys = `${reuse}.keys.json`;
  const meta = `${reuse}.meta.json`;
  const keep: BenchDb = { url: reuse, drop: async () => undefined };
  if (existsSync(meta)) {
    const built = JSON.parse(readFileSync(meta, 'utf8')) as Built;
    if (built.messages === n) {
      const store = await openStore(reuse, { poolMax: 4, rawKeyRingFile: keys });
      try {
        await migrate(store);
      } finally {
        await store.close();
      }
      return { db: keep, keys, built, reused: true };
    }
    throw new Error(
      `${reuse} holds ${built.messages} messages, not ${n}; remove it or pass --messages=${built.messages}`,
    );
  }
  // An unfinished build (no meta) is not trusted: start over.
  for (const f of [reuse, `${reuse}-wal`, `${reuse}-shm`, keys]) rmSync(f, { force: true });
  const at = new Date().toISOString();
  const store = await openStore(reuse, { poolMax: 4, rawKeyRingFile: keys });
  try {
    const rate = await build(store, n, 'R', at);
    const built: Built = { messages: n, at, builtAt: new Date().toISOString(), applyMsgPerSec: rate };
    writeFileSync(meta, JSON.stringify(built));
    return { db: keep, keys, built, reused: false };
  } finally {
    await store.close();
  }
}

export async function run(args: string[]): Promise<void> {
  const engine = arg(args, 'engine', 'sqlite') as 'sqlite' | 'postgres';
  const n = Number(arg(args, 'messages', '10000'));
  const rounds = Number(arg(args, 'rounds', '3'));
  const reuse = arg(args, 'reuse', '') || null;
  const threadCounts = arg(args, 'threads', `0,${availableParallelism()}`).split(',').map(Number);
  const sample = Math.min(n, Number(arg(args, 'sample', '20000')));
  console.log(
    `${engine}: ${fmt(n)} DFT^P03 (5 FT1), ${rounds} round(s)${reuse ? `, books reused from ${reuse} when built` : ''}; load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  const apply: number[] = [];
  const replay = new Map<number, number[]>(threadCounts.map((t) => [t, []]));
  const interpretOnly: number[] = [];
  const phases = { messages: [] as number[], facts: [] as number[], diff: [] as number[] };
  if (reuse && args.includes('--build-only')) {
    const { built, reused } = await books(engine, reuse, n, 0);
    console.log(
      `${reused ? 'already built' : 'built'}: ${reuse}, ${fmt(built.messages)} messages, drain ${fmt(built.applyMsgPerSec)} msg/s`,
    );
    return;
  }
  for (let r = 0; r < rounds; r++) {
    const { db, keys, built, reused } = await books(engine, reuse, n, r);
    if (reused) {
      if (r === 0)
        console.log(
          `reused ${reuse} (${fmt(built.messages)} messages, built ${built.builtAt}, its drain ${fmt(built.applyMsgPerSec)} msg/s); apply not measured`,
        );
    } else apply.push(built.applyMsgPerSec);
    const store = await openStore(db.url, { poolMax: 4, ...(keys ? { rawKeyRingFile: keys } : {}) });
    if (reuse && r === 0)
      console.log(
        `database ${fmt(statSync(reuse).size / 2 ** 20)} MiB (${fmt(statSync(reuse).size / n)} bytes/message)`,
      );
    try {
      const releaseId = (await activeReleaseId(store))!;
      for (const threads of threadCounts) {
        const t = performance.now();
        const c0 = process.cpuUsage();
        const report = await runReplay({
          store,
          databaseUrl: db.url,
          releaseId,
          tokenKey: KEY,
          from: '0000',
          to: '9999',
          at: built.at,
          threads,
        });
        const seconds = (performance.now() - t) / 1000;
        const c1 = process.cpuUsage(c0);
        const cpuUs = (c1.user + c1.system) / n;
        const changed = report.entries.changed + report.entries.added + report.entries.removed;
        if (changed !== 0) throw new Error(`replay under the active release found ${changed} differences`);
        if (report.messages !== n) throw new Error(`replay saw ${report.messages} of ${n} messages`);
        replay.get(threads)!.push(n / seconds);
        console.log(
          `  round ${r + 1}: replay on ${threads > 1 ? `${threads} threads` : 'this thread'} ${fmt(n / seconds)} msg/s (${seconds.toFixed(1)} s; CPU ${fmt(cpuUs)} µs/message over all threads, ${((cpuUs * n) / 1e6 / seconds).toFixed(2)} cores busy)`,
        );
      }

      // Phases and the peer, on this thread, over the first `sample` messages page by page.
      const release = (await loadRelease(store, releaseId))!;
      const periods = await listPeriods(store);
      const ctx = { ...(await staticContextFor(store, release, KEY)), periods, postedAt: built.at };
      const range = (await processedIdRange(store, '0000', '9999'))!;
      // In the windows a replay page is read and diffed in (REPLAY_WINDOW), so the phases are its own.
      const plan = {
        from: '0000',
        to: '9999',
        ...range,
        pageSize: REPLAY_WINDOW,
        pages: Math.ceil(sample / REPLAY_WINDOW),
      };
      let seen = 0;
      const ms = { messages: 0, facts: 0, diff: 0, interpret: 0 };
      const cpu = () => {
        const c = process.cpuUsage();
        return (c.user + c.system) / 1000;
      };
      for (let k = 0; k < plan.pages; k++) {
        const page = pageOf(plan, k);
        let t = cpu();
        const messages = await processedMessagesIn(store, '0000', '9999', page.firstId, page.lastId);
        ms.messages += cpu() - t;
        t = cpu();
        const posted = await postedFactsFor(store, page.firstId, page.lastId);
        ms.facts += cpu() - t;
        t = cpu();
        replayDiff(messages, ctx, posted, periods);
        ms.diff += cpu() - t;
        t = performance.now();
        for (const m of messages) interpretStored(m, ctx);
        ms.interpret += performance.now() - t;
        seen += messages.length;
      }
      interpretOnly.push(seen / (ms.interpret / 1000));
      phases.messages.push((ms.messages * 1000) / seen);
      phases.facts.push((ms.facts * 1000) / seen);
      phases.diff.push((ms.diff * 1000) / seen);
    } finally {
      await store.close();
      await db.drop();
    }
  }
  const peer = median(interpretOnly);
  if (apply.length > 0)
    console.log(
      `apply  (drain)              ${fmt(median(apply))} msg/s median [${apply.map((x) => fmt(x)).join(', ')}]; ${(median(apply) / peer).toFixed(2)}x of the peer`,
    );
  for (const [threads, rates] of replay)
    console.log(
      `replay (read, re-derive, diff) ${fmt(median(rates))} msg/s median [${rates.map((x) => fmt(x)).join(', ')}] on ${threads > 1 ? `${threads} threads` : 'this thread alone'}; ${(median(rates) / peer).toFixed(2)}x of the peer`,
    );
  console.log(
    `peer: parse + interpret only ${fmt(peer)} msg/s median (first ${fmt(sample)} messages, this thread)`,
  );
  const us = (xs: number[]) => `${fmt(median(xs), 1)} µs`;
  console.log(
    `phases, CPU per message (this thread, first ${fmt(sample)}): read messages ${us(phases.messages)}, read posted facts ${us(phases.facts)}, re-derive + diff ${us(phases.diff)} (of which parse + interpret ≈ ${fmt(1e6 / peer, 1)} µs wall)`,
  );
  // What no replay can skip (reading the messages and what they posted, parsing and interpreting them)
  // with nothing else: the rate it allows on every core of this machine, were the threads free.
  const floor = median(phases.messages) + median(phases.facts) + 1e6 / peer;
  console.log(
    `floor: read messages + read posted facts + parse + interpret ${fmt(floor, 1)} µs/message, at most ${fmt((availableParallelism() * 1e6) / floor)} msg/s on ${availableParallelism()} cores with no planning or diff`,
  );
  console.log(
    `load average at the end ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
}
