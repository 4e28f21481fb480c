/**
 * Mapping releases: effective-dated crosswalks (items, units, departments, care/par locations, facilities,
 * practitioners, charge master), field rules and account-determination inputs as immutable data,
 * identified by their content hash, governed proposed → approved → active → superseded, loaded from a
 * folder of CSV files a team reviews in git. Pure: no I/O.
 */
export { neutraliseFormula, parseCsv, unneutraliseFormula, writeCsv } from './csv.ts';
export { DEMO_FIELD_RULES, demoRelease } from './demo.ts';
export { diffReleases, type ReleaseDiff, type SettingChange, type TableDiff } from './diff.ts';
export { formatMoney, RELEASE_FILE, RELEASE_FORMAT, releaseFromFiles, releaseToFiles } from './files.ts';
export { canonicalJson } from './hash.ts';
export {
  activate,
  activeRelease,
  addRelease,
  emptyHistory,
  type ReleaseHistory,
  rollback,
  updateRelease,
} from './lifecycle.ts';
export {
  findCareLocation,
  findCharge,
  findDepartment,
  findFacility,
  findItem,
  findPractitioner,
  resolveAccountRoles,
  resolveCareLocation,
  resolveCharge,
  resolveDepartment,
  resolveFacility,
  resolveItem,
  resolvePractitioner,
  resolveUomFactor,
} from './lookup.ts';
export {
  approve,
  contentFromJson,
  contentHash,
  contentToJson,
  createRelease,
  normaliseContent,
  samePerson,
} from './release.ts';
export { type ColumnSpec, minorDigits, TABLES, type TableSpec } from './tables.ts';
export type * from './types.ts';
