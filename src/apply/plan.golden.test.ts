import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { generateDemoHealthSystem, generateDftP03Batch, generateTraffic, Random } from '../demo/index.ts';
import { parseBatch } from '../hl7v2/index.ts';
import { createRelease, DEMO_FIELD_RULES, demoRelease, type MappingRelease } from '../mapping/index.ts';
import { type Interpretation, interpretStored, type StoredMessage } from './plan.ts';

/**
 * Pins what `interpretStored` makes of a wide spread of inputs: the events (ids, payloads, order) or the
 * skip or error (code, message, parameters), digested. Event ids are stored in the books and replay
 * compares against them, so a faster parser or interpreter must give the same answer for every input,
 * good or bad. The inputs are the demo traffic and DFT^P03 benchmark batches, seeded mutations of them
 * (fields and components replaced by codes the release knows, malformed numbers, amounts, times, escapes,
 * repetitions, empties), other terminators and character sets, three releases (demo rules; rejecting
 * negatives with other charge-code and trace paths and a zone with a half-hour DST; a UoM path), and the
 * real-world corpus (../shared/data/hl7v2) when present.
 *
 * The golden file was written by the code before the interpretation fast paths. A mismatch names the
 * first chunk of 100 inputs that differs. Regenerate only for an intended change of output:
 *   CROSSWALK_UPDATE_GOLDEN=1 node scripts/run-tests.mjs src/apply/plan.golden
 */

const GOLDEN = fileURLToPath(new URL('./plan.golden.json', import.meta.url));
const CORPUS = fileURLToPath(new URL('../../../shared/data/hl7v2/', import.meta.url));
const UPDATE = process.env['CROSSWALK_UPDATE_GOLDEN'] === '1';
const CHUNK = 100;

const SYSTEM = generateDemoHealthSystem();
const BASE = demoRelease(SYSTEM);
const RELEASES: readonly MappingRelease[] = [
  createRelease(BASE, 'golden'),
  createRelease(
    {
      ...BASE,
      name: 'golden-strict',
      timeZone: 'Australia/Lord_Howe',
      fieldRules: {
        ...DEMO_FIELD_RULES,
        transactionTypes: { ...DEMO_FIELD_RULES.transactionTypes, XX: 'waste' },
        negativeQuantity: 'reject',
        chargeCodePaths: ['FT1-7.1', 'FT1-25.1'],
        ft1TraceFields: { lotNumber: 27, serialNumber: 28, udi: 29 },
      },
    },
    'golden',
  ),
  createRelease(
    {
      ...BASE,
      name: 'golden-uom',
      timeZone: 'UTC',
      fieldRules: { ...DEMO_FIELD_RULES, quantityUomPath: 'FT1-10.2' },
    },
    'golden',
  ),
];
const KEYS = [Buffer.alloc(32, 0x5a), Buffer.alloc(16, 0x11)];
const RECEIVED = ['2026-11-24T23:59:59.000Z', '2026-03-08T07:30:00.000Z', '2026-10-04T15:45:12.345Z'];

/** Values a mutation writes: codes the release maps (so mutants go on to make events) and defects. */
function valuePool(): string[] {
  const c = RELEASES[0]!.content;
  const r = new Random(7).fork('golden-pool');
  const some = <T>(xs: readonly T[], n: number): T[] => r.sample(xs, Math.min(n, xs.length));
  return [
    ...some(c.items, 12).map((i) => i.ehrSupplyCode),
    ...some(c.departments, 6).map((d) => d.ehrDepartmentCode),
    ...some(c.careLocations, 6).flatMap((l) => [l.pointOfCare, `${l.pointOfCare}^^^${l.facility}`]),
    ...some(c.chargeMaster, 6).map((x) => x.cdmCode),
    ...some(c.practitioners, 4).flatMap((p) => [p.npi, `${p.npi}^Doe^Jo^^^^^^NPI`]),
    ...some(c.itemUoms, 4).flatMap((u) => [u.uom, `2^${u.uom}`]),
    ...Object.keys(c.fieldRules.transactionTypes),
    ...['XX', 'ZZ', 'su', ' SU '],
    ...['', '""', ' ', '0', '1', '2', '-1', '-3', '1.5', '0.1', '12345678901234', 'abc', '+4', '.5', '7.'],
    ...[
      '12.34',
      '-12.34',
      '12.345',
      '100.00&USD',
      '-5.00&USD',
      '1.00&usd',
      '3&JPY',
      '1.234&KWD',
      '99999999999999999',
    ],
    ...[
      '20261124',
      '2026112412',
      '202611241230',
      '20261124123059.1234',
      '202611241230+0500',
      '20260308023000',
    ],
    ...[
      '20261101013000',
      '20261330',
      '2026-11-24',
      '19000101',
      '30000101',
      '20261124246000',
      '20261124123060.',
    ],
    ...['A~B', 'X^Y^Z', 'P&Q&R', '\\F\\', '\\S\\x\\T\\', '\\X0041\\', 'a\\.br\\b', 'Y', 'N', 'y', 'MR', 'VN'],
    ...['Zürich', 'Ωmega', 'ä', 'case-1^ORSCHED', 'V123^^^HRH^VN', '9941339108^^^^^^^^NPI'],
    ...['X'.repeat(1100), `1^${'L'.repeat(1030)}`, '1234567890^^^^^^^^^^^^NPI', '123456789^^^^^^^^NPI'],
  ];
}

