import assert from 'node:assert/strict';
import { test } from 'node:test';
import { migrate } from './migrate.ts';
import { REFERENCE_TRIGGERS } from './migrations/0014-set-based-references.ts';
import type { SqlExecutor, Store } from './port.ts';
import { eachEngine } from './test-engines.ts';
import { asBigInt } from './values.ts';
import { expectedTriggers } from './verify-repository.ts';

/**
 * The references of the journal, events and movements, whichever way the engine enforces them (SQLite:
 * declared foreign keys; PostgreSQL: per-statement checks, migration 0014): a direct INSERT naming a row
 * that does not exist is refused, and a referenced row cannot be deleted, re-keyed or truncated away.
 */
async function seed(store: Store): Promise<void> {
  await migrate(store);
  const sqlite = store.capabilities.dialect === 'sqlite';
  const f = sqlite ? '0' : 'false';
  const bytes = sqlite ? "X'41'" : "'\\x41'::bytea";
  await store.executeScript(`
    INSERT INTO entities (code, name, kind, currency, npi, hl7_sending_application, hl7_facility, city, state)
      VALUES ('E1', 'Entity One', 'hospital', 'USD', '1234567893', 'EPIC', 'E1', 'Town', 'ST');
    INSERT INTO accounts (code, name, type, normal_balance) VALUES ('1300', 'Inventory', 'asset', 'debit');
    INSERT INTO accounts (code, name, type, normal_balance) VALUES ('6100', 'Supply expense', 'expense', 'debit');
    INSERT INTO accounts (code, name, type, normal_balance) VALUES ('9999', 'Unused', 'expense', 'debit');
    INSERT INTO cost_centers (code, entity_code, number, name) VALUES ('E1-1', 'E1', '1', 'CC');
    INSERT INTO fiscal_periods (entity_code, id, start_date, end_date, status) VALUES ('E1', '2026-11', '2026-11-01', '2026-11-30', 'open');
    INSERT INTO vendors (code, name, kind, payment_terms_days) VALUES ('V1', 'Vendor', 'distributor', 30);
    INSERT INTO par_locations (code, entity_code, name, kind, cost_center_code) VALUES ('P1', 'E1', 'Par', 'or-core', 'E1-1');
    INSERT INTO items (code, ehr_supply_code, description, category, manufacturer_name, manufacturer_catalog_number,
      vendor_code, vendor_catalog_number, base_uom, unit_cost, currency, chargeable, implant, tracking, bill_only, expires)
      VALUES ('I1', 'S1', 'Gauze', 'med-surg', 'M', 'C', 'V1', 'VC', 'EA', 10, 'USD', ${f}, ${f}, 'none', ${f}, ${f});
    INSERT INTO inbound_messages (interface_name, ordering_key, sender, control_id, message_type, received_at,
      content_sha256, size_bytes, raw, ack, ack_code)
      VALUES ('t', 'k', 'EPIC|E1', 'c1', 'DFT^P03', '2026-11-24T10:00:00.000Z', 'aa', 1, ${bytes}, ${bytes}, 'AA');`);
}

async function line(
  tx: SqlExecutor,
  entry: string,
  no: number,
  account: string,
  costCenter: string | null,
  entity = 'E1',
  period = '2026-11',
) {
  await tx.execute(
    `INSERT INTO journal_lines (entry_id, line_no, entity, currency, period_id, accounting_date, account, cost_center, side, amount, dimensions)
     VALUES (?, ?, ?, 'USD', ?, '2026-11-24', ?, ?, ?, 10, '{}')`,
    [entry, no, entity, period, account, costCenter, no === 1 ? 'debit' : 'credit'],
  );
}

async function header(
  tx: SqlExecutor,
  entry: string,
  entity = 'E1',
  period = '2026-11',
  reverses: string | null = null,
) {
  await tx.execute(
    `INSERT INTO journal_entries (id, entity, currency, period_id, effective_date, accounting_date, posted_at, source_event_id,
       rule_id, reason_code, description, reverses, line_count, total_debit, total_credit)
     VALUES (?, ?, 'USD', ?, '2026-11-24', '2026-11-24', '2026-11-24T10:00:00.000Z', 'ev1', 'r', 'supply-used', 'd', ?, 2, 10, 10)`,
    [entry, entity, period, reverses],
  );
}

