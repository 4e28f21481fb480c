import type { TableName } from './types.ts';

/**
 * One description per crosswalk table drives validation, the CSV folder format, diffs and look-ups, so a
 * new column is added in one place. `key` is the look-up key; rows of one key may not overlap in time.
 */

export type ColumnKind =
  | 'text'
  | 'text?'
  | 'bool'
  | 'count'
  | 'money'
  | 'currency'
  | 'date?'
  | 'npi'
  | 'revenue-code'
  | 'event-type';

export interface ColumnSpec {
  /** The row property. */
  readonly field: string;
  /** The CSV header. */
  readonly header: string;
  readonly kind: ColumnKind;
}

export interface TableSpec {
  readonly name: TableName;
  readonly file: string;
  readonly key: readonly string[];
  readonly columns: readonly ColumnSpec[];
}

const col = (field: string, kind: ColumnKind): ColumnSpec => ({
  field,
  header: field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
  kind,
});

const EFFECTIVE = [col('effectiveFrom', 'date?'), col('effectiveTo', 'date?')];

function table(name: TableName, file: string, key: string[], columns: ColumnSpec[]): TableSpec {
  return { name, file, key, columns: [...columns, ...EFFECTIVE] };
}

export const TABLES: readonly TableSpec[] = [
  table('facilities', 'facilities.csv', ['facility'], [col('facility', 'text'), col('entityCode', 'text')]),
  table(
    'items',
    'items.csv',
    ['ehrSupplyCode'],
    [
      col('ehrSupplyCode', 'text'),
      col('itemCode', 'text'),
      col('description', 'text'),
      col('category', 'text'),
      col('baseUom', 'text'),
      col('implant', 'bool'),
      col('billOnly', 'bool'),
    ],
  ),
  table(
    'itemUoms',
    'item-uoms.csv',
    ['itemCode', 'uom'],
    [col('itemCode', 'text'), col('uom', 'text'), col('baseQuantity', 'count')],
  ),
  table(
    'departments',
    'departments.csv',
    ['ehrDepartmentCode'],
    [
      col('ehrDepartmentCode', 'text'),
      col('departmentCode', 'text'),
      col('costCenterCode', 'text'),
      col('entityCode', 'text'),
    ],
  ),
  table(
    'careLocations',
    'care-locations.csv',
    ['facility', 'pointOfCare'],
    [
      col('facility', 'text'),
      col('pointOfCare', 'text'),
      col('careLocationCode', 'text'),
      col('parLocationCode', 'text'),
      col('departmentCode', 'text'),
      col('costCenterCode', 'text'),
      col('entityCode', 'text'),
    ],
  ),
  table('practitioners', 'practitioners.csv', ['npi'], [col('npi', 'npi'), col('employeeCode', 'text')]),
  table(
    'chargeMaster',
    'charge-master.csv',
    ['cdmCode'],
    [
      col('cdmCode', 'text'),
      col('description', 'text'),
      col('revenueCode', 'revenue-code'),
      col('hcpcsCode', 'text?'),
      col('price', 'money'),
      col('currency', 'currency'),
      col('itemCode', 'text?'),
    ],
  ),
  table(
    'accountDetermination',
    'account-determination.csv',
    ['itemCategory', 'entityCode', 'eventType'],
    [
      col('itemCategory', 'text'),
      col('entityCode', 'text'),
      col('eventType', 'event-type'),
      col('debitRole', 'text'),
      col('creditRole', 'text'),
    ],
  ),
];

export const TABLE_BY_NAME: ReadonlyMap<TableName, TableSpec> = new Map(TABLES.map((t) => [t.name, t]));

/** Digits after the decimal point per currency; ISO 4217 exponents for the ones a CDM is likely to use. */
const MINOR_DIGITS: Readonly<Record<string, number>> = { JPY: 0, KRW: 0, ISK: 0, BHD: 3, KWD: 3, OMR: 3 };

export function minorDigits(currency: string): number {
  return MINOR_DIGITS[currency] ?? 2;
}

/** The key of a row as one string (NUL-separated, so no code can forge another key). */
export function rowKey(spec: TableSpec, row: object): string {
  const r = row as Record<string, unknown>;
  return spec.key.map((k) => String(r[k])).join('\u0000');
}

/** Whether a YYYY-MM-DD date falls in a row's effective range (both ends inclusive). */
export function isEffective(row: { effectiveFrom: string | null; effectiveTo: string | null }, date: string) {
  return (
    (row.effectiveFrom === null || row.effectiveFrom <= date) &&
    (row.effectiveTo === null || date <= row.effectiveTo)
  );
}
