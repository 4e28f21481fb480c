import { CrosswalkError } from '../errors/index.ts';
import type { Delimiters } from './delimiters.ts';

/**
 * HL7 v2 escape sequences (v2.x chapter 2, "Use of escape sequences in text fields").
 *
 * Decoding (ER7 → text), applied to a leaf value only (a subcomponent, or a component/field without
 * deeper structure), so a sequence can never straddle a delimiter:
 *   \F\ \S\ \T\ \R\ \E\ \P\  → the field, component, subcomponent, repetition, escape, truncation character
 *   \Xhh…\                   → the bytes hh… decoded with the message's character set
 *   \H\ \N\                  → removed (start/end highlighting is presentation, not text)
 *   \Cxxyy\ \Mxxyyzz\ \Zxx\ \.br\ and the other formatting commands → kept verbatim, escape characters
 *                              included, because they are not characters of the text
 *   anything else            → the escape character is taken literally (senders do put bare backslashes
 *                              in values); `strict` turns that into CW_ERR_HL7_BAD_ESCAPE instead
 *
 * Encoding (text → ER7) escapes every delimiter and the escape character itself, CR and LF (segment
 * terminators), and the other C0 controls except TAB (0x0B and 0x1C frame MLLP), so no value can inject a
 * field, component, repetition or segment. A value that is exactly `""` is written as hex so it does not
 * read back as the explicit null.
 */

export type HexDecoder = (bytes: Uint8Array) => string;

const latin1Hex: HexDecoder = (bytes) => {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
};

export interface UnescapeOptions {
  /** Decodes the bytes of \Xhh\; defaults to one character per byte (ISO 8859-1). */
  readonly hex?: HexDecoder;
  /** Throw CW_ERR_HL7_BAD_ESCAPE on an unknown or unterminated sequence instead of keeping it literally. */
  readonly strict?: boolean;
  /** Where the value sits, for the error message (e.g. "segment 3 (PID) field 5"). */
  readonly position?: string;
}

function isHex(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) | 0x20;
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

function isFormatting(body: string): boolean {
  const head = body.charAt(0);
  if (head === 'C') return body.length === 5 && isHex(body, 1, 5);
  if (head === 'M') return (body.length === 5 || body.length === 7) && isHex(body, 1, body.length);
  if (head === 'Z') return body.length > 1;
  if (head === '.') return /^\.(?:br|sp|in|ti|sk|fi|nf|ce)[+-]?\d*$/.test(body);
  return false;
}

/** Decodes the escape sequences of one leaf value. Linear in the length of the value. */
export function unescapeValue(raw: string, d: Delimiters, options: UnescapeOptions = {}): string {
  const esc = d.escape;
  if (esc === '') return raw;
  let i = raw.indexOf(esc);
  if (i === -1) return raw;
  let out = '';
  let from = 0;
  while (i !== -1) {
    const close = raw.indexOf(esc, i + 1);
    const body = close === -1 ? '' : raw.slice(i + 1, close);
    const decoded = close === -1 ? undefined : decodeSequence(body, d, options.hex ?? latin1Hex);
    if (decoded === undefined) {
      if (options.strict) {
        throw new CrosswalkError('CW_ERR_HL7_BAD_ESCAPE', {
          position: options.position ?? 'a value',
          reason: close === -1 ? 'escape sequence is not terminated' : 'unknown escape sequence',
        });
      }
      // Literal escape character: keep it and resume scanning just after it.
      out += raw.slice(from, i + 1);
      from = i + 1;
      i = raw.indexOf(esc, from);
      continue;
    }
    out += raw.slice(from, i) + decoded;
    from = close + 1;
    i = raw.indexOf(esc, from);
  }
  return out + raw.slice(from);
}

function decodeSequence(body: string, d: Delimiters, hex: HexDecoder): string | undefined {
  switch (body) {
    case 'F':
      return d.field;
    case 'S':
      return d.component === '' ? undefined : d.component;
    case 'T':
      return d.subcomponent === '' ? undefined : d.subcomponent;
    case 'R':
      return d.repetition === '' ? undefined : d.repetition;
    case 'E':
      return d.escape;
    case 'P':
      return d.truncation === '' ? undefined : d.truncation;
    case 'H':
    case 'N':
      return '';
  }
  if (body.charAt(0) === 'X' && body.length >= 3 && body.length % 2 === 1 && isHex(body, 1, body.length)) {
    const bytes = new Uint8Array((body.length - 1) / 2);
    for (let k = 0; k < bytes.length; k++) bytes[k] = Number.parseInt(body.slice(1 + 2 * k, 3 + 2 * k), 16);
    return hex(bytes);
  }
  if (isFormatting(body)) return d.escape + body + d.escape;
  return undefined;
}

function hex2(code: number): string {
  return code.toString(16).toUpperCase().padStart(2, '0');
}

const escapePatterns = new WeakMap<Delimiters, RegExp>();

function patternFor(d: Delimiters): RegExp {
  let re = escapePatterns.get(d);
  if (re === undefined) {
    const chars = [d.field, d.component, d.repetition, d.escape, d.subcomponent, d.truncation]
      .filter((c) => c !== '')
      .map((c) => `\\${c}`)
      .join('');
    re = new RegExp(`[${chars}\\x00-\\x08\\x0a-\\x1f]`);
    escapePatterns.set(d, re);
  }
  return re;
}

/**
 * Encodes text as one ER7 leaf value. Throws CW_ERR_HL7_BAD_VALUE when the value holds a delimiter but
 * the message declared no escape character, since it could then not be written safely.
 */
export function escapeValue(text: string, d: Delimiters, position = 'a value'): string {
  if (text === '""')
    return d.escape === '' ? unsafe(position, 'the literal "" would read as null') : hexFor(text, d);
  if (!patternFor(d).test(text)) return text;
  if (d.escape === '')
    return unsafe(position, 'it holds a delimiter and the message has no escape character');
  const e = d.escape;
  let out = '';
  for (const ch of text) {
    if (ch === d.field) out += `${e}F${e}`;
    else if (ch === d.component) out += `${e}S${e}`;
    else if (ch === d.subcomponent) out += `${e}T${e}`;
    else if (ch === d.repetition) out += `${e}R${e}`;
    else if (ch === e) out += `${e}E${e}`;
    else if (ch === d.truncation) out += `${e}P${e}`;
    else if (ch.charCodeAt(0) < 0x20 && ch !== '\t') out += `${e}X${hex2(ch.charCodeAt(0))}${e}`;
    else out += ch;
  }
  return out;
}

function hexFor(text: string, d: Delimiters): string {
  let body = '';
  for (let i = 0; i < text.length; i++) body += hex2(text.charCodeAt(i));
  return `${d.escape}X${body}${d.escape}`;
}

function unsafe(position: string, reason: string): never {
  throw new CrosswalkError('CW_ERR_HL7_BAD_VALUE', { position, reason });
}
