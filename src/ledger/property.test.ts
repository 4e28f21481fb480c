import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isBalanced, postedLines, reverse } from './entry.ts';
import { journalize, type PostingEvent } from './journalize.ts';
import type { JournalEntry } from './model.ts';
import { ctx, POSTED_AT, periods, rules, sequence } from './test-fixtures.ts';
import { intercompanyMismatches, trialBalance } from './trial-balance.ts';

/**
 * Random event sequences through the standard rules (seeded; fast-check prints the shrunk sequence on
 * failure). Dates span a closed October and an open November/December, so late postings are in the mix.
 */

const everyday = fc.bigInt({ min: 1n, max: 10_000_000n });
const huge = fc.bigInt({ min: 2n ** 53n, max: 2n ** 62n });

function post(events: readonly PostingEvent[]): JournalEntry[] {
  return events.flatMap((e) => journalize(e, rules, ctx, periods()));
}

/** Non-zero nets per entity/currency/account: what "the accounts' balances" means for comparison. */
function balances(entries: readonly JournalEntry[]): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const r of trialBalance(postedLines(entries)).rows) {
    if (r.net !== 0n) out.set(`${r.entity}/${r.currency}/${r.account}`, r.net);
  }
  return out;
}

test('every entry balances, each entity nets to zero, intercompany mirrors, late ones are flagged', () => {
  fc.assert(
    fc.property(sequence(everyday), (events) => {
      const entries = post(events);
      for (const e of entries) {
        assert.ok(isBalanced(e), e.id);
        assert.equal(trialBalance(postedLines([e])).balanced, true);
        assert.equal(e.lateFromPeriod !== null, e.effectiveDate < '2026-11-01', e.id);
        assert.ok(e.accountingDate.startsWith(e.periodId));
      }
      const tb = trialBalance(postedLines(entries));
      assert.equal(tb.balanced, true);
      assert.deepEqual(intercompanyMismatches(postedLines(entries), ctx), []);
    }),
    { seed: 1101, numRuns: 150 },
  );
});

test('reversing any subset brings the affected accounts back exactly', () => {
  fc.assert(
    fc.property(
      sequence(fc.oneof(everyday, huge)),
      fc.array(fc.boolean(), { maxLength: 60 }),
      (events, pick) => {
        const entries = post(events);
        const chosen = entries.filter((_, i) => pick[i] === true);
        const rest = entries.filter((_, i) => pick[i] !== true);
        const reversals = chosen.map((e) =>
          reverse(e, { reason: 'property test', date: '2026-12-15', postedAt: POSTED_AT }, ctx, periods()),
        );
        assert.deepEqual(balances([...entries, ...reversals]), balances(rest));
        assert.equal(trialBalance(postedLines([...entries, ...reversals])).balanced, true);
      },
    ),
    { seed: 1102, numRuns: 150 },
  );
});

test('amounts beyond 2^53 stay exact through entries and the trial balance', () => {
  fc.assert(
    fc.property(sequence(huge), (events) => {
      const entries = post(events);
      // Independent expectation: each event debits its amount once in every entity it books in.
      const expected = new Map<string, bigint>();
      for (const ev of events) {
        for (const entity of ev.counterparty ? [ev.entity, ev.counterparty] : [ev.entity]) {
          expected.set(entity, (expected.get(entity) ?? 0n) + ev.amount);
        }
      }
      const totals = new Map(trialBalance(postedLines(entries)).totals.map((t) => [t.entity, t.debit]));
      assert.deepEqual(totals, expected);
      for (const e of entries) for (const l of e.lines) assert.equal(typeof l.amount, 'bigint');
    }),
    { seed: 1103, numRuns: 100 },
  );
});

test('ids are deterministic and distinct per source event, rule and leg', () => {
  fc.assert(
    fc.property(sequence(everyday), (events) => {
      const a = post(events);
      const b = post(events.map((e) => ({ ...e, postedAt: '2027-02-01T08:00:00Z' })));
      assert.deepEqual(
        a.map((e) => e.id),
        b.map((e) => e.id),
      );
      assert.equal(new Set(a.map((e) => e.id)).size, a.length, 'no two entries share an id');
      const renamed = post(events.map((e) => ({ ...e, sourceEventId: `other-${e.sourceEventId}` })));
      const before = new Set(a.map((e) => e.id));
      assert.ok(renamed.every((e) => !before.has(e.id)));
    }),
    { seed: 1104, numRuns: 100 },
  );
});
