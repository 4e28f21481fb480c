import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Random } from './random.ts';

function draws(r: Random, n: number): number[] {
  return Array.from({ length: n }, () => r.nextUint32());
}

describe('Random', () => {
  it('gives the same sequence for the same seed and a different one for another seed', () => {
    assert.deepEqual(draws(new Random(42), 50), draws(new Random(42), 50));
    assert.notDeepEqual(draws(new Random(42), 50), draws(new Random(43), 50));
  });

  it('is pinned: these values must not change across machines or releases', () => {
    // If this fails, every demo database and every recorded demo day changes: bump deliberately.
    const r = new Random(1);
    const first = [r.nextUint32(), r.nextUint32(), r.nextUint32()];
    assert.equal(
      first.every((v) => Number.isInteger(v) && v >= 0 && v < 2 ** 32),
      true,
    );
    assert.deepEqual(first, PINNED_SEED_1);
  });

  it('forks are stable per label and independent of each other', () => {
    const a = new Random(7).fork('items');
    const b = new Random(7).fork('items');
    const c = new Random(7).fork('people');
    assert.deepEqual(draws(a, 10), draws(b, 10));
    assert.notDeepEqual(draws(new Random(7).fork('items'), 10), draws(c, 10));
  });

  it('int stays within inclusive bounds and reaches both ends', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.integer({ min: -50, max: 50 }),
        fc.nat(20),
        (seed, min, span) => {
          const r = new Random(seed);
          for (let i = 0; i < 50; i++) {
            const v = r.int(min, min + span);
            assert.ok(Number.isInteger(v) && v >= min && v <= min + span);
          }
        },
      ),
    );
    const r = new Random(3);
    const seen = new Set(Array.from({ length: 400 }, () => r.int(1, 6)));
    assert.deepEqual([...seen].sort(), [1, 2, 3, 4, 5, 6]);
  });

  it('rejects impossible ranges', () => {
    assert.throws(() => new Random(1).int(5, 4), RangeError);
    assert.throws(() => new Random(1).pick([]), RangeError);
    assert.throws(() => new Random(1).weighted([['a', 0]]), RangeError);
  });

  it('weighted never picks a zero-weight entry and follows the weights roughly', () => {
    const r = new Random(11);
    const counts = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 3000; i++) {
      const k = r.weighted([
        ['a', 1],
        ['b', 0],
        ['c', 3],
      ] as const);
      counts[k]++;
    }
    assert.equal(counts.b, 0);
    assert.ok(counts.c > counts.a * 2, `c=${counts.c} a=${counts.a}`);
  });

  it('shuffle returns a permutation and leaves its input alone', () => {
    const input = Object.freeze([1, 2, 3, 4, 5, 6, 7, 8]);
    const out = new Random(5).shuffle(input);
    assert.deepEqual([...out].sort(), [...input]);
    assert.deepEqual(input, [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.equal(new Random(5).sample(input, 3).length, 3);
  });

  it('bigint stays in range', () => {
    const r = new Random(9);
    for (let i = 0; i < 200; i++) {
      const v = r.bigint(100n, 250n);
      assert.ok(v >= 100n && v <= 250n);
    }
  });

  it('digits never start with zero unless allowed', () => {
    const r = new Random(2);
    for (let i = 0; i < 200; i++) assert.match(r.digits(6), /^[1-9]\d{5}$/);
  });
});

const PINNED_SEED_1 = [1828152527, 3394835397, 2967886022];
