/**
 * Check digits for the identifiers the demo mints: NPI (CMS National Provider Identifier) and GTIN-14
 * (GS1, the device identifier part of a UDI). Both validators are pure and total: any string in,
 * boolean out.
 */

/** Luhn check digit for a string of decimal digits (the digit that would be appended). */
export function luhnCheckDigit(payload: string): number {
  let sum = 0;
  // The appended check digit sits at position 1 from the right, so the payload's rightmost digit
  // is at an even position and is the first one doubled.
  for (let i = payload.length - 1, double = true; i >= 0; i--, double = !double) {
    let d = payload.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

/**
 * The NPI standard computes its Luhn check digit over the 9-digit identifier prefixed with 80840
 * (the ISO 7812 card-issuer prefix for US health applications), not over the 9 digits alone.
 */
export const NPI_LUHN_PREFIX = '80840';

export function npiCheckDigit(first9: string): number {
  if (!/^\d{9}$/.test(first9)) throw new RangeError('npiCheckDigit needs exactly 9 digits');
  return luhnCheckDigit(NPI_LUHN_PREFIX + first9);
}

/** True when `npi` is 10 digits whose last digit is the Luhn check digit over 80840 + the first 9. */
export function isValidNpi(npi: string): boolean {
  if (!/^\d{10}$/.test(npi)) return false;
  return npiCheckDigit(npi.slice(0, 9)) === npi.charCodeAt(9) - 48;
}

/** Completes a 9-digit base into an NPI. NPIs issued today start with 1 (individuals) or 2. */
export function makeNpi(first9: string): string {
  return first9 + String(npiCheckDigit(first9));
}

/** GS1 mod-10 check digit: weights 3,1,3,… from the rightmost payload digit. */
export function gs1CheckDigit(payload: string): number {
  let sum = 0;
  for (let i = payload.length - 1, w = 3; i >= 0; i--, w = 4 - w) sum += (payload.charCodeAt(i) - 48) * w;
  return (10 - (sum % 10)) % 10;
}

export function makeGtin14(first13: string): string {
  if (!/^\d{13}$/.test(first13)) throw new RangeError('makeGtin14 needs exactly 13 digits');
  return first13 + String(gs1CheckDigit(first13));
}

export function isValidGtin14(gtin: string): boolean {
  if (!/^\d{14}$/.test(gtin)) return false;
  return gs1CheckDigit(gtin.slice(0, 13)) === gtin.charCodeAt(13) - 48;
}
