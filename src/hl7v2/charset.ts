import { isAscii, isUtf8 } from 'node:buffer';
import { CrosswalkError } from '../errors/index.ts';
import type { HexDecoder } from './escape.ts';

/**
 * Character sets named in MSH-18 (HL7 table 0211). Every supported set is ASCII-compatible, so segment
 * boundaries and delimiters can be found in the bytes before decoding, and every codec is lossless:
 * encode(decode(bytes)) === bytes, which is what makes byte-exact re-encoding possible.
 *
 * Reading policy:
 * - "UNICODE UTF-8" (and the common spellings UTF-8/UTF8): strict UTF-8; invalid bytes are
 *   CW_ERR_HL7_BAD_BYTES rather than silently replaced characters.
 * - "8859/n": that ISO 8859 part, one byte per character.
 * - empty (the standard's default, ASCII) or "ASCII": bytes over 0x7F break the declaration but are
 *   common; they are read as UTF-8 when they form valid UTF-8, else as ISO 8859-1, and the result
 *   reports which (`encoding`), so nothing is guessed silently.
 * - anything else: CW_ERR_HL7_CHARSET.
 */

export type Hl7Encoding =
  | 'ascii'
  | 'utf-8'
  | 'iso-8859-1'
  | 'iso-8859-2'
  | 'iso-8859-3'
  | 'iso-8859-4'
  | 'iso-8859-5'
  | 'iso-8859-6'
  | 'iso-8859-7'
  | 'iso-8859-8'
  | 'iso-8859-9'
  | 'iso-8859-15';

export interface CharsetInfo {
  /** MSH-18 (first repetition) as sent; '' when not valued. */
  readonly declared: string;
  /** The encoding the bytes were actually read with. */
  readonly encoding: Hl7Encoding;
}

export interface Codec {
  readonly encoding: Hl7Encoding;
  decode(bytes: Uint8Array, position?: string): string;
  encode(text: string): Buffer;
  /** Whether every character of the text has a byte form in this encoding. */
  canEncode(text: string): boolean;
  readonly hex: HexDecoder;
}

const latin1: Codec = {
  encoding: 'iso-8859-1',
  decode: (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1'),
  encode: (text) => Buffer.from(text, 'latin1'),
  canEncode: (text) => !/[^\x00-\xff]/.test(text),
  hex: (bytes) => Buffer.from(bytes).toString('latin1'),
};

/** ASCII is read and written byte for byte like 8859-1, so stray high bytes survive a round trip. */
const ascii: Codec = { ...latin1, encoding: 'ascii' };

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const utf8: Codec = {
  encoding: 'utf-8',
  decode: (bytes, position) => {
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (isAscii(buf)) return buf.toString('latin1');
    if (!isUtf8(buf)) {
      throw new CrosswalkError('CW_ERR_HL7_BAD_BYTES', {
        position: position ?? 'message',
        charset: 'UTF-8',
        offset: firstInvalidUtf8(buf),
      });
    }
    return buf.toString('utf8');
  },
  encode: (text) => Buffer.from(text, 'utf8'),
  // Lone surrogates have no UTF-8 form; Buffer.from would silently replace them.
  canEncode: (text) => !/\p{Cs}/u.test(text),
  hex: (bytes) => {
    try {
      return strictUtf8.decode(bytes);
    } catch {
      return Buffer.from(bytes).toString('latin1');
    }
  },
};

/** Offset of the first byte that does not start a well-formed UTF-8 sequence (error path only). */
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    const n = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : 0;
    if (n === 0 || i + n >= b.length) return i;
    const c1 = b[i + 1]!;
    // Overlong forms, UTF-16 surrogates and code points above U+10FFFF are invalid too.
    if (
      (c === 0xe0 && c1 < 0xa0) ||
      (c === 0xed && c1 >= 0xa0) ||
      (c === 0xf0 && c1 < 0x90) ||
      (c === 0xf4 && c1 >= 0x90)
    ) {
      return i;
    }
    for (let k = 1; k <= n; k++) if ((b[i + k]! & 0xc0) !== 0x80) return i;
    i += n + 1;
  }
  return b.length;
}

