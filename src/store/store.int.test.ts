import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { isCrosswalkError } from '../errors/index.ts';
import { assertMigrated, migrate, schemaStatus } from './migrate.ts';
import { MIGRATIONS } from './migrations/index.ts';
import type { Migration } from './port.ts';
import { eachEngine } from './test-engines.ts';
import { asBigInt, asBool, asBytes, asNumber } from './values.ts';

const SCRATCH: Migration = {
  id: MIGRATIONS.length + 1000,
  name: 'contract scratch table',
  up: (d) => `CREATE TABLE scratch (
    id ${d === 'sqlite' ? 'INTEGER PRIMARY KEY' : 'BIGINT PRIMARY KEY'},
    amount_minor BIGINT NOT NULL,
    flag ${d === 'sqlite' ? 'INTEGER' : 'BOOLEAN'} NOT NULL,
    body ${d === 'sqlite' ? 'BLOB' : 'BYTEA'},
    note TEXT
  )`,
};
const WITH_SCRATCH = [...MIGRATIONS, SCRATCH];

eachEngine('storage contract', (engine) => {
  test('migrate applies every migration once, and a second run applies none', async () => {
    const { store } = await engine.freshStore();
    await assert.rejects(
      assertMigrated(store),
      (e) => isCrosswalkError(e) && e.code === 'CW_ERR_STORE_NOT_MIGRATED',
    );
    const first = await migrate(store);
    assert.deepEqual(
      first.map((m) => m.id),
      MIGRATIONS.map((m) => m.id),
    );
    assert.deepEqual(await migrate(store), []);
    await assertMigrated(store);
    const s = await schemaStatus(store);
    assert.equal(s.current, s.expected);
    assert.equal(s.pending.length, 0);
  });

  test('several processes migrating at once apply each migration exactly once', async () => {
    const { store, url } = await engine.freshStore();
    const script = `
      import { openStore, migrate } from ${JSON.stringify(new URL('./index.ts', import.meta.url).href)};
      const s = await openStore(process.env.URL);
      const done = await migrate(s);
      await s.close();
      process.stdout.write(JSON.stringify(done.map((m) => m.id)));`;
    const runs = await Promise.all(
      [1, 2, 3, 4].map(
        () =>
          new Promise<number[]>((resolve, reject) => {
            execFile(
              process.execPath,
              ['--import', 'tsx', '--input-type=module', '-e', script],
              { env: { ...process.env, URL: url }, timeout: 60_000 },
              (err, stdout, stderr) =>
                err ? reject(new Error(stderr || err.message)) : resolve(JSON.parse(stdout)),
            );
          }),
      ),
    );
    assert.deepEqual(
      runs.flat().sort((a, b) => a - b),
      MIGRATIONS.map((m) => m.id),
    );
    const rows = await store.query<{ n: unknown }>('SELECT COUNT(*) AS n FROM schema_migrations');
    assert.equal(asNumber(rows[0]!.n), MIGRATIONS.length);
  });

  test('a database migrated by a newer build is refused, not downgraded', async () => {
    const { store } = await engine.freshStore();
    await migrate(store, { migrations: WITH_SCRATCH });
    await assert.rejects(
      assertMigrated(store),
      (e) => isCrosswalkError(e) && e.code === 'CW_ERR_STORE_AHEAD',
    );
    await assert.rejects(migrate(store), (e) => isCrosswalkError(e) && e.code === 'CW_ERR_STORE_AHEAD');
  });

  test('money is exact beyond 2^53, and booleans, bytes and nulls round-trip', async () => {
    const { store } = await engine.freshStore();
    await migrate(store, { migrations: WITH_SCRATCH });
    const amounts = [
      0n,
      1n,
      -1n,
      9_007_199_254_740_993n,
      -9_223_372_036_854_775_807n,
      9_223_372_036_854_775_807n,
    ];
    let id = 0;
    for (const a of amounts) {
      await store.execute('INSERT INTO scratch (id, amount_minor, flag, body, note) VALUES (?, ?, ?, ?, ?)', [
        ++id,
        a,
        id % 2 === 0,
        Buffer.from([0, 255, id]),
        id === 3 ? null : `n${id}`,
      ]);
    }
    const rows = await store.query('SELECT id, amount_minor, flag, body, note FROM scratch ORDER BY id');
    assert.deepEqual(
      rows.map((r) => asBigInt(r['amount_minor'])),
      amounts,
    );
    assert.deepEqual(
      rows.map((r) => asBool(r['flag'])),
      [false, true, false, true, false, true],
    );
    assert.deepEqual([...asBytes(rows[2]!['body'])], [0, 255, 3]);
    assert.equal(rows[2]!['note'], null);
    const sum = await store.query<{ total: unknown }>(
      'SELECT SUM(amount_minor) AS total FROM scratch WHERE id <= 4',
    );
    assert.equal(asBigInt(sum[0]!.total), 9_007_199_254_740_993n);
  });

  test('a transaction commits when its function resolves and rolls back when it throws', async () => {
    const { store } = await engine.freshStore();
    await migrate(store, { migrations: WITH_SCRATCH });
    await store.transaction(async (tx) => {
      await tx.execute('INSERT INTO scratch (id, amount_minor, flag) VALUES (?, ?, ?)', [1, 100n, true]);
    });
    await assert.rejects(
      store.transaction(async (tx) => {
        await tx.execute('INSERT INTO scratch (id, amount_minor, flag) VALUES (?, ?, ?)', [2, 200n, true]);
        throw new Error('boom');
      }),
      /boom/,
    );
    const rows = await store.query('SELECT id FROM scratch ORDER BY id');
    assert.deepEqual(
      rows.map((r) => asNumber(r['id'])),
      [1],
    );
  });

  test('statements from other callers never land inside an open transaction', async () => {
    const { store } = await engine.freshStore();
    await migrate(store, { migrations: WITH_SCRATCH });
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const txDone = store
      .transaction(async (tx) => {
        await tx.execute('INSERT INTO scratch (id, amount_minor, flag) VALUES (?, ?, ?)', [1, 1n, true]);
        await gate;
        throw new Error('roll back');
      })
      .catch(() => 'rolled back');
    // Issued while the transaction is open; must not be rolled back with it.
    const outside = store.execute('INSERT INTO scratch (id, amount_minor, flag) VALUES (?, ?, ?)', [
      2,
      2n,
      false,
    ]);
    setTimeout(release, 20);
    assert.equal(await txDone, 'rolled back');
    await outside;
    const rows = await store.query('SELECT id FROM scratch ORDER BY id');
    assert.deepEqual(
      rows.map((r) => asNumber(r['id'])),
      [2],
    );
  });
});
