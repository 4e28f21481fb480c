import { CrosswalkError, isCrosswalkError } from '../errors/index.ts';
import { type Codec, codecFor, resolveCharset } from './charset.ts';
import { DEFAULT_DELIMITERS, type Delimiters, readDelimiters } from './delimiters.ts';
import { hasBom } from './header.ts';
import { DEFAULT_LIMITS, resolveLimits, tooLarge } from './limits.ts';
import { type ByteLine, normaliseTerminators, splitBytes, type Terminator } from './lines.ts';
import { type Hl7Message, type ParseOptions, parseMessage } from './message.ts';
import { nthPiece, Segment } from './segment.ts';

/**
 * Batch (BHS…BTS) and file (FHS…FTS) envelopes, and plain files of back-to-back messages.
 *
 * The input is cut only at segment boundaries: a message starts at a line beginning with MSH and runs to
 * the next MSH or envelope segment, so "MSH" inside a field value never splits anything. Each message
 * is parsed on its own (its own delimiters and MSH-18). Malformed envelopes as real senders produce them
 * (missing headers or trailers, nested headers, segments outside any message, wrong counts) do not
 * throw: they are reported in `issues`, and a message that fails to parse becomes a `failed` item with
 * its CrosswalkError, so one bad message never hides the others. encode() reproduces the input bytes with
 * terminators normalised to CR.
 */

export type BatchIssueKind =
  | 'missing-fhs'
  | 'missing-fts'
  | 'missing-bhs'
  | 'missing-bts'
  | 'nested-fhs'
  | 'nested-bhs'
  | 'after-fts'
  | 'orphan-segment'
  | 'bad-envelope'
  | 'count-mismatch'
  | 'message-failed';

export interface BatchIssue {
  readonly kind: BatchIssueKind;
  /** 1-based index of the segment (non-blank line) of the input the issue is about. */
  readonly line: number;
  readonly detail: string;
}

export type BatchItem =
  | { readonly kind: 'envelope'; readonly line: number; readonly segment: Segment; readonly codec: Codec }
  | { readonly kind: 'message'; readonly line: number; readonly message: Hl7Message }
  | { readonly kind: 'failed'; readonly line: number; readonly error: CrosswalkError; readonly bytes: Buffer }
  | { readonly kind: 'orphan'; readonly line: number; readonly bytes: Buffer };

export interface BatchGroup {
  /** BHS, absent for messages outside any batch header. */
  readonly header: Segment | undefined;
  trailer: Segment | undefined;
  readonly messages: Hl7Message[];
  /** Messages of this group that failed to parse. */
  failed: number;
}

export class Hl7Batch {
  readonly bom: boolean;
  readonly terminator: Terminator;
  /** Blank lines before the first segment. */
  readonly leading: number;
  readonly items: readonly BatchItem[];
  readonly issues: readonly BatchIssue[];
  readonly fileHeader: Segment | undefined;
  readonly fileTrailer: Segment | undefined;
  readonly batches: readonly BatchGroup[];

  constructor(init: {
    bom: boolean;
    terminator: Terminator;
    leading: number;
    items: BatchItem[];
    issues: BatchIssue[];
    fileHeader: Segment | undefined;
    fileTrailer: Segment | undefined;
    batches: BatchGroup[];
  }) {
    this.bom = init.bom;
    this.terminator = init.terminator;
    this.leading = init.leading;
    this.items = init.items;
    this.issues = init.issues;
    this.fileHeader = init.fileHeader;
    this.fileTrailer = init.fileTrailer;
    this.batches = init.batches;
  }

  /** Every message that parsed, in input order. */
  get messages(): Hl7Message[] {
    const out: Hl7Message[] = [];
    for (const it of this.items) if (it.kind === 'message') out.push(it.message);
    return out;
  }

  /** Messages that did not parse, with why. */
  get failures(): { line: number; error: CrosswalkError }[] {
    const out: { line: number; error: CrosswalkError }[] = [];
    for (const it of this.items) if (it.kind === 'failed') out.push({ line: it.line, error: it.error });
    return out;
  }

