/**
 * End to end: DFT^P03 (5 FT1, supply usage and charges of the demo health system) sent over MLLP with
 * 100 in flight to the real runtime in another process; the clock stops when every message is ACKed
 * after its durable commit AND applied: events stored, stock moved at moving-average cost, entries
 * posted. Reports per engine the median end-to-end rate over rounds, the ACK rate alone, and the
 * receiver's memory, and the receiver's CPU time per message over all its threads (on a shared 2-core
 * machine, where the sender runs too, 2 cores ÷ that figure bounds the rate), and on PostgreSQL the
 * server's CPU per message too (its processes, from /proc), which shares the same cores. Peer in the
 * same run: the durable ingest alone (ingest-server.ts), so the ratio shows what interpretation and
 * posting cost on top of storing.
 *
 * On Linux each round also prints the receiver's CPU per message by thread (from /proc): the main
 * thread, then the others busiest first (Node names none of them; on a busy receiver the planner and
 * apply threads lead, then V8's platform threads, the WAL checkpointer and libuv's pool).
 *
 * --warmup=N first sends N more messages to each receiver and waits until they are applied, then starts
 * the clock and the CPU count: the figure is then the sustained rate of a running receiver, not one
 * that is also compiling its hot code and filling its caches (a cold receiver's first 20,000 messages
 * carry a few seconds of V8's optimising compiler on its background threads).
 *
 *   npm run bench -- e2e [--engine=sqlite|postgres|both] [--messages=N] [--rounds=N] [--warmup=N]
 */
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { generateDemoHealthSystem, generateDftP03Batch } from '../src/demo/index.ts';
import {
  arg,
  ask,
  freshDb,
  procStatCpu,
  sendCountingAa,
  startReceiver,
  stopReceiver,
  withUniqueControlIds,
} from './harness.ts';
import { fmt, median } from './stats.ts';

interface Status {
  pending: number;
  rss: number;
}

interface Summary {
  /** The receiver's CPU time (all threads) from the first message sent to the summary. */
  cpuMicros: number;
  /** The same per thread, where the receiver can read it (Linux): its main thread, the rest by rank. */
  mainThreadMicros: number;
  otherThreadMicros: number[];
  applied: number;
  failed: number;
  entries: number;
}

/**
 * CPU time so far, in µs, of the processes named `postgres` on this machine (the server and its
 * backends), from /proc: on PostgreSQL the server shares the cores with the receiver and the sender, so
 * its part of a message belongs in the budget. Null where /proc cannot be read. A backend that exits
 * inside the window takes its time with it, which the receiver's pooled connections do not.
 */
function postgresMicros(): number | null {
  let total = 0;
  try {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      } catch {
        continue; // gone since the listing
      }
      const { name, micros } = procStatCpu(stat);
      if (name === 'postgres') total += micros;
    }
  } catch {
    return null;
  }
  return total;
}

