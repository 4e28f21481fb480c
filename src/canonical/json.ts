import { CrosswalkError } from '../errors/index.ts';
import type { CanonicalEvent } from './types.ts';
import { validateEvent } from './validate.ts';

/**
 * Events as JSON text. Money is `bigint`, which JSON has no type for: it is written as a decimal string
 * and read back by field name. Every money field of every payload is named in MONEY_FIELDS, and no other
 * field holds a string of digits that must stay a string under those names.
 */
const MONEY_FIELDS: ReadonlySet<string> = new Set([
  'unitCost',
  'unitPrice',
  'amount',
  'price',
  'chargePrice',
]);

/** JSON.stringify with bigint written as a decimal string. */
export function eventsToJson(events: readonly CanonicalEvent[] | CanonicalEvent): string {
  return JSON.stringify(withoutBigInts(events));
}

/**
 * Any value as JSON text with every bigint written as a decimal string: the text `JSON.stringify(v,
 * (k, x) => typeof x === 'bigint' ? x.toString() : x)` gives, without a call back into JS per key, which
 * made that replacer the larger part of writing a journal batch. `space` indents as JSON.stringify does.
 */
export function jsonText(value: unknown, space?: number): string {
  return JSON.stringify(withoutBigInts(value), null, space);
}

/**
 * The value with every bigint replaced by its decimal string, copying only the objects on the way to
 * one (key order kept): the same text a replacer function gives, without calling it for every key.
 */
function withoutBigInts(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    let out: unknown[] | null = null;
    for (let i = 0; i < v.length; i++) {
      const x = withoutBigInts(v[i]);
      if (x !== v[i]) {
        out ??= v.slice();
        out[i] = x;
      }
    }
    return out ?? v;
  }
  let out: Record<string, unknown> | null = null;
  for (const k of Object.keys(v)) {
    const x = (v as Record<string, unknown>)[k];
    const y = withoutBigInts(x);
    if (y !== x) {
      out ??= { ...(v as Record<string, unknown>) };
      out[k] = y;
    }
  }
  return out ?? v;
}

/** Parses and validates one event written by eventsToJson; throws CW_ERR_CANONICAL_INVALID_EVENT. */
export function eventFromJson(text: string): CanonicalEvent {
  let value: unknown;
  try {
    value = JSON.parse(text, (key, v: unknown) =>
      MONEY_FIELDS.has(key) && typeof v === 'string' && /^-?\d{1,30}$/.test(v) ? BigInt(v) : v,
    );
  } catch (e) {
    throw new CrosswalkError(
      'CW_ERR_CANONICAL_INVALID_EVENT',
      { type: '(unparsed)', field: 'event', reason: 'is not JSON' },
      { cause: e },
    );
  }
  return validateEvent(value);
}
