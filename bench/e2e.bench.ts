/**
 * End to end: DFT^P03 (5 FT1, supply usage and charges of the demo health system) sent over MLLP with
 * 100 in flight to the real runtime in another process; the clock stops when every message is ACKed
 * after its durable commit AND applied: events stored, stock moved at moving-average cost, entries
 * posted. Reports per engine the median end-to-end rate over rounds, the ACK rate alone, and the
 * receiver's memory. Peer in the same run: the durable ingest alone (ingest-server.ts), so the ratio
 * shows what interpretation and posting cost on top of storing.
 *
 *   npm run bench -- e2e [--engine=sqlite|postgres|both] [--messages=N] [--rounds=N]
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { generateDemoHealthSystem, generateDftP03Batch } from '../src/demo/index.ts';
import { MllpClient } from '../src/mllp/index.ts';
import { TEST_POSTGRES_URL } from '../src/store/test-engines.ts';
import { fmt, median } from './stats.ts';

function arg(args: string[], name: string, fallback: string): string {
  const hit = args.find((a) => a.startsWith(`--${name}=`));
  return hit ? hit.slice(name.length + 3) : fallback;
}

function* unique(templates: readonly string[], n: number, round: number): Generator<Buffer> {
  for (let i = 0; i < n; i++) {
    const t = templates[i % templates.length]!;
    let at = 0;
    for (let f = 0; f < 9; f++) at = t.indexOf('|', at) + 1;
    const end = t.indexOf('|', at);
    yield Buffer.from(`${t.slice(0, at)}E${round}N${i}${t.slice(end)}`, 'latin1');
  }
}

function child(script: string, args: string[]): Promise<{ proc: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const proc = fork(new URL(script, import.meta.url).pathname, args, {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    proc.once('message', (m) => resolve({ proc, port: (m as { port: number }).port }));
    proc.once('exit', (code) => reject(new Error(`${script} exited ${code}`)));
  });
}

function ask<T>(proc: ChildProcess, what: string): Promise<T> {
  return new Promise((resolve) => {
    proc.once('message', (m) => resolve(m as T));
    proc.send(what);
  });
}

async function stop(proc: ChildProcess): Promise<void> {
  const exited = new Promise((r) => proc.once('exit', r));
  proc.send('stop');
  await exited;
}

async function freshDb(engine: 'sqlite' | 'postgres', tag: string): Promise<{ url: string; drop: () => Promise<void> }> {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'cw-e2e-'));
    return { url: join(dir, 'e2e.db'), drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `cw_e2e_${process.pid}_${tag}`;
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`DROP DATABASE IF EXISTS ${name}`);
  await admin(`CREATE DATABASE ${name}`);
  const u = new URL(TEST_POSTGRES_URL);
  u.pathname = `/${name}`;
  return { url: u.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

async function send(port: number, messages: Iterable<Buffer>): Promise<{ acked: number; seconds: number }> {
  const client = new MllpClient({ maxInFlight: 100 });
  await client.connect({ host: '127.0.0.1', port });
  let acked = 0;
  const r = await client.sendAll(messages, {
    window: 100,
    timeoutMs: 120_000,
    onReply: (reply) => {
      const at = reply.indexOf('MSA|');
      if (at >= 0 && reply.toString('latin1', at + 4, at + 6) === 'AA') acked++;
    },
  });
  await client.close();
  return { acked, seconds: r.elapsedMs / 1000 };
}

interface Status {
  pending: number;
  applied: number;
  failed: number;
  entries: number;
  rss: number;
}

async function round(script: string, url: string, messages: Iterable<Buffer>, n: number, waitApplied: boolean) {
  const { proc, port } = await child(script, [url]);
  try {
    const started = performance.now();
    const sent = await send(port, messages);
    if (sent.acked !== n) throw new Error(`${n - sent.acked} messages were not acknowledged AA`);
    let status: Status | undefined;
    let peak = 0;
    if (waitApplied) {
      for (;;) {
        status = await ask<Status>(proc, 'status');
        peak = Math.max(peak, status.rss);
        if (status.pending === 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      if (status.failed > 0) throw new Error(`${status.failed} messages failed to apply`);
    }
    return { seconds: (performance.now() - started) / 1000, ackSeconds: sent.seconds, status, peak };
  } finally {
    await stop(proc);
  }
}

export async function run(args: string[]): Promise<void> {
  const engines = arg(args, 'engine', 'both');
  const n = Number(arg(args, 'messages', '20000'));
  const rounds = Number(arg(args, 'rounds', '3'));
  const system = generateDemoHealthSystem({ seed: 42 });
  const templates = generateDftP03Batch(2000, 11, system);
  console.log(`${fmt(n)} DFT^P03 (5 FT1 each: demo supply usage and charges) per round, 100 in flight, ${rounds} rounds`);
  for (const engine of ['sqlite', 'postgres'] as const) {
    if (engines !== 'both' && engines !== engine) continue;
    const e2e: number[] = [];
    const acks: number[] = [];
    const ingestOnly: number[] = [];
    let detail = '';
    for (let r = 0; r < rounds; r++) {
      const db = await freshDb(engine, `a${r}`);
      try {
        const res = await round('./e2e-server.ts', db.url, unique(templates, n, r), n, true);
        e2e.push(n / res.seconds);
        acks.push(n / res.ackSeconds);
        detail = `${fmt(res.status!.entries)} entries posted, receiver peak RSS ${fmt(res.peak / 2 ** 20)} MB`;
      } finally {
        await db.drop();
      }
      const db2 = await freshDb(engine, `b${r}`);
      try {
        const res = await round('./ingest-server.ts', db2.url, unique(templates, n, r), n, false);
        ingestOnly.push(n / res.seconds);
      } finally {
        await db2.drop();
      }
    }
    const rate = median(e2e);
    console.log(
      `${engine.padEnd(8)} end to end ${fmt(rate)} msg/s median [${e2e.map((x) => fmt(x)).join(', ')}] ` +
        `(ACKs alone ${fmt(median(acks))} msg/s); ${detail}; ` +
        `peer durable ingest without posting ${fmt(median(ingestOnly))} msg/s, ratio ${(rate / median(ingestOnly)).toFixed(2)}`,
    );
  }
}
