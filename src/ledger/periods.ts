/**
 * Fiscal periods per entity and where an event lands. An event dated in an open period lands there; one
 * dated in a period that no longer takes postings (`closing` or `closed`) lands in the next open period
 * of the same entity, on that period's first day, flagged with the period it should have been in. A date
 * no period covers, or a late event with no open period after it, is an error the caller turns into a
 * work item.
 */

import { CrosswalkError } from '../errors/index.ts';
import type { FiscalPeriod, IsoDate, PeriodStatus } from './model.ts';

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A real calendar date in `YYYY-MM-DD` form (2026-02-30 is not). */
export function isIsoDate(text: string): boolean {
  const m = ISO_DATE.exec(text);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}

function badPeriod(p: Pick<FiscalPeriod, 'id' | 'entityCode'>, reason: string): CrosswalkError {
  return new CrosswalkError('CW_ERR_LEDGER_BAD_PERIOD', { period: p.id, entity: p.entityCode, reason });
}

/** Checks each period's dates and that an entity's periods neither share an id nor overlap. */
export function validatePeriods(periods: readonly FiscalPeriod[]): void {
  const byEntity = new Map<string, FiscalPeriod[]>();
  for (const p of periods) {
    if (p.id.length === 0) throw badPeriod(p, 'empty id');
    if (!isIsoDate(p.startDate) || !isIsoDate(p.endDate)) throw badPeriod(p, 'dates must be YYYY-MM-DD');
    if (p.startDate > p.endDate) throw badPeriod(p, `starts ${p.startDate} after it ends ${p.endDate}`);
    const list = byEntity.get(p.entityCode) ?? [];
    list.push(p);
    byEntity.set(p.entityCode, list);
  }
  for (const list of byEntity.values()) {
    const sorted = [...list].sort((a, b) =>
      a.startDate < b.startDate ? -1 : a.startDate > b.startDate ? 1 : 0,
    );
    const ids = new Set<string>();
    for (const [i, p] of sorted.entries()) {
      if (ids.has(p.id)) throw badPeriod(p, 'id used twice');
      ids.add(p.id);
      const prev = sorted[i - 1];
      if (prev && p.startDate <= prev.endDate) throw badPeriod(p, `overlaps period ${prev.id}`);
    }
  }
}

export interface PeriodResolution {
  readonly period: FiscalPeriod;
  /** The period the date belongs to when it took no postings; `null` when on time. */
  readonly lateFromPeriod: string | null;
  /** The date the entry is booked on inside `period`. */
  readonly accountingDate: IsoDate;
}

/**
 * Resolutions per period list: a batch resolves the same few (entity, date) pairs for thousands of
 * entries against one list, which is read once per batch and never changed in place.
 */
const resolved = new WeakMap<readonly FiscalPeriod[], Map<string, PeriodResolution>>();

/** Where an event of `entity` dated `date` is booked. */
export function periodFor(entity: string, date: IsoDate, periods: readonly FiscalPeriod[]): PeriodResolution {
  let memo = resolved.get(periods);
  if (memo === undefined) {
    memo = new Map();
    resolved.set(periods, memo);
  }
  const key = `${entity}\u0000${date}`;
  const hit = memo.get(key);
  if (hit !== undefined) return hit;
  const r = resolvePeriod(entity, date, periods);
  if (memo.size < 10_000) memo.set(key, r);
  return r;
}

function resolvePeriod(entity: string, date: IsoDate, periods: readonly FiscalPeriod[]): PeriodResolution {
  if (!isIsoDate(date)) {
    throw new CrosswalkError('CW_ERR_LEDGER_NO_PERIOD', { entity, date });
  }
  const own = periods.filter((p) => p.entityCode === entity);
  const containing = own.filter((p) => p.startDate <= date && date <= p.endDate);
  if (containing.length > 1) throw badPeriod(containing[1]!, `overlaps period ${containing[0]!.id}`);
  const home = containing[0];
  if (!home) throw new CrosswalkError('CW_ERR_LEDGER_NO_PERIOD', { entity, date });
  if (home.status === 'open') return { period: home, lateFromPeriod: null, accountingDate: date };
  let next: FiscalPeriod | undefined;
  for (const p of own) {
    if (p.status === 'open' && p.startDate > home.endDate && (!next || p.startDate < next.startDate))
      next = p;
  }
  if (!next) throw new CrosswalkError('CW_ERR_LEDGER_PERIOD_CLOSED', { period: home.id, entity });
  return { period: next, lateFromPeriod: home.id, accountingDate: next.startDate };
}

/** Calendar-month periods `YYYY-MM` for one entity, starting at `firstMonth` (`YYYY-MM`). */
export function monthlyPeriods(
  entity: string,
  firstMonth: string,
  count: number,
  status: PeriodStatus = 'open',
): FiscalPeriod[] {
  const m = /^(\d{4})-(\d{2})$/.exec(firstMonth);
  const month0 = m ? Number(m[2]) - 1 : -1;
  if (!m || month0 < 0 || month0 > 11 || !Number.isInteger(count) || count < 0) {
    throw badPeriod({ id: firstMonth, entityCode: entity }, 'expected a YYYY-MM month and a count >= 0');
  }
  const out: FiscalPeriod[] = [];
  for (let i = 0; i < count; i++) {
    const start = new Date(Date.UTC(Number(m[1]), month0 + i, 1));
    const end = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 0));
    const startDate = start.toISOString().slice(0, 10);
    out.push({
      id: startDate.slice(0, 7),
      entityCode: entity,
      startDate,
      endDate: end.toISOString().slice(0, 10),
      status,
    });
  }
  return out;
}

const TRANSITIONS: Readonly<Record<PeriodStatus, readonly PeriodStatus[]>> = {
  open: ['closing'],
  closing: ['open', 'closed'],
  closed: [],
};

/**
 * The period with its new status. Allowed: open → closing (cut-off), closing → open (close abandoned),
 * closing → closed. A closed period stays closed: corrections go into a later period.
 */
export function transitionPeriod(period: FiscalPeriod, to: PeriodStatus): FiscalPeriod {
  if (!TRANSITIONS[period.status].includes(to)) {
    throw new CrosswalkError('CW_ERR_LEDGER_PERIOD_TRANSITION', {
      period: period.id,
      entity: period.entityCode,
      from: period.status,
      to,
    });
  }
  return { ...period, status: to };
}
