import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { SqlValue } from './port.ts';
import { packStatements, type RecordedStatement, unpackStatements } from './recording.ts';

const param: fc.Arbitrary<SqlValue> = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constant(''),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.constant(null),
  fc.uint8Array({ maxLength: 8 }),
);
const sql = fc.constantFrom(
  'INSERT INTO a (x) VALUES (?)',
  'INSERT INTO b (x, y) VALUES (?, ?), (?, ?)',
  'UPDATE c',
);
const statements = fc.array(
  fc.record({ sql, params: fc.array(param, { maxLength: 12 }) }) as fc.Arbitrary<RecordedStatement>,
  { maxLength: 20 },
);

test('packed statements come back as they were recorded, across a structured clone', () => {
  fc.assert(
    fc.property(statements, (recorded) => {
      const back = unpackStatements(structuredClone(packStatements(recorded)));
      assert.equal(back.length, recorded.length);
      back.forEach((s, i) => {
        assert.equal(s.sql, recorded[i]!.sql);
        // A Uint8Array comes back as one with the same bytes, as it would through a plain clone.
        assert.deepEqual(
          s.params.map((v) => (v instanceof Uint8Array ? [...v] : v)),
          recorded[i]!.params.map((v) => (v instanceof Uint8Array ? [...v] : v)),
        );
      });
    }),
    { seed: 20261126, numRuns: 300 },
  );
});

test('each distinct statement text travels once', () => {
  const insert = 'INSERT INTO a (x) VALUES (?)';
  const packed = packStatements([
    { sql: insert, params: ['one'] },
    { sql: 'UPDATE c', params: [] },
    { sql: insert, params: ['two'] },
  ]);
  assert.deepEqual(packed.sqls, [insert, 'UPDATE c']);
  assert.equal(packed.text, 'onetwo');
});
