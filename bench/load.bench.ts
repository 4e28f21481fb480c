/**
 * Sustained load: DFT^P03 (5 FT1: demo supply usage and charges) over MLLP at a fixed rate for minutes
 * into the real runtime in another process (load-server.ts), which posts and delivers journal batches
 * and requisitions over HTTP to a fake ERP in this process. Midway the ERP goes down for a while.
 *
 * Reports: achieved throughput; ACK latency p50/p99 (from each message's scheduled send time, so a
 * stalled receiver cannot hide behind a slowed sender); end-to-end latency p50/p99 from a message's send
 * to the ERP receiving the journal document that carries it, outside the outage; the receiver's resident
 * memory at start and end and its slope (least squares over samples every 5 s, first minute excluded as
 * warm-up when the run is long enough); and the backlog drain after the outage (what waited when the ERP
 * came back, and how fast it cleared while traffic kept arriving).
 *
 *   npm run bench -- load [--engine=sqlite|postgres] [--rate=1000] [--minutes=10] [--outage=30]
 */

import { generateDemoHealthSystem, generateDftP03Batch } from '../src/demo/index.ts';
import { MllpClient } from '../src/mllp/index.ts';
import { startFakeErp } from '../src/outbox/test-erp.ts';
import { openStore } from '../src/store/index.ts';
import { arg, ask, freshDb, startReceiver, stopReceiver, withUniqueControlIds } from './harness.ts';
import { fmt, percentile } from './stats.ts';

