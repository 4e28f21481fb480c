import assert from 'node:assert/strict';
import { test } from 'node:test';
import { insertRows } from './bulk.ts';
import { ddlTypes } from './ddl.ts';
import { arrayLiteral } from './pg-arrays.ts';
import type { Store } from './port.ts';
import { eachEngine } from './test-engines.ts';
import { asBigInt, asBool, asBytes, asNumber } from './values.ts';

// Texts an array literal must carry unchanged (PostgreSQL binds one array per column).
const AWKWARD = [
  'plain',
  '',
  ' padded ',
  'say "hi"',
  'back\\slash \\\\ two',
  'ends with \\',
  '\\x41 looks like bytea',
  'NULL',
  'null',
  '{a,b}',
  'comma, brace } and { quote "',
  'tab\there, line\nbreak, bell\u0007, nul-free',
  'json {"a":"b\\"c","d":"\\n"}',
  'ünïcödé – 💉',
];

async function probe(store: Store): Promise<void> {
  const t = ddlTypes(store.capabilities.dialect);
  await store.executeScript(`CREATE TABLE bulk_probe (
    id ${t.int} PRIMARY KEY,
    label ${t.text},
    code ${t.text},
    amount ${t.bigint} NOT NULL,
    flag ${t.bool},
    body ${t.bytes},
    doc ${t.json},
    small ${t.int},
    at ${t.timestamp},
    note ${t.text} DEFAULT 'default note'
  )`);
}

eachEngine('bulk inserts', (engine) => {
  test('every value comes back as written, whatever its characters, NULLs included', async () => {
    const { store } = await engine.freshStore();
    await probe(store);
    const rows = AWKWARD.map((label, i) => ({
      id: i + 1,
      label: i % 5 === 4 ? null : label,
      // ASCII only, with NULLs and an empty text: PostgreSQL's one-call encoding of a column.
      code: i % 3 === 0 ? null : i % 3 === 1 ? '' : `c-${i}-${'x'.repeat(i * 20)}`,
      amount: 9_007_199_254_740_993n * (i % 2 === 0 ? 1n : -1n),
      flag: i % 3 === 0,
      body: i % 4 === 0 ? null : Buffer.from([0, 92, 34, 255, i]),
      doc: JSON.stringify({ label, n: i }),
      small: i % 2 === 0 ? -i - 1 : String(i),
      at: i % 3 === 1 ? null : `2026-11-${String(10 + i).padStart(2, '0')}T10:00:00.000Z`,
    }));
    await store.transaction((tx) => insertRows(tx, 'bulk_probe', rows));
    const back = await store.query('SELECT * FROM bulk_probe ORDER BY id');
    assert.equal(back.length, rows.length);
    for (const [i, r] of rows.entries()) {
      const b = back[i]!;
      assert.equal(asNumber(b['id']), r.id);
      assert.equal(b['label'], r.label, `label ${JSON.stringify(r.label)}`);
      assert.equal(b['code'], r.code);
      assert.equal(asBigInt(b['amount']), r.amount);
      assert.equal(asBool(b['flag']), r.flag);
      assert.deepEqual(b['body'] === null ? null : asBytes(b['body']), r.body);
      const doc = typeof b['doc'] === 'string' ? JSON.parse(b['doc']) : b['doc'];
      assert.deepEqual(doc, JSON.parse(r.doc));
      assert.equal(asNumber(b['small']), Number(r.small));
      assert.equal(b['at'], r.at);
      assert.equal(b['note'], 'default note', 'a column not written keeps its default');
    }
  });

  test('a suffix applies to the whole set (ON CONFLICT), and a bad row refuses the statement whole', async () => {
    const { store } = await engine.freshStore();
    await probe(store);
    await insertRows(store, 'bulk_probe', [
      { id: 1, amount: 1n },
      { id: 2, amount: 2n },
    ]);
    await insertRows(
      store,
      'bulk_probe',
      [
        { id: 2, amount: 20n },
        { id: 3, amount: 30n },
      ],
      'ON CONFLICT (id) DO UPDATE SET amount = excluded.amount',
    );
    const amounts = (await store.query('SELECT amount FROM bulk_probe ORDER BY id')).map((r) =>
      asBigInt(r['amount']),
    );
    assert.deepEqual(amounts, [1n, 20n, 30n]);
    await assert.rejects(
      insertRows(store, 'bulk_probe', [
        { id: 4, amount: 4n },
        { id: 5, amount: null },
      ]),
    );
    const [n] = await store.query('SELECT COUNT(*) AS n FROM bulk_probe');
    assert.equal(asNumber(n!['n']), 3);
  });

  test('a value the column cannot hold is refused by PostgreSQL, whichever way it travels', async () => {
    const { store } = await engine.freshStore();
    await probe(store);
    // SQLite's columns take what they are given (type affinity); there is nothing to refuse.
    if (store.capabilities.dialect === 'postgres') {
      await assert.rejects(insertRows(store, 'bulk_probe', [{ id: 1, amount: 'many' }]), /bigint/);
      await assert.rejects(insertRows(store, 'bulk_probe', [{ id: 1, amount: 1n, small: 2 ** 31 }]), /range/);
      await assert.rejects(
        insertRows(store, 'bulk_probe', [{ id: 1, amount: 1n, flag: 'maybe' }]),
        /boolean/,
      );
    }
  });

  test('a table changed by another process: one failed insert, then the new column types are used', async () => {
    // PostgreSQL only: SQLite has no column types to remember (nor ALTER COLUMN … TYPE).
    if (engine.dialect !== 'postgres') return;
    const { store, url } = await engine.freshStore();
    await probe(store);
    await insertRows(store, 'bulk_probe', [{ id: 1, amount: 1n, label: '"one"' }]);
    await engine
      .reopen(url)
      .executeScript('ALTER TABLE bulk_probe ALTER COLUMN label TYPE JSONB USING label::jsonb');
    const again = () => insertRows(store, 'bulk_probe', [{ id: 2, amount: 2n, label: '"two"' }]);
    await assert.rejects(again(), /jsonb/, 'sent as the text it was');
    await again();
    const [row] = await store.query('SELECT label FROM bulk_probe WHERE id = 2');
    assert.equal(row!['label'], 'two');
  });

  test('an unknown column is reported by the engine', async () => {
    const { store } = await engine.freshStore();
    await probe(store);
    await assert.rejects(insertRows(store, 'bulk_probe', [{ id: 1, amount: 1n, nonsense: 'x' }]), /nonsense/);
  });
});

test('an array literal quotes what JSON would escape differently, and keeps NULL bare', () => {
  assert.equal(arrayLiteral(['x"y\\z', null, 'NULL']), '{"x\\"y\\\\z",null,"NULL"}');
  assert.equal(arrayLiteral(['line\nbreak', null]), '{"line\nbreak",NULL}');
  assert.equal(arrayLiteral(['a\\\\nb']), '{"a\\\\\\\\nb"}', 'an escaped backslash before n');
  assert.equal(arrayLiteral([12n, 3, true]), '{"12","3","true"}');
});
