/**
 * The invariant checker against real databases on both engines: a small applied day is clean, then each
 * test breaks one promise behind the application's back (raw SQL, triggers bypassed where the database
 * would refuse) and the checker must name it. A checker that always answers "clean" fails every test
 * but the first.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Applier } from '../apply/applier.ts';
import { loadDemo } from '../apply/testing.ts';
import { generateDemoHealthSystem, generateDftP03Batch } from '../demo/index.ts';
import { Inbox } from '../inbox/index.ts';
import type { Violation } from '../verify/index.ts';
import { InboxRepository } from './inbox-repository.ts';
import type { SqlExecutor, Store } from './port.ts';
import { eachEngine } from './test-engines.ts';
import { asBigInt } from './values.ts';
import { sealIntegrity, verifyInvariants } from './verify-repository.ts';

const SYSTEM = generateDemoHealthSystem({ seed: 42 });
const AT = new Date('2026-11-25T12:00:00.000Z');
const MESSAGES = generateDftP03Batch(6, 11, SYSTEM);

/** Six usage messages (batches of two, so several outbox documents) and one that fails (unmapped code). */
async function appliedDay(store: Store): Promise<void> {
  await loadDemo(store, SYSTEM);
  const inbox = new Inbox({ repository: new InboxRepository(store), clock: () => AT });
  for (const m of MESSAGES) await inbox.receive(Buffer.from(m), { name: 'or' });
  const broken = MESSAGES[0]!
    .split('\r')
    .map((seg) => {
      const f = seg.split('|');
      if (f[0] === 'MSH') f[9] = 'BROKEN1';
      if (f[0] === 'FT1' && f[1] === '1') f[7] = f[7]!.replace(/^[^^]*/, '9999991');
      return f.join('|');
    })
    .join('\r');
  await inbox.receive(Buffer.from(broken), { name: 'or' });
  await new Applier({ store, tokenKey: Buffer.alloc(32, 9), clock: () => AT, batchSize: 2 }).drain();
}

/** Runs `fn` with the database's own guards off for this transaction (PostgreSQL: replica mode; SQLite: none needed or dropped by the caller). */
async function behindTheBack(store: Store, fn: (tx: SqlExecutor) => Promise<void>): Promise<void> {
  await store.transaction(async (tx) => {
    if (tx.capabilities.dialect === 'postgres')
      await tx.execute("SET LOCAL session_replication_role = 'replica'");
    await fn(tx);
  });
}

const summary = (vs: readonly Violation[]) => vs.map((v) => `${v.invariant}: ${v.subject}: ${v.detail}`);
const invariants = (vs: readonly Violation[]) => [...new Set(vs.map((v) => v.invariant))].sort();