  encode(): Buffer {
    const parts: Buffer[] = [];
    if (this.bom) parts.push(Buffer.from([0xef, 0xbb, 0xbf]));
    if (this.leading > 0) parts.push(Buffer.from('\r'.repeat(this.leading), 'latin1'));
    for (const it of this.items) {
      if (it.kind === 'message') parts.push(it.message.encode());
      else if (it.kind === 'envelope') parts.push(it.codec.encode(it.segment.text + it.segment.after));
      else parts.push(it.bytes);
    }
    return Buffer.concat(parts);
  }
}

function nameOf(b: Uint8Array, line: ByteLine): string {
  if (line.end - line.start < 3) return '';
  return String.fromCharCode(b[line.start]!, b[line.start + 1]!, b[line.start + 2]!);
}

const ENVELOPES = new Set(['FHS', 'BHS', 'BTS', 'FTS']);

/** MSH or an envelope segment name at the start of a line, followed by punctuation (its field separator). */
function isBoundary(b: Uint8Array, line: ByteLine, name: string): boolean {
  if (name !== 'MSH' && !ENVELOPES.has(name)) return false;
  if (line.end - line.start === 3) return name === 'BTS' || name === 'FTS';
  const c = b[line.start + 3]!;
  const lower = c | 0x20;
  return c >= 0x21 && c <= 0x7e && !(c >= 0x30 && c <= 0x39) && !(lower >= 0x61 && lower <= 0x7a);
}

