import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type Delimiters, makeDelimiters } from './delimiters.ts';
import { escapeValue } from './escape.ts';
import { normaliseTerminators } from './lines.ts';
import { parseMessage } from './message.ts';

/**
 * Property tests over random structures and values. Seeds are fixed so a failure reproduces; fast-check
 * prints the shrunk counterexample.
 */

const delimiterSets: fc.Arbitrary<Delimiters> = fc.constantFrom(
  makeDelimiters('|', '^~\\&'),
  makeDelimiters('|', '^~\\&#'),
  makeDelimiters('!', '@*/$'),
  makeDelimiters('^', '|\\~&'),
  makeDelimiters('#', '$%?*'),
  makeDelimiters(';', ':,!.'),
);

const charsets = fc.constantFrom(
  { msh18: '', unit: 'ascii' as const },
  { msh18: '8859/1', unit: 'latin1' as const },
  { msh18: 'UNICODE UTF-8', unit: 'unicode' as const },
);

function text(unit: 'ascii' | 'latin1' | 'unicode', maxLength = 30): fc.Arbitrary<string> {
  const chars =
    unit === 'ascii'
      ? fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c))
      : unit === 'latin1'
        ? fc.integer({ min: 0, max: 0xff }).map((c) => String.fromCharCode(c))
        : fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 });
  const special = fc.constantFrom(
    '|',
    '^',
    '~',
    '\\',
    '&',
    '#',
    '!',
    '@',
    '*',
    '/',
    '$',
    '%',
    '?',
    ';',
    ':',
    ',',
    '.',
    '\r',
    '\n',
    '"',
    '""',
  );
  return fc.array(fc.oneof(chars, special), { maxLength }).map((xs) => xs.join(''));
}

function header(d: Delimiters, msh18: string): string {
  const f = d.field;
  return [
    'MSH',
    d.encodingCharacters,
    'APP',
    'FAC',
    'CW',
    'ERP',
    '20240101',
    '',
    `ADT${d.component}A08`,
    'C1',
    'P',
    '2.5',
    '',
    '',
    '',
    '',
    '',
    msh18,
  ].join(f);
}

test('property: set → encode → parse → get returns any value, at any position, under any delimiters', () => {
  const position = fc.record({
    segment: fc.constantFrom('PID', 'ZZ1', 'OBX'),
    field: fc.integer({ min: 1, max: 25 }),
    repetition: fc.integer({ min: 1, max: 3 }),
    component: fc.integer({ min: 1, max: 6 }),
    subcomponent: fc.integer({ min: 1, max: 3 }),
  });
  const scenario = charsets.chain((cs) =>
    fc.record({
      d: delimiterSets,
      cs: fc.constant(cs),
      value: text(cs.unit),
      pos: position,
      crlf: fc.boolean(),
    }),
  );
  fc.assert(
    fc.property(scenario, ({ d, cs, value, pos, crlf }) => {
      const sep = crlf ? '\r\n' : '\r';
      const src = [header(d, cs.msh18), `PID${d.field}1`, `ZZ1${d.field}x`, `OBX${d.field}1`].join(sep) + sep;
      const msg = parseMessage(Buffer.from(src, cs.unit === 'unicode' ? 'utf8' : 'latin1'));
      const path = `${pos.segment}-${pos.field}[${pos.repetition}].${pos.component}.${pos.subcomponent}`;
      msg.set(path, value);
      const again = parseMessage(msg.encode());
      assert.equal(again.get(path), value);
      assert.equal(again.segments.length, 4, 'no segment injected');
      assert.deepEqual(
        again.segments.map((s) => s.name),
        ['MSH', 'PID', 'ZZ1', 'OBX'],
      );
      assert.equal(again.get('MSH-10'), 'C1');
    }),
    { seed: 20240301, numRuns: 1500 },
  );
});

interface Tree {
  name: string;
  fields: string[][][][];
}

test('property: random structures read back leaf by leaf and re-encode byte for byte', () => {
  const leaf = text('latin1', 6);
  const tree = fc.record({
    name: fc.constantFrom('PID', 'OBX', 'FT1', 'ZAB', 'Z01', 'NTE'),
    fields: fc.array(
      fc.array(fc.array(fc.array(leaf, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 3 }), {
        minLength: 1,
        maxLength: 2,
      }),
      {
        maxLength: 6,
      },
    ),
  });
  const scenario = fc.record({
    d: delimiterSets,
    segments: fc.array(tree, { minLength: 1, maxLength: 6 }),
    sep: fc.constantFrom('\r', '\n', '\r\n'),
    trailing: fc.boolean(),
  });
  fc.assert(
    fc.property(scenario, ({ d, segments, sep, trailing }) => {
      const enc = (s: string): string => escapeValue(s, d);
      const lines = [header(d, '8859/1')];
      for (const seg of segments) {
        const fields = seg.fields.map((reps) =>
          reps
            .map((comps) => comps.map((subs) => subs.map(enc).join(d.subcomponent)).join(d.component))
            .join(d.repetition),
        );
        lines.push([seg.name, ...fields].join(d.field));
      }
      const input = Buffer.from(lines.join(sep) + (trailing ? sep : ''), 'latin1');
      const msg = parseMessage(input);
      assert.deepEqual(msg.encode(), normaliseTerminators(input));
      const seen = new Map<string, number>();
      for (const seg of segments as Tree[]) {
        const occ = (seen.get(seg.name) ?? 0) + 1;
        seen.set(seg.name, occ);
        for (const [f, reps] of seg.fields.entries()) {
          for (const [r, comps] of reps.entries()) {
            for (const [c, subs] of comps.entries()) {
              for (const [s, value] of subs.entries()) {
                const path = `${seg.name}[${occ}]-${f + 1}[${r + 1}].${c + 1}.${s + 1}`;
                assert.equal(msg.get(path), value, path);
              }
            }
          }
        }
      }
    }),
    { seed: 1234, numRuns: 700 },
  );
});
