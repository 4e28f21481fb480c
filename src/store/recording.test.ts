import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deserialize, serialize } from 'node:v8';
import fc from 'fast-check';
import { isCrosswalkError } from '../errors/index.ts';
import { packStatements, type RecordedStatement, unpackStatements } from './recording.ts';

/** What crossing to another thread does to a value (structured cloning is V8's serializer). */
const cloned = <T>(v: T): T => deserialize(serialize(v)) as T;

const scalar = fc.oneof(
  fc.constantFrom('HRMC', 'USD', '2026-11', ''),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ minLength: 250, maxLength: 300 }),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.boolean(),
  fc.constant(null),
  fc.uint8Array({ maxLength: 16 }),
);
const statement = fc
  .tuple(fc.string({ maxLength: 30 }), fc.array(scalar, { maxLength: 20 }))
  .map(([sql, params]): RecordedStatement => ({ sql, params }));

test('packed statements cross a thread and come back as they were, parameter for parameter', () => {
  fc.assert(
    fc.property(fc.array(statement, { maxLength: 12 }), (statements: RecordedStatement[]) => {
      assert.deepEqual(unpackStatements(cloned(packStatements(statements))), statements);
    }),
    { seed: 20261126, numRuns: 300 },
  );
});

test('a short string repeated across statements is sent once, and so is null; long strings are not looked up', () => {
  const long = 'x'.repeat(1000);
  const packed = packStatements([
    { sql: 'INSERT INTO a VALUES (?, ?, ?)', params: ['ev_1', 'HRMC', null] },
    { sql: 'INSERT INTO b VALUES (?, ?, ?, ?)', params: ['ev_1', 'HRMC', null, long] },
    { sql: 'INSERT INTO c VALUES (?, ?)', params: [long, 5n] },
  ]);
  assert.deepEqual(packed.values, ['ev_1', 'HRMC', null, long, long, 5n]);
  assert.deepEqual([...packed.counts], [3, 4, 2]);
  assert.deepEqual([...packed.refs], [0, 1, 2, 0, 1, 2, 3, 4, 5]);
});

test('a pack that does not add up is refused with the internal apply error, not misread', () => {
  const good = packStatements([{ sql: 'S', params: ['a', 'b'] }]);
  const bad = [
    { ...good, counts: new Uint32Array([3]) },
    { ...good, counts: new Uint32Array([1]) },
    { ...good, refs: new Uint32Array([0, 9]) },
    { ...good, sql: ['S', 'T'] },
  ];
  for (const p of bad)
    assert.throws(
      () => unpackStatements(p),
      (e) => isCrosswalkError(e) && e.code === 'CW_ERR_APPLY_INTERNAL',
    );
});