/** ER7 with a few of its fields or components replaced. */
function mutate(er7: string, r: Random, pool: readonly string[]): string {
  const segs = er7.split('\r');
  const times = r.int(1, 3);
  for (let k = 0; k < times; k++) {
    const si = r.int(0, segs.length - 1);
    if (si > 0 && r.chance(0.1)) {
      // Whole segments: dropped, repeated, or renamed.
      const what = r.int(0, 2);
      if (what === 0) segs.splice(si, 1);
      else if (what === 1) segs.splice(si, 0, segs[si]!);
      else segs[si] = r.pick(['ZIM', 'FT1', 'ft1', 'PV1', 'MSH']) + segs[si]!.slice(3);
      continue;
    }
    const seg = segs[si]!;
    if (seg === '') continue;
    const fields = seg.split('|');
    const fi = r.int(si === 0 ? 2 : 1, fields.length + 2);
    while (fields.length <= fi) fields.push('');
    const value = r.pick(pool);
    if (r.chance(0.5)) fields[fi] = value;
    else {
      const comps = fields[fi]!.split('^');
      const ci = r.int(0, comps.length);
      while (comps.length <= ci) comps.push('');
      comps[ci] = value;
      fields[fi] = comps.join('^');
    }
    segs[si] = fields.join('|');
  }
  return segs.join('\r');
}

interface Input {
  readonly raw: Buffer;
  readonly release: number;
}

function demoInputs(): Input[] {
  const pool = valuePool();
  const r = new Random(11).fork('golden-mutations');
  const texts: string[] = [];
  for (const seed of [1, 2]) {
    const day = generateTraffic(SYSTEM, { seed, volumes: seed === 2 ? { problemShare: 0.25 } : {} });
    for (const m of day) texts.push(m.message);
  }
  texts.push(...generateDftP03Batch(300, 11, SYSTEM));
  const out: Input[] = [];
  for (const t of texts) {
    out.push({ raw: Buffer.from(t, 'latin1'), release: 0 });
    out.push({ raw: Buffer.from(t, 'latin1'), release: r.int(1, 2) });
  }
  for (const t of r.sample(texts, 150)) {
    out.push({ raw: Buffer.from(t.replaceAll('\r', '\n'), 'latin1'), release: 0 });
    out.push({ raw: Buffer.from(`${t.replaceAll('\r', '\r\n')}\r\n`, 'latin1'), release: 0 });
  }
  for (const t of texts) {
    for (let k = 0; k < 6; k++) {
      out.push({
        raw: Buffer.from(mutate(t, r, pool), r.chance(0.8) ? 'utf8' : 'latin1'),
        release: r.chance(0.7) ? 0 : r.int(1, 2),
      });
    }
  }
  return out;
}

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (!name.endsWith('.md')) out.push(p);
  }
  return out;
}

/** The inputs drawn from one corpus file: it whole, each message in it, and mutants of those. */
function corpusInputs(file: string, name: string): Input[] {
  const pool = valuePool();
  const r = new Random(13).fork(`golden-corpus:${name}`);
  const raw = readFileSync(file);
  const out: Input[] = [
    { raw, release: 0 },
    { raw, release: 1 },
  ];
  let messages: Buffer[] = [];
  try {
    messages = parseBatch(raw).messages.map((m) => m.encode());
  } catch {
    messages = [];
  }
  for (const m of messages) {
    out.push({ raw: m, release: 0 });
    const text = m.toString('latin1');
    for (let k = 0; k < 4; k++) out.push({ raw: Buffer.from(mutate(text, r, pool), 'latin1'), release: 0 });
  }
  return out;
}

// The holder's own value: JSON.stringify has already turned a bigint into its decimal string
// (BigInt.prototype.toJSON, canonical/json.ts) by the time a replacer sees it.
function bigints(this: Record<string, unknown>, k: string, v: unknown): unknown {
  const own = this[k];
  return typeof own === 'bigint' ? `${own}n` : v;
}

function describe(i: Interpretation): string {
  if (i.kind === 'failed') {
    const e = i.error;
    return JSON.stringify(
      { kind: i.kind, messageType: i.messageType, code: e.code, message: e.message, params: e.params },
      bigints,
    );
  }
  return JSON.stringify(i, bigints);
}

interface Digest {
  readonly inputs: number;
  readonly digest: string;
  readonly chunks: readonly string[];
  /** Outcomes by kind and error code, so the spread the digest covers can be seen. */
  readonly tally: Readonly<Record<string, number>>;
}

