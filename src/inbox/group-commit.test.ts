import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GroupCommitter } from './group-commit.ts';

test('items submitted while a batch is written go together in the next, in order', async () => {
  const batches: number[][] = [];
  const gc = new GroupCommitter<number, string>(async (items) => {
    batches.push([...items]);
    await new Promise((r) => setTimeout(r, 5));
    return items.map((i) => `ok${i}`);
  });
  const first = gc.submit(0);
  await new Promise((r) => setImmediate(r)); // the first batch is now being written
  const rest = Array.from({ length: 50 }, (_, i) => gc.submit(i + 1));
  assert.deepEqual(
    await Promise.all([first, ...rest]),
    Array.from({ length: 51 }, (_, i) => `ok${i}`),
  );
  assert.deepEqual(batches[0], [0]);
  assert.deepEqual(
    batches[1],
    Array.from({ length: 50 }, (_, i) => i + 1),
  );
  assert.equal(gc.pending, 0);
});

test('a failed batch rejects exactly its own items and the next batch still runs', async () => {
  let calls = 0;
  const gc = new GroupCommitter<number, number>(async (items) => {
    calls++;
    if (calls === 1) throw new Error('disk full');
    return items;
  });
  const a = gc.submit(1);
  const aFailed = assert.rejects(a, /disk full/);
  await new Promise((r) => setImmediate(r));
  const b = gc.submit(2);
  await aFailed;
  assert.equal(await b, 2);
});

test('batches never exceed the maximum size and drained() waits for the last one', async () => {
  const sizes: number[] = [];
  const gc = new GroupCommitter<number, number>(async (items) => {
    sizes.push(items.length);
    return items;
  }, 7);
  const all = Array.from({ length: 30 }, (_, i) => gc.submit(i));
  await gc.drained();
  assert.deepEqual(
    await Promise.all(all),
    Array.from({ length: 30 }, (_, i) => i),
  );
  assert.ok(sizes.every((s) => s <= 7));
  assert.equal(
    sizes.reduce((a, b) => a + b, 0),
    30,
  );
});
