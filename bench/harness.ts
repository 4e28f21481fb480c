/**
 * What the end-to-end benchmarks share: flags, fresh databases per round, receivers in child processes
 * (as in production, where the sender is another machine), and a sender that counts AA replies.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MllpClient } from '../src/mllp/index.ts';
import { testDatabaseUrl, testServerAdmin } from '../src/store/test-postgres-url.ts';

export function arg(args: string[], name: string, fallback: string): string {
  const hit = args.find((a) => a.startsWith(`--${name}=`));
  return hit ? hit.slice(name.length + 3) : fallback;
}

/**
 * The messages `templates` cycle through as a live feed would send them: each with its own MSH-10, so
 * every one is new to the inbox, and a message time (MSH-7) that moves forward one second every 100
 * messages from 2026-11-25 06:00 (a cycled template's own MSH-7 would make a day repeat every 2,000
 * messages, which no sender does). Event times come from EVN-2 and FT1, so the postings are unchanged.
 */
export function* withUniqueControlIds(
  templates: readonly string[],
  n: number,
  tag: string,
): Generator<Buffer> {
  const start = Date.UTC(2026, 10, 25, 6, 0, 0);
  for (let i = 0; i < n; i++) {
    const t = templates[i % templates.length]!;
    let at7 = 0;
    for (let f = 0; f < 6; f++) at7 = t.indexOf('|', at7) + 1;
    const end7 = t.indexOf('|', at7);
    let at10 = end7;
    for (let f = 0; f < 3; f++) at10 = t.indexOf('|', at10) + 1;
    const end10 = t.indexOf('|', at10);
    const time = new Date(start + Math.floor(i / 100) * 1000)
      .toISOString()
      .replace(/[-:T]/g, '')
      .slice(0, 14);
    yield Buffer.from(
      `${t.slice(0, at7)}${time}${t.slice(end7, at10)}${tag}N${i}${t.slice(end10)}`,
      'latin1',
    );
  }
}

export interface Receiver {
  readonly child: ChildProcess;
  readonly port: number;
}

/** Forks a receiver script (relative to bench/), which reports its MLLP port over IPC when ready. */
export function startReceiver(script: string, args: string[]): Promise<Receiver> {
  return new Promise((resolve, reject) => {
    const child = fork(new URL(script, import.meta.url).pathname, args, {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.once('message', (m) => resolve({ child, port: (m as { port: number }).port }));
    child.once('exit', (code) => reject(new Error(`${script} exited ${code}`)));
  });
}

export function ask<T>(child: ChildProcess, what: string): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as T));
    child.send(what);
  });
}

export async function stopReceiver(r: Receiver): Promise<void> {
  const exited = new Promise((done) => r.child.once('exit', done));
  r.child.send('stop');
  await exited;
}

/** Sends over one connection with `window` in flight; throws unless every reply is AA. */
export async function sendCountingAa(
  port: number,
  messages: Iterable<Buffer>,
  window: number,
  timeoutMs = 120_000,
): Promise<{ n: number; seconds: number }> {
  const client = new MllpClient({ maxInFlight: window });
  await client.connect({ host: '127.0.0.1', port });
  let n = 0;
  let bad = 0;
  const r = await client.sendAll(messages, {
    window,
    timeoutMs,
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

export interface BenchDb {
  readonly url: string;
  drop(): Promise<void>;
}

/** A new SQLite file, or a new PostgreSQL database next to the test one; `drop` removes it. */
export async function freshDb(engine: 'sqlite' | 'postgres', tag: string): Promise<BenchDb> {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'cw-bench-'));
    return { url: join(dir, 'bench.db'), drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `cw_bench_${process.pid}_${tag}`;
  await testServerAdmin(`DROP DATABASE IF EXISTS ${name}`);
  await testServerAdmin(`CREATE DATABASE ${name}`);
  return {
    url: testDatabaseUrl(name),
    drop: () => testServerAdmin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

/**
 * A Linux `/proc/<pid>[/task/<tid>]/stat` line's command name and CPU time so far (utime + stime, in
 * clock ticks of 10 ms, USER_HZ 100) in µs. The name is read between the first '(' and the last ')',
 * as it may itself hold spaces or parentheses.
 */
export function procStatCpu(stat: string): { name: string; micros: number } {
  const close = stat.lastIndexOf(')');
  const fields = stat.slice(close + 2).split(' ');
  return {
    name: stat.slice(stat.indexOf('(') + 1, close),
    micros: (Number(fields[11]) + Number(fields[12])) * 10_000,
  };
}
