import { CrosswalkError } from '../errors/index.ts';

/**
 * The encoding characters of one message, read from MSH-1 and MSH-2 (or FHS/BHS-1/2). Nothing in this
 * package assumes `|^~\&`: every split, escape and encode goes through a Delimiters value.
 *
 * A character the sender did not declare (MSH-2 shorter than four characters) is the empty string, and
 * every scanner treats '' as "never matches". The truncation character exists from v2.7 on (5th MSH-2
 * character, usually `#`).
 */
export interface Delimiters {
  readonly field: string;
  readonly component: string;
  readonly repetition: string;
  readonly escape: string;
  readonly subcomponent: string;
  readonly truncation: string;
  /** MSH-2 exactly as sent, so encoding reproduces it even when it is short. */
  readonly encodingCharacters: string;
}

export const DEFAULT_DELIMITERS: Delimiters = Object.freeze({
  field: '|',
  component: '^',
  repetition: '~',
  escape: '\\',
  subcomponent: '&',
  truncation: '',
  encodingCharacters: '^~\\&',
});

/** Printable ASCII that is neither a letter nor a digit: anything else would make segment names ambiguous. */
function isDelimiterChar(code: number): boolean {
  if (code < 0x21 || code > 0x7e) return false;
  if (code >= 0x30 && code <= 0x39) return false;
  const lower = code | 0x20;
  return !(lower >= 0x61 && lower <= 0x7a);
}

function describe(ch: string): string {
  const code = ch.charCodeAt(0);
  return isDelimiterChar(code) ? `'${ch}'` : `0x${code.toString(16).padStart(2, '0')}`;
}

/**
 * Builds Delimiters from the field separator and the MSH-2 text. Throws CW_ERR_HL7_BAD_DELIMITERS when a
 * character is not printable punctuation, repeats, or MSH-2 is empty or longer than five characters.
 */
export function makeDelimiters(field: string, encodingCharacters: string): Delimiters {
  const bad = (reason: string): CrosswalkError => new CrosswalkError('CW_ERR_HL7_BAD_DELIMITERS', { reason });
  if (field.length !== 1 || !isDelimiterChar(field.charCodeAt(0))) {
    throw bad(
      `field separator ${field.length === 1 ? describe(field) : '(missing)'} is not printable punctuation`,
    );
  }
  if (encodingCharacters.length === 0) throw bad('MSH-2 (encoding characters) is empty');
  if (encodingCharacters.length > 5)
    throw bad(`MSH-2 has ${encodingCharacters.length} characters, at most 5`);
  const seen = new Set<string>([field]);
  for (const ch of encodingCharacters) {
    if (!isDelimiterChar(ch.charCodeAt(0)))
      throw bad(`encoding character ${describe(ch)} is not printable punctuation`);
    if (seen.has(ch)) throw bad(`encoding character ${describe(ch)} is used twice`);
    seen.add(ch);
  }
  return Object.freeze({
    field,
    component: encodingCharacters.charAt(0),
    repetition: encodingCharacters.charAt(1),
    escape: encodingCharacters.charAt(2),
    subcomponent: encodingCharacters.charAt(3),
    truncation: encodingCharacters.charAt(4),
    encodingCharacters,
  });
}

/**
 * Reads the delimiters from the start of a header segment (MSH, FHS or BHS) given as text: the character
 * after the three-letter name is the field separator, and MSH-2 runs to the next field separator (or the
 * end of the line when the segment stops there).
 */
export function readDelimiters(segmentText: string): Delimiters {
  const field = segmentText.charAt(3);
  if (field === '' || field === '\r' || field === '\n') {
    throw new CrosswalkError('CW_ERR_HL7_BAD_DELIMITERS', {
      reason: 'the header segment stops before MSH-1',
    });
  }
  let end = segmentText.indexOf(field, 4);
  if (end === -1) end = segmentText.length;
  const encodingCharacters = segmentText.slice(4, end);
  // Senders keep their delimiters, so a handful of validated values serve every message.
  const key = field + encodingCharacters;
  let d = known.get(key);
  if (d === undefined) {
    d = makeDelimiters(field, encodingCharacters);
    if (known.size < 64) known.set(key, d);
  }
  return d;
}

const known = new Map<string, Delimiters>();

/** Whether two Delimiters values would produce the same ER7. */
export function sameDelimiters(a: Delimiters, b: Delimiters): boolean {
  return a.field === b.field && a.encodingCharacters === b.encodingCharacters;
}
