/**
 * `generateDemoHealthSystem` assembles the demo from its parts. Pure: no I/O, no clock, no global
 * state; the seed alone decides the output, so the same seed gives a deep-equal system on any machine.
 */

import { CrosswalkError } from '../errors/index.ts';
import type { DemoHealthSystem, DemoSummary, IsoDate } from './model.ts';
import {
  buildAccounts,
  buildEntities,
  buildIntercompany,
  buildOrgStructure,
  HEALTH_SYSTEM_NAME,
} from './org.ts';
import { Random } from './random.ts';
import { buildStocking, buildSupplies } from './supplies.ts';
import { buildWorkforce } from './workforce.ts';

export interface DemoOptions {
  /** Any integer in [0, 2^32); default 42. */
  readonly seed?: number;
  /** The date opening stock is counted at, `YYYY-MM-DD`; default `2026-11-01`. */
  readonly openingDate?: IsoDate;
}

export const DEFAULT_DEMO_SEED = 42;
export const DEFAULT_OPENING_DATE: IsoDate = '2026-11-01';

export function assertSeed(seed: unknown, option = 'seed'): number {
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new CrosswalkError('CW_ERR_DEMO_OPTION', {
      option,
      reason: `expected an integer from 0 to 4294967295, got ${String(seed)}`,
    });
  }
  return seed;
}

/** A real calendar date in `YYYY-MM-DD` form, years 1900–2199. */
export function assertIsoDate(value: unknown, option: string): IsoDate {
  // Date accepts 2026-02-30 (rolling over) and rejects 2026-13-01 (NaN): a round trip catches both.
  const time = typeof value === 'string' ? Date.parse(`${value}T00:00:00Z`) : Number.NaN;
  const ok =
    typeof value === 'string' &&
    /^(19|20|21)\d\d-\d\d-\d\d$/.test(value) &&
    !Number.isNaN(time) &&
    new Date(time).toISOString().startsWith(value);
  if (!ok) {
    throw new CrosswalkError('CW_ERR_DEMO_OPTION', {
      option,
      reason: `expected a calendar date YYYY-MM-DD, got ${String(value)}`,
    });
  }
  return value;
}

export function generateDemoHealthSystem(options: DemoOptions = {}): DemoHealthSystem {
  const seed = assertSeed(options.seed ?? DEFAULT_DEMO_SEED);
  const openingDate = assertIsoDate(options.openingDate ?? DEFAULT_OPENING_DATE, 'openingDate');
  const root = new Random(seed);

  const entities = buildEntities(root.fork('entities'));
  const accounts = buildAccounts(entities);
  const intercompanyRelationships = buildIntercompany();
  const { costCenters, departments, parLocations, careLocations } = buildOrgStructure(entities);
  const { vendors, items, itemUoms, chargeMaster } = buildSupplies(root.fork('supplies'));
  const { parLevels, openingStock } = buildStocking(
    root.fork('stocking'),
    entities,
    parLocations,
    items,
    openingDate,
  );
  const { jobCodes, practitioners, employees, identityLinks } = buildWorkforce(
    root.fork('workforce'),
    departments,
    openingDate,
  );

  return {
    seed,
    name: HEALTH_SYSTEM_NAME,
    openingDate,
    entities,
    intercompanyRelationships,
    accounts,
    costCenters,
    departments,
    parLocations,
    careLocations,
    vendors,
    items,
    itemUoms,
    chargeMaster,
    parLevels,
    openingStock,
    jobCodes,
    practitioners,
    employees,
    identityLinks,
  };
}

/** Record counts per kind, in the order of `DemoHealthSystem`'s arrays (for the CLI to print). */
export function summarizeDemo(system: DemoHealthSystem): DemoSummary {
  return {
    entities: system.entities.length,
    intercompanyRelationships: system.intercompanyRelationships.length,
    accounts: system.accounts.length,
    costCenters: system.costCenters.length,
    departments: system.departments.length,
    parLocations: system.parLocations.length,
    careLocations: system.careLocations.length,
    vendors: system.vendors.length,
    items: system.items.length,
    itemUoms: system.itemUoms.length,
    chargeMaster: system.chargeMaster.length,
    parLevels: system.parLevels.length,
    openingStock: system.openingStock.length,
    jobCodes: system.jobCodes.length,
    practitioners: system.practitioners.length,
    employees: system.employees.length,
    identityLinks: system.identityLinks.length,
  };
}
