/**
 * Segment boundaries. HL7 says CR; real senders also use LF and CRLF, sometimes mixed in one file. Each
 * CR, LF or CRLF is one terminator and is normalised to CR; a blank line is a terminator with nothing
 * before it and is kept (as an extra CR after the previous segment) so re-encoding stays byte-exact.
 * Boundaries are found only at CR/LF, never by looking for "MSH" text, and the byte scanner is safe for
 * every supported charset because none of them uses 0x0D/0x0A inside a multi-byte character.
 */

export type Terminator = 'CR' | 'LF' | 'CRLF' | 'mixed' | 'none';

const F_CR = 1;
const F_LF = 2;
const F_CRLF = 4;

export function terminatorOf(flags: number): Terminator {
  switch (flags) {
    case 0:
      return 'none';
    case F_CR:
      return 'CR';
    case F_LF:
      return 'LF';
    case F_CRLF:
      return 'CRLF';
    default:
      return 'mixed';
  }
}

/** Combines the terminator reports of several parts of one input. */
export function combineTerminators(parts: readonly Terminator[]): Terminator {
  let flags = 0;
  for (const t of parts) {
    if (t === 'mixed') return 'mixed';
    flags |= t === 'CR' ? F_CR : t === 'LF' ? F_LF : t === 'CRLF' ? F_CRLF : 0;
  }
  return terminatorOf(flags);
}

export interface SplitText {
  /** Non-blank lines, terminators removed. */
  readonly lines: string[];
  /** Normalised terminators after each line ('' after an unterminated last line). */
  readonly afters: string[];
  /** Terminators before the first line (blank lines at the start). */
  readonly leading: number;
  readonly terminator: Terminator;
}

export function splitText(s: string): SplitText {
  let flags = 0;
  let pieces: string[];
  if (s.indexOf('\n') === -1) {
    pieces = s.split('\r');
    if (pieces.length > 1) flags = F_CR;
  } else if (s.indexOf('\r') === -1) {
    pieces = s.split('\n');
    flags = F_LF;
  } else {
    pieces = [];
    let start = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 13) {
        pieces.push(s.slice(start, i));
        if (s.charCodeAt(i + 1) === 10) {
          flags |= F_CRLF;
          i++;
        } else flags |= F_CR;
        start = i + 1;
      } else if (c === 10) {
        pieces.push(s.slice(start, i));
        flags |= F_LF;
        start = i + 1;
      }
    }
    pieces.push(s.slice(start));
  }
  const lines: string[] = [];
  const afters: string[] = [];
  let leading = 0;
  const last = pieces.length - 1;
  for (let i = 0; i <= last; i++) {
    const p = pieces[i]!;
    if (p !== '') {
      lines.push(p);
      afters.push(i < last ? '\r' : '');
    } else if (i < last) {
      if (lines.length === 0) leading++;
      else afters[afters.length - 1] += '\r';
    }
  }
  return { lines, afters, leading, terminator: terminatorOf(flags) };
}

export interface ByteLine {
  readonly start: number;
  readonly end: number;
  /** Offset just after the line's terminators (and any blank lines that follow it). */
  next: number;
  /** Normalised terminators after the line. */
  after: string;
}

export interface SplitBytes {
  readonly lines: ByteLine[];
  readonly leading: number;
  readonly terminator: Terminator;
}

/** The same split over bytes, giving offsets so each message can be decoded with its own charset. */
export function splitBytes(b: Uint8Array): SplitBytes {
  let flags = 0;
  const lines: ByteLine[] = [];
  let leading = 0;
  let start = 0;
  const terminate = (end: number, next: number): void => {
    if (end > start) lines.push({ start, end, next, after: '\r' });
    else if (lines.length === 0) leading++;
    else {
      const last = lines[lines.length - 1]!;
      last.after += '\r';
      last.next = next;
    }
  };
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c === 13) {
      const crlf = b[i + 1] === 10;
      terminate(i, crlf ? i + 2 : i + 1);
      if (crlf) {
        flags |= F_CRLF;
        i++;
      } else flags |= F_CR;
      start = i + 1;
    } else if (c === 10) {
      terminate(i, i + 1);
      flags |= F_LF;
      start = i + 1;
    }
  }
  if (start < b.length) lines.push({ start, end: b.length, next: b.length, after: '' });
  return { lines, leading, terminator: terminatorOf(flags) };
}

/** Replaces every CRLF and LF by CR: the form encode() reproduces. */
export function normaliseTerminators(b: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(b.length);
  let n = 0;
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c === 10) {
      if (i > 0 && b[i - 1] === 13) continue;
      out[n++] = 13;
    } else out[n++] = c;
  }
  return out.subarray(0, n);
}
