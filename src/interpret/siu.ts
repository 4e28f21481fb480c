import type { CaseParticipant, CasePayload } from '../canonical/index.ts';
import type { Segment } from '../hl7v2/index.ts';
import { type CareLocationRow, resolveCareLocation, resolveFacility } from '../mapping/index.ts';
import type { Emitter } from './context.ts';
import {
  caseToken,
  encounterToken,
  missing,
  orNull,
  patientToken,
  place,
  provider,
  quantity,
  sendingFacility,
  text,
} from './fields.ts';

/**
 * SIU^S12 (booked), S13 (rescheduled), S14 (modified) → CaseScheduled; S15 (cancelled) → CaseCancelled.
 * The case is the filler appointment id (SCH-2, else the placer's SCH-1), tokenised like FT1-23 so a
 * case's supplies and its schedule meet on the same token.
 */
export const SIU_ACTIONS: Readonly<Record<string, CasePayload['action']>> = {
  S12: 'booked',
  S13: 'rescheduled',
  S14: 'modified',
  S15: 'cancelled',
};

const MINUTES_PER: Readonly<Record<string, number>> = {
  '': 1,
  MIN: 1,
  M: 1,
  MINUTES: 1,
  H: 60,
  HR: 60,
  HOUR: 60,
  HOURS: 60,
};

/** A duration in whole minutes from a value and its units (minutes or hours); null when not expressible. */
function minutes(
  seg: Segment | undefined,
  valueField: number,
  unitField: number,
  position: string,
): number | null {
  const v = quantity(text(seg, valueField), position);
  const per = MINUTES_PER[text(seg, unitField, 1).toUpperCase()];
  if (v === null || per === undefined) return null;
  const m = v * per;
  return Number.isSafeInteger(m) && m > 0 ? m : null;
}

export function interpretSiu(em: Emitter, trigger: string): void {
  const msg = em.msg;
  const action = SIU_ACTIONS[trigger]!;
  const sch = msg.segment('SCH');
  if (sch === undefined) throw missing('SCH', 'the case a scheduling message is about');
  const token = caseToken(sch, 2, em.key) ?? caseToken(sch, 1, em.key);
  if (token === null) throw missing('SCH-2', 'the case a scheduling message is about');
  const at = em.firstTime(['MSH-7', msg.get('MSH-7')]);
  const ais = msg.segment('AIS');
  const ail = msg.segment('AIL');
  const tq1 = msg.segment('TQ1');
  const start =
    em.time(text(ais, 4, 1), 'AIS-4') ??
    em.time(text(sch, 11, 4), 'SCH-11.4') ??
    em.time(text(tq1, 7, 1), 'TQ1-7');
  const end = em.time(text(sch, 11, 5), 'SCH-11.5') ?? em.time(text(tq1, 8, 1), 'TQ1-8');
  const duration = minutes(ais, 7, 8, 'AIS-7') ?? minutes(sch, 9, 10, 'SCH-9');
  const facility = sendingFacility(msg);
  const where = place(ail, 3, facility);
  const loc: CareLocationRow | null =
    where.pointOfCare === ''
      ? null
      : resolveCareLocation(em.release, where.facility, where.pointOfCare, at.date, 'AIL-3');
  const entity = loc?.entityCode ?? resolveFacility(em.release, facility, at.date, 'MSH-4').entityCode;
  const participants: CaseParticipant[] = [];
  for (const aip of msg.segmentsNamed('AIP')) {
    const who = provider(aip, 3, em.release, at.date);
    if (who !== null) participants.push({ role: text(aip, 4, 1) || 'unspecified', provider: who });
  }
  const procedureCode = orNull(text(ais, 3, 1)) ?? orNull(text(sch, 7, 1));
  const procedureCodeSystem =
    procedureCode === null ? null : orNull(text(ais, 3, 1) ? text(ais, 3, 3) : text(sch, 7, 3));
  const payload: CasePayload = {
    caseToken: token,
    action,
    encounterToken: encounterToken(msg, em.key),
    patientToken: patientToken(msg, em.key),
    procedureCode,
    procedureCodeSystem,
    careLocationCode: loc?.careLocationCode ?? null,
    scheduledStart: start?.iso ?? null,
    scheduledEnd:
      end?.iso ??
      (start !== null && duration !== null
        ? new Date(Date.parse(start.iso) + duration * 60_000).toISOString()
        : null),
    durationMinutes: duration,
    participants,
  };
  if (action === 'cancelled') em.emit('CaseCancelled', 'SCH', at, entity, payload);
  else em.emit('CaseScheduled', 'SCH', at, entity, payload);
}
