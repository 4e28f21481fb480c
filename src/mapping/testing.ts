import assert from 'node:assert/strict';
import { CrosswalkError } from '../errors/index.ts';
import { DEMO_FIELD_RULES } from './demo.ts';
import type { ReleaseContent } from './types.ts';

/** Test helpers (not exported from index.ts). */

export const OPEN = { effectiveFrom: null, effectiveTo: null };

/** A small release written by hand: one entity, two items, one department, one location. */
export function smallContent(): ReleaseContent {
  return {
    name: 'small',
    description: 'test release',
    timeZone: 'America/New_York',
    fieldRules: DEMO_FIELD_RULES,
    facilities: [{ facility: 'HRMC', entityCode: 'HRMC', ...OPEN }],
    items: [
      {
        ehrSupplyCode: '7000001',
        itemCode: '100001',
        description: 'GLOVE EXAM NITRILE M',
        category: 'glove',
        baseUom: 'EA',
        implant: false,
        billOnly: false,
        ...OPEN,
      },
      {
        ehrSupplyCode: '7000002',
        itemCode: '100002',
        description: 'SUTURE 3-0 VICRYL',
        category: 'suture',
        baseUom: 'EA',
        implant: false,
        billOnly: false,
        effectiveFrom: '2026-01-01',
        effectiveTo: '2026-06-30',
      },
    ],
    itemUoms: [{ itemCode: '100001', uom: 'BX', baseQuantity: 100, ...OPEN }],
    departments: [
      {
        ehrDepartmentCode: '10601001',
        departmentCode: 'HRMC-ED',
        costCenterCode: 'HRMC-6010',
        entityCode: 'HRMC',
        ...OPEN,
      },
    ],
    careLocations: [
      {
        facility: 'HRMC',
        pointOfCare: 'ED',
        careLocationCode: 'HRMC-ED',
        parLocationCode: 'HRMC-EDSUP',
        departmentCode: 'HRMC-ED',
        costCenterCode: 'HRMC-6010',
        entityCode: 'HRMC',
        ...OPEN,
      },
    ],
    practitioners: [
      { npi: '1131007829', employeeCode: 'E100001', effectiveFrom: '2020-01-01', effectiveTo: null },
    ],
    chargeMaster: [
      {
        cdmCode: '2700005',
        description: 'GAUZE SPONGE',
        revenueCode: '0270',
        hcpcsCode: null,
        price: 100n,
        currency: 'USD',
        itemCode: '100001',
        ...OPEN,
      },
    ],
    accountDetermination: [
      {
        itemCategory: '*',
        entityCode: '*',
        eventType: 'SupplyUsed',
        debitRole: 'supply-expense',
        creditRole: 'inventory',
        ...OPEN,
      },
    ],
  };
}

export function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof CrosswalkError, `expected a CrosswalkError, got ${String(e)}`);
    return `${e.code} ${e.message}`;
  }
  assert.fail('expected an error');
}
