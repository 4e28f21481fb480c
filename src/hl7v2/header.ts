import { CrosswalkError } from '../errors/index.ts';
import { type CharsetInfo, type Codec, codecFor, type Hl7Encoding, resolveCharset } from './charset.ts';
import { type Delimiters, readDelimiters } from './delimiters.ts';
import { unescapeValue } from './escape.ts';
import { DEFAULT_LIMITS, type Hl7Limits, resolveLimits, segmentPosition, tooLarge } from './limits.ts';
import { nthPiece } from './segment.ts';

/**
 * What the ingest hot path needs from MSH, read without parsing the rest of the message.
 *
 * HD fields (MSH-3…6) are given as sent, components joined by the message's own component separator:
 * that is the stable form for the idempotency key (sender + MSH-10). Single-valued fields are decoded.
 */
export interface Hl7Header {
  readonly delimiters: Delimiters;
  readonly charset: CharsetInfo;
  /** MSH-3 … MSH-6 as sent. */
  readonly sendingApplication: string;
  readonly sendingFacility: string;
  readonly receivingApplication: string;
  readonly receivingFacility: string;
  /** MSH-7.1. */
  readonly dateTime: string;
  /** MSH-9 as "DFT^P03" (always with '^'), or just the code when there is no trigger event. */
  readonly messageType: string;
  readonly messageCode: string;
  readonly triggerEvent: string;
  readonly messageStructure: string;
  /** MSH-10. */
  readonly controlId: string;
  /** MSH-11.1 (P, T, D) and MSH-11.2. */
  readonly processingId: string;
  readonly processingMode: string;
  /** MSH-12.1. */
  readonly version: string;
  /** MSH-15 and MSH-16 (table 0155: AL, NE, ER, SU; '' when not valued). */
  readonly acceptAckType: string;
  readonly applicationAckType: string;
  /** Raw MSH fields the ACK copies as they were sent (same delimiters, so copying is safe). */
  readonly raw: {
    readonly sendingApplication: string;
    readonly sendingFacility: string;
    readonly receivingApplication: string;
    readonly receivingFacility: string;
    readonly processingId: string;
    readonly version: string;
    readonly charset: string;
  };
}

export interface ReadHeaderOptions {
  readonly limits?: Partial<Hl7Limits>;
  /** Require MSH-9.1 and MSH-10 to be valued (default true): without them a message cannot be keyed. */
  readonly requireFields?: boolean;
  /** Read with this encoding whatever MSH-18 says. */
  readonly encoding?: Hl7Encoding;
}

/** The first repetition of a raw field. */
function firstRepetition(raw: string, d: Delimiters): string {
  return nthPiece(raw, d.repetition, 0);
}

/** Raw text decoded: the explicit null reads as '', escapes are resolved. */
function decoded(raw: string, d: Delimiters, codec: Codec): string {
  const v = raw === '""' ? '' : raw;
  return d.escape !== '' && v.indexOf(d.escape) !== -1 ? unescapeValue(v, d, { hex: codec.hex }) : v;
}

/** Component n (0-based) of the first repetition, its first subcomponent, decoded. */
function componentOf(raw: string, n: number, d: Delimiters, codec: Codec): string {
  return decoded(nthPiece(nthPiece(firstRepetition(raw, d), d.component, n), d.subcomponent, 0), d, codec);
}

/**
 * Builds the header from the raw MSH fields (`fields[n]` is MSH-n, n ≥ 3; missing ones are '').
 * Shared by readHeader and Hl7Message.
 */
export function headerFromFields(
  fields: readonly (string | undefined)[],
  delimiters: Delimiters,
  charset: CharsetInfo,
  codec: Codec,
): Hl7Header {
  const d = delimiters;
  const msh3 = fields[3] ?? '';
  const msh4 = fields[4] ?? '';
  const msh5 = fields[5] ?? '';
  const msh6 = fields[6] ?? '';
  const msh9 = fields[9] ?? '';
  const msh11 = fields[11] ?? '';
  const msh12 = fields[12] ?? '';
  const messageCode = componentOf(msh9, 0, d, codec);
  const triggerEvent = componentOf(msh9, 1, d, codec);
  return {
    delimiters,
    charset,
    sendingApplication: firstRepetition(msh3, d),
    sendingFacility: firstRepetition(msh4, d),
    receivingApplication: firstRepetition(msh5, d),
    receivingFacility: firstRepetition(msh6, d),
    dateTime: componentOf(fields[7] ?? '', 0, d, codec),
    messageType: triggerEvent === '' ? messageCode : `${messageCode}^${triggerEvent}`,
    messageCode,
    triggerEvent,
    messageStructure: componentOf(msh9, 2, d, codec),
    controlId: decoded(firstRepetition(fields[10] ?? '', d), d, codec),
    processingId: componentOf(msh11, 0, d, codec),
    processingMode: componentOf(msh11, 1, d, codec),
    version: componentOf(msh12, 0, d, codec),
    acceptAckType: componentOf(fields[15] ?? '', 0, d, codec).toUpperCase(),
    applicationAckType: componentOf(fields[16] ?? '', 0, d, codec).toUpperCase(),
    raw: {
      sendingApplication: msh3,
      sendingFacility: msh4,
      receivingApplication: msh5,
      receivingFacility: msh6,
      processingId: msh11,
      version: msh12,
      charset: fields[18] ?? '',
    },
  };
}

