import { canonicalJson } from './hash.ts';
import { contentHash } from './release.ts';
import { rowKey, TABLES } from './tables.ts';
import type { MappingRelease, ReleaseContent, ReleaseTables, TableName } from './types.ts';

/**
 * What a release changes, table by table, for review. A row is identified by its key plus its
 * effective-from date, so closing a row and opening its successor reads as one change and one addition.
 */

export interface TableDiff<R> {
  readonly added: readonly R[];
  readonly removed: readonly R[];
  readonly changed: readonly { readonly before: R; readonly after: R }[];
}

export interface SettingChange {
  /** e.g. `timeZone`, `fieldRules.transactionTypes.SW`, `fieldRules.negativeQuantity`. */
  readonly setting: string;
  readonly before: unknown;
  readonly after: unknown;
}

export interface ReleaseDiff {
  readonly from: string;
  readonly to: string;
  readonly identical: boolean;
  readonly settings: readonly SettingChange[];
  readonly tables: { readonly [T in TableName]: TableDiff<ReleaseTables[T][number]> };
}

function contentOf(r: MappingRelease | ReleaseContent): ReleaseContent {
  return 'content' in r ? r.content : r;
}

function flatSettings(c: ReleaseContent): Map<string, unknown> {
  const out = new Map<string, unknown>([
    ['name', c.name],
    ['description', c.description],
    ['timeZone', c.timeZone],
    ['fieldRules.negativeQuantity', c.fieldRules.negativeQuantity],
    ['fieldRules.chargeCodePaths', c.fieldRules.chargeCodePaths],
    ['fieldRules.quantityUomPath', c.fieldRules.quantityUomPath],
    ['fieldRules.ft1TraceFields', c.fieldRules.ft1TraceFields],
  ]);
  for (const [code, meaning] of Object.entries(c.fieldRules.transactionTypes)) {
    out.set(`fieldRules.transactionTypes.${code}`, meaning);
  }
  return out;
}

function diffTable(spec: (typeof TABLES)[number], before: readonly object[], after: readonly object[]) {
  const identity = (r: object) =>
    `${rowKey(spec, r)}\u0000${(r as { effectiveFrom: string | null }).effectiveFrom ?? ''}`;
  const a = new Map(before.map((r) => [identity(r), r]));
  const b = new Map(after.map((r) => [identity(r), r]));
  const added: object[] = [];
  const removed: object[] = [];
  const changed: { before: object; after: object }[] = [];
  for (const [id, row] of b) {
    const old = a.get(id);
    if (old === undefined) added.push(row);
    else if (canonicalJson(old) !== canonicalJson(row)) changed.push({ before: old, after: row });
  }
  for (const [id, row] of a) if (!b.has(id)) removed.push(row);
  return { added, removed, changed };
}

export function diffReleases(
  a: MappingRelease | ReleaseContent,
  b: MappingRelease | ReleaseContent,
): ReleaseDiff {
  const ca = contentOf(a);
  const cb = contentOf(b);
  const sa = flatSettings(ca);
  const sb = flatSettings(cb);
  const settings: SettingChange[] = [];
  for (const key of [...new Set([...sa.keys(), ...sb.keys()])].sort()) {
    const before = sa.has(key) ? sa.get(key) : null;
    const after = sb.has(key) ? sb.get(key) : null;
    if (canonicalJson(before) !== canonicalJson(after)) settings.push({ setting: key, before, after });
  }
  const tables = {} as Record<TableName, TableDiff<object>>;
  let identical = settings.length === 0;
  for (const spec of TABLES) {
    const d = diffTable(spec, ca[spec.name], cb[spec.name]);
    if (d.added.length + d.removed.length + d.changed.length > 0) identical = false;
    tables[spec.name] = d;
  }
  return {
    from: 'id' in a ? a.id : contentHash(ca),
    to: 'id' in b ? b.id : contentHash(cb),
    identical,
    settings,
    tables: tables as unknown as ReleaseDiff['tables'],
  };
}
