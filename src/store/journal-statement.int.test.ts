import assert from 'node:assert/strict';
import { test } from 'node:test';
import { insertRowsTogether } from './bulk.ts';
import type { SqlExecutor, Store } from './port.ts';
import { seedOneEntityBooks } from './test-books.ts';
import { eachEngine } from './test-engines.ts';

/**
 * An entry's lines and header written together (`insertRowsTogether`: one statement on PostgreSQL,
 * migration 0014) are held to the same rules as lines written before their header: the entry must
 * balance, and no line may join an entry posted earlier, not even one posted earlier in the same
 * transaction.
 */
const seed = (store: Store) => seedOneEntityBooks(store);

const lineOf = (entryId: string, lineNo: number, side: 'debit' | 'credit', amount: bigint) => ({
  entryId,
  lineNo,
  entity: 'E1',
  currency: 'USD',
  periodId: '2026-11',
  accountingDate: '2026-11-24',
  account: side === 'debit' ? '6100' : '1300',
  side,
  amount,
  dimensions: '{}',
});

const headerOf = (id: string, total: bigint, lineCount = 2) => ({
  id,
  entity: 'E1',
  currency: 'USD',
  periodId: '2026-11',
  effectiveDate: '2026-11-24',
  accountingDate: '2026-11-24',
  postedAt: '2026-11-24T10:00:00.000Z',
  sourceEventId: `ev-${id}`,
  ruleId: 'r',
  reasonCode: 'supply-used',
  description: 'd',
  lineCount,
  totalDebit: total,
  totalCredit: total,
});

function post(tx: SqlExecutor, lines: object[], headers: object[]): Promise<void> {
  return insertRowsTogether(tx, [
    { table: 'journal_lines', records: lines },
    { table: 'journal_entries', records: headers },
  ]);
}

const count = async (store: Store, table: string) =>
  Number((await store.query(`SELECT COUNT(*) AS n FROM ${table}`))[0]!['n']);

eachEngine('entries written with their lines', (engine) => {
  test('balanced entries post; an unbalanced one, or a line for an entry posted before, refuses the write whole', async () => {
    const { store } = await engine.freshStore();
    await seed(store);
    await store.transaction((tx) =>
      post(
        tx,
        [
          lineOf('a', 1, 'debit', 10n),
          lineOf('a', 2, 'credit', 10n),
          lineOf('b', 1, 'debit', 7n),
          lineOf('b', 2, 'credit', 7n),
        ],
        [headerOf('a', 10n), headerOf('b', 7n)],
      ),
    );
    await assert.rejects(
      store.transaction((tx) =>
        post(tx, [lineOf('c', 1, 'debit', 10n), lineOf('c', 2, 'credit', 9n)], [headerOf('c', 10n)]),
      ),
      /does not balance/,
    );
    await assert.rejects(
      store.transaction((tx) =>
        post(
          tx,
          [lineOf('d', 1, 'debit', 5n), lineOf('d', 2, 'credit', 5n), lineOf('a', 3, 'debit', 1n)],
          [headerOf('d', 5n)],
        ),
      ),
      /posted journal entry/,
      'a line for an entry of an earlier transaction, written with a new entry',
    );
    await assert.rejects(
      store.transaction(async (tx) => {
        await post(tx, [lineOf('e', 1, 'debit', 5n), lineOf('e', 2, 'credit', 5n)], [headerOf('e', 5n)]);
        await post(tx, [lineOf('e', 3, 'debit', 1n), lineOf('e', 4, 'credit', 1n)], []);
      }),
      /posted journal entry/,
      'lines for an entry posted by an earlier statement of the same transaction',
    );
    assert.equal(await count(store, 'journal_entries'), 2);
    assert.equal(await count(store, 'journal_lines'), 4);
  });
});

eachEngine('lines written before their entry (PostgreSQL)', (engine) => {
  if (engine.dialect !== 'postgres') return;

  test('the entry is awaited until commit, then the note is gone; a missing entry still refuses the commit', async () => {
    const { store } = await engine.freshStore();
    await seed(store);
    await store.transaction(async (tx) => {
      await post(tx, [lineOf('a', 1, 'debit', 10n), lineOf('a', 2, 'credit', 10n)], []);
      assert.equal(
        Number((await tx.query('SELECT COUNT(*) AS n FROM journal_lines_awaiting_entry'))[0]!['n']),
        1,
      );
      await post(tx, [], [headerOf('a', 10n)]);
    });
    assert.equal(await count(store, 'journal_lines_awaiting_entry'), 0);
    assert.equal(await count(store, 'journal_entries'), 1);
    // Deleting the note does not take the check away: it was queued when the note was written.
    await assert.rejects(
      store.transaction(async (tx) => {
        await post(tx, [lineOf('orphan', 1, 'debit', 5n), lineOf('orphan', 2, 'credit', 5n)], []);
        await tx.execute('DELETE FROM journal_lines_awaiting_entry');
      }),
      /foreign key/,
    );
    // Crosswalk's own writes leave no note at all.
    await store.transaction(async (tx) => {
      await post(tx, [lineOf('b', 1, 'debit', 3n), lineOf('b', 2, 'credit', 3n)], [headerOf('b', 3n)]);
      assert.equal(
        Number((await tx.query('SELECT COUNT(*) AS n FROM journal_lines_awaiting_entry'))[0]!['n']),
        0,
      );
    });
    assert.equal(await count(store, 'journal_lines'), 4);
  });
});
