/**
 * Planning a day of traffic: which patients, cases and supplies, at what second. Every random decision
 * is made here; each planned message carries a pure `render`. Case supplies come from the care
 * location's par location (see traffic-context.ts), so a day of demo usage never overdraws stock.
 */

import { CASE_TYPES, type CaseType, ED_SLOTS, INPATIENT_SLOTS, type Slot } from './data-traffic.ts';
import { message } from './er7.ts';
import type { CareLocation, Entity, Practitioner } from './model.ts';
import type { Random } from './random.ts';
import { addDaysCompact, type Drawn, type TrafficContext } from './traffic-context.ts';
import {
  ail,
  aip,
  ais,
  evn,
  FT1_TYPE,
  type Ft1Line,
  ft1,
  msh,
  pid,
  pv1,
  rgs,
  type SurgicalCase,
  type SyntheticPatient,
  sch,
  type Visit,
  zim,
} from './traffic-segments.ts';

export type TrafficKind =
  | 'adt-a01'
  | 'adt-a03'
  | 'adt-a04'
  | 'adt-a08'
  | 'siu-s12'
  | 'dft-p03'
  | 'dft-p11'
  | 'mfn-m16'
  | 'dft-p03-unknown-supply-code'
  | 'dft-p03-unknown-department';

/** A message decided but not yet rendered; `render` is pure. */
export interface Planned {
  readonly at: number;
  kind: TrafficKind;
  readonly application: string;
  readonly facility: string;
  render(controlId: string, ts: string): string;
}

export interface DftPlan extends Planned {
  readonly lines: Ft1Line[];
  problem: { readonly supplyCode?: string; readonly departmentCode?: string } | null;
}

export const DAY_SECONDS = 86_400;

interface ChargeRef {
  readonly visit: Visit;
  readonly patient: SyntheticPatient;
  readonly line: Ft1Line;
  readonly at: number;
}

/** One random stream over the day's shared plan; `with` gives each part of the day its own stream. */
export class DayPlanner {
  constructor(
    readonly ctx: TrafficContext,
    readonly r: Random,
    readonly planned: Planned[] = [],
    readonly dfts: DftPlan[] = [],
    /** Charges posted today and charges deliberately missed: the raw material of DFT^P11. */
    readonly charged: ChargeRef[] = [],
    readonly missed: ChargeRef[] = [],
  ) {}

  with(r: Random): DayPlanner {
    return new DayPlanner(this.ctx, r, this.planned, this.dfts, this.charged, this.missed);
  }

  ts(at: number): string {
    const s = Math.min(Math.max(Math.floor(at), 0), DAY_SECONDS - 1);
    const hh = String(Math.floor(s / 3600)).padStart(2, '0');
    const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
    const ss = String(s % 60).padStart(2, '0');
    return `${this.ctx.day.replaceAll('-', '')}${hh}${mm}${ss}`;
  }

  add(p: Planned): void {
    if (p.at >= 0 && p.at < DAY_SECONDS) this.planned.push(p);
  }

  adt(
    trigger: 'A01' | 'A03' | 'A04' | 'A08',
    at: number,
    entity: Entity,
    patient: SyntheticPatient,
    visit: Visit,
  ): void {
    const structure = trigger === 'A03' ? 'ADT_A03' : 'ADT_A01';
    this.add({
      at,
      kind: `adt-${trigger.toLowerCase()}` as TrafficKind,
      application: entity.hl7SendingApplication,
      facility: entity.hl7Facility,
      render: (id, ts) =>
        message([
          msh(entity.hl7SendingApplication, entity.hl7Facility, ts, ['ADT', trigger, structure], id),
          evn(trigger, ts),
          pid(patient, visit),
          pv1(visit),
        ]),
    });
  }

