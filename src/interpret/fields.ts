import { identifierKey, type ProviderRef, tokenize } from '../canonical/index.ts';
import { CrosswalkError } from '../errors/index.ts';
import type { Hl7Message, Segment } from '../hl7v2/index.ts';
import { findPractitioner, type MappingRelease, minorDigits } from '../mapping/index.ts';

/**
 * Reading typed values out of segments. Codes are trimmed (trailing blanks are a classic feed defect);
 * an empty value is null. Nothing here ever copies a patient's identifier, name, birth date or address:
 * identifiers go through tokenize() and the rest is never read.
 */

export function text(seg: Segment | undefined, field: number, component = 0, sub = 0, rep = 0): string {
  return seg === undefined ? '' : seg.get(field, component, sub, rep).trim();
}

export function orNull(s: string): string | null {
  return s === '' ? null : s;
}

export const NPI_OID = '2.16.840.1.113883.4.6';

/**
 * An XCN (or XCN-shaped CNN) field as a provider reference: XCN-1 is the id, an NPI when XCN-13 says NPI
 * or XCN-9 (assigning authority) names NPI by namespace or by OID, and it is ten digits.
 */
export function provider(
  seg: Segment | undefined,
  field: number,
  release: MappingRelease,
  date: string,
  rep = 0,
): ProviderRef | null {
  const id = text(seg, field, 1, 0, rep);
  if (id === '') return null;
  const marked =
    text(seg, field, 13, 0, rep) === 'NPI' ||
    text(seg, field, 9, 1, rep) === 'NPI' ||
    text(seg, field, 9, 2, rep) === NPI_OID;
  const npi = marked && isNpiShaped(id) ? id : null;
  const employeeCode = npi === null ? null : (findPractitioner(release, npi, date)?.employeeCode ?? null);
  return { id, npi, employeeCode };
}

