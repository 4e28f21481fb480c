import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CrosswalkError } from '../errors/index.ts';
import { parseMessage } from '../hl7v2/index.ts';
import { interpretHl7 } from './index.ts';
import { ctx, firstOf } from './testing.ts';

/**
 * Whatever values a sender puts in the fields interpretation reads, the interpreter returns or throws a
 * CrosswalkError — never a TypeError, RangeError or an invalid event slipping through.
 */

const TEMPLATES = [
  firstOf('dft-p03', (t) => t.includes('\rZIM|') && t.includes('|CG|')),
  firstOf('dft-p11'),
  firstOf('adt-a01'),
  firstOf('siu-s12'),
  firstOf('mfn-m16'),
].map((m) => m.message);

const SEGMENTS: Readonly<Record<string, number>> = {
  MSH: 21,
  EVN: 7,
  PID: 30,
  PV1: 50,
  FT1: 45,
  ZIM: 9,
  SCH: 27,
  AIS: 10,
  AIL: 10,
  AIP: 10,
  MFE: 6,
  ITM: 20,
  VND: 6,
  PKG: 6,
};

const nasty = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.constantFrom(
    '',
    '-1',
    '0',
    '1.5',
    '-0',
    '1e5',
    '.5',
    '99999999999999',
    'abc',
    '""',
    '20261324',
    '2026',
    'NaN',
  ),
  fc.constantFrom(
    'SU',
    'SW',
    'SR',
    'CG',
    'CD',
    'ZZ',
    'P03',
    'P11',
    'A01',
    'A11',
    'S15',
    'M02',
    'M04',
    'M05',
    'MDL',
  ),
  fc.stringMatching(/^[0-9.+&^~-]{0,14}$/),
  fc.constantFrom('1.00&USD', '-3.50&USD', '1.001&USD', '5&XYZ', '1&usd', '9999999999999999999&USD'),
);

/** The positions interpretation reads; most edits land on one of these. */
const READ = [
  'MSH-4',
  'MSH-7',
  'MSH-9.1',
  'MSH-9.2',
  'EVN-2',
  'EVN-6',
  'PID-3',
  'PID-3.4',
  'PID-3.5',
  'PV1-2',
  'PV1-3',
  'PV1-3.1',
  'PV1-3.4',
  'PV1-7',
  'PV1-7.13',
  'PV1-19',
  'PV1-19.4',
  'PV1-44',
  'PV1-45',
  'FT1-1',
  'FT1-2',
  'FT1-4',
  'FT1-5',
  'FT1-6',
  'FT1-7',
  'FT1-10',
  'FT1-11',
  'FT1-12',
  'FT1-13',
  'FT1-16',
  'FT1-16.1',
  'FT1-16.4',
  'FT1-20',
  'FT1-20.13',
  'FT1-22',
  'FT1-23',
  'FT1-25',
  'ZIM-1',
  'ZIM-2',
  'ZIM-3',
  'ZIM-4',
  'ZIM-5',
  'ZIM-6',
  'ZIM-8',
  'SCH-1',
  'SCH-2',
  'SCH-9',
  'SCH-10',
  'SCH-11.4',
  'SCH-11.5',
  'AIS-3',
  'AIS-4',
  'AIS-7',
  'AIS-8',
  'AIL-3',
  'AIL-3.4',
  'AIP-3',
  'AIP-4',
  'MFE-1',
  'MFE-3',
  'MFE-4',
  'ITM-1',
  'ITM-6',
  'ITM-13',
  'ITM-14',
  'VND-2',
  'PKG-2',
  'PKG-3',
  'PKG-4',
  'PKG-5',
];

const anyPath = fc
  .record({
    segment: fc.constantFrom(...Object.keys(SEGMENTS)),
    field: fc.integer({ min: 3, max: 50 }),
    component: fc.integer({ min: 0, max: 13 }),
  })
  .filter((p) => p.field <= (SEGMENTS[p.segment] ?? 0))
  .map((p) => `${p.segment}-${p.field}${p.component > 0 ? `.${p.component}` : ''}`);

const edit = fc.record({
  path: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...READ) }, { weight: 1, arbitrary: anyPath }),
  occurrence: fc.integer({ min: 1, max: 3 }),
  raw: fc.boolean(),
  value: nasty,
});

test('random field values never make the interpreter throw anything but CrosswalkError', () => {
  const outcomes = { interpreted: 0, skipped: 0, refused: 0 };
  fc.assert(
    fc.property(
      fc.constantFrom(...TEMPLATES),
      fc.array(edit, { minLength: 1, maxLength: 6 }),
      (template, edits) => {
        const msg = parseMessage(template);
        for (const e of edits) {
          if (msg.count(e.path.slice(0, 3)) < e.occurrence) continue;
          try {
            if (e.raw) msg.setRaw(e.path, e.value.replace(/[|\r\n]/g, ''), e.occurrence);
            else msg.set(e.path, e.value, e.occurrence);
          } catch (err) {
            if (!(err instanceof CrosswalkError)) throw err;
          }
        }
        try {
          const r = interpretHl7(msg, ctx('prop|P|1'));
          outcomes[r.status === 'interpreted' ? 'interpreted' : 'skipped']++;
        } catch (err) {
          assert.ok(err instanceof CrosswalkError, `untyped error: ${String(err)}`);
          outcomes.refused++;
        }
      },
    ),
    { numRuns: 1500, seed: 20261124 },
  );
  // The generator must reach all three outcomes, or the property says little.
  assert.ok(
    outcomes.interpreted > 100 && outcomes.refused > 100 && outcomes.skipped > 10,
    JSON.stringify(outcomes),
  );
});
