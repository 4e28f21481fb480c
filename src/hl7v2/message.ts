import { CrosswalkError } from '../errors/index.ts';
import {
  type CharsetInfo,
  type Codec,
  codecFor,
  encodingForCharset,
  type Hl7Encoding,
  resolveCharset,
} from './charset.ts';
import { type Delimiters, readDelimiters } from './delimiters.ts';
import { escapeValue } from './escape.ts';
import { type Hl7Header, headerFromFields, locateMsh } from './header.ts';
import { DEFAULT_LIMITS, type Hl7Limits, resolveLimits, segmentPosition, tooLarge } from './limits.ts';
import { splitText, type Terminator } from './lines.ts';
import { checkOccurrence, formatPath, type Hl7Path, parsePath, withOccurrence } from './path.ts';
import { nthPiece, Segment } from './segment.ts';

export interface ParseOptions {
  readonly limits?: Partial<Hl7Limits>;
  /** Read the bytes with this encoding whatever MSH-18 says (for a sender known to mislabel). */
  readonly encoding?: Hl7Encoding;
}

const BOM_BYTES = Buffer.from([0xef, 0xbb, 0xbf]);
const ENVELOPE = new Set(['FHS', 'BHS', 'BTS', 'FTS']);

/**
 * One HL7 v2 message. Parsing is lossless: `encode()` returns the input bytes with every segment
 * terminator normalised to CR (BOM kept), until a value is changed. Reading is lazy: a segment is split
 * into fields the first time one of its fields is read.
 */
export class Hl7Message {
  readonly delimiters: Delimiters;
  readonly charset: CharsetInfo;
  /** The segment terminators the input used ('none' for a single unterminated segment). */
  readonly terminator: Terminator;
  /** Whether the input started with a UTF-8 byte order mark (kept on encode). */
  readonly bom: boolean;
  readonly #segments: Segment[];
  readonly #codec: Codec;
  #byName: Map<string, Segment[]> | undefined;
  #header: Hl7Header | undefined;

  constructor(
    segments: Segment[],
    delimiters: Delimiters,
    charset: CharsetInfo,
    terminator: Terminator,
    bom: boolean,
  ) {
    this.#segments = segments;
    this.delimiters = delimiters;
    this.charset = charset;
    this.terminator = terminator;
    this.bom = bom;
    this.#codec = codecFor(charset.encoding);
  }

  get segments(): readonly Segment[] {
    return this.#segments;
  }