  /** Usage lines, and for chargeable items the charge line after them (unless missed on purpose). */
  lines(
    drawn: readonly Drawn[],
    location: CareLocation,
    visit: Visit,
    performer: Practitioner,
    caseId: string | null,
    usedAt: string,
    wasteShare: number,
  ): { usage: Ft1Line[]; charges: Ft1Line[]; missed: Ft1Line[] } {
    const dept = this.ctx.department(location);
    const usage: Ft1Line[] = [];
    const charges: Ft1Line[] = [];
    const missed: Ft1Line[] = [];
    for (const d of drawn) {
      const wasted = d.implant === null && this.r.chance(wasteShare);
      const base: Ft1Line = {
        type: wasted ? FT1_TYPE.supplyWasted : FT1_TYPE.supplyUsed,
        supplyCode: d.item.ehrSupplyCode,
        description: d.item.description,
        quantity: d.quantity,
        // The EHR knows implant costs (they are keyed at the point of use); other costs often not.
        unitCost: d.item.implant || this.r.chance(0.7) ? d.item.unitCost : null,
        charge: null,
        departmentCode: dept.ehrDepartmentCode,
        departmentName: dept.name,
        location,
        room: visit.location.code === location.code ? visit.room : null,
        bed: visit.location.code === location.code ? visit.bed : null,
        performer,
        orderer: visit.attending,
        caseId,
        usedAt,
        implant: d.implant,
      };
      usage.push(base);
      const cdm = d.item.cdmCode === null ? undefined : this.ctx.cdm.get(d.item.cdmCode);
      if (wasted || cdm === undefined || d.item.cdmCode === null) continue;
      const charge: Ft1Line = {
        ...base,
        type: FT1_TYPE.charge,
        unitCost: null,
        implant: null,
        charge: { cdmCode: d.item.cdmCode, description: cdm.description, price: cdm.price },
      };
      // About one chargeable supply in twenty goes unbilled: what supply-vs-charge reconciliation finds.
      if (this.r.chance(0.05)) missed.push(charge);
      else charges.push(charge);
    }
    return { usage, charges, missed };
  }

  dft(
    trigger: 'P03' | 'P11',
    at: number,
    entity: Entity,
    patient: SyntheticPatient,
    visit: Visit,
    lines: Ft1Line[],
  ): DftPlan | null {
    if (lines.length === 0 || at < 0 || at >= DAY_SECONDS) return null;
    const plan: DftPlan = {
      at,
      kind: trigger === 'P03' ? 'dft-p03' : 'dft-p11',
      application: entity.hl7SendingApplication,
      facility: entity.hl7Facility,
      lines,
      problem: null,
      render: (id, ts) => {
        const segments = [
          msh(entity.hl7SendingApplication, entity.hl7Facility, ts, ['DFT', trigger, `DFT_${trigger}`], id),
          evn(trigger, ts),
          pid(patient, visit),
          pv1(visit),
        ];
        plan.lines.forEach((raw, i) => {
          const line =
            plan.problem === null
              ? raw
              : {
                  ...raw,
                  supplyCode:
                    i === 0 && plan.problem.supplyCode !== undefined
                      ? plan.problem.supplyCode
                      : raw.supplyCode,
                  departmentCode: plan.problem.departmentCode ?? raw.departmentCode,
                  departmentName:
                    plan.problem.departmentCode === undefined ? raw.departmentName : 'Wound Care Clinic',
                };
          segments.push(ft1(i + 1, id, ts, line));
          if (line.implant !== null) segments.push(zim(i + 1, line.implant));
        });
        return message(segments);
      },
    };
    this.add(plan);
    if (trigger === 'P03') this.dfts.push(plan);
    return plan;
  }

  usageFor(location: CareLocation, slots: readonly Slot[], allowBillOnly: boolean): Drawn[] {
    return slots.flatMap((s) => this.ctx.draw(this.r, location, s, allowBillOnly));
  }
}

const HOUR = 3600;

function arrivalSecond(r: Random): number {
  // ED arrivals peak late morning to evening.
  const hour = r.weighted(
    Array.from({ length: 24 }, (_, h) => [h, h < 6 ? 2 : h < 10 ? 4 : h < 20 ? 7 : 4] as const),
  );
  return hour * HOUR + r.int(0, HOUR - 1);
}

export function planEd(p: DayPlanner, count: number): void {
  const sites = p.ctx.system.entities.filter((e) => p.ctx.careLocations(e.code, ['emergency']).length > 0);
  if (sites.length === 0) return;
  for (let i = 0; i < count; i++) {
    const entity = p.r.weighted(sites.map((e, k) => [e, k === 0 ? 2 : 1] as const));
    const location = p.r.pick(p.ctx.careLocations(entity.code, ['emergency']));
    const doctor = p.r.pick(p.ctx.practitioners(['Emergency Medicine'], entity.code));
    const t0 = arrivalSecond(p.r);
    let patient = p.ctx.newPatient(p.r, [1, 95]);
    const visit: Visit = {
      visitNumber: p.ctx.newVisitNumber(p.r),
      patientClass: 'E',
      admissionType: 'E',
      hospitalService: 'EME',
      location,
      room: `ED${String(p.r.int(1, 30)).padStart(2, '0')}`,
      bed: null,
      attending: doctor,
      admitAt: p.ts(t0),
      dischargeAt: null,
    };
    p.adt('A04', t0, entity, patient, visit);
    if (p.r.chance(0.3)) {
      patient = { ...patient, phone: `330-555-0${p.r.int(100, 199)}` };
      p.adt('A08', t0 + p.r.int(600, 1800), entity, patient, visit);
    }
    const tUse = t0 + p.r.int(2400, 3 * HOUR);
    if (tUse < DAY_SECONDS) {
      const { usage, charges } = p.lines(
        p.usageFor(location, ED_SLOTS, false),
        location,
        visit,
        doctor,
        null,
        p.ts(tUse),
        0,
      );
      p.dft('P03', tUse, entity, patient, visit, [...usage, ...charges]);
    }
    const tOut = tUse + p.r.int(HOUR, 4 * HOUR);
    p.adt('A03', tOut, entity, patient, { ...visit, dischargeAt: p.ts(tOut) });
  }
}