const BOM = [0xef, 0xbb, 0xbf];

export function hasBom(b: Uint8Array): boolean {
  return b.length >= 3 && b[0] === BOM[0] && b[1] === BOM[1] && b[2] === BOM[2];
}

/** A PHI-safe description of what stood where MSH was expected. */
export function describeStart(b: Uint8Array): string {
  if (b.length === 0) return 'nothing';
  let s = '';
  for (let i = 0; i < Math.min(3, b.length); i++) {
    const c = b[i]!;
    s +=
      c >= 0x41 && c <= 0x5a
        ? String.fromCharCode(c)
        : c === 13 || c === 10
          ? '<EOL>'
          : `<${c.toString(16)}>`;
  }
  return `'${s}'`;
}

function isMsh(b: Uint8Array, at: number): boolean {
  return b[at] === 0x4d && b[at + 1] === 0x53 && b[at + 2] === 0x48;
}

/** End offset of the line starting at `from` (the first CR or LF, or the end). */
export function lineEnd(b: Uint8Array, from: number): number {
  const buf = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const cr = buf.indexOf(13, from);
  const lf = buf.indexOf(10, from);
  if (cr === -1) return lf === -1 ? b.length : lf;
  return lf === -1 || cr < lf ? cr : lf;
}

export interface MshLine {
  readonly start: number;
  readonly end: number;
  readonly delimiters: Delimiters;
  readonly declaredCharset: string;
  /** The MSH line read one character per byte: ASCII-safe for delimiters and MSH-18. */
  readonly latin1: string;
}

/**
 * Finds and checks the MSH line at the start of the bytes (after a BOM). Throws CW_ERR_HL7_EMPTY,
 * CW_ERR_HL7_NO_MSH, CW_ERR_HL7_BAD_DELIMITERS or CW_ERR_HL7_TOO_LARGE.
 */
export function locateMsh(b: Uint8Array, limits: Hl7Limits): MshLine {
  const start = hasBom(b) ? 3 : 0;
  if (b.length === start) throw new CrosswalkError('CW_ERR_HL7_EMPTY');
  if (!isMsh(b, start))
    throw new CrosswalkError('CW_ERR_HL7_NO_MSH', { found: describeStart(b.subarray(start)) });
  const end = lineEnd(b, start);
  if (end - start > limits.maxSegmentChars) {
    throw tooLarge('segment', segmentPosition(1, 'MSH'), end - start, limits.maxSegmentChars, 'bytes');
  }
  const latin1 = Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('latin1');
  const delimiters = readDelimiters(latin1);
  const msh18 = nthPiece(latin1, delimiters.field, 17);
  const declaredCharset = nthPiece(nthPiece(msh18, delimiters.repetition, 0), delimiters.component, 0);
  return { start, end, delimiters, declaredCharset, latin1 };
}

/**
 * Reads MSH from raw bytes without a full parse: one pass to the end of the first line, one decode of
 * that line. Throws typed errors for a missing or garbled MSH, an unknown charset, and (unless
 * requireFields is false) an empty MSH-9.1 or MSH-10.
 */
export function readHeader(buf: Uint8Array, options: ReadHeaderOptions = {}): Hl7Header {
  const limits = options.limits === undefined ? DEFAULT_LIMITS : resolveLimits(options.limits);
  if (buf.length > limits.maxMessageBytes) {
    throw tooLarge('message', 'message', buf.length, limits.maxMessageBytes, 'bytes');
  }
  const msh = locateMsh(buf, limits);
  const charset =
    options.encoding !== undefined
      ? { declared: msh.declaredCharset, encoding: options.encoding }
      : resolveCharset(msh.declaredCharset, buf.subarray(msh.start));
  const codec = codecFor(charset.encoding);
  const line =
    charset.encoding === 'ascii' || charset.encoding === 'iso-8859-1'
      ? msh.latin1
      : codec.decode(buf.subarray(msh.start, msh.end), segmentPosition(1, 'MSH'));
  // parts[0] is the name and MSH-1 is the separator itself, so MSH-n (n ≥ 2) is parts[n - 1].
  const parts = line.split(msh.delimiters.field);
  parts.unshift('');
  const header = headerFromFields(parts, msh.delimiters, charset, codec);
  if (options.requireFields !== false) requireHeaderFields(header);
  return header;
}

/** Throws CW_ERR_HL7_REQUIRED_FIELD when MSH-9.1 or MSH-10 is empty. */
export function requireHeaderFields(h: Hl7Header): void {
  if (h.messageCode === '') {
    throw new CrosswalkError('CW_ERR_HL7_REQUIRED_FIELD', {
      field: 'MSH-9',
      position: segmentPosition(1, 'MSH', 9),
    });
  }
  if (h.controlId === '') {
    throw new CrosswalkError('CW_ERR_HL7_REQUIRED_FIELD', {
      field: 'MSH-10',
      position: segmentPosition(1, 'MSH', 10),
    });
  }
}