  #index(): Map<string, Segment[]> {
    if (this.#byName === undefined) {
      const m = new Map<string, Segment[]>();
      for (const s of this.#segments) {
        const list = m.get(s.name);
        if (list === undefined) m.set(s.name, [s]);
        else list.push(s);
      }
      this.#byName = m;
    }
    return this.#byName;
  }

  /** The nth (1-based) segment of that name. */
  segment(name: string, occurrence = 1): Segment | undefined {
    return this.#index().get(name)?.[occurrence - 1];
  }

  /** Every segment of that name, in order. */
  segmentsNamed(name: string): readonly Segment[] {
    return this.#index().get(name) ?? [];
  }

  count(name: string): number {
    return this.#index().get(name)?.length ?? 0;
  }

  #locate(path: string, occurrence: number | undefined): { p: Hl7Path; seg: Segment | undefined } {
    const p = withOccurrence(parsePath(path), occurrence, path);
    return { p, seg: this.segment(p.segment, p.occurrence) };
  }

  /**
   * The decoded text at a position: `get('PID-3.1')`, `get('PID-3[2].1')`, `get('OBX-5', 2)` (2nd OBX).
   * '' when absent, empty or the explicit null; a field or component means its first component and
   * subcomponent (see path.ts).
   */
  get(path: string, occurrence?: number): string {
    // The hot read path: no allocation beyond the value itself.
    const p = parsePath(path);
    let occ = p.occurrence;
    if (occurrence !== undefined && occurrence !== occ) occ = checkOccurrence(p, occurrence, path);
    const seg = this.#index().get(p.segment)?.[occ - 1];
    return seg === undefined ? '' : seg.get(p.field, p.component, p.subcomponent, p.repetition);
  }

  /** The ER7 text at a position as sent (a field path without [n] gives all repetitions). */
  getRaw(path: string, occurrence?: number): string {
    const { p, seg } = this.#locate(path, occurrence);
    return seg === undefined ? '' : seg.getRaw(p.field, p.component, p.subcomponent, p.repetition);
  }

  /** The decoded text at a position in every repetition of its field. */
  getAll(path: string, occurrence?: number): string[] {
    const { p, seg } = this.#locate(path, occurrence);
    if (seg === undefined) return [];
    if (p.repetition !== 0) {
      throw new CrosswalkError('CW_ERR_HL7_BAD_PATH', {
        path,
        reason: 'getAll reads every repetition; drop the [n]',
      });
    }
    return seg.getAll(p.field, p.component, p.subcomponent);
  }

  /** Whether the position holds the explicit null `""`. */
  isNull(path: string, occurrence?: number): boolean {
    const { p, seg } = this.#locate(path, occurrence);
    return seg?.isNull(p.field, p.component, p.subcomponent, p.repetition) === true;
  }

  #target(path: string, occurrence: number | undefined): { p: Hl7Path; seg: Segment } {
    const { p, seg } = this.#locate(path, occurrence);
    if (seg === undefined) {
      throw new CrosswalkError('CW_ERR_HL7_BAD_PATH', {
        path: formatPath(p),
        reason: `the message has no segment ${p.segment} number ${p.occurrence}; add it first`,
      });
    }
    return { p, seg };
  }

  /** Writes text at a position, escaping it; null writes the explicit null `""`. */
  set(path: string, value: string | null, occurrence?: number): this {
    const { p, seg } = this.#target(path, occurrence);
    seg.set(p.field, value, p.component, p.subcomponent, p.repetition, formatPath(p));
    this.#header = undefined;
    return this;
  }

  /** Writes ER7 text as is (it may hold component/repetition delimiters, never a field separator). */
  setRaw(path: string, er7: string, occurrence?: number): this {
    const { p, seg } = this.#target(path, occurrence);
    seg.setRaw(p.field, er7, p.component, p.subcomponent, p.repetition, formatPath(p));
    this.#header = undefined;
    return this;
  }

  /**
   * Adds a segment of text values (escaped; null = explicit null), SEG-1 first, at the end or before the
   * segment at `index` (0-based; MSH stays first). Returns the new segment.
   */
  addSegment(name: string, values: readonly (string | null)[] = [], index?: number): Segment {
    if (!isSegmentName(name) || name === 'MSH' || ENVELOPE.has(name)) {
      throw new CrosswalkError('CW_ERR_HL7_BAD_PATH', {
        path: name.slice(0, 8),
        reason: 'a new segment needs a three-character name other than MSH or a batch envelope name',
      });
    }
    const at = index ?? this.#segments.length;
    if (!Number.isSafeInteger(at) || at < 1 || at > this.#segments.length) {
      throw new CrosswalkError('CW_ERR_HL7_BAD_PATH', {
        path: name,
        reason: `index ${at} is outside 1…${this.#segments.length}`,
      });
    }
    const er7 = values.map((v, i) =>
      v === null ? '""' : escapeValue(v, this.delimiters, segmentPosition(at + 1, name, i + 1)),
    );
    for (const [i, v] of er7.entries()) {
      if (!this.#codec.canEncode(v)) {
        throw new CrosswalkError('CW_ERR_HL7_BAD_VALUE', {
          position: segmentPosition(at + 1, name, i + 1),
          reason: `it has characters that ${this.#codec.encoding} cannot encode`,
        });
      }
    }
    const seg = Segment.fromRawFields(name, er7, this.delimiters, this.#codec);
    const prev = this.#segments[at - 1]!;
    if (prev.after === '') {
      prev.after = '\r';
      if (at === this.#segments.length) seg.after = '';
    }
    this.#segments.splice(at, 0, seg);
    this.#byName = undefined;
    return seg;
  }

  /** Removes a segment (never MSH). */
  removeSegment(segment: Segment): void {
    const i = this.#segments.indexOf(segment);
    if (i <= 0) {
      throw new CrosswalkError('CW_ERR_HL7_BAD_PATH', {
        path: segment.name,
        reason: 'not a removable segment of this message',
      });
    }
    const [removed] = this.#segments.splice(i, 1);
    if (i === this.#segments.length && removed !== undefined) this.#segments[i - 1]!.after = removed.after;
    this.#byName = undefined;
  }

  /** MSH read into the same shape readHeader gives. */
  get header(): Hl7Header {
    if (this.#header === undefined) {
      const msh = this.#segments[0]!;
      const fields: string[] = [];
      for (let n = 3; n <= 18; n++) fields[n] = msh.getRaw(n);
      this.#header = headerFromFields(fields, this.delimiters, this.charset, this.#codec);
    }
    return this.#header;
  }

  /** The ER7 text, terminators normalised to CR. */
  toString(): string {
    let s = '';
    for (const seg of this.#segments) s += seg.text + seg.after;
    return s;
  }

  /** The message bytes in its character set, BOM included when the input had one. */
  encode(): Buffer {
    const body = this.#codec.encode(this.toString());
    return this.bom ? Buffer.concat([BOM_BYTES, body]) : body;
  }
}

function isSegmentName(s: string): boolean {
  if (s.length !== 3) return false;
  const a = s.charCodeAt(0);
  if (a < 0x41 || a > 0x5a) return false;
  for (let i = 1; i < 3; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39))) return false;
  }
  return true;
}

/**
 * Parses one message. Input is normally the raw bytes (decoded by MSH-18, see charset.ts); a string is
 * taken as already decoded. Throws CrosswalkError (CW_ERR_HL7_*) for anything malformed.
 */
