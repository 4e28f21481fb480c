/**
 * Downtime meets the period close, on both engines, through the real apply stage: usage dated in a
 * period that was closed in the meantime is posted to the next open period (booked on its first day,
 * marked late from the closed one), flagged for the controller as one finance work item per entity and
 * period (counting its entries), and what goes to the ERP says so too.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { listPeriods, setPeriodStatus } from '../store/posting-repository.ts';
import { eachEngine } from '../store/test-engines.ts';
import { asNumber } from '../store/values.ts';
import { journalEntriesOf } from './documents.ts';
import { AT, applyUsage, demoBooks } from './testing.ts';

eachEngine('late events after a period closed', (engine) => {
  test('post to the next open period, flagged for the controller, and reach the outbox marked late', async () => {
    const { store } = await engine.freshStore({ migrated: true });
    await demoBooks(store);
    await applyUsage(store, { keys: ['or'], perKey: 3, batchSize: 3 });
    const onTime = await store.query(
      'SELECT COUNT(*) AS n FROM journal_entries WHERE late_from_period IS NOT NULL',
    );
    assert.equal(asNumber(onTime[0]!['n']), 0, 'nothing late before the close');

    // The usage is dated 2026-11-24; November closes for every entity while more of it is on its way.
    const entities = [...new Set((await listPeriods(store)).map((p) => p.entityCode))];
    for (const e of entities) await setPeriodStatus(store, e, '2026-11', 'closed', AT.toISOString());
    await applyUsage(store, { keys: ['or'], perKey: 6, batchSize: 3, seed: 12, prefix: 'late-' });

    const late = await store.query(
      `SELECT e.entity, e.period_id, e.late_from_period, e.accounting_date, e.effective_date
       FROM journal_entries e JOIN canonical_events ev ON ev.id = e.source_event_id
       JOIN inbound_messages m ON m.id = ev.source_message_id WHERE m.control_id LIKE 'late-%'`,
    );
    assert.ok(late.length > 0, 'the late usage posted');
    for (const r of late) {
      assert.equal(r['late_from_period'], '2026-11');
      assert.equal(r['period_id'], '2026-12');
      assert.equal(r['accounting_date'], '2026-12-01', 'booked on the first day of the next open period');
      assert.equal(String(r['effective_date']).slice(0, 7), '2026-11', 'the event keeps its own date');
    }

    const flags = await store.query(
      "SELECT team, status, subject, occurrences, event_id FROM exceptions WHERE reason_code = 'CW_ERR_LEDGER_LATE_POSTING' ORDER BY subject",
    );
    const lateEntities = [...new Set(late.map((r) => String(r['entity'])))].sort();
    assert.deepEqual(
      flags.map((f) => f['subject']),
      lateEntities.map((e) => `late:${e}:2026-11`),
      'one work item per entity and closed period, not one per entry',
    );
    for (const f of flags) {
      assert.equal(f['team'], 'finance');
      assert.equal(f['status'], 'open');
      assert.ok(f['event_id'], 'names a late event (close readiness scopes it by that event)');
    }
    const perEntity = new Map<string, number>();
    for (const r of late) perEntity.set(String(r['entity']), (perEntity.get(String(r['entity'])) ?? 0) + 1);
    for (const f of flags) {
      const entity = String(f['subject']).split(':')[1]!;
      assert.equal(
        asNumber(f['occurrences']),
        perEntity.get(entity),
        `${entity}: occurrences count its late entries`,
      );
    }

    // The ERP-bound documents carry the same placement.
    const lateInOutbox = (
      await store.query("SELECT payload FROM outbox_documents WHERE kind = 'journal-batch'")
    )
      .flatMap((d) => journalEntriesOf(String(d['payload'])))
      .filter((e) => e.lateFromPeriod !== null);
    assert.equal(lateInOutbox.length, late.length, 'every late entry goes to the ERP marked late');
    assert.ok(lateInOutbox.every((e) => e.periodId === '2026-12' && e.lateFromPeriod === '2026-11'));
  });
});
