import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CrosswalkError } from '../errors/index.ts';
import { buildRejectAck } from './ack.ts';
import { parseBatch } from './batch.ts';
import { readHeader } from './header.ts';
import { normaliseTerminators } from './lines.ts';
import { parseMessage } from './message.ts';
import { makeDft, seededRandom } from './testing.ts';

/**
 * Seeded byte-level mutations (flip, insert, delete, truncate, duplicate) of real and generated messages.
 * Every entry point must either succeed or throw a CrosswalkError, and whatever parses must still
 * re-encode byte for byte. Time per input is measured loosely: the bound (1 s) only catches a hang or a
 * quadratic blow-up, it is not a performance assertion.
 */

const CORPUS = fileURLToPath(new URL('../../../shared/data/hl7v2/', import.meta.url));
const MUTANTS = 4000;
const ABSURD_MS = 1000;

function seeds(): Buffer[] {
  const out: Buffer[] = [];
  for (let s = 1; s <= 5; s++) out.push(Buffer.from(makeDft(s)));
  if (existsSync(CORPUS)) {
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir).sort()) {
        const p = join(dir, name);
        if (statSync(p).isDirectory()) walk(p);
        else out.push(readFileSync(p));
      }
    };
    walk(CORPUS);
  }
  return out;
}

const INTERESTING = [
  0x0d, 0x0a, 0x7c, 0x5e, 0x7e, 0x5c, 0x26, 0x23, 0x22, 0x00, 0xff, 0xc3, 0xef, 0x1c, 0x0b,
];

function mutate(src: Buffer, rand: () => number): Buffer {
  const pick = (n: number): number => Math.floor(rand() * n);
  let b = Buffer.from(src);
  const rounds = 1 + pick(4);
  for (let r = 0; r < rounds; r++) {
    const at = pick(b.length + 1);
    const byte = rand() < 0.6 ? INTERESTING[pick(INTERESTING.length)]! : pick(256);
    switch (pick(6)) {
      case 0:
        if (b.length > 0) b[Math.min(at, b.length - 1)] = byte;
        break;
      case 1:
        b = Buffer.concat([b.subarray(0, at), Buffer.from([byte]), b.subarray(at)]);
        break;
      case 2:
        b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + pick(20)))]);
        break;
      case 3:
        b = b.subarray(0, at);
        break;
      case 4: {
        const len = pick(64);
        b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + len), b.subarray(at)]);
        break;
      }
      default:
        b = Buffer.concat([
          b.subarray(0, at),
          Buffer.from(rand() < 0.5 ? '\rMSH|^~\\&|' : '\\X0'),
          b.subarray(at),
        ]);
    }
  }
  return b;
}

function typedOrNothing(what: string, fn: () => void): 'ok' | 'error' {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (!(e instanceof CrosswalkError)) {
      assert.fail(`${what} threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    }
    return 'error';
  }
}

test(`fuzz: ${MUTANTS} seeded mutations never escape a CrosswalkError, never hang, still round-trip`, () => {
  const corpus = seeds();
  const rand = seededRandom(0xc0ffee);
  const tally = { parsed: 0, rejected: 0, batchParsed: 0, headerRead: 0 };
  let slowest = 0;
  for (let i = 0; i < MUTANTS; i++) {
    const input = mutate(corpus[i % corpus.length]!, rand);
    const t0 = performance.now();
    const outcome = typedOrNothing(`parseMessage #${i}`, () => {
      const msg = parseMessage(input);
      assert.deepEqual(msg.encode(), normaliseTerminators(input), `round trip #${i}`);
      for (const p of ['MSH-9.2', 'PID-3[2].1', 'FT1-10', 'OBX-5.1.2']) msg.get(p);
      msg.header;
    });
    if (outcome === 'ok') tally.parsed++;
    else tally.rejected++;
    if (
      typedOrNothing(`parseBatch #${i}`, () => {
        const b = parseBatch(input);
        assert.deepEqual(b.encode(), normaliseTerminators(input), `batch round trip #${i}`);
      }) === 'ok'
    ) {
      tally.batchParsed++;
    }
    if (typedOrNothing(`readHeader #${i}`, () => readHeader(input)) === 'ok') tally.headerRead++;
    const ack = buildRejectAck(input, { controlId: 'F', timestamp: '20240101000000' });
    assert.ok(['AR', 'CR'].includes(ack.get('MSA-1')));
    const ms = performance.now() - t0;
    slowest = Math.max(slowest, ms);
    assert.ok(ms < ABSURD_MS, `input #${i} took ${ms.toFixed(0)} ms`);
  }
  console.log(
    `fuzz: ${MUTANTS} mutants of ${corpus.length} seeds: ${tally.parsed} parsed, ${tally.rejected} rejected with CrosswalkError; ` +
      `batch parsed ${tally.batchParsed}; header read ${tally.headerRead}; slowest input ${slowest.toFixed(1)} ms`,
  );
  assert.ok(tally.parsed > 0 && tally.rejected > 0, 'mutations should produce both outcomes');
});

test('fuzz: pathological shapes stay linear (long runs of delimiters, escapes and terminators)', () => {
  const msh = 'MSH|^~\\&|A|B|C|D|20240101||ADT^A01|X|P|2.5\r';
  const shapes = [
    `${msh}PID|${'\\'.repeat(200_000)}\r`,
    `${msh}PID|${'\\X'.repeat(100_000)}\r`,
    `${msh}PID|${'^'.repeat(200_000)}\r`,
    `${msh}PID|${'~'.repeat(200_000)}\r`,
    `${msh}PID${'|'.repeat(200_000)}\r`,
    `${msh}${'\r\n'.repeat(200_000)}`,
    `${msh}${'ZZZ|1\r'.repeat(40_000)}`,
  ];
  for (const s of shapes) {
    const input = Buffer.from(s, 'latin1');
    const t0 = performance.now();
    const outcome = typedOrNothing('shape', () => {
      const msg = parseMessage(input);
      msg.get('PID-1');
      msg.get('PID-1[50000].3');
      msg.get('ZZZ-1', 39_999);
      msg.encode();
    });
    parseBatch(input);
    const ms = performance.now() - t0;
    assert.ok(ms < ABSURD_MS, `shape of ${input.length} bytes took ${ms.toFixed(0)} ms (${outcome})`);
  }
});
