import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SqlExecutor, Store } from './port.ts';
import { seedOneEntityBooks } from './test-books.ts';
import { eachEngine } from './test-engines.ts';

const seed = (store: Store) =>
  seedOneEntityBooks(store, [
    { id: '2026-10', start: '2026-10-01', end: '2026-10-31', status: 'closed' },
    { id: '2026-11', start: '2026-11-01', end: '2026-11-30', status: 'open' },
  ]);

async function line(
  tx: SqlExecutor,
  entry: string,
  no: number,
  side: string,
  amount: bigint,
  period = '2026-11',
) {
  await tx.execute(
    `INSERT INTO journal_lines (entry_id, line_no, entity, currency, period_id, accounting_date, account, side, amount, dimensions)
     VALUES (?, ?, 'E1', 'USD', ?, '2026-11-24', ?, ?, ?, '{}')`,
    [entry, no, period, side === 'debit' ? '6100' : '1300', side, amount],
  );
}

async function header(tx: SqlExecutor, entry: string, dr: bigint, cr: bigint, lines = 2, period = '2026-11') {
  await tx.execute(
    `INSERT INTO journal_entries (id, entity, currency, period_id, effective_date, accounting_date, posted_at, source_event_id,
       rule_id, reason_code, description, line_count, total_debit, total_credit)
     VALUES (?, 'E1', 'USD', ?, '2026-11-24', '2026-11-24', '2026-11-24T10:00:00.000Z', 'ev1', 'r', 'supply-used', 'd', ?, ?, ?)`,
    [entry, period, lines, dr, cr],
  );
}

const refused = (re: RegExp) => (e: unknown) => re.test(String((e as Error).message));

