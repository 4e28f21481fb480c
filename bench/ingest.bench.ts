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
import { generateDftP03Batch } from '../src/demo/index.ts';
import {
  arg,
  ask,
  freshDb,
  sendCountingAa,
  startReceiver,
  stopReceiver,
  withUniqueControlIds,
} from './harness.ts';
import { fmt, median } from './stats.ts';

const TEMPLATES = 2000;

async function medplumPeer(templates: readonly string[], n: number): Promise<number> {
  const server = await startReceiver('./mllp-server.ts', ['medplum']);
  try {
    const r = await sendCountingAa(server.port, withUniqueControlIds(templates, n, 'P'), 1);
    return r.n / r.seconds;
  } finally {
    await stopReceiver(server);
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
        const server = await startReceiver('./ingest-server.ts', [db.url]);
        try {
          const before = await ask<{ rss: number }>(server.child, 'rss');
          let peak = before.rss;
          const sampler = setInterval(() => {
            void ask<{ rss: number }>(server.child, 'rss').then((m) => {
              peak = Math.max(peak, m.rss);
            });
          }, 1000);
          const res = await sendCountingAa(
            server.port,
            withUniqueControlIds(templates, n, `R${r}`),
            window,
            60_000,
          );
          clearInterval(sampler);
          const after = await ask<{ rss: number; batches: number; batched: number }>(server.child, 'rss');
          rates.push(res.n / res.seconds);
          rss.push(Math.max(peak, after.rss));
          batchInfo = `avg batch ${fmt(after.batched / Math.max(1, after.batches), 1)}`;
        } finally {
          await stopReceiver(server);
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