function tableCodec(encoding: Hl7Encoding): Codec {
  const decoder = new TextDecoder(encoding);
  const toChar: string[] = [];
  const toByte = new Map<string, number>();
  for (let b = 0; b < 256; b++) {
    const ch = decoder.decode(Uint8Array.of(b));
    toChar.push(ch);
    if (ch !== '\ufffd') toByte.set(ch, b);
  }
  const decode = (bytes: Uint8Array, position?: string): string => {
    for (let i = 0; i < bytes.length; i++) {
      if (toChar[bytes[i]!] === '\ufffd') {
        throw new CrosswalkError('CW_ERR_HL7_BAD_BYTES', {
          position: position ?? 'message',
          charset: encoding,
          offset: i,
        });
      }
    }
    return decoder.decode(bytes);
  };
  return {
    encoding,
    decode,
    encode: (text) => {
      const out = Buffer.allocUnsafe(text.length);
      for (let i = 0; i < text.length; i++) out[i] = toByte.get(text.charAt(i)) ?? 0x3f;
      return out;
    },
    canEncode: (text) => {
      for (let i = 0; i < text.length; i++) if (!toByte.has(text.charAt(i))) return false;
      return true;
    },
    hex: (bytes) => {
      let s = '';
      for (const b of bytes) s += toChar[b] === '\ufffd' ? String.fromCharCode(b) : toChar[b]!;
      return s;
    },
  };
}

const tableCodecs = new Map<Hl7Encoding, Codec>();

export function codecFor(encoding: Hl7Encoding): Codec {
  if (encoding === 'ascii') return ascii;
  if (encoding === 'utf-8') return utf8;
  if (encoding === 'iso-8859-1') return latin1;
  let c = tableCodecs.get(encoding);
  if (c === undefined) {
    c = tableCodec(encoding);
    tableCodecs.set(encoding, c);
  }
  return c;
}

const ISO_PARTS: Record<string, Hl7Encoding> = {
  '1': 'iso-8859-1',
  '2': 'iso-8859-2',
  '3': 'iso-8859-3',
  '4': 'iso-8859-4',
  '5': 'iso-8859-5',
  '6': 'iso-8859-6',
  '7': 'iso-8859-7',
  '8': 'iso-8859-8',
  '9': 'iso-8859-9',
  '15': 'iso-8859-15',
};

/**
 * The encoding MSH-18 names, or undefined when it names none we support. '' and ASCII give 'ascii' (the
 * caller then applies the high-byte policy above).
 */
export function encodingForCharset(declared: string): Hl7Encoding | undefined {
  const name = declared.trim().toUpperCase();
  if (name === '' || name === 'ASCII' || name === 'US-ASCII') return 'ascii';
  if (name === 'UNICODE UTF-8' || name === 'UTF-8' || name === 'UTF8') return 'utf-8';
  const m = /^(?:8859\/|ISO[-_ ]?8859[-_/]?|ISO_IR )(\d{1,3})$/.exec(name);
  if (m !== null) {
    const part = m[1]!;
    // DICOM-style "ISO_IR 100" names only Latin-1.
    if (name.startsWith('ISO_IR')) return part === '100' ? 'iso-8859-1' : undefined;
    return ISO_PARTS[part];
  }
  if (name === 'LATIN1' || name === 'ISO-LATIN-1') return 'iso-8859-1';
  return undefined;
}

/** Resolves MSH-18 for the given bytes, applying the high-byte policy; throws CW_ERR_HL7_CHARSET. */
export function resolveCharset(declared: string, bytes: Uint8Array): CharsetInfo {
  const named = encodingForCharset(declared);
  if (named === undefined) throw new CrosswalkError('CW_ERR_HL7_CHARSET', { charset: printable(declared) });
  if (named !== 'ascii') return { declared, encoding: named };
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isAscii(buf)) return { declared, encoding: 'ascii' };
  return { declared, encoding: isUtf8(buf) ? 'utf-8' : 'iso-8859-1' };
}

/** A charset name is sender configuration, not patient data, but keep it short and printable in messages. */
function printable(s: string): string {
  const t = s.replace(/[^\x20-\x7e]/g, '?');
  return t.length > 40 ? `${t.slice(0, 40)}…` : t;
}
