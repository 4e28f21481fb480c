import { CrosswalkError } from '../errors/index.ts';
import type { Codec } from './charset.ts';
import type { Delimiters } from './delimiters.ts';
import { escapeValue, unescapeValue } from './escape.ts';

/**
 * One segment, parsed lazily: it holds its ER7 text and splits it into fields only when a field is first
 * read or written, and splits a field into repetitions/components only along the path being read.
 * Escapes are decoded only when a leaf actually contains the escape character. Untouched segments encode
 * to their original text, which is what keeps re-encoding byte-exact and cheap.
 *
 * Numbering follows the spec: field n is SEG-n, so for MSH (and FHS/BHS) field 1 is the field separator
 * and field 2 the encoding characters.
 */

/** The nth (0-based) piece of s split by sep, without allocating the other pieces. */
export function nthPiece(s: string, sep: string, n: number): string {
  if (sep === '') return n <= 0 ? s : '';
  let start = 0;
  for (let i = 0; i < n; i++) {
    const at = s.indexOf(sep, start);
    if (at === -1) return '';
    start = at + sep.length;
  }
  const end = s.indexOf(sep, start);
  return end === -1 ? s.slice(start) : s.slice(start, end);
}

function countPieces(s: string, sep: string): number {
  if (s === '') return 0;
  if (sep === '') return 1;
  let n = 1;
  for (let at = s.indexOf(sep); at !== -1; at = s.indexOf(sep, at + 1)) n++;
  return n;
}

export const HEADER_SEGMENTS: ReadonlySet<string> = new Set(['MSH', 'FHS', 'BHS']);

export const NULL_VALUE = '""';

export class Segment {
  readonly name: string;
  readonly delimiters: Delimiters;
  /** Normalised terminators that follow the segment: '\r', '' at the end of unterminated input, '\r\r' … */
  after: string;
  #text: string | undefined;
  /** Set once a field is written; until then fields are found in #text through #seps. */
  #fields: string[] | undefined;
  /** Offsets of the field separators of #text found so far (scanned only as far as reads needed). */
  #seps: number[] | undefined;
  #scanned = false;
  readonly #codec: Codec | undefined;
  readonly #isHeader: boolean;

  constructor(text: string, delimiters: Delimiters, after = '\r', codec?: Codec) {
    this.name = text.slice(0, 3);
    this.delimiters = delimiters;
    this.after = after;
    this.#text = text;
    this.#codec = codec;
    this.#isHeader = HEADER_SEGMENTS.has(this.name);
  }

  /** Builds a segment from field values already in ER7 form (fields[0] is SEG-1). */
  static fromRawFields(
    name: string,
    fields: readonly string[],
    delimiters: Delimiters,
    codec?: Codec,
  ): Segment {
    const seg = new Segment(name, delimiters, '\r', codec);
    seg.#fields = [name, ...fields];
    if (seg.#isHeader) seg.#fields.splice(1, 0, delimiters.field);
    seg.#text = undefined;
    return seg;
  }

  /** The segment's ER7 text, without terminator. */
  get text(): string {
    if (this.#text === undefined) {
      const f = this.#fields!;
      this.#text = this.#isHeader
        ? [f[0], ...f.slice(2)].join(this.delimiters.field)
        : f.join(this.delimiters.field);
    }
    return this.#text;
  }

  /** The ith piece of the text split by the field separator, scanning no further than needed. */
  #piece(i: number): string | undefined {
    const t = this.#text!;
    let seps = this.#seps;
    if (seps === undefined) {
      seps = [];
      this.#seps = seps;
    }
    const fs = this.delimiters.field;
    while (seps.length <= i && !this.#scanned) {
      const at = t.indexOf(fs, seps.length === 0 ? 0 : seps[seps.length - 1]! + 1);
      if (at === -1) this.#scanned = true;
      else seps.push(at);
    }
    if (i > seps.length) return undefined;
    return t.slice(i === 0 ? 0 : seps[i - 1]! + 1, i < seps.length ? seps[i] : t.length);
  }

