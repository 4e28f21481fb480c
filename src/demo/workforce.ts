/**
 * Practitioners (the EHR's providers, each with an NPI), employees (HR) and the effective-dated links
 * between them. The gaps are deliberate, because they are what a data steward works on:
 * - community practitioners have privileges but no employee record (no link, ever);
 * - one newly hired physician has an employee record but no link yet;
 * - one practitioner was rehired under a new employee id, so has an ended link and a current one;
 * - nurses, techs and support staff are employees without an NPI.
 */

import {
  FAMILY_NAMES,
  GIVEN_NAMES_F,
  GIVEN_NAMES_M,
  HOURLY_RATE_CENTS,
  JOB_CODES,
  PRACTITIONER_SPECS,
  STAFF_PLAN,
} from './data-people.ts';
import { makeNpi } from './identifiers.ts';
import type { Department, Employee, IdentityLink, IsoDate, JobCode, Practitioner } from './model.ts';
import type { Random } from './random.ts';

export interface Workforce {
  readonly jobCodes: JobCode[];
  readonly practitioners: Practitioner[];
  readonly employees: Employee[];
  readonly identityLinks: IdentityLink[];
}

function isoFromDayNumber(day: number): IsoDate {
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}

function dayNumber(date: IsoDate): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return Date.UTC(y, m - 1, d) / 86_400_000;
}

export interface PersonName {
  readonly givenName: string;
  readonly familyName: string;
  readonly sex: 'F' | 'M';
}

export function drawName(r: Random): PersonName {
  const sex = r.chance(0.5) ? 'F' : 'M';
  return {
    givenName: r.pick(sex === 'F' ? GIVEN_NAMES_F : GIVEN_NAMES_M),
    familyName: r.pick(FAMILY_NAMES),
    sex,
  };
}

function unique(seen: Set<string>, draw: () => string): string {
  for (;;) {
    const v = draw();
    if (!seen.has(v)) {
      seen.add(v);
      return v;
    }
  }
}

/** The department a job sits in: exact key, or for `MS` the entity's first medical-surgical unit. */
function resolveDepartment(
  departments: readonly Department[],
  entity: string,
  key: string,
): Department | undefined {
  const exact = departments.find((d) => d.code === `${entity}-${key}`);
  if (exact !== undefined || key !== 'MS') return exact;
  return departments.find((d) => d.entityCode === entity && d.kind === 'medical-surgical');
}

export function buildWorkforce(
  rng: Random,
  departments: readonly Department[],
  openingDate: IsoDate,
): Workforce {
  const practitioners: Practitioner[] = [];
  const employees: Employee[] = [];
  const identityLinks: IdentityLink[] = [];
  const npis = new Set<string>();
  const providerIds = new Set<string>();
  const employeeIds = new Set<string>();
  const firstHireDay = dayNumber('2004-01-05');
  const lastHireDay = dayNumber(openingDate) - 30;

  const newEmployee = (
    r: Random,
    name: PersonName,
    jobCode: string,
    dept: Department,
    hireDate: IsoDate,
    terminationDate: IsoDate | null,
  ): Employee => {
    const [lo, hi] = HOURLY_RATE_CENTS[jobCode] ?? [2000, 3000];
    const employee: Employee = {
      code: unique(employeeIds, () => `E${r.digits(6)}`),
      familyName: name.familyName,
      givenName: name.givenName,
      jobCode,
      entityCode: dept.entityCode,
      homeCostCenterCode: dept.costCenterCode,
      hireDate,
      terminationDate,
      hourlyRate: BigInt(r.int(lo, hi)),
      currency: 'USD',
      ftePercent:
        jobCode === '1010'
          ? 100
          : r.weighted([
              [100, 70],
              [90, 10],
              [80, 8],
              [60, 7],
              [50, 5],
            ]),
    };
    employees.push(employee);
    return employee;
  };

  const pr = rng.fork('practitioners');
  for (const spec of PRACTITIONER_SPECS) {
    for (let i = 0; i < spec.count; i++) {
      const name = drawName(pr);
      const primary = spec.entities[i % spec.entities.length] ?? 'HRMC';
      const practitioner: Practitioner = {
        code: unique(providerIds, () => `PRV${pr.digits(5)}`),
        npi: unique(npis, () => makeNpi(`1${pr.digits(8, true)}`)),
        familyName: name.familyName,
        givenName: name.givenName,
        middleInitial: pr.chance(0.6) ? String.fromCharCode(65 + pr.int(0, 25)) : null,
        credential: spec.credential,
        kind: spec.kind,
        specialty: spec.specialty,
        primaryEntityCode: primary,
      };
      practitioners.push(practitioner);
      // The last `community` of each specialty are in private practice: privileges, no payroll.
      if (i >= spec.count - spec.community) continue;
      const dept = resolveDepartment(departments, primary, spec.departmentKey);
      if (dept === undefined) continue;
      // The first employed general surgeon is the rehire; the first hospitalist the pending link.
      const rehire = spec.specialty === 'General Surgery' && i === 0;
      const pendingLink = spec.specialty === 'Hospital Medicine' && i === 0;
      const hireDay = rehire
        ? pr.int(firstHireDay, dayNumber('2019-12-31'))
        : pendingLink
          ? dayNumber(openingDate) - 21
          : pr.int(firstHireDay, lastHireDay);
      const hireDate = isoFromDayNumber(hireDay);
      if (rehire) {
        const leftDate = '2024-06-30';
        const rehireDate = '2025-01-06';
        const before = newEmployee(pr, name, spec.jobCode, dept, hireDate, leftDate);
        const after = newEmployee(pr, name, spec.jobCode, dept, rehireDate, null);
        identityLinks.push(link(practitioner.code, before.code, hireDate, leftDate));
        identityLinks.push(link(practitioner.code, after.code, rehireDate, null));
        continue;
      }
      const employee = newEmployee(pr, name, spec.jobCode, dept, hireDate, null);
      if (pendingLink) continue;
      identityLinks.push(link(practitioner.code, employee.code, hireDate, null));
    }
  }

  const sr = rng.fork('staff');
  for (const [entity, plan] of Object.entries(STAFF_PLAN)) {
    for (const [jobCode, deptKey, count] of plan) {
      const dept = resolveDepartment(departments, entity, deptKey);
      if (dept === undefined) continue;
      for (let i = 0; i < count; i++) {
        newEmployee(
          sr,
          drawName(sr),
          jobCode,
          dept,
          isoFromDayNumber(sr.int(firstHireDay, lastHireDay)),
          null,
        );
      }
    }
  }
  return { jobCodes: JOB_CODES.slice(), practitioners, employees, identityLinks };
}

function link(
  practitionerCode: string,
  employeeCode: string,
  from: IsoDate,
  to: IsoDate | null,
): IdentityLink {
  return {
    code: `${practitionerCode}:${employeeCode}`,
    practitionerCode,
    employeeCode,
    effectiveFrom: from,
    effectiveTo: to,
  };
}