eachEngine('the database keeps the books honest', (engine) => {
  test('a balanced entry posts; an unbalanced one, a late line, an orphan line or a closed period are refused', async () => {
    const { store } = await engine.freshStore({ migrated: true });
    await seed(store);
    await store.transaction(async (tx) => {
      await line(tx, 'je1', 1, 'debit', 9_007_199_254_740_993n);
      await line(tx, 'je1', 2, 'credit', 9_007_199_254_740_993n);
      await header(tx, 'je1', 9_007_199_254_740_993n, 9_007_199_254_740_993n);
    });
    await assert.rejects(
      store.transaction(async (tx) => {
        await line(tx, 'je2', 1, 'debit', 100n);
        await line(tx, 'je2', 2, 'credit', 99n);
        await header(tx, 'je2', 100n, 100n);
      }),
      refused(/does not balance/),
      'header totals that the lines do not add up to',
    );
    await assert.rejects(
      store.transaction(async (tx) => {
        await line(tx, 'je3', 1, 'debit', 100n);
        await line(tx, 'je3', 2, 'credit', 100n);
        await header(tx, 'je3', 100n, 99n);
      }),
      (e: unknown) => /CHECK|check|does not balance/.test(String((e as Error).message)),
      'unequal totals',
    );
    await assert.rejects(
      store.transaction(async (tx) => {
        await line(tx, 'je1', 3, 'debit', 1n);
      }),
      refused(/posted journal entry/),
      'a line added to a posted entry',
    );
    await assert.rejects(
      store.transaction(async (tx) => {
        await line(tx, 'orphan', 1, 'debit', 5n);
        await line(tx, 'orphan', 2, 'credit', 5n);
      }),
      (e: unknown) => /FOREIGN KEY|foreign key/.test(String((e as Error).message)),
      'lines without their entry cannot be committed',
    );
    await assert.rejects(
      store.transaction(async (tx) => {
        await line(tx, 'je4', 1, 'debit', 5n, '2026-10');
        await line(tx, 'je4', 2, 'credit', 5n, '2026-10');
        await header(tx, 'je4', 5n, 5n, 2, '2026-10');
      }),
      refused(/takes no postings/),
      'a closed period',
    );
    const rows = await store.query<{ n: unknown }>('SELECT COUNT(*) AS n FROM journal_lines');
    assert.equal(Number(rows[0]!.n), 2, 'only the balanced entry is in the books');
  });

  test('entries posted many to a statement are checked each: one bad entry refuses the statement whole', async () => {
    const { store } = await engine.freshStore({ migrated: true });
    await seed(store);
    const headers = (ids: string[], credit: (id: string) => bigint) =>
      store.transaction(async (tx) => {
        for (const id of ids) {
          await line(tx, id, 1, 'debit', 100n);
          await line(tx, id, 2, 'credit', credit(id));
        }
        await tx.execute(
          `INSERT INTO journal_entries (id, entity, currency, period_id, effective_date, accounting_date, posted_at,
             source_event_id, rule_id, reason_code, description, line_count, total_debit, total_credit)
           VALUES ${ids.map(() => "(?, 'E1', 'USD', '2026-11', '2026-11-24', '2026-11-24', '2026-11-24T10:00:00.000Z', 'ev1', 'r', 'supply-used', 'd', 2, 100, 100)").join(', ')}`,
          ids,
        );
      });
    await assert.rejects(
      headers(['m1', 'm2', 'm3'], (id) => (id === 'm2' ? 99n : 100n)),
      refused(/does not balance/),
      'the middle entry of three does not balance',
    );
    await headers(['m1', 'm2', 'm3'], () => 100n);
    const rows = await store.query<{ n: unknown }>('SELECT COUNT(*) AS n FROM journal_entries');
    assert.equal(Number(rows[0]!.n), 3, 'the three balanced entries post together');
  });

  test('posted entries, lines, events and movements cannot be updated or deleted', async () => {
    const { store } = await engine.freshStore({ migrated: true });
    await seed(store);
    await store.transaction(async (tx) => {
      await line(tx, 'je1', 1, 'debit', 10n);
      await line(tx, 'je1', 2, 'credit', 10n);
      await header(tx, 'je1', 10n, 10n);
    });
    for (const sql of [
      "UPDATE journal_lines SET amount = 11 WHERE entry_id = 'je1'",
      "DELETE FROM journal_lines WHERE entry_id = 'je1'",
      "UPDATE journal_entries SET description = 'x' WHERE id = 'je1'",
      "DELETE FROM journal_entries WHERE id = 'je1'",
      'UPDATE inventory_movements SET quantity = 0',
      'DELETE FROM inventory_movements',
    ]) {
      // Tables with no rows still fire nothing on SQLite; insert a movement first so the statement hits a row.
      if (sql.includes('inventory_movements')) await ensureMovement(store);
      await assert.rejects(store.execute(sql), refused(/append-only/), sql);
    }
  });
});

const movementSeeded = new WeakSet<Store>();
async function ensureMovement(store: Store): Promise<void> {
  if (movementSeeded.has(store)) return;
  movementSeeded.add(store);
  await store.executeScript(`
    INSERT INTO vendors (code, name, kind, payment_terms_days) VALUES ('V1', 'Vendor', 'distributor', 30);
    INSERT INTO cost_centers (code, entity_code, number, name) VALUES ('E1-1', 'E1', '1', 'CC');
    INSERT INTO par_locations (code, entity_code, name, kind, cost_center_code) VALUES ('P1', 'E1', 'Par', 'or-core', 'E1-1');
    INSERT INTO items (code, ehr_supply_code, description, category, manufacturer_name, manufacturer_catalog_number,
      vendor_code, vendor_catalog_number, base_uom, unit_cost, currency, chargeable, implant, tracking, bill_only, expires)
      VALUES ('I1', 'S1', 'Gauze', 'med-surg', 'M', 'C', 'V1', 'VC', 'EA', 10, 'USD', ${sqlBool(store, false)},
        ${sqlBool(store, false)}, 'none', ${sqlBool(store, false)}, ${sqlBool(store, false)});
    INSERT INTO inventory_movements (movement_key, item_code, par_location_code, movement_type, quantity, value, currency, occurred_at)
      VALUES ('m1', 'I1', 'P1', 'opening', 5, 50, 'USD', '2026-11-01T00:00:00.000Z');`);
}

function sqlBool(store: Store, v: boolean): string {
  return store.capabilities.dialect === 'sqlite' ? (v ? '1' : '0') : v ? 'true' : 'false';
}
