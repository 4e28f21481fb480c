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

/**
 * Every bigint is written by JSON.stringify as its decimal string, through `BigInt.prototype.toJSON`,
 * installed once when this module loads (and so in every thread that writes events or documents).
 * JSON.stringify asks only a bigint for it, once per bigint; the alternative, a copy of each value with
 * its bigints replaced before stringifying, walked every key of every event and journal batch, which
 * was a tenth of what the apply stage allocated. A replacer function is called for every key, slower
 * still. The text is the same either way, and a replacer that must tell a bigint from a string reads
 * the holder (`this[key]`), which still holds the bigint.
 */
if (!Object.hasOwn(BigInt.prototype, 'toJSON'))
  Object.defineProperty(BigInt.prototype, 'toJSON', {
    value(this: bigint): string {
      return this.toString();
    },
    writable: true,
    configurable: true,
  });

/** JSON.stringify with bigint written as a decimal string. */
export function eventsToJson(events: readonly CanonicalEvent[] | CanonicalEvent): string {
  return JSON.stringify(events);
}

/** Any value as JSON text with every bigint written as a decimal string; `space` as JSON.stringify's. */
export function jsonText(value: unknown, space?: number): string {
  return JSON.stringify(value, null, space);
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