export function planInpatients(p: DayPlanner, count: number): void {
  const sites = p.ctx.system.entities.filter(
    (e) => p.ctx.careLocations(e.code, ['nursing-unit', 'icu']).length > 0,
  );
  if (sites.length === 0) return;
  for (let i = 0; i < count; i++) {
    const entity = p.r.weighted(sites.map((e, k) => [e, k === 0 ? 2 : 1] as const));
    const location = p.r.pick(p.ctx.careLocations(entity.code, ['nursing-unit', 'nursing-unit', 'icu']));
    const icu = location.kind === 'icu';
    const doctor = p.r.pick(
      p.ctx.practitioners([icu ? 'Critical Care Medicine' : 'Hospital Medicine'], entity.code),
    );
    let patient = p.ctx.newPatient(p.r, [18, 96]);
    const admittedToday = p.r.chance(0.5);
    const t0 = admittedToday ? p.r.int(0, 22 * HOUR) : p.r.int(6 * HOUR, 10 * HOUR);
    const priorDay = addDaysCompact(p.ctx.day.replaceAll('-', ''), -p.r.int(1, 6));
    const visit: Visit = {
      visitNumber: p.ctx.newVisitNumber(p.r),
      patientClass: 'I',
      admissionType: p.r.pick(['E', 'U', 'R'] as const),
      hospitalService: icu ? 'ICU' : 'MED',
      location,
      room: `${location.pointOfCare.replace(/\D/g, '') || '2'}${String(p.r.int(1, 30)).padStart(2, '0')}`,
      bed: p.r.pick(['A', 'B']),
      attending: doctor,
      admitAt: admittedToday ? p.ts(t0) : `${priorDay}${String(p.r.int(0, 23)).padStart(2, '0')}1500`,
      dischargeAt: null,
    };
    let tUse = t0 + p.r.int(HOUR, 6 * HOUR);
    if (admittedToday) {
      p.adt('A01', t0, entity, patient, visit);
      if (p.r.chance(0.4)) {
        patient = { ...patient, street: `${p.r.int(10, 9899)} ${patient.street.replace(/^\d+ /, '')}` };
        p.adt('A08', t0 + p.r.int(900, 2700), entity, patient, visit);
      }
    } else {
      tUse = t0;
    }
    if (tUse < DAY_SECONDS) {
      const drawn = p.usageFor(location, INPATIENT_SLOTS, false);
      const { usage, charges } = p.lines(drawn, location, visit, doctor, null, p.ts(tUse), 0);
      p.dft('P03', tUse, entity, patient, visit, [...usage, ...charges]);
    }
    if (!admittedToday) {
      const tOut = tUse + p.r.int(2 * HOUR, 6 * HOUR);
      p.adt('A03', tOut, entity, patient, { ...visit, dischargeAt: p.ts(tOut) });
    }
  }
}