export function parseMessage(input: Uint8Array | string, options: ParseOptions = {}): Hl7Message {
  const limits = options.limits === undefined ? DEFAULT_LIMITS : resolveLimits(options.limits);
  if (typeof input === 'string') return parseText(input, limits, options.encoding);
  if (input.length > limits.maxMessageBytes) {
    throw tooLarge('message', 'message', input.length, limits.maxMessageBytes, 'bytes');
  }
  const msh = locateMsh(input, limits);
  const body = input.subarray(msh.start);
  const charset =
    options.encoding !== undefined
      ? { declared: msh.declaredCharset, encoding: options.encoding }
      : resolveCharset(msh.declaredCharset, body);
  const codec = codecFor(charset.encoding);
  return build(codec.decode(body, 'message'), msh.delimiters, charset, codec, msh.start > 0, limits);
}

function parseText(input: string, limits: Hl7Limits, encoding: Hl7Encoding | undefined): Hl7Message {
  const bom = input.charCodeAt(0) === 0xfeff;
  const text = bom ? input.slice(1) : input;
  if (text.length > limits.maxMessageBytes) {
    throw tooLarge('message', 'message', text.length, limits.maxMessageBytes, 'characters');
  }
  if (text === '') throw new CrosswalkError('CW_ERR_HL7_EMPTY');
  if (!text.startsWith('MSH')) {
    throw new CrosswalkError('CW_ERR_HL7_NO_MSH', {
      found: `'${text.slice(0, 3).replace(/[^A-Z]/g, '?')}'`,
    });
  }
  let end = text.length;
  for (const t of ['\r', '\n']) {
    const at = text.indexOf(t);
    if (at !== -1 && at < end) end = at;
  }
  const mshLine = text.slice(0, end);
  const delimiters = readDelimiters(mshLine);
  const declared = nthPiece(
    nthPiece(nthPiece(mshLine, delimiters.field, 17), delimiters.repetition, 0),
    delimiters.component,
    0,
  );
  let chosen = encoding ?? encodingForCharset(declared);
  if (chosen === undefined)
    throw new CrosswalkError('CW_ERR_HL7_CHARSET', { charset: declared.slice(0, 40) });
  // Text has no bytes to go back to: a declared-ASCII string with other characters is written as UTF-8.
  if (encoding === undefined && chosen === 'ascii' && /[^\x00-\x7f]/.test(text)) chosen = 'utf-8';
  return build(text, delimiters, { declared, encoding: chosen }, codecFor(chosen), bom, limits);
}

function build(
  text: string,
  delimiters: Delimiters,
  charset: CharsetInfo,
  codec: Codec,
  bom: boolean,
  limits: Hl7Limits,
): Hl7Message {
  const { lines, afters, terminator } = splitText(text);
  if (lines.length > limits.maxSegments) {
    throw tooLarge('message', 'message', lines.length, limits.maxSegments, 'segments');
  }
  const segments: Segment[] = new Array(lines.length);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const name = line.slice(0, 3);
    if (!isSegmentName(name) || (line.length > 3 && line.charAt(3) !== delimiters.field)) {
      throw new CrosswalkError('CW_ERR_HL7_BAD_SEGMENT', {
        position: segmentPosition(i + 1),
        reason: 'a segment starts with a three-character name (A-Z, 0-9) and the field separator',
      });
    }
    if (i > 0 && (name === 'MSH' || ENVELOPE.has(name))) {
      throw new CrosswalkError('CW_ERR_HL7_BAD_SEGMENT', {
        position: segmentPosition(i + 1, name),
        reason:
          name === 'MSH'
            ? 'a second MSH starts another message; read several messages with parseBatch'
            : 'a batch envelope segment inside a message; read batches with parseBatch',
      });
    }
    if (line.length > limits.maxSegmentChars) {
      throw tooLarge(
        'segment',
        segmentPosition(i + 1, name),
        line.length,
        limits.maxSegmentChars,
        'characters',
      );
    }
    if (line.length > limits.maxFieldChars) checkFields(line, delimiters, i + 1, name, limits);
    segments[i] = new Segment(line, delimiters, afters[i]!, codec);
  }
  return new Hl7Message(segments, delimiters, charset, terminator, bom);
}

/** Only segments longer than the field limit can hold an over-long field, so normal ones cost nothing. */
function checkFields(line: string, d: Delimiters, index: number, name: string, limits: Hl7Limits): void {
  const parts = line.split(d.field);
  const offset = name === 'MSH' ? 1 : 0;
  for (let f = 1; f < parts.length; f++) {
    const len = parts[f]!.length;
    if (len > limits.maxFieldChars) {
      throw tooLarge(
        'field',
        segmentPosition(index, name, f + offset),
        len,
        limits.maxFieldChars,
        'characters',
      );
    }
  }
}
