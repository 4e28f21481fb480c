import { EVENT_TYPES } from '../canonical/index.ts';
import { CrosswalkError } from '../errors/index.ts';
import { parsePath } from '../hl7v2/index.ts';
import { canonicalJson, sha256Hex } from './hash.ts';
import { type ColumnKind, rowKey, TABLES, type TableSpec } from './tables.ts';
import type { FieldRules, Ft1Meaning, MappingRelease, ReleaseContent } from './types.ts';

/**
 * Release content is validated and normalised once, when a release is created: rows sorted by key and
 * effective date, everything frozen. The id is sha256 over the canonical JSON of the normalised content,
 * so neither key order nor row order (a reviewer re-sorting a CSV) changes it, while any change of a value
 * does.
 */

const MEANINGS: readonly Ft1Meaning[] = ['usage', 'waste', 'return', 'charge', 'credit'];
const TOP_LEVEL = new Set(['name', 'description', 'timeZone', 'fieldRules', ...TABLES.map((t) => t.name)]);
const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

function invalid(reason: string): CrosswalkError {
  return new CrosswalkError('CW_ERR_MAP_INVALID_RELEASE', { reason });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isValidDate(v: string): boolean {
  return DATE.test(v) && new Date(`${v}T00:00:00Z`).toISOString().startsWith(v);
}

/** Why a column value is wrong for its kind, or null. */
export function checkValue(kind: ColumnKind, v: unknown): string | null {
  const isText = typeof v === 'string' && v.length > 0 && v.trim() === v && v.length <= 512;
  switch (kind) {
    case 'text':
    case 'event-type':
    case 'npi':
    case 'revenue-code':
    case 'currency':
      if (!isText) return 'must be a non-empty string without surrounding spaces';
      if (kind === 'event-type' && !(EVENT_TYPES as readonly string[]).includes(v as string)) {
        return `must be a canonical event type (${EVENT_TYPES.join(', ')})`;
      }
      if (kind === 'npi' && !/^\d{10}$/.test(v as string)) return 'must be a 10-digit NPI';
      if (kind === 'revenue-code' && !/^\d{4}$/.test(v as string)) return 'must be a 4-digit revenue code';
      if (kind === 'currency' && !/^[A-Z]{3}$/.test(v as string)) return 'must be an ISO 4217 code';
      return null;
    case 'text?':
      return v === null || isText ? null : 'must be null or a non-empty string without surrounding spaces';
    case 'bool':
      return typeof v === 'boolean' ? null : 'must be true or false';
    case 'count':
      return typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? null : 'must be a positive integer';
    case 'money':
      return typeof v === 'bigint' && v >= 0n ? null : 'must be a non-negative bigint (minor units)';
    case 'date?':
      return v === null || (typeof v === 'string' && isValidDate(v)) ? null : 'must be null or YYYY-MM-DD';
  }
}

function normaliseRows(spec: TableSpec, input: unknown): readonly object[] {
  if (!Array.isArray(input)) throw invalid(`${spec.name} must be an array of rows`);
  const rows = input.map((row, i) => {
    if (!isRecord(row)) throw invalid(`${spec.name}[${i}] must be an object`);
    const out: Record<string, unknown> = {};
    for (const c of spec.columns) {
      const v = row[c.field];
      const reason = v === undefined ? 'is missing' : checkValue(c.kind, v);
      if (reason !== null) throw invalid(`${spec.name}[${i}].${c.field} ${reason}`);
      out[c.field] = v;
    }
    for (const k of Object.keys(row)) {
      if (!spec.columns.some((c) => c.field === k)) throw invalid(`${spec.name}[${i}].${k} is not a column`);
    }
    const from = out['effectiveFrom'] as string | null;
    const to = out['effectiveTo'] as string | null;
    if (from !== null && to !== null && to < from) {
      throw invalid(`${spec.name}[${i}] ends (${to}) before it starts (${from})`);
    }
    return Object.freeze(out);
  });
  const sorted = rows
    .map((row) => ({ row, key: rowKey(spec, row), from: (row['effectiveFrom'] as string | null) ?? '' }))
    .sort((a, b) =>
      a.key < b.key ? -1 : a.key > b.key ? 1 : a.from < b.from ? -1 : a.from > b.from ? 1 : 0,
    );
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    const prevTo = prev.row['effectiveTo'] as string | null;
    if (prev.key === cur.key && (prevTo === null || cur.from <= prevTo)) {
      throw invalid(
        `${spec.name} has overlapping rows for ${spec.key.join('+')} = ${cur.key.replaceAll('\u0000', '+')}`,
      );
    }
  }
  return Object.freeze(sorted.map((s) => s.row));
}

