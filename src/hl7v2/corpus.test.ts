import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CrosswalkError } from '../errors/index.ts';
import { parseBatch } from './batch.ts';
import { readHeader } from './header.ts';
import { normaliseTerminators } from './lines.ts';
import { parseMessage } from './message.ts';

/**
 * The real-world corpus (../shared/data/hl7v2, see its MANIFEST.md): every file either parses and
 * re-encodes byte for byte (after terminator normalisation) or fails with a CrosswalkError. Files holding
 * several messages or envelopes go through parseBatch. Outcome counts are printed.
 */

const ROOT = fileURLToPath(new URL('../../../shared/data/hl7v2/', import.meta.url));
const present = existsSync(ROOT);
const read = (rel: string): Buffer => readFileSync(join(ROOT, rel));

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

function attempt<T>(fn: () => T): T | CrosswalkError {
  try {
    return fn();
  } catch (e) {
    if (e instanceof CrosswalkError) return e;
    throw e;
  }
}

test('corpus: every file round-trips or fails with a CrosswalkError', (t) => {
  if (!present) return t.skip('corpus absent');
  const tally = (): { ok: number; crosswalkError: number; codes: Record<string, number> } => ({
    ok: 0,
    crosswalkError: 0,
    codes: {},
  });
  const single = tally();
  const batch = { ...tally(), messages: 0, failedMessages: 0, withEnvelopeIssues: 0, withoutAnyMessage: 0 };
  const note = (t: { codes: Record<string, number> }, code: string): void => {
    t.codes[code] = (t.codes[code] ?? 0) + 1;
  };
  const files = walk(ROOT);
  for (const file of files) {
    const input = readFileSync(file);
    const name = relative(ROOT, file);
    const expected = normaliseTerminators(input);
    const t0 = performance.now();
    const m = attempt(() => parseMessage(input));
    if (m instanceof CrosswalkError) {
      single.crosswalkError++;
      note(single, m.code);
    } else {
      assert.deepEqual(m.encode(), expected, `${name}: parseMessage round trip`);
      single.ok++;
    }
    const b = attempt(() => parseBatch(input));
    if (b instanceof CrosswalkError) {
      batch.crosswalkError++;
      note(batch, b.code);
    } else {
      assert.deepEqual(b.encode(), expected, `${name}: parseBatch round trip`);
      batch.ok++;
      batch.messages += b.messages.length;
      batch.failedMessages += b.failures.length;
      for (const f of b.failures) note(batch, f.error.code);
      if (b.issues.some((i) => i.kind !== 'message-failed')) batch.withEnvelopeIssues++;
      if (b.messages.length === 0) batch.withoutAnyMessage++;
      if (!(m instanceof CrosswalkError))
        assert.equal(b.messages.length, 1, `${name}: one message either way`);
    }
    attempt(() => readHeader(input));
    const ms = performance.now() - t0;
    assert.ok(ms < 1000, `${name} took ${ms.toFixed(0)} ms`);
  }
  console.log(`corpus: ${files.length} files under ${ROOT}`);
  console.log(`  parseMessage: ${JSON.stringify(single)}`);
  console.log(`  parseBatch:   ${JSON.stringify(batch)}`);
  assert.equal(single.ok + single.crosswalkError, files.length);
  assert.equal(batch.ok + batch.crosswalkError, files.length);
  assert.ok(single.ok >= 100, 'most corpus files are single messages that parse');
});