async function post(store: Store, entry: string, account = '6100', costCenter: string | null = 'E1-1') {
  await store.transaction(async (tx) => {
    await line(tx, entry, 1, account, costCenter);
    await line(tx, entry, 2, '1300', null);
    await header(tx, entry);
  });
}

async function event(db: SqlExecutor, id: string, messageId: bigint | number) {
  await db.execute(
    `INSERT INTO canonical_events (id, type, ordering_key, source_message_id, position, mapping_release_id, occurred_at, payload)
     VALUES (?, 'SupplyUsed', 'k', ?, '1', 'r1', '2026-11-24T10:00:00.000Z', '{}')`,
    [id, messageId],
  );
}

async function movement(db: SqlExecutor, key: string, item: string, par: string) {
  await db.execute(
    `INSERT INTO inventory_movements (movement_key, item_code, par_location_code, movement_type, quantity, value, currency, occurred_at)
     VALUES (?, ?, ?, 'opening', 5, 50, 'USD', '2026-11-01T00:00:00.000Z')`,
    [key, item, par],
  );
}

async function messageId(store: Store): Promise<bigint> {
  return asBigInt((await store.query('SELECT id FROM inbound_messages'))[0]!['id']);
}

const foreignKey = (e: unknown) => /foreign key/i.test(String((e as Error).message));

eachEngine('references of the journal, events and movements', (engine) => {
  test('an INSERT naming a row that does not exist is refused, and nothing of its statement stays', async () => {
    const { store } = await engine.freshStore();
    await seed(store);
    await post(store, 'ok');
    await store.transaction(async (tx) => {
      await line(tx, 'ok-rev', 1, '1300', null);
      await line(tx, 'ok-rev', 2, '6100', null);
      await header(tx, 'ok-rev', 'E1', '2026-11', 'ok');
    });
    await assert.rejects(post(store, 'je-account', '4040'), foreignKey, 'an unknown account');
    await assert.rejects(post(store, 'je-cc', '6100', 'E1-404'), foreignKey, 'an unknown cost center');
    // The period check (open, so existing) runs first on both engines; either refusal will do.
    await assert.rejects(
      store.transaction(async (tx) => {
        await line(tx, 'je-period', 1, '6100', null, 'E1', '2031-01');
        await line(tx, 'je-period', 2, '1300', null, 'E1', '2031-01');
        await header(tx, 'je-period', 'E1', '2031-01');
      }),
      (e: unknown) => foreignKey(e) || /takes no postings/.test(String((e as Error).message)),
      'an unknown fiscal period',
    );
    await assert.rejects(
      store.transaction(async (tx) => {
        await line(tx, 'je-entity', 1, '6100', null, 'E404');
        await line(tx, 'je-entity', 2, '1300', null, 'E404');
        await header(tx, 'je-entity', 'E404');
      }),
      (e: unknown) => foreignKey(e) || /takes no postings/.test(String((e as Error).message)),
      'an unknown entity',
    );
    await assert.rejects(
      store.transaction(async (tx) => {
        await line(tx, 'je-rev', 1, '6100', null);
        await line(tx, 'je-rev', 2, '1300', null);
        await header(tx, 'je-rev', 'E1', '2026-11', 'je-never-posted');
      }),
      foreignKey,
      'a reversal of an entry that was never posted',
    );
    const id = await messageId(store);
    await event(store, 'ev-ok', id);
    await assert.rejects(
      event(store, 'ev-bad', 404_404),
      foreignKey,
      'an event of a message not in the inbox',
    );
    await movement(store, 'm-ok', 'I1', 'P1');
    await assert.rejects(movement(store, 'm-item', 'I404', 'P1'), foreignKey, 'an unknown item');
    await assert.rejects(movement(store, 'm-par', 'I1', 'P404'), foreignKey, 'an unknown par location');
    // Many rows to one statement: one bad key among good ones refuses them all.
    await assert.rejects(
      store.execute(
        `INSERT INTO inventory_movements (movement_key, item_code, par_location_code, movement_type, quantity, value, currency, occurred_at)
         VALUES ('m-a', 'I1', 'P1', 'opening', 1, 1, 'USD', '2026-11-01'), ('m-b', 'I404', 'P1', 'opening', 1, 1, 'USD', '2026-11-01'),
                ('m-c', 'I1', 'P1', 'opening', 1, 1, 'USD', '2026-11-01')`,
      ),
      foreignKey,
    );
    const count = async (table: string) =>
      Number((await store.query(`SELECT COUNT(*) AS n FROM ${table}`))[0]!['n']);
    assert.equal(await count('journal_entries'), 2);
    assert.equal(await count('journal_lines'), 4);
    assert.equal(await count('canonical_events'), 1);
    assert.equal(await count('inventory_movements'), 1);
  });

  test('a referenced row cannot be deleted or re-keyed; an unreferenced one can', async () => {
    const { store } = await engine.freshStore();
    await seed(store);
    await post(store, 'je1');
    await event(store, 'ev1', await messageId(store));
    await movement(store, 'm1', 'I1', 'P1');
    for (const sql of [
      "DELETE FROM accounts WHERE code = '6100'",
      "UPDATE accounts SET code = '6101' WHERE code = '6100'",
      "DELETE FROM cost_centers WHERE code = 'E1-1'",
      "DELETE FROM fiscal_periods WHERE entity_code = 'E1' AND id = '2026-11'",
      "UPDATE fiscal_periods SET id = '2026-12' WHERE entity_code = 'E1' AND id = '2026-11'",
      "DELETE FROM entities WHERE code = 'E1'",
      'DELETE FROM inbound_messages',
      "DELETE FROM items WHERE code = 'I1'",
      "UPDATE par_locations SET code = 'P2' WHERE code = 'P1'",
    ]) {
      await assert.rejects(store.execute(sql), foreignKey, sql);
    }
    // Not a key: the period closes as before.
    await store.execute(
      "UPDATE fiscal_periods SET status = 'closed' WHERE entity_code = 'E1' AND id = '2026-11'",
    );
    await store.execute("DELETE FROM accounts WHERE code = '9999'");
    const accounts = await store.query('SELECT code FROM accounts ORDER BY code');
    assert.deepEqual(
      accounts.map((r) => r['code']),
      ['1300', '6100'],
    );
  });
});