/** Field-rule paths are read from the FT1 being interpreted, so they name an FT1 position, no occurrence. */
function checkPath(path: unknown, where: string): string {
  if (typeof path !== 'string') throw invalid(`${where} must be an HL7 path such as FT1-25.1`);
  try {
    const p = parsePath(path);
    if (p.explicitOccurrence || p.segment !== 'FT1') {
      throw invalid(`${where} must be an FT1 position without an occurrence, e.g. FT1-25.1 (${path})`);
    }
  } catch (e) {
    if (e instanceof CrosswalkError && e.code === 'CW_ERR_HL7_BAD_PATH') {
      throw invalid(`${where} is not an HL7 path: ${path}`);
    }
    throw e;
  }
  return path;
}

function normaliseFieldRules(v: unknown): FieldRules {
  if (!isRecord(v)) throw invalid('fieldRules must be an object');
  const types = v['transactionTypes'];
  if (!isRecord(types) || Object.keys(types).length === 0) {
    throw invalid('fieldRules.transactionTypes must map FT1-6 values to meanings');
  }
  const transactionTypes: Record<string, Ft1Meaning> = {};
  for (const [code, meaning] of Object.entries(types)) {
    if (code.trim() !== code || code === '') throw invalid(`fieldRules.transactionTypes has a blank code`);
    if (!MEANINGS.includes(meaning as Ft1Meaning)) {
      throw invalid(`fieldRules.transactionTypes.${code} must be one of ${MEANINGS.join(', ')}`);
    }
    transactionTypes[code] = meaning as Ft1Meaning;
  }
  const negative = v['negativeQuantity'];
  if (negative !== 'reverse' && negative !== 'reject') {
    throw invalid('fieldRules.negativeQuantity must be reverse or reject');
  }
  const paths = v['chargeCodePaths'];
  if (!Array.isArray(paths) || paths.length === 0) {
    throw invalid('fieldRules.chargeCodePaths must list at least one HL7 path');
  }
  const uomPath = v['quantityUomPath'];
  const trace = v['ft1TraceFields'];
  if (!isRecord(trace)) throw invalid('fieldRules.ft1TraceFields must be an object');
  const field = (name: string): number | null => {
    const f = trace[name];
    if (f === null) return null;
    if (typeof f !== 'number' || !Number.isInteger(f) || f < 1 || f > 999) {
      throw invalid(`fieldRules.ft1TraceFields.${name} must be null or an FT1 field number`);
    }
    return f;
  };
  for (const k of Object.keys(v)) {
    if (
      ![
        'transactionTypes',
        'negativeQuantity',
        'chargeCodePaths',
        'quantityUomPath',
        'ft1TraceFields',
      ].includes(k)
    ) {
      throw invalid(`fieldRules.${k} is not a field rule`);
    }
  }
  return {
    transactionTypes: Object.freeze(transactionTypes),
    negativeQuantity: negative,
    chargeCodePaths: Object.freeze(paths.map((p, i) => checkPath(p, `fieldRules.chargeCodePaths[${i}]`))),
    quantityUomPath: uomPath === null ? null : checkPath(uomPath, 'fieldRules.quantityUomPath'),
    ft1TraceFields: Object.freeze({
      lotNumber: field('lotNumber'),
      serialNumber: field('serialNumber'),
      udi: field('udi'),
    }),
  };
}

