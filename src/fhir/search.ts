import { CrosswalkError } from '../errors/index.ts';
import { isObject, type Json, type JsonObject, str } from './json.ts';
import { PAGE_DEFAULT, PAGE_MAX, type SearchParamSpec, searchParamsOf } from './resources.ts';
import { valuesAt } from './validate.ts';

/**
 * Search, in two pure halves: what a stored resource is found by (its index rows, written with every
 * version), and what a query asks for (a plan the repository turns into SQL, and that `matches` applies
 * to resources not stored yet, e.g. earlier entries of the same transaction).
 *
 * Dates are compared as ranges of UTC instants written `YYYY-MM-DDTHH:mm:ss.sssZ` (text order is time
 * order): a value of day precision covers the whole day, a Period from its start to its end.
 */

export interface IndexRow {
  readonly name: string;
  readonly system: string | null;
  readonly value: string | null;
  readonly lo: string | null;
  readonly hi: string | null;
}

export const MIN_INSTANT = '0001-01-01T00:00:00.000Z';
export const MAX_INSTANT = '9999-12-31T23:59:59.999Z';

const PARTIAL = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/;

/** The instants a FHIR date, dateTime or instant covers; null when it is not one. */
export function dateRange(text: string): [lo: string, hi: string] | null {
  const m = PARTIAL.exec(text);
  if (m) {
    const y = Number(m[1]);
    if (m[2] === undefined) return [`${m[1]}-01-01T00:00:00.000Z`, `${m[1]}-12-31T23:59:59.999Z`];
    const mo = Number(m[2]);
    if (m[3] === undefined) {
      const last = new Date(Date.UTC(y, mo, 0)).getUTCDate();
      return [
        `${m[1]}-${m[2]}-01T00:00:00.000Z`,
        `${m[1]}-${m[2]}-${String(last).padStart(2, '0')}T23:59:59.999Z`,
      ];
    }
    return [`${m[1]}-${m[2]}-${m[3]}T00:00:00.000Z`, `${m[1]}-${m[2]}-${m[3]}T23:59:59.999Z`];
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text)) return null;
  const t = Date.parse(text);
  if (Number.isNaN(t)) return null;
  const iso = new Date(t).toISOString();
  // Without a fraction the value means the whole second.
  const hasFraction = /\.\d+/.test(text);
  return [iso, hasFraction ? iso : new Date(t + 999).toISOString()];
}

/** Normalises a literal reference to `Type/id` (absolute URLs and `_history` dropped); null otherwise. */
export function referenceKey(reference: string): string | null {
  if (reference.startsWith('#') || reference.startsWith('urn:') || reference.includes('?')) return null;
  const parts = reference.split('/').filter((p) => p !== '');
  const h = parts.indexOf('_history');
  const core = h >= 0 ? parts.slice(0, h) : parts;
  if (core.length < 2) return null;
  const [type, id] = core.slice(-2) as [string, string];
  return /^[A-Z][A-Za-z]+$/.test(type) ? `${type}/${id}` : null;
}

function tokensOf(v: Json): { system: string | null; value: string }[] {
  if (typeof v === 'string') return [{ system: null, value: v }];
  if (typeof v === 'boolean') return [{ system: null, value: String(v) }];
  if (!isObject(v)) return [];
  if (Array.isArray(v['coding'])) return v['coding'].flatMap(tokensOf);
  const value = str(v['value']) ?? str(v['code']);
  return value === null ? [] : [{ system: str(v['system']), value }];
}

function rangesOf(v: Json): [string, string][] {
  if (typeof v === 'string') {
    const r = dateRange(v);
    return r ? [r] : [];
  }
  if (!isObject(v)) return [];
  const start = typeof v['start'] === 'string' ? dateRange(v['start']) : null;
  const end = typeof v['end'] === 'string' ? dateRange(v['end']) : null;
  if (!start && !end) return [];
  return [[start?.[0] ?? MIN_INSTANT, end?.[1] ?? MAX_INSTANT]];
}

/** The rows a resource is found by: one per token, reference target or date range of each parameter. */
export function indexRowsOf(resource: JsonObject): IndexRow[] {
  const type = String(resource['resourceType']);
  const rows: IndexRow[] = [];
  const seen = new Set<string>();
  const push = (r: IndexRow) => {
    const k = `${r.name}\u0000${r.system}\u0000${r.value}\u0000${r.lo}\u0000${r.hi}`;
    if (seen.has(k)) return;
    seen.add(k);
    rows.push(r);
  };
  for (const p of searchParamsOf(type)) {
    if (p.name === '_id' || p.name === '_lastUpdated') continue;
    for (const path of p.paths) {
      for (const { value } of valuesAt(resource, path)) {
        if (p.kind === 'token') {
          for (const t of tokensOf(value))
            push({ name: p.name, system: t.system, value: t.value, lo: null, hi: null });
        } else if (p.kind === 'reference') {
          const ref = isObject(value) ? str(value['reference']) : null;
          const key = ref === null ? null : referenceKey(ref);
          if (key === null) continue;
          if (p.targets && !p.targets.includes(key.slice(0, key.indexOf('/')))) continue;
          push({ name: p.name, system: null, value: key, lo: null, hi: null });
        } else {
          for (const [lo, hi] of rangesOf(value)) push({ name: p.name, system: null, value: null, lo, hi });
        }
      }
    }
  }
  return rows;
}

export type Alternative =
  | { readonly kind: 'token'; readonly system: string | null | undefined; readonly value: string | undefined }
  | { readonly kind: 'reference'; readonly value: string }
  | {
      readonly kind: 'date';
      readonly prefix: 'eq' | 'gt' | 'lt' | 'ge' | 'le';
      readonly lo: string;
      readonly hi: string;
    }
  | { readonly kind: 'id'; readonly value: string };

