import { createHash } from 'node:crypto';
import { CrosswalkError } from '../errors/index.ts';

/**
 * FHIR JSON as plain data. Resources are kept as the parsed JSON the client sent (plus `id` and `meta`
 * the server owns), never re-modelled: what is read back is what was written. The few elements Crosswalk
 * reads are reached through the small accessors below, which never throw on a wrong shape (validation
 * runs first and says what is wrong).
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface FhirResource extends JsonObject {
  resourceType: string;
}

export interface BodyLimits {
  /** Largest body accepted, in bytes, checked before anything is parsed. */
  readonly maxBytes: number;
  /** Deepest nesting of objects and arrays, checked on the bytes before JSON.parse builds anything. */
  readonly maxDepth: number;
}

export const DEFAULT_LIMITS: BodyLimits = { maxBytes: 16 * 1024 * 1024, maxDepth: 48 };

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * The deepest nesting of a JSON text, counted on the bytes (strings skipped), so a hostile body of a
 * million `[` is refused in one linear pass instead of reaching the parser's recursion.
 */
export function nestingDepth(bytes: Uint8Array, stopAbove = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) inString = true;
    else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > stopAbove) return max;
      }
    } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) depth--;
  }
  return max;
}

/** Size, then depth, then JSON.parse; the result must be an object. */
export function parseBody(bytes: Uint8Array, limits: BodyLimits = DEFAULT_LIMITS): JsonObject {
  if (bytes.length > limits.maxBytes) {
    throw new CrosswalkError('CW_ERR_FHIR_TOO_LARGE', { size: bytes.length, limit: limits.maxBytes });
  }
  if (nestingDepth(bytes, limits.maxDepth) > limits.maxDepth) {
    throw new CrosswalkError('CW_ERR_FHIR_TOO_DEEP', { limit: limits.maxDepth });
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8'));
  } catch (e) {
    // The parser's message names a position, never the content.
    throw new CrosswalkError('CW_ERR_FHIR_BAD_JSON', { reason: (e as Error).message.slice(0, 120) });
  }
  if (!isObject(value)) throw new CrosswalkError('CW_ERR_FHIR_BAD_JSON', { reason: 'not an object' });
  return value;
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

export function obj(v: unknown): JsonObject | null {
  return isObject(v) ? v : null;
}

export function arr(v: unknown): Json[] {
  return Array.isArray(v) ? v : v === undefined || v === null ? [] : [v as Json];
}

/** JSON with object keys sorted at every level: one text per value, whatever order the client wrote. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (isObject(v)) {
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/**
 * The content of a resource, for "is this a resend?": everything the client controls, in canonical form.
 * The server's own `meta.versionId` and `meta.lastUpdated` are left out; so is `id`, which the caller
 * compares separately.
 */
export function contentHash(resource: JsonObject): string {
  const { id: _id, meta, ...rest } = resource;
  const m = obj(meta);
  const clientMeta = m
    ? Object.fromEntries(Object.entries(m).filter(([k]) => k !== 'versionId' && k !== 'lastUpdated'))
    : {};
  const body = Object.keys(clientMeta).length > 0 ? { ...rest, meta: clientMeta } : rest;
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

export const sha256Hex = (text: string | Uint8Array): string =>
  createHash('sha256').update(text).digest('hex');