/** Parses a batch, a file, or any run of messages. Throws only for empty or over-limit input. */
export function parseBatch(input: Uint8Array, options: ParseOptions = {}): Hl7Batch {
  const limits = options.limits === undefined ? DEFAULT_LIMITS : resolveLimits(options.limits);
  if (input.length > limits.maxBatchBytes) {
    throw tooLarge('batch', 'input', input.length, limits.maxBatchBytes, 'bytes');
  }
  const bom = hasBom(input);
  const body = bom ? input.subarray(3) : input;
  const { lines, leading, terminator } = splitBytes(body);
  if (lines.length === 0) throw new CrosswalkError('CW_ERR_HL7_EMPTY');

  const items: BatchItem[] = [];
  const issues: BatchIssue[] = [];
  const batches: BatchGroup[] = [];
  let fileHeader: Segment | undefined;
  let fileTrailer: Segment | undefined;
  let fileOpen = false;
  let fileClosed = false;
  let group: BatchGroup | undefined;
  let delimiters: Delimiters = DEFAULT_DELIMITERS;
  let messageStart = -1;
  const issue = (kind: BatchIssueKind, line: number, detail: string): void => {
    issues.push({ kind, line, detail });
  };
  const bytesOf = (from: number, to: number): Buffer => normaliseTerminators(body.subarray(from, to));

  const openGroup = (header: Segment | undefined): BatchGroup => {
    const g: BatchGroup = { header, trailer: undefined, messages: [], failed: 0 };
    batches.push(g);
    return g;
  };

  const flushMessage = (endLine: number): void => {
    if (messageStart < 0) return;
    const first = lines[messageStart]!;
    const last = lines[endLine - 1]!;
    const bytes = body.subarray(first.start, last.next);
    group ??= openGroup(undefined);
    try {
      const message = parseMessage(bytes, options);
      items.push({ kind: 'message', line: messageStart + 1, message });
      group.messages.push(message);
      delimiters = message.delimiters;
    } catch (e) {
      if (!isCrosswalkError(e)) throw e;
      items.push({ kind: 'failed', line: messageStart + 1, error: e, bytes: normaliseTerminators(bytes) });
      group.failed++;
      issue('message-failed', messageStart + 1, e.code);
    }
    messageStart = -1;
  };

  const envelope = (i: number, name: string): Segment | undefined => {
    const line = lines[i]!;
    const raw = body.subarray(line.start, line.end);
    const codec = codecFor(resolveCharset('', raw).encoding);
    const text = codec.decode(raw);
    let d = delimiters;
    if (name === 'FHS' || name === 'BHS') {
      try {
        d = readDelimiters(text);
      } catch (e) {
        if (!isCrosswalkError(e)) throw e;
        issue('bad-envelope', i + 1, `${name} delimiters: ${e.message}`);
        items.push({ kind: 'orphan', line: i + 1, bytes: bytesOf(line.start, line.next) });
        return undefined;
      }
      delimiters = d;
    }
    const segment = new Segment(text, d, line.after, codec);
    items.push({ kind: 'envelope', line: i + 1, segment, codec });
    return segment;
  };

  const closeGroup = (i: number, trailer: Segment | undefined): void => {
    if (group === undefined) return;
    group.trailer = trailer;
    if (trailer !== undefined) {
      const declared = nthPiece(trailer.getRaw(1), trailer.delimiters.component, 0);
      const actual = group.messages.length + group.failed;
      if (/^\d+$/.test(declared) && Number(declared) !== actual) {
        issue('count-mismatch', i + 1, `BTS-1 says ${declared} messages, the batch holds ${actual}`);
      }
    }
    group = undefined;
  };

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const name = nameOf(body, line);
    if (!isBoundary(body, line, name)) {
      if (messageStart < 0) {
        issue('orphan-segment', i + 1, 'a segment outside any message (no MSH before it)');
        items.push({ kind: 'orphan', line: i + 1, bytes: bytesOf(line.start, line.next) });
      }
      continue;
    }
    flushMessage(i);
    if (fileClosed && name !== 'FHS') issue('after-fts', i + 1, `${name} after the file trailer`);
    switch (name) {
      case 'MSH':
        if (group === undefined && fileOpen) {
          issue('missing-bhs', i + 1, 'a message inside a file but outside any batch header');
          group = openGroup(undefined);
        }
        messageStart = i;
        break;
      case 'FHS': {
        if (group !== undefined) {
          if (group.header !== undefined) issue('missing-bts', i + 1, 'the batch before this FHS has no BTS');
          closeGroup(i, undefined);
        }
        if (fileOpen) issue('nested-fhs', i + 1, 'FHS while a file is open (no FTS before it)');
        const seg = envelope(i, name);
        fileHeader ??= seg;
        fileOpen = true;
        fileClosed = false;
        break;
      }
      case 'BHS': {
        if (group !== undefined) {
          if (group.header !== undefined)
            issue('nested-bhs', i + 1, 'BHS while a batch is open (no BTS before it)');
          closeGroup(i, undefined);
        }
        group = openGroup(envelope(i, name));
        break;
      }
      case 'BTS': {
        if (group === undefined || group.header === undefined) {
          if (group === undefined || !fileOpen) issue('missing-bhs', i + 1, 'BTS without a BHS');
          group ??= openGroup(undefined);
        }
        closeGroup(i, envelope(i, name));
        break;
      }
      case 'FTS': {
        if (group !== undefined) {
          if (group.header !== undefined) issue('missing-bts', i + 1, 'FTS while a batch is open (no BTS)');
          closeGroup(i, undefined);
        }
        if (!fileOpen) issue('missing-fhs', i + 1, 'FTS without an FHS');
        const seg = envelope(i, name);
        fileTrailer = seg;
        if (seg !== undefined) {
          const declared = nthPiece(seg.getRaw(1), seg.delimiters.component, 0);
          const actual = batches.length;
          if (/^\d+$/.test(declared) && Number(declared) !== actual) {
            issue('count-mismatch', i + 1, `FTS-1 says ${declared} batches, the file holds ${actual}`);
          }
        }
        fileOpen = false;
        fileClosed = true;
        break;
      }
    }
  }
  flushMessage(lines.length);
  if (group?.header !== undefined) issue('missing-bts', lines.length, 'the last batch has no BTS');
  if (fileOpen) issue('missing-fts', lines.length, 'the file has no FTS');

  return new Hl7Batch({ bom, terminator, leading, items, issues, fileHeader, fileTrailer, batches });
}

/** Throws CW_ERR_HL7_BATCH naming the first issue, for callers that accept only well-formed envelopes. */
export function assertWellFormed(batch: Hl7Batch): void {
  const first = batch.issues[0];
  if (first !== undefined) {
    throw new CrosswalkError('CW_ERR_HL7_BATCH', {
      reason: `${first.kind} at segment ${first.line}: ${first.detail}`,
    });
  }
}
