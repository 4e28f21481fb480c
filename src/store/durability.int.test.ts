import assert from 'node:assert/strict';
import { test } from 'node:test';
import { migrate } from './migrate.ts';
import { eachEngine } from './test-engines.ts';

eachEngine('commit durability', (engine) => {
  test('stores wait for the disk on commit unless opened deferred (the apply stage), and both see one database', async () => {
    const { store, url } = await engine.freshStore();
    await migrate(store);
    const deferred = engine.reopen(url, { commitDurability: 'deferred' });
    if (engine.dialect === 'sqlite') {
      // 2 = FULL (the WAL is synced on every commit), 1 = NORMAL (synced with a later FULL commit or checkpoint).
      assert.equal(Number((await store.query('PRAGMA synchronous'))[0]!['synchronous']), 2);
      assert.equal(Number((await deferred.query('PRAGMA synchronous'))[0]!['synchronous']), 1);
    } else {
      assert.equal((await store.query('SHOW synchronous_commit'))[0]!['synchronous_commit'], 'on');
      assert.equal((await deferred.query('SHOW synchronous_commit'))[0]!['synchronous_commit'], 'off');
    }
    await deferred.transaction((tx) =>
      tx.execute('INSERT INTO apply_cursors (ordering_key, last_message_id, updated_at) VALUES (?, ?, ?)', [
        'k',
        7n,
        'T',
      ]),
    );
    const seen = await store.query('SELECT last_message_id FROM apply_cursors WHERE ordering_key = ?', ['k']);
    assert.equal(Number(seen[0]!['last_message_id']), 7, 'a deferred commit is committed for everyone');
  });
});