/** Ten ASCII digits (/^\d{10}$/). */
function isNpiShaped(id: string): boolean {
  if (id.length !== 10) return false;
  for (let i = 0; i < 10; i++) {
    const c = id.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** A PL field: point of care and facility (the message's sending facility when PL-4 is empty). */
export function place(seg: Segment | undefined, field: number, defaultFacility: string) {
  return {
    pointOfCare: text(seg, field, 1, 1),
    room: text(seg, field, 2, 1),
    bed: text(seg, field, 3, 1),
    facility: text(seg, field, 4, 1) || defaultFacility,
  };
}

/** MSH-4.1, the facility look-ups fall back to. */
export function sendingFacility(msg: Hl7Message): string {
  return msg.get('MSH-4.1').trim();
}

/** Patient token from PID-3: the repetition typed MR (PID-3.5), else the first. Null when absent. */
export function patientToken(msg: Hl7Message, key: Uint8Array): string | null {
  const pid = msg.segment('PID');
  if (pid === undefined) return null;
  const reps = Math.max(pid.repetitionCount(3), 1);
  let chosen = 1;
  for (let r = 1; r <= reps; r++) {
    if (text(pid, 3, 5, 1, r) === 'MR' && text(pid, 3, 1, 1, r) !== '') {
      chosen = r;
      break;
    }
  }
  const id = text(pid, 3, 1, 1, chosen);
  return id === '' ? null : tokenize(key, 'patient', identifierKey(text(pid, 3, 4, 1, chosen), id));
}

/** Encounter token from PV1-19 (visit number, CX: id ^^^ assigning authority). Null when absent. */
export function encounterToken(msg: Hl7Message, key: Uint8Array): string | null {
  const pv1 = msg.segment('PV1');
  const id = text(pv1, 19, 1, 1);
  return id === '' ? null : tokenize(key, 'encounter', identifierKey(text(pv1, 19, 4, 1), id));
}

/** Case token from an EI field (entity id ^ namespace), e.g. FT1-23, SCH-2. */
export function caseToken(seg: Segment | undefined, field: number, key: Uint8Array): string | null {
  const id = text(seg, field, 1, 1);
  return id === '' ? null : tokenize(key, 'case', identifierKey(text(seg, field, 2, 1), id));
}

/** ASCII digits from `from` on; returns where they stop. */
function digitsFrom(s: string, from: number): number {
  let i = from;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    i++;
  }
  return i;
}

/** Whether v is an NM this reads: /^[+-]?(\d{1,12}(\.\d{0,6})?|\.\d{1,6})$/, checked without a regex. */
function isQuantity(v: string): boolean {
  const c0 = v.charCodeAt(0);
  const start = c0 === 43 || c0 === 45 ? 1 : 0;
  const intEnd = digitsFrom(v, start);
  const intLen = intEnd - start;
  if (intLen > 12) return false;
  if (intEnd === v.length) return intLen >= 1;
  if (v.charCodeAt(intEnd) !== 46) return false;
  const fracEnd = digitsFrom(v, intEnd + 1);
  const fracLen = fracEnd - intEnd - 1;
  return fracEnd === v.length && fracLen <= 6 && (intLen >= 1 || fracLen >= 1);
}

/** An NM quantity as a finite number; null when empty. */
export function quantity(raw: string, position: string): number | null {
  const v = raw.trim();
  if (v === '') return null;
  if (!isQuantity(v)) {
    throw new CrosswalkError('CW_ERR_INTERPRET_BAD_QUANTITY', {
      value: v.slice(0, 30),
      position,
      reason: 'not a number',
    });
  }
  return Number(v);
}

export interface Amount {
  /** Minor units, signed as sent. */
  readonly amount: bigint;
  readonly currency: string | null;
}

/** A CP (price) or MO field: `1234.50&USD` in the first component. Null when empty. */
export function money(
  seg: Segment | undefined,
  field: number,
  position: string,
  defaultCurrency: string,
): Amount | null {
  const v = text(seg, field, 1, 1);
  if (v === '') return null;
  const currency = orNull(text(seg, field, 1, 2));
  const cur = currency ?? defaultCurrency;
  const digits = minorDigits(cur);
  // /^([+-]?)(\d{1,15})(?:\.(\d*))?$/ read by hand: sign, 1–15 integer digits, optional fraction.
  const c0 = v.charCodeAt(0);
  const start = c0 === 43 || c0 === 45 ? 1 : 0;
  const intEnd = digitsFrom(v, start);
  let fracEnd = intEnd;
  let decimal = intEnd - start >= 1 && intEnd - start <= 15;
  if (decimal && intEnd < v.length) {
    fracEnd = v.charCodeAt(intEnd) === 46 ? digitsFrom(v, intEnd + 1) : -1;
    decimal = fracEnd === v.length;
  }
  // The fraction without its trailing zeros is what must fit the currency's minor units.
  let fracSignificant = fracEnd;
  while (fracSignificant > intEnd + 1 && v.charCodeAt(fracSignificant - 1) === 48) fracSignificant--;
  const fracLen = decimal && fracSignificant > intEnd + 1 ? fracSignificant - intEnd - 1 : 0;
  if (!decimal || fracLen > digits) {
    throw new CrosswalkError('CW_ERR_INTERPRET_BAD_AMOUNT', {
      value: v.slice(0, 30),
      position,
      reason: !decimal ? 'not a decimal amount' : `${cur} has ${digits} decimals`,
    });
  }
  if (currency !== null && !isCurrencyCode(currency)) {
    throw new CrosswalkError('CW_ERR_INTERPRET_BAD_AMOUNT', {
      value: v.slice(0, 30),
      position,
      reason: `currency ${currency.slice(0, 10)} is not an ISO 4217 code`,
    });
  }
  // Integer digits then the fraction padded to the minor units: the amount in minor units, one parse.
  const frac = fracLen === 0 ? '' : v.slice(intEnd + 1, intEnd + 1 + fracLen);
  const minorText = v.slice(start, intEnd) + frac.padEnd(digits, '0');
  // Up to 15 digits are exact as a double, and BigInt of a number is cheaper than of a string.
  const minor = minorText.length <= 15 ? BigInt(Number(minorText)) : BigInt(minorText);
  return { amount: c0 === 45 ? -minor : minor, currency };
}

/** Three capital letters A–Z (/^[A-Z]{3}$/). */
function isCurrencyCode(s: string): boolean {
  if (s.length !== 3) return false;
  for (let i = 0; i < 3; i++) {
    const c = s.charCodeAt(i);
    if (c < 65 || c > 90) return false;
  }
  return true;
}

/** A Y/N flag; null when empty or anything else. */
export function flag(seg: Segment | undefined, field: number): boolean | null {
  const v = text(seg, field, 1, 1).toUpperCase();
  return v === 'Y' ? true : v === 'N' ? false : null;
}

export function missing(position: string, what: string): CrosswalkError {
  return new CrosswalkError('CW_ERR_INTERPRET_MISSING_FIELD', { position, what });
}