/** Polls the receiver until its backlog is applied; returns the peak RSS seen. */
async function applied(proc: ChildProcess): Promise<number> {
  let peak = 0;
  for (;;) {
    const status = await ask<Status>(proc, 'status');
    peak = Math.max(peak, status.rss);
    if (status.pending === 0) return peak;
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function round(
  script: string,
  url: string,
  messages: Iterable<Buffer>,
  n: number,
  waitApplied: boolean,
  warmup: Iterable<Buffer> | null,
) {
  const receiver = await startReceiver(script, [url]);
  const proc: ChildProcess = receiver.child;
  try {
    let warmed = 0;
    if (warmup) {
      warmed = (await sendCountingAa(receiver.port, warmup, 100)).n;
      if (waitApplied) await applied(proc);
    }
    if (waitApplied) await ask(proc, 'mark');
    const started = performance.now();
    const server0 = postgresMicros();
    const senderCpu = process.cpuUsage();
    const sent = await sendCountingAa(receiver.port, messages, 100);
    const senderUsed = process.cpuUsage(senderCpu);
    if (sent.n !== n) throw new Error(`${n - sent.n} messages got no reply`);
    const peak = waitApplied ? await applied(proc) : 0;
    const seconds = (performance.now() - started) / 1000;
    const server1 = postgresMicros();
    let summary: Summary | undefined;
    if (waitApplied) {
      summary = await ask<Summary>(proc, 'summary');
      if (summary.failed > 0) throw new Error(`${summary.failed} messages failed to apply`);
      if (summary.applied !== n + warmed)
        throw new Error(`${summary.applied} of ${n + warmed} messages applied`);
    }
    return {
      seconds,
      ackSeconds: sent.seconds,
      senderMicros: senderUsed.user + senderUsed.system,
      serverMicros: server0 === null || server1 === null ? null : server1 - server0,
      status: summary,
      peak,
    };
  } finally {
    await stopReceiver(receiver);
  }
}

export async function run(args: string[]): Promise<void> {
  const engines = arg(args, 'engine', 'both');
  const n = Number(arg(args, 'messages', '20000'));
  const rounds = Number(arg(args, 'rounds', '3'));
  const warmup = Number(arg(args, 'warmup', '0'));
  const system = generateDemoHealthSystem({ seed: 42 });
  const templates = generateDftP03Batch(2000, 11, system);
  console.log(
    `${fmt(n)} DFT^P03 (5 FT1 each: demo supply usage and charges) per round, 100 in flight, ${rounds} rounds${warmup > 0 ? `; each receiver first sent ${fmt(warmup)} more, applied before the clock starts` : ''}`,
  );
  for (const engine of ['sqlite', 'postgres'] as const) {
    if (engines !== 'both' && engines !== engine) continue;
    const e2e: number[] = [];
    const cpu: number[] = [];
    const senderCpu: number[] = [];
    const serverCpu: number[] = [];
    const acks: number[] = [];
    const ingestOnly: number[] = [];
    let detail = '';
    for (let r = 0; r < rounds; r++) {
      const db = await freshDb(engine, `a${r}`);
      try {
        const res = await round(
          './e2e-server.ts',
          db.url,
          withUniqueControlIds(templates, n, `E${r}`),
          n,
          true,
          warmup > 0 ? withUniqueControlIds(templates, warmup, `W${r}`) : null,
        );
        e2e.push(n / res.seconds);
        cpu.push(res.status!.cpuMicros / n);
        senderCpu.push(res.senderMicros / n);
        if (engine === 'postgres' && res.serverMicros !== null) serverCpu.push(res.serverMicros / n);
        acks.push(n / res.ackSeconds);
        detail = `${fmt(res.status!.entries)} entries posted${warmup > 0 ? ' (the warm-up’s included)' : ''}, receiver peak RSS ${fmt(res.peak / 2 ** 20)} MB`;
        const { mainThreadMicros, otherThreadMicros } = res.status!;
        if (otherThreadMicros.length > 0)
          // Unnamed threads by rank: on a busy receiver the planner and apply threads lead, then V8's
          // platform threads (garbage collection, compilation), the WAL checkpointer and libuv's pool.
          console.log(
            `  round ${r + 1} ${engine}: ${fmt(n / res.seconds)} msg/s; receiver CPU per message by thread: main ${fmt(mainThreadMicros / n)} µs; the others, busiest first, ${otherThreadMicros
              .filter((us) => us / n >= 1)
              .map((us) => fmt(us / n))
              .join(', ')} µs`,
          );
      } finally {
        await db.drop();
      }
      const db2 = await freshDb(engine, `b${r}`);
      try {
        const res = await round(
          './ingest-server.ts',
          db2.url,
          withUniqueControlIds(templates, n, `E${r}`),
          n,
          false,
          warmup > 0 ? withUniqueControlIds(templates, warmup, `W${r}`) : null,
        );
        ingestOnly.push(n / res.seconds);
      } finally {
        await db2.drop();
      }
    }
    const rate = median(e2e);
    console.log(
      `${engine.padEnd(8)} end to end ${fmt(rate)} msg/s median [${e2e.map((x) => fmt(x)).join(', ')}] ` +
        `(ACKs alone ${fmt(median(acks))} msg/s); receiver CPU ${fmt(median(cpu))} µs per message (all its threads)${serverCpu.length > 0 ? `, the PostgreSQL server ${fmt(median(serverCpu))} µs` : ''}, sender ${fmt(median(senderCpu))} µs (generating and sending, on the same cores); ${detail}; ` +
        `peer durable ingest without posting ${fmt(median(ingestOnly))} msg/s, ratio ${(rate / median(ingestOnly)).toFixed(2)}`,
    );
  }
}
