import { CrosswalkError } from '../errors/index.ts';
import { isEffective, rowKey, TABLES } from './tables.ts';
import type {
  AccountDeterminationRow,
  CareLocationRow,
  ChargeRow,
  DepartmentRow,
  FacilityRow,
  ItemRow,
  MappingRelease,
  PractitionerRow,
  ReleaseContent,
  ReleaseTables,
  TableName,
} from './types.ts';

/**
 * Effective-dated look-ups. Indices are built on first use per release content and cached beside it (a
 * WeakMap, so a release stays plain data and its index goes when it does). `date` is `YYYY-MM-DD`, the
 * sender's local calendar date of the event. `find*` return undefined; `resolve*` throw a typed error
 * naming the code, where it came from (`position`) and the date.
 */

type Index = ReadonlyMap<TableName, ReadonlyMap<string, readonly object[]>>;

const indices = new WeakMap<ReleaseContent, Index>();

function indexOf(content: ReleaseContent): Index {
  let index = indices.get(content);
  if (index === undefined) {
    const built = new Map<TableName, Map<string, object[]>>();
    for (const spec of TABLES) {
      const byKey = new Map<string, object[]>();
      for (const row of content[spec.name] as readonly object[]) {
        const k = rowKey(spec, row);
        const list = byKey.get(k);
        if (list === undefined) byKey.set(k, [row]);
        else list.push(row);
      }
      built.set(spec.name, byKey);
    }
    index = built;
    indices.set(content, index);
  }
  return index;
}

function contentOf(r: MappingRelease | ReleaseContent): ReleaseContent {
  return 'content' in r ? r.content : r;
}

/**
 * The row of a key in effect on `date`; `key` is the key's columns joined as rowKey joins them (NUL
 * between parts), written out by each caller so a look-up allocates nothing but that string.
 */
function findByKey<T extends TableName>(
  release: MappingRelease | ReleaseContent,
  table: T,
  key: string,
  date: string,
): ReleaseTables[T][number] | undefined {
  const rows = indexOf(contentOf(release)).get(table)?.get(key) as
    | readonly ReleaseTables[T][number][]
    | undefined;
  if (rows === undefined) return undefined;
  for (let i = 0; i < rows.length; i++) if (isEffective(rows[i]!, date)) return rows[i];
  return undefined;
}

type Release = MappingRelease | ReleaseContent;

export function findFacility(release: Release, facility: string, date: string): FacilityRow | undefined {
  return findByKey(release, 'facilities', facility, date);
}

export function resolveFacility(
  release: Release,
  facility: string,
  date: string,
  position = '?',
): FacilityRow {
  const row = findFacility(release, facility, date);
  if (row === undefined) {
    throw new CrosswalkError('CW_ERR_MAP_UNKNOWN_FACILITY', {
      facility: facility || '(empty)',
      position,
      date,
    });
  }
  return row;
}

export function findItem(release: Release, ehrSupplyCode: string, date: string): ItemRow | undefined {
  return findByKey(release, 'items', ehrSupplyCode, date);
}

export function resolveItem(release: Release, ehrSupplyCode: string, date: string, position = '?'): ItemRow {
  const row = findItem(release, ehrSupplyCode, date);
  if (row === undefined) {
    throw new CrosswalkError('CW_ERR_MAP_UNMAPPED_ITEM', {
      code: ehrSupplyCode || '(empty)',
      position,
      date,
    });
  }
  return row;
}

/** Base units in one `uom` of an ERP item; 1 for the item's base unit without needing a row. */
export function resolveUomFactor(
  release: Release,
  item: ItemRow,
  uom: string,
  date: string,
  position = '?',
): number {
  if (uom === item.baseUom) return 1;
  const row = findByKey(release, 'itemUoms', `${item.itemCode}\u0000${uom}`, date);
  if (row === undefined) {
    throw new CrosswalkError('CW_ERR_MAP_UNKNOWN_UOM', { item: item.itemCode, uom, date, position });
  }
  return row.baseQuantity;
}

export function findDepartment(
  release: Release,
  ehrDepartmentCode: string,
  date: string,
): DepartmentRow | undefined {
  return findByKey(release, 'departments', ehrDepartmentCode, date);
}

export function resolveDepartment(
  release: Release,
  ehrDepartmentCode: string,
  date: string,
  position = '?',
): DepartmentRow {
  const row = findDepartment(release, ehrDepartmentCode, date);
  if (row === undefined) {
    throw new CrosswalkError('CW_ERR_MAP_UNKNOWN_DEPARTMENT', {
      code: ehrDepartmentCode || '(empty)',
      position,
      date,
    });
  }
  return row;
}

export function findCareLocation(
  release: Release,
  facility: string,
  pointOfCare: string,
  date: string,
): CareLocationRow | undefined {
  return findByKey(release, 'careLocations', `${facility}\u0000${pointOfCare}`, date);
}

export function resolveCareLocation(
  release: Release,
  facility: string,
  pointOfCare: string,
  date: string,
  position = '?',
): CareLocationRow {
  const row = findCareLocation(release, facility, pointOfCare, date);
  if (row === undefined) {
    throw new CrosswalkError('CW_ERR_MAP_UNKNOWN_LOCATION', {
      facility: facility || '(empty)',
      pointOfCare: pointOfCare || '(empty)',
      position,
      date,
    });
  }
  return row;
}

export function findPractitioner(release: Release, npi: string, date: string): PractitionerRow | undefined {
  return findByKey(release, 'practitioners', npi, date);
}

export function resolvePractitioner(release: Release, npi: string, date: string): PractitionerRow {
  const row = findPractitioner(release, npi, date);
  if (row === undefined) throw new CrosswalkError('CW_ERR_MAP_UNKNOWN_PRACTITIONER', { npi, date });
  return row;
}

export function findCharge(release: Release, cdmCode: string, date: string): ChargeRow | undefined {
  return findByKey(release, 'chargeMaster', cdmCode, date);
}

export function resolveCharge(release: Release, cdmCode: string, date: string, position = '?'): ChargeRow {
  const row = findCharge(release, cdmCode, date);
  if (row === undefined) {
    throw new CrosswalkError('CW_ERR_MAP_UNKNOWN_CHARGE_CODE', {
      code: cdmCode || '(empty)',
      position,
      date,
    });
  }
  return row;
}

/**
 * The most specific account-determination row: entity+category, entity, category, then `*`/`*` — the
 * ledger's precedence, so an entity's override beats a category row of the shared table.
 */
export function resolveAccountRoles(
  release: Release,
  query: { readonly eventType: string; readonly itemCategory: string; readonly entity: string },
  date: string,
): AccountDeterminationRow {
  const { eventType, itemCategory, entity } = query;
  for (const [category, ent] of [
    [itemCategory, entity],
    ['*', entity],
    [itemCategory, '*'],
    ['*', '*'],
  ] as const) {
    const row = findByKey(release, 'accountDetermination', `${category}\u0000${ent}\u0000${eventType}`, date);
    if (row !== undefined) return row;
  }
  throw new CrosswalkError('CW_ERR_MAP_NO_ACCOUNT_RULE', { eventType, category: itemCategory, entity, date });
}
