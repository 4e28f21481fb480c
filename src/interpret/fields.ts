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
  const npi = marked && /^\d{10}$/.test(id) ? id : null;
  const employeeCode = npi === null ? null : (findPractitioner(release, npi, date)?.employeeCode ?? null);
  return { id, npi, employeeCode };
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

const NUMBER = /^[+-]?(\d{1,12}(\.\d{0,6})?|\.\d{1,6})$/;

/** An NM quantity as a finite number; null when empty. */
export function quantity(raw: string, position: string): number | null {
  const v = raw.trim();
  if (v === '') return null;
  if (!NUMBER.test(v)) {
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
  const m = /^([+-]?)(\d{1,15})(?:\.(\d*))?$/.exec(v);
  const frac = (m?.[3] ?? '').replace(/0+$/, '');
  if (m === null || frac.length > digits) {
    throw new CrosswalkError('CW_ERR_INTERPRET_BAD_AMOUNT', {
      value: v.slice(0, 30),
      position,
      reason: m === null ? 'not a decimal amount' : `${cur} has ${digits} decimals`,
    });
  }
  if (currency !== null && !/^[A-Z]{3}$/.test(currency)) {
    throw new CrosswalkError('CW_ERR_INTERPRET_BAD_AMOUNT', {
      value: v.slice(0, 30),
      position,
      reason: `currency ${currency.slice(0, 10)} is not an ISO 4217 code`,
    });
  }
  const minor = BigInt(m[2]!) * 10n ** BigInt(digits) + BigInt(frac.padEnd(digits, '0') || '0');
  return { amount: m[1] === '-' ? -minor : minor, currency };
}

/** A Y/N flag; null when empty or anything else. */
export function flag(seg: Segment | undefined, field: number): boolean | null {
  const v = text(seg, field, 1, 1).toUpperCase();
  return v === 'Y' ? true : v === 'N' ? false : null;
}

export function missing(position: string, what: string): CrosswalkError {
  return new CrosswalkError('CW_ERR_INTERPRET_MISSING_FIELD', { position, what });
}
