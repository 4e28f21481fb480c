import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CrosswalkError, type ErrorCode } from '../errors/index.ts';
import type { FiscalPeriod } from './model.ts';
import { isIsoDate, monthlyPeriods, periodFor, transitionPeriod, validatePeriods } from './periods.ts';

const code = (c: ErrorCode) => (e: unknown) => e instanceof CrosswalkError && e.code === c;

const P: FiscalPeriod[] = [
  ...monthlyPeriods('HRMC', '2026-09', 1, 'closed'),
  ...monthlyPeriods('HRMC', '2026-10', 1, 'closing'),
  ...monthlyPeriods('HRMC', '2026-11', 2),
  ...monthlyPeriods('WCCH', '2026-11', 1, 'closed'),
];

test('isIsoDate accepts real calendar dates only', () => {
  assert.ok(isIsoDate('2028-02-29'));
  assert.ok(!isIsoDate('2026-02-29'));
  assert.ok(!isIsoDate('2026-13-01'));
  assert.ok(!isIsoDate('2026-1-01'));
  assert.ok(!isIsoDate('20261101'));
});

test('monthlyPeriods builds calendar months across year ends and leap years', () => {
  const ps = monthlyPeriods('E', '2027-12', 3);
  assert.deepEqual(
    ps.map((p) => [p.id, p.startDate, p.endDate]),
    [
      ['2027-12', '2027-12-01', '2027-12-31'],
      ['2028-01', '2028-01-01', '2028-01-31'],
      ['2028-02', '2028-02-01', '2028-02-29'],
    ],
  );
  assert.throws(() => monthlyPeriods('E', '2027-13', 1), code('CW_ERR_LEDGER_BAD_PERIOD'));
  assert.doesNotThrow(() => validatePeriods(ps));
});

test('an event in an open period lands there, on its own date', () => {
  const r = periodFor('HRMC', '2026-11-17', P);
  assert.equal(r.period.id, '2026-11');
  assert.equal(r.lateFromPeriod, null);
  assert.equal(r.accountingDate, '2026-11-17');
});

test('an event in a closed or closing period lands in the next open one, flagged, on its first day', () => {
  const closed = periodFor('HRMC', '2026-09-30', P);
  assert.deepEqual(
    [closed.period.id, closed.lateFromPeriod, closed.accountingDate],
    ['2026-11', '2026-09', '2026-11-01'],
  );
  const closing = periodFor('HRMC', '2026-10-05', P);
  assert.deepEqual([closing.period.id, closing.lateFromPeriod], ['2026-11', '2026-10']);
});

test('no covering period, or no open period after a closed one, is a typed error', () => {
  assert.throws(() => periodFor('HRMC', '2027-01-01', P), code('CW_ERR_LEDGER_NO_PERIOD'));
  assert.throws(() => periodFor('HRMC', '2026-08-31', P), code('CW_ERR_LEDGER_NO_PERIOD'));
  assert.throws(() => periodFor('HRSC', '2026-11-02', P), code('CW_ERR_LEDGER_NO_PERIOD'));
  assert.throws(() => periodFor('HRMC', '2026-11-31', P), code('CW_ERR_LEDGER_NO_PERIOD'));
  assert.throws(
    () => periodFor('WCCH', '2026-11-02', P),
    (e: unknown) =>
      e instanceof CrosswalkError &&
      e.code === 'CW_ERR_LEDGER_PERIOD_CLOSED' &&
      e.message === 'period 2026-11 of WCCH takes no postings and no later period is open',
  );
});

test('validatePeriods refuses overlaps, reversed dates and duplicate ids; periodFor refuses overlaps', () => {
  const nov = monthlyPeriods('E', '2026-11', 1)[0]!;
  const overlapping = { ...nov, id: 'X', startDate: '2026-11-15', endDate: '2026-12-15' };
  assert.throws(() => validatePeriods([nov, overlapping]), code('CW_ERR_LEDGER_BAD_PERIOD'));
  assert.throws(() => periodFor('E', '2026-11-20', [nov, overlapping]), code('CW_ERR_LEDGER_BAD_PERIOD'));
  assert.throws(
    () => validatePeriods([{ ...nov, startDate: '2026-11-30', endDate: '2026-11-01' }]),
    code('CW_ERR_LEDGER_BAD_PERIOD'),
  );
  const dec = monthlyPeriods('E', '2026-12', 1)[0]!;
  assert.throws(() => validatePeriods([nov, { ...dec, id: nov.id }]), code('CW_ERR_LEDGER_BAD_PERIOD'));
  assert.doesNotThrow(() => validatePeriods([nov, dec, { ...nov, entityCode: 'F' }]));
});

test('period status moves open → closing → closed, closing may reopen, closed is final', () => {
  const nov = monthlyPeriods('E', '2026-11', 1)[0]!;
  const closing = transitionPeriod(nov, 'closing');
  assert.equal(closing.status, 'closing');
  assert.equal(nov.status, 'open', 'the input is not mutated');
  assert.equal(transitionPeriod(closing, 'open').status, 'open');
  const closed = transitionPeriod(closing, 'closed');
  assert.throws(() => transitionPeriod(closed, 'open'), code('CW_ERR_LEDGER_PERIOD_TRANSITION'));
  assert.throws(() => transitionPeriod(nov, 'closed'), code('CW_ERR_LEDGER_PERIOD_TRANSITION'));
});
