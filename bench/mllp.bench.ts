/**
 * MLLP throughput: one connection, ~1.7 KB messages, a fixed small ACK per message.
 *
 *   pipelined     100 messages in flight (`sendAll` window 100), 50,000 messages per round
 *   one-at-a-time window 1, 5,000 messages per round (classic MLLP sender)
 *
 * Each listener runs in its own child process (bench/mllp-server.ts); the client is ours for every
 * listener, so the figures compare listeners. Rounds are interleaved across listeners so machine noise
 * hits them alike; we print the median msg/s over rounds and ratios against @medplum/hl7 measured in
 * this same run. Options: --rounds=N --messages=N --serial-messages=N.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MllpClient } from '../src/mllp/index.ts';
import { fmt, median } from './stats.ts';

type Impl = 'crosswalk' | 'crosswalk-parse' | 'medplum';
const IMPLS: readonly Impl[] = ['crosswalk', 'crosswalk-parse', 'medplum'];

function intArg(args: string[], name: string, fallback: number): number {
  const a = args.find((x) => x.startsWith(`--${name}=`));
  const v = a ? Number(a.slice(name.length + 3)) : fallback;
  return Number.isSafeInteger(v) && v > 0 ? v : fallback;
}

/** A DFT^P03 of about 1.7 KB with a distinct control id; made-up data, no real patient. */
function message(i: number): Buffer {
  const id = String(i).padStart(8, '0');
  const segs = [
    `MSH|^~\\&|EPIC|HOSP|CROSSWALK|ERP|20240101120000||DFT^P03^DFT_P03|MSG${id}|P|2.5.1|||AL|NE`,
    'EVN|P03|20240101120000',
    `PID|1||MRN${id}^^^HOSP^MR||TESTPATIENT^ALEX^Q||19800101|U|||1 TEST ST^^TESTVILLE^ST^00000`,
    `PV1|1|O|OR^01^01^MAIN||||1234567890^SURGEON^SAM^^^^MD|||SUR||||||||V${id}|||||||||||||||||||||||||20240101`,
  ];
  for (let n = 1; n <= 9; n++) {
    segs.push(
      `FT1|${n}|||20240101113000|20240101113000|CG|SUP${1000 + n}^SUTURE KIT ${n}^LOCAL|||1|125.00^USD|` +
        `||||OR01^OPERATING ROOM 1||||||1234567890^SURGEON^SAM|||||UDI0${n}${id}`,
    );
  }
  return Buffer.from(`${segs.join('\r')}\r`, 'latin1');
}

interface Server {
  readonly impl: Impl;
  readonly port: number;
  readonly child: ChildProcess;
}

function startServer(impl: Impl): Promise<Server> {
  const script = fileURLToPath(new URL('./mllp-server.ts', import.meta.url));
  const child = fork(script, [impl], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${impl} server did not start`)), 20_000);
    child.once('message', (m: unknown) => {
      clearTimeout(timer);
      resolve({ impl, port: (m as { port: number }).port, child });
    });
    child.once('exit', (code) => reject(new Error(`${impl} server exited (${code})`)));
  });
}

function stopServer(s: Server): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => s.child.kill('SIGKILL'), 5000);
    s.child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    s.child.send('stop');
  });
}

/** One round on a fresh connection; msg/s, or the error that stopped it. */
async function round(port: number, pool: readonly Buffer[], count: number, window: number): Promise<number> {
  const client = new MllpClient({ maxInFlight: window });
  await client.connect({ host: '127.0.0.1', port, timeoutMs: 5000 });
  function* payloads(): Generator<Buffer> {
    for (let i = 0; i < count; i++) yield pool[i % pool.length]!;
  }
  try {
    let replies = 0;
    const { elapsedMs } = await client.sendAll(payloads(), {
      window,
      timeoutMs: 5000,
      onReply: () => {
        replies++;
      },
    });
    if (replies !== count) throw new Error(`${replies} replies for ${count} messages`);
    return count / (elapsedMs / 1000);
  } finally {
    await client.close();
  }
}

export async function run(args: string[]): Promise<void> {
  const rounds = intArg(args, 'rounds', 5);
  const pipelinedCount = intArg(args, 'messages', 50_000);
  const serialCount = intArg(args, 'serial-messages', 5_000);
  const pool = Array.from({ length: 1000 }, (_, i) => message(i));
  const avg = pool.reduce((n, p) => n + p.length, 0) / pool.length;
  console.log(
    `payload ~${fmt(avg)} bytes; ${rounds} rounds; listeners in child processes; client: MllpClient`,
  );

  const servers = await Promise.all(IMPLS.map(startServer));
  const scenarios = [
    { name: 'pipelined (100 in flight)', window: 100, count: pipelinedCount },
    { name: 'one-at-a-time', window: 1, count: serialCount },
  ];
  try {
    for (const sc of scenarios) {
      const rates = new Map<Impl, number[]>(IMPLS.map((i) => [i, []]));
      const failed = new Map<Impl, string>();
      // Warm-up (JIT, socket buffers), not counted.
      for (const s of servers) {
        await round(s.port, pool, Math.min(sc.count, 2000), sc.window).catch((e: unknown) => {
          failed.set(s.impl, e instanceof Error ? e.message : String(e));
        });
      }
      for (let r = 0; r < rounds; r++) {
        for (const s of servers) {
          if (failed.has(s.impl)) continue;
          try {
            rates.get(s.impl)!.push(await round(s.port, pool, sc.count, sc.window));
          } catch (e) {
            failed.set(s.impl, e instanceof Error ? e.message : String(e));
          }
        }
      }
      console.log(`\n${sc.name}, ${fmt(sc.count)} messages per round`);
      for (const impl of IMPLS) {
        const xs = rates.get(impl)!;
        if (failed.has(impl)) console.log(`  ${impl.padEnd(16)} FAILED: ${failed.get(impl)}`);
        else {
          const lo = Math.min(...xs);
          const hi = Math.max(...xs);
          console.log(
            `  ${impl.padEnd(16)} ${fmt(median(xs)).padStart(9)} msg/s  (min ${fmt(lo)}, max ${fmt(hi)})`,
          );
        }
      }
      const m = (i: Impl): number => (failed.has(i) ? Number.NaN : median(rates.get(i)!));
      if (!failed.has('medplum')) {
        console.log(`  ratio crosswalk / medplum:        ${fmt(m('crosswalk') / m('medplum'), 2)}x`);
        console.log(`  ratio crosswalk-parse / medplum:  ${fmt(m('crosswalk-parse') / m('medplum'), 2)}x`);
      } else {
        console.log('  no ratio: the @medplum/hl7 listener could not complete this scenario (see above)');
      }
    }
  } finally {
    await Promise.all(servers.map(stopServer));
  }
}
