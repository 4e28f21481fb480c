import type { EncounterPayload, EventType } from '../canonical/index.ts';
import { type CareLocationRow, resolveCareLocation, resolveFacility } from '../mapping/index.ts';
import type { Emitter } from './context.ts';
import {
  encounterToken,
  missing,
  orNull,
  patientToken,
  place,
  provider,
  sendingFacility,
  text,
} from './fields.ts';

/**
 * ADT: the encounter context supplies and charges are costed against. The trigger is MSH-9.2 (EVN-1 is
 * often stale, as in the public samples). Only PV1 is read, plus PID-3 for the patient token: names, birth
 * dates and addresses are never touched.
 */
export const ADT_EVENTS: Readonly<Record<string, EventType>> = {
  A01: 'EncounterStarted',
  A04: 'EncounterStarted',
  A02: 'EncounterUpdated',
  A06: 'EncounterUpdated',
  A07: 'EncounterUpdated',
  A08: 'EncounterUpdated',
  A03: 'EncounterEnded',
  A11: 'EncounterCancelled',
  A13: 'DischargeCancelled',
};

type EncounterType =
  | 'EncounterStarted'
  | 'EncounterUpdated'
  | 'EncounterEnded'
  | 'EncounterCancelled'
  | 'DischargeCancelled';

export function interpretAdt(em: Emitter, trigger: string): void {
  const type = ADT_EVENTS[trigger] as EncounterType;
  const msg = em.msg;
  const pv1 = msg.segment('PV1');
  if (pv1 === undefined) throw missing('PV1', 'the encounter an ADT message is about');
  const encounter = encounterToken(msg, em.key);
  if (encounter === null) throw missing('PV1-19', 'the encounter an ADT message is about');
  const at = em.firstTime(
    ['EVN-6', msg.get('EVN-6')],
    ['EVN-2', msg.get('EVN-2')],
    ['MSH-7', msg.get('MSH-7')],
  );
  const facility = sendingFacility(msg);
  const where = place(pv1, 3, facility);
  const loc: CareLocationRow | null =
    where.pointOfCare === ''
      ? null
      : resolveCareLocation(em.release, where.facility, where.pointOfCare, at.date, 'PV1-3');
  const entity = loc?.entityCode ?? resolveFacility(em.release, facility, at.date, 'MSH-4').entityCode;
  const payload: EncounterPayload = {
    encounterToken: encounter,
    patientToken: patientToken(msg, em.key),
    trigger,
    patientClass: orNull(text(pv1, 2, 1)),
    admissionType: orNull(text(pv1, 4, 1)),
    hospitalService: orNull(text(pv1, 10, 1)),
    careLocationCode: loc?.careLocationCode ?? null,
    departmentCode: loc?.departmentCode ?? null,
    costCenterCode: loc?.costCenterCode ?? null,
    attending: provider(pv1, 7, em.release, at.date),
    admittedAt: em.time(text(pv1, 44, 1), 'PV1-44')?.iso ?? null,
    dischargedAt: em.time(text(pv1, 45, 1), 'PV1-45')?.iso ?? null,
  };
  em.emit(type, 'PV1', at, entity, payload);
}