function checkTimeZone(tz: unknown): string {
  if (typeof tz !== 'string' || tz === '')
    throw invalid('timeZone must be an IANA zone such as America/New_York');
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    throw invalid(`timeZone ${tz.slice(0, 60)} is not an IANA time zone`);
  }
  return tz;
}

/** Validates content and returns it normalised (rows sorted) and deeply frozen. */
export function normaliseContent(input: unknown): ReleaseContent {
  if (!isRecord(input)) throw invalid('content must be an object');
  for (const k of Object.keys(input)) if (!TOP_LEVEL.has(k)) throw invalid(`${k} is not part of a release`);
  const name = input['name'];
  if (typeof name !== 'string' || name.trim() === '') throw invalid('name must be a non-empty string');
  const description = input['description'] ?? '';
  if (typeof description !== 'string') throw invalid('description must be a string');
  const tables: Record<string, readonly object[]> = {};
  for (const spec of TABLES) tables[spec.name] = normaliseRows(spec, input[spec.name] ?? []);
  return Object.freeze({
    name,
    description,
    timeZone: checkTimeZone(input['timeZone']),
    fieldRules: Object.freeze(normaliseFieldRules(input['fieldRules'])),
    ...tables,
  }) as ReleaseContent;
}

/**
 * The normalised content as canonical JSON (money as decimal strings): the text the id hashes, and the
 * form to store a release in; contentFromJson reads it back.
 */
export function contentToJson(content: ReleaseContent): string {
  return canonicalJson(normaliseContent(content));
}

/** Reads contentToJson's text back, money columns as bigint again; throws CW_ERR_MAP_INVALID_RELEASE. */
export function contentFromJson(text: string): ReleaseContent {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid('the stored content is not JSON');
  }
  if (isRecord(value)) {
    for (const spec of TABLES) {
      const money = spec.columns.filter((c) => c.kind === 'money').map((c) => c.field);
      const rows = value[spec.name];
      if (money.length === 0 || !Array.isArray(rows)) continue;
      for (const row of rows) {
        if (!isRecord(row)) continue;
        for (const f of money) {
          const v = row[f];
          if (typeof v === 'string' && /^\d{1,30}$/.test(v)) row[f] = BigInt(v);
        }
      }
    }
  }
  return normaliseContent(value);
}

/** The release id: sha256 hex of the canonical JSON of the normalised content. */
export function contentHash(content: ReleaseContent): string {
  return sha256Hex(contentToJson(content));
}

function checkPerson(who: unknown, role: string): string {
  if (typeof who !== 'string' || who.trim() === '' || who.length > 200) {
    throw invalid(`${role} must be a non-empty name of at most 200 characters`);
  }
  return who.trim();
}

/** A new release in status `proposed`. */
export function createRelease(content: ReleaseContent, author: string): MappingRelease {
  const normal = normaliseContent(content);
  return Object.freeze({
    id: sha256Hex(canonicalJson(normal)),
    content: normal,
    author: checkPerson(author, 'author'),
    approver: null,
    status: 'proposed',
  });
}

/** People are compared as written, ignoring case and surrounding space: `Ann` may not approve `ann `. */
export function samePerson(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

/** proposed → approved. The approver must not be the author (segregation of duties). */
export function approve(release: MappingRelease, approver: string): MappingRelease {
  const who = checkPerson(approver, 'approver');
  if (release.status !== 'proposed') {
    throw new CrosswalkError('CW_ERR_MAP_BAD_TRANSITION', {
      release: release.id.slice(0, 12),
      status: release.status,
      action: 'approved',
    });
  }
  if (samePerson(who, release.author)) {
    throw new CrosswalkError('CW_ERR_MAP_SELF_APPROVAL', {
      release: release.id.slice(0, 12),
      author: release.author,
    });
  }
  return Object.freeze({ ...release, approver: who, status: 'approved' });
}
