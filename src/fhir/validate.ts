import { CrosswalkError } from '../errors/index.ts';
import { type FhirResource, isObject, type Json, type JsonObject } from './json.ts';
import { type ElementType, SPEC_BY_TYPE, SUPPORTED_TYPES } from './resources.ts';

/**
 * Structure and required elements of an accepted resource, and the code sets of the elements that drive
 * mapping. Not a full profile validator: it checks what Crosswalk relies on (so interpretation never
 * meets a wrong shape) and the rules of FHIR JSON every resource must keep. The first problem is
 * reported with its FHIRPath-like location.
 */

export const ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/;
const CODE = /^[^\s]+( [^\s]+)*$/;
const DATE = /^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$/;
const DATE_TIME =
  /^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01])(T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d{1,9})?(Z|[+-]((0\d|1[0-3]):[0-5]\d|14:00)))?)?)?$/;
const INSTANT =
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d{1,9})?(Z|[+-]((0\d|1[0-3]):[0-5]\d|14:00))$/;

type Problem = [path: string, reason: string];

function checkType(v: Json, type: ElementType, path: string): Problem | null {
  const isStr = typeof v === 'string';
  switch (type) {
    case 'code':
      return isStr && CODE.test(v)
        ? null
        : [path, 'must be a code (text without leading, trailing or double spaces)'];
    case 'string':
      return isStr && v.length > 0 ? null : [path, 'must be a non-empty string'];
    case 'uri':
      return isStr && v.length > 0 && !/\s/.test(v) ? null : [path, 'must be a uri'];
    case 'boolean':
      return typeof v === 'boolean' ? null : [path, 'must be true or false'];
    case 'integer':
      return typeof v === 'number' && Number.isSafeInteger(v) ? null : [path, 'must be an integer'];
    case 'decimal':
      return typeof v === 'number' && Number.isFinite(v) ? null : [path, 'must be a number'];
    case 'date':
      return isStr && DATE.test(v) ? null : [path, 'must be a FHIR date (YYYY, YYYY-MM or YYYY-MM-DD)'];
    case 'dateTime':
      return isStr && DATE_TIME.test(v)
        ? null
        : [path, 'must be a FHIR dateTime (a time needs seconds and a zone)'];
    case 'instant':
      return isStr && INSTANT.test(v) ? null : [path, 'must be a FHIR instant'];
    case 'Reference':
      return checkObject(v, path, {
        reference: 'string',
        display: 'string',
        type: 'uri',
        identifier: 'Identifier',
      });
    case 'CodeableConcept': {
      const bad = checkObject(v, path, { text: 'string' });
      if (bad) return bad;
      return checkList((v as JsonObject)['coding'], `${path}.coding`, 'Coding');
    }
    case 'Coding':
      return checkObject(v, path, { system: 'uri', code: 'code', display: 'string', version: 'string' });
    case 'Identifier':
      return checkObject(v, path, { system: 'uri', value: 'string' });
    case 'Quantity':
      return checkObject(v, path, { value: 'decimal', unit: 'string', system: 'uri', code: 'code' });
    case 'Money': {
      const bad = checkObject(v, path, { value: 'decimal' });
      if (bad) return bad;
      const c = (v as JsonObject)['currency'];
      return c === undefined || (typeof c === 'string' && /^[A-Z]{3}$/.test(c))
        ? null
        : [`${path}.currency`, 'must be an ISO 4217 code'];
    }
    case 'Period': {
      const bad = checkObject(v, path, { start: 'dateTime', end: 'dateTime' });
      if (bad) return bad;
      const p = v as JsonObject;
      if (typeof p['start'] === 'string' && typeof p['end'] === 'string') {
        const [s, e] = [Date.parse(p['start']), Date.parse(p['end'])];
        if (!Number.isNaN(s) && !Number.isNaN(e) && s > e) return [path, 'starts after it ends'];
      }
      return null;
    }
  }
}

function checkObject(v: Json, path: string, fields: Readonly<Record<string, ElementType>>): Problem | null {
  if (!isObject(v)) return [path, 'must be an object'];
  for (const [k, t] of Object.entries(fields)) {
    const f = v[k];
    if (f === undefined) continue;
    const bad = checkType(f, t, `${path}.${k}`);
    if (bad) return bad;
  }
  return null;
}

function checkList(v: Json | undefined, path: string, type: ElementType): Problem | null {
  if (v === undefined) return null;
  if (!Array.isArray(v)) return [path, 'must be an array'];
  for (const [i, x] of v.entries()) {
    const bad = checkType(x, type, `${path}[${i}]`);
    if (bad) return bad;
  }
  return null;
}

/** The values at a dotted path, arrays walked, each with its location. */
export function valuesAt(root: JsonObject, path: string): { value: Json; at: string }[] {
  let current: { value: Json; at: string }[] = [{ value: root, at: '' }];
  for (const part of path.split('.')) {
    const next: { value: Json; at: string }[] = [];
    for (const { value, at } of current) {
      if (!isObject(value)) continue;
      const v = value[part];
      if (v === undefined) continue;
      const here = at === '' ? part : `${at}.${part}`;
      if (Array.isArray(v)) {
        for (const [i, x] of v.entries()) next.push({ value: x, at: `${here}[${i}]` });
      } else next.push({ value: v, at: here });
    }
    current = next;
  }
  return current;
}