export function planCases(p: DayPlanner, count: number, room: CaseType['room']): void {
  const roomKind = room === 'operating-room' ? 'operating-room' : 'procedure-room';
  const sites = p.ctx.system.entities
    .map((e) => ({
      entity: e,
      rooms: p.ctx.careLocations(e.code, [roomKind]),
      types: CASE_TYPES.filter((t) => t.room === room && t.entityKinds.includes(e.kind)),
    }))
    .filter((s) => s.rooms.length > 0 && s.types.length > 0);
  if (sites.length === 0) return;
  const nextFree = new Map<string, number>();
  for (const s of sites) for (const r of s.rooms) nextFree.set(r.code, 7.5 * HOUR + p.r.int(0, 900));
  for (let i = 0; i < count; i++) {
    const site = p.r.weighted(sites.map((s) => [s, s.rooms.length] as const));
    const type = p.r.weighted(site.types.map((t) => [t, t.weight] as const));
    const orRoom = site.rooms.reduce((a, b) =>
      (nextFree.get(b.code) ?? 0) < (nextFree.get(a.code) ?? 0) ? b : a,
    );
    const start = nextFree.get(orRoom.code) ?? 0;
    if (start > 18 * HOUR) continue;
    const minutes = p.r.int(type.minutes[0], type.minutes[1]);
    const end = start + minutes * 60;
    nextFree.set(orRoom.code, end + p.r.int(25, 45) * 60);
    const entity = site.entity;
    const surgeon = p.r.pick(p.ctx.practitioners(type.surgeonSpecialties, entity.code));
    const anesthesia =
      room === 'operating-room'
        ? p.r.pick(p.ctx.practitioners(['Anesthesiology', 'Nurse Anesthesia'], entity.code))
        : null;
    const c: SurgicalCase = {
      caseId: p.ctx.newCaseId(entity.code),
      procedureCode: type.procedureCode,
      procedureName: type.procedureName,
      location: orRoom,
      surgeon,
      anesthesia,
      startAt: p.ts(start),
      endAt: p.ts(end),
      minutes,
    };
    const preOp = p.ctx.careLocations(entity.code, ['pre-post-op'])[0] ?? orRoom;
    const tArrive = Math.max(start - p.r.int(60, 100) * 60, 120);
    const tBook = Math.max(tArrive - p.r.int(30, 240) * 60, 60);
    const patient = p.ctx.newPatient(p.r, type.ages);
    const visit: Visit = {
      visitNumber: p.ctx.newVisitNumber(p.r),
      patientClass: type.patientClass,
      admissionType: 'C',
      hospitalService: type.hospitalService,
      location: preOp,
      room: null,
      bed: null,
      attending: surgeon,
      admitAt: p.ts(tArrive),
      dischargeAt: null,
    };
    p.add({
      at: tBook,
      kind: 'siu-s12',
      application: entity.hl7SendingApplication,
      facility: entity.hl7Facility,
      render: (id, ts) => {
        const segs = [
          msh(entity.hl7SendingApplication, entity.hl7Facility, ts, ['SIU', 'S12', 'SIU_S12'], id),
          sch(c),
          pid(patient, visit),
          pv1(visit),
          rgs(),
          ais(c),
          ail(c),
          aip(1, c, surgeon, ['SURG', 'Surgeon']),
        ];
        if (anesthesia !== null) segs.push(aip(2, c, anesthesia, ['ANES', 'Anesthesia']));
        return message(segs);
      },
    });
    p.adt(type.patientClass === 'I' ? 'A01' : 'A04', tArrive, entity, patient, visit);
    const tPost = end + p.r.int(10, 45) * 60;
    const drawn = p.usageFor(orRoom, type.slots, true);
    const { usage, charges, missed } = p.lines(drawn, orRoom, visit, surgeon, c.caseId, c.endAt, 0.03);
    const plan = p.dft('P03', tPost, entity, patient, visit, [...usage, ...charges]);
    if (plan !== null) {
      for (const line of charges) p.charged.push({ visit, patient, line, at: tPost });
      for (const line of missed) p.missed.push({ visit, patient, line, at: tPost });
    }
    if (type.patientClass === 'O') {
      const tOut = tPost + p.r.int(90, 240) * 60;
      p.adt('A03', tOut, entity, patient, { ...visit, dischargeAt: p.ts(tOut) });
    }
  }
}

/** Late charges for missed ones first, then credits of one unit of a posted charge. */
export function planCorrections(p: DayPlanner, count: number): void {
  const pool = [
    ...p.missed.map((m) => ({ ...m, credit: false })),
    ...p.r.shuffle(p.charged).map((c) => ({ ...c, credit: true })),
  ];
  for (const m of pool.slice(0, count)) {
    const entity = p.ctx.entities.get(m.visit.location.entityCode);
    if (entity === undefined) continue;
    const line: Ft1Line = m.credit ? { ...m.line, type: FT1_TYPE.credit, quantity: 1 } : m.line;
    p.dft('P11', m.at + p.r.int(1, 4) * HOUR, entity, m.patient, m.visit, [line]);
  }
}

/** Turns a few DFT^P03s bad on purpose: an unknown supply code or an unknown department. */
export function planProblems(p: DayPlanner, share: number): void {
  if (share <= 0 || p.dfts.length === 0) return;
  const n = Math.min(p.dfts.length, Math.max(2, Math.round(share * p.dfts.length)));
  p.r.sample(p.dfts, n).forEach((plan, i) => {
    if (i % 2 === 0) {
      let code: string;
      do code = `9${p.r.digits(6, true)}`;
      while (p.ctx.supplyCodes.has(code));
      plan.problem = { supplyCode: code };
      plan.kind = 'dft-p03-unknown-supply-code';
    } else {
      let code: string;
      do code = `19${p.r.digits(6, true)}`;
      while (p.ctx.departmentCodes.has(code));
      plan.problem = { departmentCode: code };
      plan.kind = 'dft-p03-unknown-department';
    }
  });
}