eachEngine('references checked per statement (PostgreSQL)', (engine) => {
  if (engine.dialect !== 'postgres') return;

  test('crosswalk verify knows every check by name, so a dropped one is reported', async () => {
    const { store } = await engine.freshStore();
    await migrate(store);
    const present = new Set(
      (await store.query('SELECT tgname FROM pg_trigger WHERE NOT tgisinternal')).map((r) =>
        String(r['tgname']),
      ),
    );
    const expected = expectedTriggers('postgres');
    for (const name of REFERENCE_TRIGGERS) assert.ok(expected.includes(name), `verify expects ${name}`);
    assert.deepEqual(
      expected.filter((t) => !present.has(t)),
      [],
    );
  });

  test('a referenced table cannot be truncated, nor a referenced row deleted outside READ COMMITTED', async () => {
    const { store } = await engine.freshStore();
    await seed(store);
    await post(store, 'je1');
    await assert.rejects(store.execute('TRUNCATE fiscal_periods'), foreignKey);
    // REPEATABLE READ cannot see a referencing row committed after its snapshot, so it may not delete.
    await assert.rejects(
      store.transaction(async (tx) => {
        await tx.execute('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
        await tx.execute("DELETE FROM accounts WHERE code = '9999'");
      }),
      /READ COMMITTED/,
    );
  });

  test('a delete waits for the transaction that references the row, then sees its rows and is refused', async () => {
    const { store } = await engine.freshStore();
    await seed(store);
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    let inserted!: () => void;
    const lineIn = new Promise<void>((r) => {
      inserted = r;
    });
    const writer = store.transaction(async (tx) => {
      await line(tx, 'je1', 1, '9999', null);
      await line(tx, 'je1', 2, '1300', null);
      await header(tx, 'je1');
      inserted();
      await held;
    });
    await lineIn;
    const deleting = store.execute("DELETE FROM accounts WHERE code = '9999'");
    let settled = false;
    const outcome = deleting.then(
      () => 'deleted',
      (e: Error) => e.message,
    );
    void outcome.then(() => {
      settled = true;
    });
    // The delete is parked on the writer's lock on the account row until the writer commits (without
    // that lock it would go through at once, and the assertion below says so).
    while (!settled) {
      const waiting = await store.query(
        `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'
           AND query LIKE 'DELETE FROM accounts%'`,
      );
      if (waiting.length > 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    release();
    await writer;
    assert.match(await outcome, /foreign key/i);
    const lines = await store.query("SELECT COUNT(*) AS n FROM journal_lines WHERE account = '9999'");
    assert.equal(Number(lines[0]!['n']), 1);
  });
});