test('corpus: DFT^P03 financial transactions read as sent', (t) => {
  if (!present) return t.skip('corpus absent');
  const msg = parseMessage(read('ms-fhir-converter/DFT-P03-01.hl7'));
  assert.equal(msg.terminator, 'LF');
  assert.equal(msg.header.messageType, 'DFT^P03');
  assert.equal(msg.header.controlId, 'MSG00001');
  assert.equal(msg.header.version, '2.8');
  assert.equal(msg.count('FT1'), 2);
  assert.equal(msg.get('FT1-1'), '1');
  assert.equal(msg.get('FT1-2'), '12345');
  assert.equal(msg.get('FT1-4'), '20191122');
  assert.equal(msg.get('FT1-6'), 'CG');
  assert.equal(msg.get('FT1-7.1'), '71045');
  assert.equal(msg.get('FT1-7.2'), 'Xray exam chest 1 view');
  assert.equal(msg.get('FT1-7.3'), 'C4');
  assert.equal(msg.get('FT1-10'), '2');
  assert.equal(msg.getRaw('FT1-11'), '100&USD');
  assert.equal(msg.get('FT1-11.1.1'), '100');
  assert.equal(msg.get('FT1-11.1.2'), 'USD');
  assert.equal(msg.get('FT1-12.1.1'), '50');
  assert.equal(msg.get('FT1-13.2'), 'Radiology Deptt');
  assert.equal(msg.get('FT1-19[2].2'), 'Nasal congestion');
  assert.deepEqual(msg.getAll('FT1-19.1'), ['29857009', '68235000']);
  assert.equal(msg.get('FT1-20.9.2'), '2.16.840.1.113883.4.6');
  assert.equal(msg.get('FT1-1', 2), '2');
  assert.equal(msg.get('FT1-7', 2), '626.2');
  assert.equal(msg.get('FT1-10', 2), '1');
  assert.equal(msg.get('FT1-11.1.1', 2), '120');
  assert.equal(msg.get('FT1[2]-25.2'), 'first op visit');
  assert.equal(msg.get('PV1-14'), 'NHS Provider-General (inc.A&E-this Hosp)', '\\T\\ decoded');
  assert.equal(msg.get('PID-3[2].1'), '123456789');
  assert.equal(msg.get('PID-5.1.5'), 'Aniston');
});

test('corpus: envelopes, charsets, nulls and terminators from real senders', (t) => {
  if (!present) return t.skip('corpus absent');
  const file1 = parseBatch(read('python-hl7/sample_file1.hl7'));
  assert.equal(file1.messages.length, 3);
  assert.equal(file1.batches.length, 2);
  assert.deepEqual(file1.issues, []);

  const bad2 = parseBatch(read('python-hl7/sample_bad_file2.hl7'));
  assert.ok(bad2.issues.some((i) => i.kind === 'nested-fhs'));
  assert.equal(bad2.messages.length, 1);
  for (const [rel, kind] of [
    ['python-hl7/sample_file4.hl7', 'missing-fhs'],
    ['python-hl7/sample_file5.hl7', 'missing-bts'],
    ['python-hl7/sample_file6.hl7', 'missing-bhs'],
    ['python-hl7/sample_bad_batch.hl7', 'orphan-segment'],
  ] as const) {
    assert.ok(
      parseBatch(read(rel)).issues.some((i) => i.kind === kind),
      `${rel} reports ${kind}`,
    );
  }
  assert.equal(parseBatch(read('nhapi/OML_O21_messages.txt')).messages.length, 7);

  const cerner = parseMessage(read('node-hl7-complete/valid__cerner__cerner_en.hl7'));
  assert.equal(cerner.terminator, 'mixed');

  const mirth = parseMessage(read('node-hl7-complete/valid__mirthproject__mfn-example.hl7'));
  assert.deepEqual(mirth.charset, { declared: '8859/1', encoding: 'iso-8859-1' });

  const oul = parseMessage(read('ms-fhir-converter/OUL-R22-01.hl7'));
  assert.equal(oul.charset.encoding, 'utf-8');
  const oml = parseBatch(read('hapi-hl7v2/example_oml_o21.hl7'));
  assert.ok(
    oml.messages.some((m) => m.get('PID-5.2') === 'RODOLFO SEBASTIÁN'),
    'undeclared UTF-8 read as UTF-8',
  );

  const bom = parseMessage(read('ms-fhir-converter/ADT01-23.hl7'));
  assert.equal(bom.bom, true);
  assert.equal(bom.get('MSH-1'), '|');

  const cernerAdt = parseMessage(read('python-hl7/sample_msh.hl7'));
  assert.equal(cernerAdt.isNull('PV1-9'), true);
  assert.equal(cernerAdt.get('PV1-9'), '');
  assert.equal(cernerAdt.get('PV1-5'), ' 863968', 'leading space kept');
  assert.equal(cernerAdt.get('PID-3[2].4'), 'MSH_EMPI', 'MSH inside a value is just text');

  assert.throws(() => parseMessage(read('linuxforhealth/sample_unix.hl7')), {
    code: 'CW_ERR_HL7_BAD_DELIMITERS',
  });
  assert.throws(() => parseMessage(read('node-hl7-complete/valid__catalyze-io__orm-example.hl7')), {
    code: 'CW_ERR_HL7_BAD_SEGMENT',
  });
});