  /** Raw ER7 of SEG-n, undefined beyond the last field. */
  #field(n: number): string | undefined {
    if (this.#fields !== undefined) return this.#fields[n];
    if (!this.#isHeader) return this.#piece(n);
    return n === 0 ? this.name : n === 1 ? this.delimiters.field : this.#piece(n - 1);
  }

  #split(): string[] {
    if (this.#fields === undefined) {
      const parts = this.#text!.split(this.delimiters.field);
      if (this.#isHeader) parts.splice(1, 0, this.delimiters.field);
      this.#fields = parts;
    }
    return this.#fields;
  }

  /** The highest field number present (trailing empty fields included, as sent). */
  get fieldCount(): number {
    return this.#split().length - 1;
  }

  /**
   * ER7 text of a field, or of one repetition/component/subcomponent of it when those are given (0 = the
   * whole level). Escapes stay as sent.
   */
  getRaw(field: number, component = 0, subcomponent = 0, repetition = 0): string {
    const raw = this.#field(field) ?? '';
    if (this.#isHeader && field <= 2)
      return repetition <= 1 && component <= 1 && subcomponent <= 1 ? raw : '';
    if (repetition === 0 && component === 0 && subcomponent === 0) return raw;
    const d = this.delimiters;
    let s = nthPiece(raw, d.repetition, Math.max(repetition, 1) - 1);
    if (component === 0) return s;
    s = nthPiece(s, d.component, component - 1);
    return subcomponent === 0 ? s : nthPiece(s, d.subcomponent, subcomponent - 1);
  }

  #leaf(field: number, component: number, subcomponent: number, repetition: number): string {
    const raw = this.#field(field);
    if (raw === undefined || raw === '') return '';
    if (this.#isHeader && field <= 2)
      return repetition <= 1 && component <= 1 && subcomponent <= 1 ? raw : '';
    const d = this.delimiters;
    let s =
      repetition <= 1 && raw.indexOf(d.repetition) === -1 ? raw : nthPiece(raw, d.repetition, repetition - 1);
    s = nthPiece(s, d.component, component <= 1 ? 0 : component - 1);
    return nthPiece(s, d.subcomponent, subcomponent <= 1 ? 0 : subcomponent - 1);
  }

  /**
   * The decoded text at a position (Terser convention: a field means its first component and first
   * subcomponent). The explicit null `""` reads as '' — ask isNull to tell it from empty.
   */
  get(field: number, component = 0, subcomponent = 0, repetition = 0): string {
    const leaf = this.#leaf(field, component, subcomponent, repetition);
    if (this.#isHeader && field <= 2) return leaf;
    return this.#decode(leaf);
  }

  #hexOption(): { hex?: Codec['hex'] } {
    return this.#codec === undefined ? {} : { hex: this.#codec.hex };
  }

  /** Whether the position holds the explicit null `""` (HL7: "delete the value on the receiver"). */
  isNull(field: number, component = 0, subcomponent = 0, repetition = 0): boolean {
    return this.#leaf(field, component, subcomponent, repetition) === NULL_VALUE;
  }

  /** The decoded text at a component/subcomponent in every repetition of a field (one pass over it). */
  getAll(field: number, component = 0, subcomponent = 0): string[] {
    const raw = this.#field(field) ?? '';
    if (raw === '') return [];
    if (this.#isHeader && field <= 2) return [raw];
    const d = this.delimiters;
    const reps = d.repetition === '' ? [raw] : raw.split(d.repetition);
    return reps.map((rep) => {
      const leaf = nthPiece(
        nthPiece(rep, d.component, Math.max(component, 1) - 1),
        d.subcomponent,
        Math.max(subcomponent, 1) - 1,
      );
      return this.#decode(leaf);
    });
  }

  #decode(leaf: string): string {
    if (leaf === NULL_VALUE) return '';
    const esc = this.delimiters.escape;
    return esc === '' || leaf.indexOf(esc) === -1
      ? leaf
      : unescapeValue(leaf, this.delimiters, this.#hexOption());
  }

  /** How many repetitions a field has (0 when empty). */
  repetitionCount(field: number): number {
    if (this.#isHeader && field <= 2) return 1;
    return countPieces(this.#field(field) ?? '', this.delimiters.repetition);
  }

  /**
   * Writes ER7 text into a position, padding with empty fields/repetitions/components as needed. The text
   * must not contain the field separator or a segment terminator; finer delimiters are the caller's
   * intent (this is how whole composite values are written).
   */
  setRaw(
    field: number,
    er7: string,
    component = 0,
    subcomponent = 0,
    repetition = 0,
    position?: string,
  ): void {
    const where = position ?? `${this.name}-${field}`;
    if (!Number.isSafeInteger(field) || field < 1) {
      throw new CrosswalkError('CW_ERR_HL7_BAD_PATH', { path: where, reason: 'field numbers start at 1' });
    }
    if (this.#isHeader && field <= 2) {
      throw new CrosswalkError('CW_ERR_HL7_BAD_PATH', {
        path: where,
        reason: `${this.name}-1 and ${this.name}-2 are the delimiters, fixed when the message was parsed`,
      });
    }
    const d = this.delimiters;
    if (er7.includes(d.field) || er7.includes('\r') || er7.includes('\n')) {
      throw new CrosswalkError('CW_ERR_HL7_BAD_VALUE', {
        position: where,
        reason: 'raw ER7 may not contain the field separator or a segment terminator',
      });
    }
    if (this.#codec !== undefined && !this.#codec.canEncode(er7)) {
      throw new CrosswalkError('CW_ERR_HL7_BAD_VALUE', {
        position: where,
        reason: `it has characters that ${this.#codec.encoding} cannot encode`,
      });
    }
    const fields = this.#split();
    while (fields.length <= field) fields.push('');
    if (repetition === 0 && component === 0 && subcomponent === 0) {
      fields[field] = er7;
    } else {
      fields[field] = replacePiece(fields[field]!, d.repetition, Math.max(repetition, 1), where, (rep) =>
        component === 0
          ? er7
          : replacePiece(rep, d.component, component, where, (comp) =>
              subcomponent === 0 ? er7 : replacePiece(comp, d.subcomponent, subcomponent, where, () => er7),
            ),
      );
    }
    this.#text = undefined;
  }

  /** Writes text (escaped) at a position (Terser convention, as get). null writes the explicit null `""`. */
  set(
    field: number,
    value: string | null,
    component = 0,
    subcomponent = 0,
    repetition = 0,
    position?: string,
  ): void {
    const where = position ?? `${this.name}-${field}`;
    const er7 = value === null ? NULL_VALUE : escapeValue(value, this.delimiters, where);
    this.setRaw(
      field,
      er7,
      Math.max(component, 1),
      Math.max(subcomponent, 1),
      Math.max(repetition, 1),
      where,
    );
  }
}

function replacePiece(
  s: string,
  sep: string,
  n: number,
  where: string,
  f: (piece: string) => string,
): string {
  if (sep === '') {
    if (n > 1) {
      throw new CrosswalkError('CW_ERR_HL7_BAD_VALUE', {
        position: where,
        reason: 'the message declares no separator for this level',
      });
    }
    return f(s);
  }
  const pieces = s.split(sep);
  while (pieces.length < n) pieces.push('');
  pieces[n - 1] = f(pieces[n - 1]!);
  return pieces.join(sep);
}
