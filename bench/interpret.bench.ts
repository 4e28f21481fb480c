/**
 * Reading and interpreting one stored message, on its own (no database): `interpretStored` over N
 * generated DFT^P03 (5 FT1: four supply lines and a charge) under the demo release, as the apply stage
 * and replay call it once the body is decrypted. Peer in the same run: `parseMessage` of the same bytes
 * plus the header read, the floor any interpretation stands on. The two alternate within each round so
 * neither always runs on a warmer heap; figures are µs per message, medians over rounds, of wall time and
 * of this process's CPU time (steadier on a shared machine: time spent waiting for a core is not counted).
 *
 *   npm run bench -- interpret [--messages=20000] [--rounds=7]
 */
import { interpretStored, type StoredMessage } from '../src/apply/plan.ts';
import { generateDemoHealthSystem, generateDftP03Batch } from '../src/demo/index.ts';
import { parseMessage } from '../src/hl7v2/index.ts';
import { createRelease, demoRelease } from '../src/mapping/index.ts';
import { arg, withUniqueControlIds } from './harness.ts';
import { fmt, median } from './stats.ts';

const KEY = Buffer.alloc(32, 9);

export async function run(args: string[]): Promise<void> {
  const n = Number(arg(args, 'messages', '20000'));
  const rounds = Number(arg(args, 'rounds', '7'));
  const system = generateDemoHealthSystem({ seed: 42 });
  const release = createRelease(demoRelease(system), 'bench');
  const templates = generateDftP03Batch(2000, 11, system);
  const at = '2026-11-25T06:00:00.000Z';
  const messages: StoredMessage[] = [];
  let id = 0n;
  for (const raw of withUniqueControlIds(templates, n, 'I')) {
    const h = parseMessage(raw).header;
    messages.push({
      id: ++id,
      orderingKey: 'bench',
      sender: `${h.sendingApplication}|${h.sendingFacility}`,
      controlId: h.controlId,
      receivedAt: at,
      raw,
    });
  }
  const ctx = { release, tokenKey: KEY };
  let events = 0;
  for (const m of messages) {
    const r = interpretStored(m, ctx);
    if (r.kind !== 'events') throw new Error(`bench message ${m.controlId} did not interpret: ${r.kind}`);
    events += r.events.length;
  }
  console.log(`${fmt(n)} DFT^P03 (5 FT1, ${fmt(events / n, 1)} events each), ${rounds} rounds`);

  const interpret: number[] = [];
  const parse: number[] = [];
  const interpretCpu: number[] = [];
  const parseCpu: number[] = [];
  let sink = 0;
  const cpu = () => {
    const u = process.cpuUsage();
    return u.user + u.system;
  };
  const timeInterpret = () => {
    const c = cpu();
    const t = performance.now();
    for (const m of messages) if (interpretStored(m, ctx).kind === 'events') sink++;
    interpret.push(((performance.now() - t) * 1000) / n);
    interpretCpu.push((cpu() - c) / n);
  };
  const timeParse = () => {
    const c = cpu();
    const t = performance.now();
    for (const m of messages) sink += parseMessage(m.raw).header.controlId.length;
    parse.push(((performance.now() - t) * 1000) / n);
    parseCpu.push((cpu() - c) / n);
  };
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      timeInterpret();
      timeParse();
    } else {
      timeParse();
      timeInterpret();
    }
  }
  if (sink === 0) throw new Error('unreachable');
  const list = (xs: number[]) => xs.map((x) => fmt(x, 1)).join(', ');
  console.log(`interpretStored       ${fmt(median(interpret), 1)} µs/msg median [${list(interpret)}]`);
  console.log(`peer: parse + header  ${fmt(median(parse), 1)} µs/msg median [${list(parse)}]`);
  console.log(
    `interpretStored is ${(median(interpret) / median(parse)).toFixed(2)}x the parse; ${fmt(1e6 / median(interpret))} msg/s on one core`,
  );
  console.log(
    `CPU time: interpretStored ${fmt(median(interpretCpu), 1)} µs/msg [${list(interpretCpu)}], parse + header ${fmt(median(parseCpu), 1)} µs/msg (${(median(interpretCpu) / median(parseCpu)).toFixed(2)}x)`,
  );
}