eachEngine('invariant checker', (engine) => {
  const fresh = async () => {
    const { store } = await engine.freshStore({ migrated: true });
    await appliedDay(store);
    assert.deepEqual(summary(await verifyInvariants(store)), [], 'the applied day is clean');
    return store;
  };

  test('a clean day, with a failed message and a refusal, has no violation', async () => {
    const store = await fresh();
    const [failed] = await store.query("SELECT COUNT(*) AS n FROM message_outcomes WHERE state = 'failed'");
    assert.equal(Number(failed!['n']), 1, 'the day has its failed message');
    const [docs] = await store.query('SELECT COUNT(*) AS n FROM outbox_documents');
    assert.ok(Number(docs!['n']) >= 2, 'the day wrote outbox documents');
  });

  test('a deleted outcome: an acknowledged message is missing', async () => {
    const store = await fresh();
    const [m] = await store.query(
      "SELECT message_id FROM message_outcomes WHERE state = 'applied' ORDER BY message_id LIMIT 1",
    );
    await store.execute('DELETE FROM message_outcomes WHERE message_id = ?', [m!['message_id'] as bigint]);
    const vs = await verifyInvariants(store);
    assert.deepEqual(invariants(vs), ['acknowledged-message-missing'], summary(vs).join('\n'));
    assert.ok(
      vs.some(
        (v) =>
          v.invariant === 'acknowledged-message-missing' &&
          v.subject.startsWith(`message ${asBigInt(m!['message_id'])} `),
      ),
      summary(vs).join('\n'),
    );
  });

  test('a message in two states: failed and applied, or processed and pending', async () => {
    const store = await fresh();
    const [f] = await store.query(
      "SELECT message_id, ordering_key FROM message_outcomes WHERE state = 'failed'",
    );
    await store.execute(
      `INSERT INTO canonical_events (id, type, ordering_key, source_message_id, position, mapping_release_id, occurred_at, entity, payload)
       VALUES ('ev_injected', 'SupplyUsed', ?, ?, 'FT1[1]', 'x', '2026-11-24T00:00:00Z', 'HRMC', '{}')`,
      [String(f!['ordering_key']), f!['message_id'] as bigint],
    );
    await store.execute('UPDATE apply_cursors SET last_message_id = last_message_id - 1');
    const vs = await verifyInvariants(store);
    assert.deepEqual(invariants(vs), ['message-state'], summary(vs).join('\n'));
    assert.ok(
      vs.some((v) => /failed and also applied/.test(v.detail)),
      summary(vs).join('\n'),
    );
    assert.ok(
      vs.some((v) => /pending .* and also failed/.test(v.detail)),
      summary(vs).join('\n'),
    );
  });

  test('an unbalanced entry written around the triggers: the entry and the trial balance', async () => {
    const store = await fresh();
    if (engine.dialect === 'sqlite') await store.executeScript('DROP TRIGGER journal_lines_sealed');
    const [line] = await store.query('SELECT * FROM journal_lines ORDER BY entry_id, line_no LIMIT 1');
    await behindTheBack(store, async (tx) => {
      await tx.execute(
        `INSERT INTO journal_lines (entry_id, line_no, entity, currency, period_id, accounting_date, account, cost_center, side, amount, memo, dimensions)
         SELECT entry_id, 99, entity, currency, period_id, accounting_date, account, cost_center, 'debit', 1, memo, dimensions
         FROM journal_lines WHERE entry_id = ? AND line_no = ?`,
        [String(line!['entry_id']), line!['line_no'] as bigint],
      );
    });
    const vs = await verifyInvariants(store);
    const expected = [
      'entry-unbalanced',
      'trial-balance',
      ...(engine.dialect === 'sqlite' ? ['immutable-changed'] : []),
    ].sort();
    assert.deepEqual(invariants(vs), expected, summary(vs).join('\n'));
    assert.ok(
      vs.some((v) => v.subject === `entry ${line!['entry_id']}`),
      'names the entry',
    );
    if (engine.dialect === 'sqlite')
      assert.ok(
        vs.some((v) => v.subject === 'trigger journal_lines_sealed'),
        'and the guard that was dropped',
      );
  });

  test('the same entry posted twice under another id: a duplicate effect', async () => {
    const store = await fresh();
    const [e] = await store.query(
      "SELECT * FROM journal_entries WHERE source_event_id NOT LIKE 'opening:%' ORDER BY id LIMIT 1",
    );
    await store.transaction(async (tx) => {
      await tx.execute(
        `INSERT INTO journal_lines (entry_id, line_no, entity, currency, period_id, accounting_date, account, cost_center, side, amount, memo, dimensions)
         SELECT 'je_duplicate', line_no, entity, currency, period_id, accounting_date, account, cost_center, side, amount, memo, dimensions
         FROM journal_lines WHERE entry_id = ?`,
        [String(e!['id'])],
      );
      await tx.execute(
        `INSERT INTO journal_entries (id, entity, currency, period_id, late_from_period, effective_date, accounting_date, posted_at,
           source_event_id, rule_id, reason_code, description, group_id, reverses, line_count, total_debit, total_credit)
         SELECT 'je_duplicate', entity, currency, period_id, late_from_period, effective_date, accounting_date, posted_at,
           source_event_id, rule_id, reason_code, description, group_id, reverses, line_count, total_debit, total_credit
         FROM journal_entries WHERE id = ?`,
        [String(e!['id'])],
      );
    });
    const vs = await verifyInvariants(store);
    assert.deepEqual(invariants(vs), ['duplicate-effect'], summary(vs).join('\n'));
    assert.match(vs[0]!.subject, new RegExp(`^entry ${e!['source_event_id']}`));
  });

  test('on-hand moved without a movement', async () => {
    const store = await fresh();
    const [p] = await store.query(
      'SELECT item_code, par_location_code FROM stock_on_hand ORDER BY item_code LIMIT 1',
    );
    await store.execute(
      'UPDATE stock_on_hand SET quantity = quantity + 1 WHERE item_code = ? AND par_location_code = ?',
      [String(p!['item_code']), String(p!['par_location_code'])],
    );
    const vs = await verifyInvariants(store);
    assert.deepEqual(invariants(vs), ['on-hand'], summary(vs).join('\n'));
    assert.equal(vs[0]!.subject, `${p!['item_code']} @ ${p!['par_location_code']}`);
  });

  test('raw bytes rewritten, and rows removed or rewritten since a seal', async () => {
    const store = await fresh();
    await sealIntegrity(store, 'auditor', AT.toISOString());
    assert.deepEqual(summary(await verifyInvariants(store)), [], 'clean right after the seal');
    const [m] = await store.query('SELECT id, raw FROM inbound_messages ORDER BY id LIMIT 1');
    const raw = Buffer.from(m!['raw'] as Uint8Array);
    raw[raw.length - 1] = raw[raw.length - 1]! ^ 1;
    await store.execute('UPDATE inbound_messages SET raw = ? WHERE id = ?', [raw, m!['id'] as bigint]);
    await store.execute("UPDATE inbound_messages SET sender = 'someone else' WHERE id = ?", [
      m!['id'] as bigint,
    ]);
    await behindTheBack(store, async (tx) => {
      if (tx.capabilities.dialect === 'sqlite')
        await tx.executeScript('DROP TRIGGER exception_history_no_delete');
      await tx.execute('DELETE FROM exception_history');
    });
    const vs = await verifyInvariants(store);
    const subjects = vs.map((v) => v.subject);
    assert.ok(subjects.includes(`inbound_messages ${m!['id']}`), summary(vs).join('\n'));
    assert.ok(subjects.includes('table inbound_messages'), 'the sealed rows of inbound_messages changed');
    assert.deepEqual(invariants(vs), ['immutable-changed'], summary(vs).join('\n'));
  });

  test('a later document delivered before an earlier one of its key', async () => {
    const store = await fresh();
    const rows = await store.query(
      'SELECT destination, document_id FROM outbox_deliveries ORDER BY destination, ordering_key, seq_message_id, seq_part',
    );
    assert.ok(rows.length >= 2, 'two deliveries of one key');
    await store.execute(
      "UPDATE outbox_deliveries SET state = 'delivered', delivered_at = ? WHERE destination = ? AND document_id = ?",
      [AT.toISOString(), String(rows[1]!['destination']), String(rows[1]!['document_id'])],
    );
    const vs = await verifyInvariants(store);
    assert.deepEqual(invariants(vs), ['destination-order'], summary(vs).join('\n'));
    assert.match(
      vs[0]!.detail,
      new RegExp(`${rows[1]!['document_id']} delivered while earlier ${rows[0]!['document_id']} waits`),
    );
  });

  test('a seal is an audited action, and an audit record rewritten behind the triggers is named', async () => {
    const store = await fresh();
    await sealIntegrity(store, 'auditor', AT.toISOString());
    await sealIntegrity(store, 'auditor.two', AT.toISOString());
    const chain = await store.query('SELECT seq, actor, action FROM audit_log ORDER BY seq');
    assert.deepEqual(
      chain.slice(-2).map((r) => `${r['actor']} ${r['action']}`),
      ['auditor verify.seal', 'auditor.two verify.seal'],
    );
    const seq = Number(chain.at(-2)!['seq']);
    await behindTheBack(store, async (tx) => {
      if (tx.capabilities.dialect === 'sqlite') await tx.executeScript('DROP TRIGGER audit_log_no_update');
      await tx.execute("UPDATE audit_log SET actor = 'someone else' WHERE seq = ?", [seq]);
    });
    const vs = (await verifyInvariants(store)).filter((v) => v.invariant === 'audit-chain');
    assert.deepEqual(summary(vs), [
      `audit-chain: audit record ${seq}: record ${seq} is not what was written`,
    ]);
  });
});