function hasElement(r: JsonObject, name: string): boolean {
  if (name.endsWith('[x]')) {
    const stem = name.slice(0, -3);
    return Object.keys(r).some((k) => k.startsWith(stem) && /^[A-Z]/.test(k.slice(stem.length)));
  }
  const v = r[name];
  return v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0);
}

/** FHIR JSON rules that hold for any resource: no nulls outside primitive arrays, no empty objects or strings. */
function checkJsonRules(v: Json, path: string, depth: number): Problem | null {
  if (v === null) return [path, 'must not be null (leave the element out)'];
  if (typeof v === 'string' && v.length === 0 && depth > 0) return [path, 'must not be an empty string'];
  if (Array.isArray(v)) {
    if (v.length === 0) return [path, 'must not be an empty array (leave the element out)'];
    // `_given: [null, {...}]` aligns extensions with a primitive array: nulls are allowed there only.
    const primitiveExtensions = path.split('.').pop()?.startsWith('_') ?? false;
    for (const [i, x] of v.entries()) {
      if (x === null && primitiveExtensions) continue;
      const bad = checkJsonRules(x, `${path}[${i}]`, depth + 1);
      if (bad) return bad;
    }
    return null;
  }
  if (isObject(v)) {
    const keys = Object.keys(v);
    if (keys.length === 0 && depth > 0) return [path, 'must not be an empty object'];
    for (const k of keys) {
      const bad = checkJsonRules(v[k]!, path === '' ? k : `${path}.${k}`, depth + 1);
      if (bad) return bad;
    }
  }
  return null;
}

export function unsupportedType(resourceType: string): CrosswalkError {
  return new CrosswalkError('CW_ERR_FHIR_UNSUPPORTED_TYPE', {
    resourceType: resourceType.slice(0, 64) || '(none)',
    supported: SUPPORTED_TYPES.join(', '),
  });
}

/** Throws CW_ERR_FHIR_UNSUPPORTED_TYPE or CW_ERR_FHIR_INVALID_RESOURCE; returns the resource typed. */
export function validateResource(value: JsonObject, expectedType?: string): FhirResource {
  const type = value['resourceType'];
  if (typeof type !== 'string') {
    throw new CrosswalkError('CW_ERR_FHIR_INVALID_RESOURCE', {
      resourceType: expectedType ?? 'resource',
      path: 'resourceType',
      reason: 'is missing',
    });
  }
  const spec = SPEC_BY_TYPE.get(type);
  if (!spec) throw unsupportedType(type);
  const fail = ([path, reason]: Problem) =>
    new CrosswalkError('CW_ERR_FHIR_INVALID_RESOURCE', {
      resourceType: type,
      path: `${type}.${path}`,
      reason,
    });
  if (expectedType !== undefined && type !== expectedType) {
    throw fail(['resourceType', `is ${type}, but the URL names ${expectedType}`]);
  }
  const id = value['id'];
  if (id !== undefined && (typeof id !== 'string' || !ID_PATTERN.test(id))) {
    throw fail(['id', 'must be 1–64 letters, digits, "-" or "."']);
  }
  const generic = checkJsonRules(value, '', 0);
  if (generic) throw fail(generic);
  const meta = value['meta'];
  if (meta !== undefined) {
    const bad = checkObject(meta, 'meta', { versionId: 'string', lastUpdated: 'instant' });
    if (bad) throw fail(bad);
  }
  for (const name of spec.required) if (!hasElement(value, name)) throw fail([name, 'is required']);
  for (const [path, declared] of Object.entries(spec.elements)) {
    const isList = declared.endsWith('[]');
    const type = declared.replace('[]', '') as ElementType;
    const parentPath = path.includes('.') ? path.slice(0, path.lastIndexOf('.')) : '';
    const leaf = path.slice(path.lastIndexOf('.') + 1);
    const parents = parentPath === '' ? [{ value: value as Json, at: '' }] : valuesAt(value, parentPath);
    for (const { value: parent, at } of parents) {
      if (!isObject(parent)) continue;
      const v = parent[leaf];
      if (v === undefined) continue;
      const where = at === '' ? leaf : `${at}.${leaf}`;
      if (isList && !Array.isArray(v)) throw fail([where, 'must be an array']);
      if (!isList && Array.isArray(v)) throw fail([where, 'must not be an array']);
      const bad = isList ? checkList(v, where, type) : checkType(v, type, where);
      if (bad) throw fail(bad);
    }
  }
  for (const [path, allowed] of Object.entries(spec.codes)) {
    for (const { value: v, at } of valuesAt(value, path)) {
      if (typeof v !== 'string' || !allowed.includes(v)) {
        throw fail([at, `must be one of ${allowed.join(', ')}`]);
      }
    }
  }
  return value as FhirResource;
}