interface Status {
  pending: number;
  waiting: { documents: number; messages: number };
  rss: number;
  at: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MB = 2 ** 20;

/** Least-squares slope of y over x. */
function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

export async function run(args: string[]): Promise<void> {
  const engine = arg(args, 'engine', 'sqlite') as 'sqlite' | 'postgres';
  const rate = Number(arg(args, 'rate', '1000'));
  const minutes = Number(arg(args, 'minutes', '10'));
  const seconds = minutes * 60;
  const outageS = Number(arg(args, 'outage', String(Math.min(30, Math.round(seconds / 6)))));
  const total = Math.round(rate * seconds);
  const outageAt = seconds / 2;
  console.log(
    `${engine}: ${fmt(rate)} msg/s of DFT^P03 (5 FT1) for ${minutes} min (${fmt(total)} messages), one MLLP connection; ERP down ${outageS} s from minute ${fmt(outageAt / 60, 1)}`,
  );

  const erp = await startFakeErp({ honoursIdempotencyKey: true });
  const db = await freshDb(engine, 'load');
  const receiver = await startReceiver('./load-server.ts', [db.url, erp.url]);
  const samples: Status[] = [];
  let stopSampling = false;
  let asking = Promise.resolve<Status | null>(null);
  const status = () => {
    asking = asking.then(() => ask<Status>(receiver.child, 'status'));
    return asking as Promise<Status>;
  };
  const sampler = (async () => {
    while (!stopSampling) {
      samples.push(await status());
      await sleep(5000);
    }
  })();

  const templates = generateDftP03Batch(2000, 11, generateDemoHealthSystem({ seed: 42 }));
  const messages = withUniqueControlIds(templates, total, 'L');
  const client = new MllpClient({ maxInFlight: 2000 });
  await client.connect({ host: '127.0.0.1', port: receiver.port });
  const scheduled = new Float64Array(total);
  const ackMs = new Float32Array(total).fill(Number.NaN);
  let replies = 0;
  let bad = 0;
  const inFlight = new Set<Promise<void>>();
  const t0 = performance.now();
  const wall0 = Date.now();
  let outage: { downAt: number; upAt: number; backlog: Status; drainMs: number } | null = null;
  const outageTask = (async () => {
    await sleep(outageAt * 1000);
    const downAt = Date.now();
    // What normally waits for the ERP (documents in flight between two polls), before the outage.
    const normal = Math.max(2, ...samples.filter((s) => s.at < downAt).map((s) => s.waiting.documents));
    await erp.down();
    await sleep(outageS * 1000);
    const backlog = await status();
    await erp.up();
    const upAt = Date.now();
    let drainMs = Number.POSITIVE_INFINITY;
    while (Date.now() - upAt < 300_000) {
      const s = await status();
      if (s.waiting.documents <= normal) {
        drainMs = s.at - upAt;
        break;
      }
      await sleep(250);
    }
    outage = { downAt, upAt, backlog, drainMs };
  })();

  let i = 0;
  while (i < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
    for (; i < due; i++) {
      const payload = messages.next().value as Buffer;
      const k = i;
      scheduled[k] = t0 + (k / rate) * 1000;
      const p = client
        .send(payload, { timeoutMs: 120_000, label: `L${k}` })
        .then((reply) => {
          ackMs[k] = performance.now() - scheduled[k]!;
          replies++;
          const at = reply.indexOf('MSA|');
          if (at < 0 || reply.toString('latin1', at + 4, at + 6) !== 'AA') bad++;
        })
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await sleep(5);
  }
  await Promise.all(inFlight);
  const sendSeconds = (performance.now() - t0) / 1000;
  await client.close();
  await outageTask;
  // Drained: applied, and every document at the ERP.
  const drainDeadline = Date.now() + 300_000;
  let last = await status();
  while ((last.pending > 0 || last.waiting.documents > 0) && Date.now() < drainDeadline) {
    await sleep(250);
    last = await status();
  }
  stopSampling = true;
  await sampler;
  samples.push(await status());
  await stopReceiver(receiver);

  // --- end to end: each message's send to the ERP receiving its journal document ------------------------
  const store = await openStore(db.url);
  const receivedAt = new Map<string, number>();
  for (const r of erp.requests)
    if (r.answered === '200' && !receivedAt.has(r.idempotencyKey)) receivedAt.set(r.idempotencyKey, r.at);
  const controlOf = new Map<bigint, number>();
  const rows = await store.query('SELECT id, control_id FROM inbound_messages');
  for (const r of rows) controlOf.set(BigInt(r['id'] as bigint), Number(String(r['control_id']).slice(2)));
  const lastDocAt = new Float64Array(total).fill(Number.NaN);
  for (const d of await store.query(
    "SELECT id, first_message_id, last_message_id FROM outbox_documents WHERE kind = 'journal-batch'",
  )) {
    const at = receivedAt.get(String(d['id']));
    if (at === undefined) continue;
    for (
      let id = BigInt(d['first_message_id'] as bigint);
      id <= BigInt(d['last_message_id'] as bigint);
      id++
    ) {
      const k = controlOf.get(id);
      if (k !== undefined && !(lastDocAt[k]! >= at)) lastDocAt[k] = at;
    }
  }
  await store.close();
  await erp.close();
  await db.drop();

  const o = outage as { downAt: number; upAt: number; backlog: Status; drainMs: number } | null;
  const steady: number[] = [];
  let missing = 0;
  for (let k = 0; k < total; k++) {
    const sentWall = wall0 + (scheduled[k]! - t0);
    if (Number.isNaN(lastDocAt[k]!)) {
      missing++;
      continue;
    }
    // Outside the outage and the drain that follows it (until the backlog was gone: see below).
    if (o && sentWall >= o.downAt - 5000 && sentWall <= o.upAt + o.drainMs) continue;
    steady.push(lastDocAt[k]! - sentWall);
  }
  const acks = [...ackMs].filter((x) => !Number.isNaN(x));
  console.log(
    `throughput ${fmt(replies / sendSeconds)} msg/s achieved (target ${fmt(rate)}), ${fmt(replies)} ACKs, ${bad} not AA`,
  );
  console.log(`ACK latency p50 ${fmt(percentile(acks, 50), 1)} ms, p99 ${fmt(percentile(acks, 99), 1)} ms`);
  console.log(
    `end to end (send → journal document at the ERP), outside the outage: p50 ${fmt(percentile(steady, 50))} ms, p99 ${fmt(percentile(steady, 99))} ms over ${fmt(steady.length)} messages${missing > 0 ? `; ${fmt(missing)} messages without a delivered journal document` : ''}`,
  );
  const warm = seconds >= 180 ? 60_000 : 0;
  const memory = samples.filter((s) => s.at - wall0 >= warm);
  const mbSlope = slope(
    memory.map((s) => (s.at - wall0) / 60_000),
    memory.map((s) => s.rss / MB),
  );
  console.log(
    `receiver RSS start ${fmt(memory[0]!.rss / MB)} MB, end ${fmt(memory.at(-1)!.rss / MB)} MB, peak ${fmt(Math.max(...samples.map((s) => s.rss)) / MB)} MB; slope ${mbSlope.toFixed(2)} MB/min (least squares over ${memory.length} samples${warm ? ', first minute excluded' : ''})`,
  );
  if (o) {
    const drainMs = o.drainMs;
    const b = o.backlog.waiting;
    console.log(
      `outage ${outageS} s: backlog at recovery ${fmt(b.documents)} documents covering ${fmt(b.messages)} messages; ` +
        (Number.isFinite(drainMs)
          ? `cleared in ${fmt(drainMs / 1000, 1)} s → ${fmt(b.messages / (drainMs / 1000))} msg/s of backlog drained on top of the ${fmt(rate)} msg/s still arriving`
          : 'not cleared before the end of the run'),
    );
  }
}