function digestOf(inputs: readonly Input[]): Digest {
  const all = createHash('sha256');
  const chunks: string[] = [];
  const tally: Record<string, number> = {};
  let chunk = createHash('sha256');
  inputs.forEach((input, n) => {
    const message: StoredMessage = {
      id: BigInt(n + 1),
      orderingKey: `golden-${n % 3}`,
      sender: `GOLD|F${n % 5}`,
      controlId: `C${n}`,
      receivedAt: RECEIVED[n % RECEIVED.length]!,
      raw: input.raw,
    };
    const result = interpretStored(message, {
      release: RELEASES[input.release]!,
      tokenKey: KEYS[n % KEYS.length]!,
    });
    const key =
      result.kind === 'events'
        ? `events:${result.events.length}`
        : result.kind === 'failed'
          ? result.error.code
          : `skipped:${result.code}`;
    tally[key] = (tally[key] ?? 0) + 1;
    const line = `${describe(result)}\n`;
    all.update(line);
    chunk.update(line);
    if ((n + 1) % CHUNK === 0 || n === inputs.length - 1) {
      chunks.push(chunk.digest('hex').slice(0, 16));
      chunk = createHash('sha256');
    }
  });
  const sorted = Object.fromEntries(Object.entries(tally).sort(([a], [b]) => a.localeCompare(b)));
  return { inputs: inputs.length, digest: all.digest('hex'), chunks, tally: sorted };
}

function golden(): Record<string, Digest> {
  return existsSync(GOLDEN) ? (JSON.parse(readFileSync(GOLDEN, 'utf8')) as Record<string, Digest>) : {};
}

function check(name: string, actual: Digest): void {
  if (UPDATE) {
    writeFileSync(GOLDEN, `${JSON.stringify({ ...golden(), [name]: actual }, null, 2)}\n`);
    return;
  }
  const expected = golden()[name];
  assert.ok(
    expected !== undefined,
    `${GOLDEN} has no ${name} digest; generate it with CROSSWALK_UPDATE_GOLDEN=1`,
  );
  assert.equal(actual.inputs, expected.inputs, `${name}: the input set changed`);
  const first = actual.chunks.findIndex((c, i) => c !== expected.chunks[i]);
  assert.equal(
    first,
    -1,
    `${name}: interpretation differs from the golden output in inputs ${first * CHUNK}…${first * CHUNK + CHUNK - 1}`,
  );
  assert.deepEqual(actual.tally, expected.tally);
  assert.equal(actual.digest, expected.digest);
}

test('interpretStored: demo traffic, benchmark batches and their mutants give the golden output', () => {
  const inputs = demoInputs();
  const d = digestOf(inputs);
  // The spread is the point: most inputs make events, and the mutants reach many error codes.
  assert.ok((d.tally['events:5'] ?? 0) > 500, JSON.stringify(d.tally));
  assert.ok(
    Object.keys(d.tally).filter((k) => k.startsWith('CW_ERR_')).length >= 10,
    JSON.stringify(d.tally),
  );
  check('demo', d);
});

interface CorpusDigest {
  /** Per file (path under the corpus root): its inputs and their digest. */
  readonly files: Readonly<Record<string, { readonly inputs: number; readonly digest: string }>>;
  readonly tally: Readonly<Record<string, number>>;
}

test('interpretStored: the real-world corpus and its mutants give the golden output', (t) => {
  if (!existsSync(CORPUS)) return t.skip(`corpus absent (${CORPUS})`);
  // Digested file by file, so a corpus that gains or loses files still checks the ones it shares.
  const files: Record<string, { inputs: number; digest: string }> = {};
  const tally: Record<string, number> = {};
  for (const file of walk(CORPUS)) {
    const name = relative(CORPUS, file);
    const d = digestOf(corpusInputs(file, name));
    files[name] = { inputs: d.inputs, digest: d.digest.slice(0, 32) };
    for (const [k, v] of Object.entries(d.tally)) tally[k] = (tally[k] ?? 0) + v;
  }
  const actual: CorpusDigest = {
    files,
    tally: Object.fromEntries(Object.entries(tally).sort(([a], [b]) => a.localeCompare(b))),
  };
  if (UPDATE) {
    writeFileSync(GOLDEN, `${JSON.stringify({ ...golden(), corpus: actual }, null, 2)}\n`);
    return;
  }
  const expected = (golden() as unknown as Record<string, CorpusDigest | undefined>)['corpus'];
  assert.ok(
    expected?.files !== undefined,
    `${GOLDEN} has no corpus digests; generate them with CROSSWALK_UPDATE_GOLDEN=1`,
  );
  const shared = Object.keys(files).filter((f) => expected.files[f] !== undefined);
  for (const f of shared)
    assert.deepEqual(files[f], expected.files[f], `${f}: interpretation differs from the golden output`);
  const unknown = Object.keys(files).filter((f) => expected.files[f] === undefined);
  const gone = Object.keys(expected.files).filter((f) => files[f] === undefined);
  assert.ok(shared.length > 0, 'no corpus file of the golden output is present');
  if (unknown.length + gone.length === 0) assert.deepEqual(actual.tally, expected.tally);
  else
    t.diagnostic(
      `corpus changed: ${unknown.length} files not in the golden output, ${gone.length} gone; ${shared.length} compared`,
    );
});
