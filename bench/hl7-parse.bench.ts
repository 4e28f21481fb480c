/**
 * HL7 v2 parse + read, Crosswalk vs @medplum/core, on the same seeded DFT^P03 messages (~1.7 KB, five
 * FT1) reading the same 40 positions. Crosswalk is fed bytes (what MLLP hands it: charset detection and
 * decoding included) and, separately, strings (Medplum's only input). Medians over rounds; the order of
 * the contenders alternates per round so neither always runs on a warmer heap.
 *
 *   npm run bench -- hl7-parse [--messages=2000] [--rounds=15]
 */
import { Hl7Message as MedplumMessage } from '@medplum/core';
import { parseMessage, readHeader } from '../src/hl7v2/index.ts';
import { makeDft } from '../src/hl7v2/testing.ts';
import { fmt, median } from './stats.ts';

/** [segment, occurrence, field, component, repetition]: 18 positions outside FT1 + 4 per FT1 × 5 + PR1/DG1. */
type Pos = readonly [string, number, number, number, number];

const POSITIONS: Pos[] = [
  ['MSH', 1, 3, 1, 1],
  ['MSH', 1, 4, 1, 1],
  ['MSH', 1, 7, 1, 1],
  ['MSH', 1, 9, 1, 1],
  ['MSH', 1, 9, 2, 1],
  ['MSH', 1, 10, 1, 1],
  ['MSH', 1, 11, 1, 1],
  ['MSH', 1, 12, 1, 1],
  ['EVN', 1, 2, 1, 1],
  ['PID', 1, 3, 1, 1],
  ['PID', 1, 3, 1, 2],
  ['PID', 1, 5, 1, 1],
  ['PID', 1, 5, 2, 1],
  ['PID', 1, 7, 1, 1],
  ['PID', 1, 8, 1, 1],
  ['PV1', 1, 2, 1, 1],
  ['PV1', 1, 3, 1, 1],
  ['PV1', 1, 19, 1, 1],
];
for (let k = 1; k <= 5; k++) {
  POSITIONS.push(['FT1', k, 4, 1, 1], ['FT1', k, 6, 1, 1], ['FT1', k, 7, 1, 1], ['FT1', k, 10, 1, 1]);
}
POSITIONS.push(['PR1', 1, 3, 1, 1], ['DG1', 1, 3, 1, 1]);

/** Crosswalk reads by spec position strings, as application code does. */
const PATHS = POSITIONS.map(([seg, occ, field, comp, rep]) => ({
  path: `${seg}-${field}${rep > 1 ? `[${rep}]` : ''}.${comp}`,
  occ,
}));

function readCrosswalk(input: Buffer | string): string[] {
  const msg = parseMessage(input);
  const out = new Array<string>(PATHS.length);
  for (let i = 0; i < PATHS.length; i++) out[i] = msg.get(PATHS[i]!.path, PATHS[i]!.occ);
  return out;
}

function readMedplum(text: string): string[] {
  const msg = MedplumMessage.parse(text);
  const out = new Array<string>(POSITIONS.length);
  let ft1: ReturnType<typeof msg.getAllSegments> | undefined;
  for (let i = 0; i < POSITIONS.length; i++) {
    const [seg, occ, field, comp, rep] = POSITIONS[i]!;
    let s: ReturnType<typeof msg.getSegment>;
    if (seg === 'FT1') {
      ft1 ??= msg.getAllSegments('FT1');
      s = ft1[occ - 1];
    } else s = msg.getSegment(seg);
    out[i] = s?.getComponent(field, comp, undefined, rep - 1) ?? '';
  }
  return out;
}

function rate(n: number, fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  const ns = Number(process.hrtime.bigint() - t0);
  return (n * 1e9) / ns;
}

function arg(args: string[], name: string, dflt: number): number {
  const a = args.find((x) => x.startsWith(`--${name}=`));
  return a === undefined ? dflt : Number(a.slice(name.length + 3));
}

export async function run(args: string[]): Promise<void> {
  const n = arg(args, 'messages', 2000);
  const rounds = arg(args, 'rounds', 15);
  const texts = Array.from({ length: n }, (_, i) => makeDft(1000 + i));
  const buffers = texts.map((t) => Buffer.from(t, 'utf8'));
  const avgBytes = buffers.reduce((s, b) => s + b.length, 0) / n;

  // Same answers from both, or the comparison means nothing.
  for (let i = 0; i < Math.min(n, 50); i++) {
    const a = readCrosswalk(buffers[i]!).join('|');
    const b = readMedplum(texts[i]!).join('|');
    if (a !== b) throw new Error(`bench: readers disagree on message ${i}:\n${a}\n${b}`);
  }

  let sink = 0;
  const contenders: Record<string, () => void> = {
    medplum: () => {
      for (const t of texts) sink += readMedplum(t).length;
    },
    'crosswalk (bytes)': () => {
      for (const b of buffers) sink += readCrosswalk(b).length;
    },
    'crosswalk (string)': () => {
      for (const t of texts) sink += readCrosswalk(t).length;
    },
    'crosswalk readHeader (bytes)': () => {
      for (const b of buffers) sink += readHeader(b).controlId.length;
    },
  };
  const names = Object.keys(contenders);
  const samples = new Map<string, number[]>(names.map((k) => [k, []]));
  for (const k of names) contenders[k]!(); // warm-up
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? names : [...names].reverse();
    for (const k of order) samples.get(k)!.push(rate(n, contenders[k]!));
  }

  console.log(
    `${n} DFT^P03 messages, ${fmt(avgBytes)} bytes on average, 5 FT1 each; 40 positions read per message`,
  );
  console.log(`${rounds} rounds; medians of msg/s:`);
  const medplum = median(samples.get('medplum')!);
  for (const k of names) {
    const m = median(samples.get(k)!);
    console.log(`  ${k.padEnd(30)} ${fmt(m).padStart(10)} msg/s   ${fmt(m / medplum, 2)}× medplum`);
  }
  if (sink === 0) console.log('(sink)');
}
