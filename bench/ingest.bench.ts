/**
 * Durable MLLP ingest: messages sent over a real socket to the real inbox in another process; a reply
 * counts only once the message is committed (WAL + synchronous=FULL on SQLite, synchronous_commit on
 * PostgreSQL). Reported per engine: median msg/s over rounds with 100 in flight and one at a time, and
 * the receiver's resident memory. Peer in the same run: @medplum/hl7's listener (no storage at all)
 * answering one message at a time, to show what durability costs relative to a non-durable engine.
 *
 *   npm run bench -- ingest [--engine=sqlite|postgres|both] [--messages=N] [--rounds=N]
 *   npm run bench -- ingest --engine=sqlite --messages=1000000 --rounds=1     (memory over 1M messages)
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { generateDftP03Batch } from '../src/demo/index.ts';
import { MllpClient } from '../src/mllp/index.ts';
import { TEST_POSTGRES_URL } from '../src/store/test-engines.ts';
import { fmt, median } from './stats.ts';

function arg(args: string[], name: string, fallback: string): string {
  const hit = args.find((a) => a.startsWith(`--${name}=`));
  return hit ? hit.slice(name.length + 3) : fallback;
}

const TEMPLATES = 2000;

/** Unique control ids on top of a few thousand generated DFT^P03s (about 1.8 KB, 5 FT1 each). */
function* payloads(templates: readonly string[], n: number, round: number): Generator<Buffer> {
  for (let i = 0; i < n; i++) {
    const t = templates[i % templates.length]!;
    // MSH-10 is the 10th field: rewrite it so every message is new to the inbox.
    const parts = t.split('|', 11);
    const head = parts.slice(0, 9).join('|').length;
    const idStart = head + 1;
    const idEnd = t.indexOf('|', idStart);
    yield Buffer.from(`${t.slice(0, idStart)}R${round}M${i}${t.slice(idEnd)}`, 'latin1');
  }
}

interface Server {
  child: ChildProcess;
  port: number;
}

function startChild(script: string, args: string[]): Promise<Server> {
  return new Promise((resolve, reject) => {
    const child = fork(new URL(script, import.meta.url).pathname, args, {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.once('message', (m) => resolve({ child, port: (m as { port: number }).port }));
    child.once('exit', (code) => reject(new Error(`${script} exited ${code}`)));
  });
}

function ask<T>(child: ChildProcess, what: string): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as T));
    child.send(what);
  });
}

async function stop(server: Server): Promise<void> {
  const exited = new Promise((r) => server.child.once('exit', r));
  server.child.send('stop');
  await exited;
}

async function sendAll(
  port: number,
  messages: Iterable<Buffer>,
  window: number,
): Promise<{ n: number; seconds: number }> {
  const client = new MllpClient({ maxInFlight: window });
  await client.connect({ host: '127.0.0.1', port });
  let n = 0;
  let bad = 0;
  const r = await client.sendAll(messages, {
    window,
    timeoutMs: 60_000,
    onReply: (reply) => {
      n++;
      // MSA-1 is the first field after "MSA|".
      const at = reply.indexOf('MSA|');
      if (at < 0 || reply.toString('latin1', at + 4, at + 6) !== 'AA') bad++;
    },
  });
  await client.close();
  if (bad > 0) throw new Error(`${bad} replies were not AA`);
  return { n, seconds: r.elapsedMs / 1000 };
}

interface Db {
  url: string;
  drop(): Promise<void>;
}

async function freshDb(engine: 'sqlite' | 'postgres', tag: string): Promise<Db> {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'cw-bench-'));
    return { url: join(dir, 'bench.db'), drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `cw_bench_${process.pid}_${tag}`;
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

async function medplumPeer(templates: readonly string[], n: number): Promise<number> {
  const server = await startChild('./mllp-server.ts', ['medplum']);
  try {
    const r = await sendAll(server.port, payloads(templates, n, 0), 1);
    return r.n / r.seconds;
  } finally {
    await stop(server);
  }
}

export async function run(args: string[]): Promise<void> {
  const engines = arg(args, 'engine', 'both');
  const messages = Number(arg(args, 'messages', '20000'));
  const rounds = Number(arg(args, 'rounds', '3'));
  const templates = generateDftP03Batch(TEMPLATES, 7);
  const avg = templates.reduce((a, t) => a + t.length, 0) / templates.length;
  console.log(
    `${fmt(messages)} DFT^P03 per round (avg ${fmt(avg)} bytes, 5 FT1), ${rounds} rounds, fresh database per round`,
  );

  const peerRates: number[] = [];
  for (let r = 0; r < rounds; r++) peerRates.push(await medplumPeer(templates, Math.min(messages, 10_000)));
  const peer = median(peerRates);
  console.log(`peer  @medplum/hl7 listener, no storage, one at a time: ${fmt(peer)} msg/s (median)`);

  for (const engine of ['sqlite', 'postgres'] as const) {
    if (engines !== 'both' && engines !== engine) continue;
    for (const window of [100, 1]) {
      const n = window === 1 ? Math.min(messages, 5000) : messages;
      const rates: number[] = [];
      const rss: number[] = [];
      let batchInfo = '';
      for (let r = 0; r < rounds; r++) {
        const db = await freshDb(engine, `${window}_${r}`);
        const server = await startChild('./ingest-server.ts', [db.url]);
        try {
          const before = await ask<{ rss: number }>(server.child, 'rss');
          let peak = before.rss;
          const sampler = setInterval(() => {
            void ask<{ rss: number }>(server.child, 'rss').then((m) => {
              peak = Math.max(peak, m.rss);
            });
          }, 1000);
          const res = await sendAll(server.port, payloads(templates, n, r), window);
          clearInterval(sampler);
          const after = await ask<{ rss: number; batches: number; batched: number }>(server.child, 'rss');
          rates.push(res.n / res.seconds);
          rss.push(Math.max(peak, after.rss));
          batchInfo = `avg batch ${fmt(after.batched / Math.max(1, after.batches), 1)}`;
        } finally {
          await stop(server);
          await db.drop();
        }
      }
      const rate = median(rates);
      console.log(
        `${engine.padEnd(8)} ${window === 1 ? 'one at a time ' : `${window} in flight`}: ${fmt(rate)} msg/s median ` +
          `[${rates.map((x) => fmt(x)).join(', ')}], ${batchInfo}, receiver peak RSS ${fmt(Math.max(...rss) / 2 ** 20)} MB, ` +
          `${(rate / peer).toFixed(2)}x the non-durable peer`,
      );
    }
  }
}
