/**
 * A tiny ER7 writer for the demo traffic, deliberately separate from src/hl7v2 (the real encoder) so
 * the demo does not depend on it. Standard delimiters only: | ^ ~ \ &, segments ended by \r.
 *
 * Invariant: every piece of data reaches a message through `text()`, `components()` or
 * `subcomponents()`, which escape it. `Er7` is a branded string so that a raw value cannot be passed
 * where an encoded field is expected without the compiler noticing.
 */

export type Er7 = string & { readonly __er7: unique symbol };

export const SEGMENT_TERMINATOR = '\r';
export const ENCODING_CHARACTERS = '^~\\&';

/** HL7 v2 escape sequences for the standard delimiters; CR and LF become hex escapes. */
export function escapeHl7(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] as string;
    switch (ch) {
      case '\\':
        out += '\\E\\';
        break;
      case '|':
        out += '\\F\\';
        break;
      case '^':
        out += '\\S\\';
        break;
      case '&':
        out += '\\T\\';
        break;
      case '~':
        out += '\\R\\';
        break;
      case '\r':
        out += '\\X0D\\';
        break;
      case '\n':
        out += '\\X0A\\';
        break;
      default:
        out += ch;
    }
  }
  return out;
}

const UNESCAPES: Readonly<Record<string, string>> = { E: '\\', F: '|', S: '^', T: '&', R: '~' };

/** The inverse of `escapeHl7` (for tests and readers of the demo; not a general HL7 unescaper). */
export function unescapeHl7(value: string): string {
  return value.replace(/\\(E|F|S|T|R|X[0-9A-Fa-f]+)\\/g, (_, seq: string) => {
    if (seq[0] === 'X') {
      const hex = seq.slice(1);
      let s = '';
      for (let i = 0; i + 1 < hex.length; i += 2)
        s += String.fromCharCode(Number.parseInt(hex.slice(i, i + 2), 16));
      return s;
    }
    return UNESCAPES[seq] ?? '';
  });
}

type Part = string | number | bigint | null | undefined;

function plain(v: Part): string {
  return v === null || v === undefined ? '' : String(v);
}

function trimTrailingEmpty(parts: string[]): string[] {
  let n = parts.length;
  while (n > 0 && parts[n - 1] === '') n--;
  return parts.slice(0, n);
}

/** One escaped primitive value. */
export function text(v: Part): Er7 {
  return escapeHl7(plain(v)) as Er7;
}

/** An encoded subcomponent group, the only pre-encoded value `components` accepts. */
export class Subcomponents {
  constructor(readonly encoded: string) {}
}

/** Components joined by ^, each escaped (subcomponent groups are already encoded). */
export function components(...parts: (Part | Subcomponents)[]): Er7 {
  const encoded = parts.map((p) => (p instanceof Subcomponents ? p.encoded : escapeHl7(plain(p))));
  return trimTrailingEmpty(encoded).join('^') as Er7;
}

/** Subcomponents joined by &, each escaped; use inside `components`. */
export function subcomponents(...parts: Part[]): Subcomponents {
  return new Subcomponents(trimTrailingEmpty(parts.map((p) => escapeHl7(plain(p)))).join('&'));
}

/** Repetitions joined by ~. */
export function repetitions(...fields: Er7[]): Er7 {
  return fields.join('~') as Er7;
}

/** A segment: `fields[0]` is field 1. Trailing empty fields are dropped. */
export function segment(id: string, fields: readonly (Er7 | null | undefined)[]): string {
  // Array.from visits holes in sparse field arrays (`map` would skip them and defeat the trimming).
  const parts = trimTrailingEmpty(
    Array.from(fields, (f) => (f === null || f === undefined ? '' : String(f))),
  );
  return parts.length === 0 ? id : `${id}|${parts.join('|')}`;
}

/** MSH-1 is the field separator itself and MSH-2 the encoding characters, so MSH is written apart. */
export function mshSegment(fieldsFrom3: readonly (Er7 | null | undefined)[]): string {
  const rest = trimTrailingEmpty(
    Array.from(fieldsFrom3, (f) => (f === null || f === undefined ? '' : String(f))),
  );
  return `MSH|${ENCODING_CHARACTERS}|${rest.join('|')}`;
}

export function message(segments: readonly string[]): string {
  return segments.join(SEGMENT_TERMINATOR) + SEGMENT_TERMINATOR;
}

/** Minor units to a decimal amount with two places, e.g. 123456n → `1234.56`. */
export function formatMoney(minor: bigint): string {
  const negative = minor < 0n;
  const abs = negative ? -minor : minor;
  const cents = String(abs % 100n).padStart(2, '0');
  return `${negative ? '-' : ''}${abs / 100n}.${cents}`;
}