export interface Clause {
  readonly name: string;
  /** Any of them (a comma-separated list in the URL). */
  readonly alternatives: readonly Alternative[];
}

export interface SearchPlan {
  readonly resourceType: string;
  /** All of them (repeated parameters). */
  readonly clauses: readonly Clause[];
  readonly count: number;
  readonly offset: number;
}

/** Parameters that shape the answer rather than filter it. */
const RESULT_PARAMS = new Set(['_count', '_offset', '_format', '_pretty']);

function badSearch(name: string, reason: string): CrosswalkError {
  return new CrosswalkError('CW_ERR_FHIR_BAD_SEARCH', { name: name.slice(0, 40), reason });
}

function parseAlternative(p: SearchParamSpec, raw: string): Alternative {
  if (p.name === '_id') return { kind: 'id', value: raw };
  if (p.kind === 'token') {
    const bar = raw.indexOf('|');
    if (bar < 0) return { kind: 'token', system: undefined, value: raw };
    const system = raw.slice(0, bar);
    const value = raw.slice(bar + 1);
    return { kind: 'token', system: system === '' ? null : system, value: value === '' ? undefined : value };
  }
  if (p.kind === 'reference') {
    if (raw.includes('/')) {
      const key = referenceKey(raw);
      if (key === null)
        throw badSearch(p.name, 'a reference is Type/id, an id, or an absolute URL ending in Type/id');
      return { kind: 'reference', value: key };
    }
    return { kind: 'reference', value: `${p.targets?.[0] ?? 'Resource'}/${raw}` };
  }
  const m = /^(eq|ne|gt|lt|ge|le|sa|eb|ap)?(.*)$/.exec(raw)!;
  const prefix = (m[1] ?? 'eq') as string;
  if (!['eq', 'gt', 'lt', 'ge', 'le'].includes(prefix))
    throw badSearch(p.name, `prefix ${prefix} is not supported (eq, gt, lt, ge, le are)`);
  const range = dateRange(m[2]!);
  if (!range) throw badSearch(p.name, 'not a FHIR date or dateTime');
  return { kind: 'date', prefix: prefix as 'eq', lo: range[0], hi: range[1] };
}

/** A query string's parameters (name → values as repeated) as a plan; unknown parameters are refused. */
export function parseSearch(
  resourceType: string,
  params: readonly (readonly [string, string])[],
): SearchPlan {
  const specs = new Map(searchParamsOf(resourceType).map((p) => [p.name, p]));
  const clauses: Clause[] = [];
  let count = PAGE_DEFAULT;
  let offset = 0;
  for (const [name, raw] of params) {
    if (RESULT_PARAMS.has(name)) {
      if (name === '_count' || name === '_offset') {
        if (!/^\d{1,9}$/.test(raw)) throw badSearch(name, 'must be a whole number');
        const n = Number(raw);
        if (name === '_count') count = Math.min(n, PAGE_MAX);
        else offset = n;
      } else if (name === '_format' && !/json/.test(raw)) {
        throw badSearch(name, 'only JSON is served');
      }
      continue;
    }
    if (name.includes(':')) throw badSearch(name, 'modifiers are not supported');
    const p = specs.get(name);
    if (!p) {
      throw badSearch(
        name,
        `not supported on ${resourceType}; supported: ${[...specs.keys(), '_count', '_offset'].join(', ')}`,
      );
    }
    if (raw === '') throw badSearch(name, 'has no value');
    clauses.push({ name, alternatives: raw.split(',').map((v) => parseAlternative(p, v)) });
  }
  return { resourceType, clauses, count, offset };
}

function dateMatches(a: Extract<Alternative, { kind: 'date' }>, lo: string, hi: string): boolean {
  switch (a.prefix) {
    case 'eq':
      return lo >= a.lo && hi <= a.hi;
    case 'gt':
      return hi > a.hi;
    case 'ge':
      return hi >= a.lo;
    case 'lt':
      return lo < a.lo;
    case 'le':
      return lo <= a.hi;
  }
}

export function rowMatches(a: Alternative, r: IndexRow): boolean {
  switch (a.kind) {
    case 'token':
      return (
        (a.value === undefined || r.value === a.value) &&
        (a.system === undefined || (a.system === null ? r.system === null : r.system === a.system))
      );
    case 'reference':
      return r.value === a.value;
    case 'date':
      return r.lo !== null && r.hi !== null && dateMatches(a, r.lo, r.hi);
    case 'id':
      return false;
  }
}

/** The plan applied to one resource and its index rows (the same semantics as the repository's SQL). */
export function matches(
  plan: SearchPlan,
  resource: { id: string; lastUpdated: string; rows: readonly IndexRow[] },
): boolean {
  return plan.clauses.every((c) =>
    c.alternatives.some((a) => {
      if (a.kind === 'id') return resource.id === a.value;
      if (c.name === '_lastUpdated' && a.kind === 'date')
        return dateMatches(a, resource.lastUpdated, resource.lastUpdated);
      return resource.rows.some((r) => r.name === c.name && rowMatches(a, r));
    }),
  );
}

/** `identifier=system|value` style criteria (If-None-Exist, conditional references) as a search plan. */
export function parseCriteria(resourceType: string, query: string): SearchPlan {
  const params = [...new URLSearchParams(query)].map(([k, v]) => [k, v] as const);
  if (params.length === 0) throw badSearch('(criteria)', 'a condition needs at least one parameter');
  return parseSearch(resourceType, params);
}
