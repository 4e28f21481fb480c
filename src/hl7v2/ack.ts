import { CrosswalkError, isCrosswalkError } from '../errors/index.ts';
import { type CharsetInfo, codecFor } from './charset.ts';
import { DEFAULT_DELIMITERS, type Delimiters } from './delimiters.ts';
import { escapeValue } from './escape.ts';
import { type Hl7Header, headerFromFields, readHeader } from './header.ts';
import { type Hl7Message, parseMessage } from './message.ts';
import { parsePath } from './path.ts';

/**
 * Acknowledgements (v2.x chapter 2, "Acknowledgment messages").
 *
 * Original mode (MSH-15 and MSH-16 both empty): one ACK, MSA-1 AA / AE / AR.
 * Enhanced mode (either valued): an accept (commit) ACK CA / CE / CR, sent or not as MSH-15 says, and
 * later an application ACK as MSH-16 says. Crosswalk sends the ACK after its durable commit, so in
 * original mode that ACK is the AA/AE/AR and in enhanced mode it is the commit ACK.
 *
 * Everything here is deterministic: the caller passes the ACK's timestamp and control id.
 */

export type AckCode = 'AA' | 'AE' | 'AR' | 'CA' | 'CE' | 'CR';
/** HL7 table 0155. */
export type AckCondition = 'AL' | 'NE' | 'ER' | 'SU';
export type AckOutcome = 'accept' | 'error' | 'reject';

/** HL7 table 0357 (message error condition codes). */
export const HL7_ERROR_CODES = {
  0: 'Message accepted',
  100: 'Segment sequence error',
  101: 'Required field missing',
  102: 'Data type error',
  103: 'Table value not found',
  104: 'Value too long',
  200: 'Unsupported message type',
  201: 'Unsupported event code',
  202: 'Unsupported processing id',
  203: 'Unsupported version id',
  204: 'Unknown key identifier',
  205: 'Duplicate key identifier',
  206: 'Application record locked',
  207: 'Application internal error',
} as const;
export type Hl7ErrorCode = keyof typeof HL7_ERROR_CODES;

export interface AckError {
  /** ERR-3, from table 0357. */
  readonly code: Hl7ErrorCode;
  /** ERR-4: E error (default), W warning, I information, F fatal. */
  readonly severity?: 'E' | 'W' | 'I' | 'F';
  /** ERR-2 when known: a position ('PID-3[2].1', 'FT1[2]-10') or a segment ('PID', 'FT1[2]'). */
  readonly location?: string;
  /** ERR-8 (MSA-3 before v2.5): a user message; it reaches the sender, so it must carry no PHI. */
  readonly message?: string;
}

export interface AckOptions {
  readonly code: AckCode;
  /** MSH-10 of the ACK itself. */
  readonly controlId: string;
  /** MSH-7 of the ACK, an HL7 DTM (see formatHl7Timestamp). */
  readonly timestamp: string;
  /** Required meaning for AE/AR/CE/CR; defaults to 207 (application internal error) there. */
  readonly error?: AckError;
}

export interface AckPlan {
  readonly mode: 'original' | 'enhanced';
  /** MSH-15 / MSH-16 as they take effect ('AL' when unvalued or unrecognised in enhanced mode). */
  readonly acceptAckType: AckCondition;
  readonly applicationAckType: AckCondition;
  /** Whether to send the ACK that follows the durable commit (original mode: always). */
  sendCommitAck(success: boolean): boolean;
  /** Whether an application ACK is due (original mode: always; it is the same single ACK). */
  sendApplicationAck(success: boolean): boolean;
  /** MSA-1 of the ACK sent after the commit: AA/AE/AR in original mode, CA/CE/CR in enhanced mode. */
  commitAckCode(outcome: AckOutcome): AckCode;
}

function condition(value: string): AckCondition {
  // An unvalued or unknown condition in enhanced mode is read as AL: answering is the safe side, since a
  // sender that did not want the ACK discards it, while one that waits for it would time out and resend.
  return value === 'NE' || value === 'ER' || value === 'SU' || value === 'AL' ? value : 'AL';
}

function holds(c: AckCondition, success: boolean): boolean {
  return c === 'AL' || (c === 'ER' && !success) || (c === 'SU' && success);
}

/** Decides which acknowledgements a message asks for. */
export function ackPlan(header: Pick<Hl7Header, 'acceptAckType' | 'applicationAckType'>): AckPlan {
  const original = header.acceptAckType === '' && header.applicationAckType === '';
  if (original) {
    return {
      mode: 'original',
      acceptAckType: 'NE',
      applicationAckType: 'AL',
      sendCommitAck: () => true,
      sendApplicationAck: () => true,
      commitAckCode: (o) => (o === 'accept' ? 'AA' : o === 'error' ? 'AE' : 'AR'),
    };
  }
  const accept = condition(header.acceptAckType);
  const application = condition(header.applicationAckType);
  return {
    mode: 'enhanced',
    acceptAckType: accept,
    applicationAckType: application,
    sendCommitAck: (success) => holds(accept, success),
    sendApplicationAck: (success) => holds(application, success),
    commitAckCode: (o) => (o === 'accept' ? 'CA' : o === 'error' ? 'CE' : 'CR'),
  };
}

function versionAtLeast(version: string, major: number, minor: number, patch = 0): boolean {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(version);
  if (m === null) return true; // unknown: answer in the current layout
  const v = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] as const;
  if (v[0] !== major) return v[0] > major;
  if (v[1] !== minor) return v[1] > minor;
  return v[2] >= patch;
}

interface Erl {
  segment: string;
  occurrence: number;
  field: number;
  repetition: number;
  component: number;
  subcomponent: number;
}

function parseLocation(location: string): Erl {
  const seg = /^([A-Z][A-Z0-9]{2})(?:\[(\d{1,6})\])?$/.exec(location);
  if (seg !== null) {
    return {
      segment: seg[1]!,
      occurrence: Number(seg[2] ?? 1),
      field: 0,
      repetition: 0,
      component: 0,
      subcomponent: 0,
    };
  }
  const p = parsePath(location);
  return { ...p, repetition: p.repetition === 0 ? 1 : p.repetition };
}

/**
 * Builds the ACK for an inbound message: MSH swaps sender and receiver and copies MSH-11, MSH-12 and
 * MSH-18 as sent; the inbound delimiters and character set are used; MSA-2 is the inbound control id;
 * an ERR segment names the reason for AE/AR/CE/CR (ERR-2/3/4/8 from v2.5, ERR-1 and MSA-3 before).
 */
export function buildAck(inbound: Hl7Header, options: AckOptions): Hl7Message {
  const d = inbound.delimiters;
  const esc = (v: string, where: string): string => escapeValue(v, d, where);
  const raw = inbound.raw;
  const enhanced = options.code.startsWith('C');
  const modern = versionAtLeast(inbound.version, 2, 5);
  const error =
    options.code === 'AA' || options.code === 'CA' ? options.error : (options.error ?? { code: 207 });

  let msh9 = 'ACK';
  if (inbound.triggerEvent !== '' && d.component !== '') {
    msh9 += d.component + esc(inbound.triggerEvent, 'MSH-9.2');
    if (versionAtLeast(inbound.version, 2, 3, 1)) msh9 += `${d.component}ACK`;
  }
  const msh = [
    raw.receivingApplication,
    raw.receivingFacility,
    raw.sendingApplication,
    raw.sendingFacility,
    esc(options.timestamp, 'MSH-7'),
    '',
    msh9,
    esc(options.controlId, 'MSH-10'),
    raw.processingId === '' ? 'P' : raw.processingId,
    raw.version === '' ? '2.5' : raw.version,
    '',
    '',
    enhanced ? 'NE' : '',
    enhanced ? 'NE' : '',
    '',
    raw.charset,
  ];
  const msa = [options.code, esc(inbound.controlId, 'MSA-2')];
  if (error?.message !== undefined && !modern) msa.push(esc(error.message, 'MSA-3'));
  const segments = [
    `MSH${d.field}${d.encodingCharacters}${d.field}${trimEnd(msh).join(d.field)}`,
    `MSA${d.field}${msa.join(d.field)}`,
  ];
  if (error !== undefined) segments.push(errSegment(error, d, modern));
  const text = `${segments.join('\r')}\r`;
  return parseMessage(text, { encoding: inbound.charset.encoding });
}

function errSegment(error: AckError, d: Delimiters, modern: boolean): string {
  if (!(error.code in HL7_ERROR_CODES)) {
    throw new CrosswalkError('CW_ERR_HL7_BAD_VALUE', {
      position: 'ERR-3',
      reason: `${String(error.code)} is not in table 0357`,
    });
  }
  const esc = (v: string, where: string): string => escapeValue(v, d, where);
  const loc = error.location === undefined ? undefined : parseLocation(error.location);
  const text = HL7_ERROR_CODES[error.code];
  const num = (n: number): string => (n === 0 ? '' : String(n));
  if (!modern) {
    // ERR-1 (ELD): segment^sequence^field^code identifying error (a CE, so its parts are subcomponents).
    const ce = [String(error.code), esc(text, 'ERR-1.4.2'), 'HL70357'].join(d.subcomponent || d.component);
    const eld = [
      loc?.segment ?? '',
      loc === undefined ? '' : num(loc.occurrence),
      loc === undefined ? '' : num(loc.field),
      ce,
    ];
    return `ERR${d.field}${eld.join(d.component)}`;
  }
  const erl =
    loc === undefined
      ? ''
      : trimEnd([
          loc.segment,
          num(loc.occurrence),
          num(loc.field),
          loc.field === 0 ? '' : num(loc.repetition),
          num(loc.component),
          num(loc.subcomponent),
        ]).join(d.component);
  const fields = [
    '',
    erl,
    [String(error.code), esc(text, 'ERR-3.2'), 'HL70357'].join(d.component),
    error.severity ?? 'E',
    '',
    '',
    '',
    error.message === undefined ? '' : esc(error.message, 'ERR-8'),
  ];
  return `ERR${d.field}${trimEnd(fields).join(d.field)}`;
}

function trimEnd(xs: string[]): string[] {
  let n = xs.length;
  while (n > 0 && xs[n - 1] === '') n--;
  return xs.slice(0, n);
}

/** The table 0357 code and user message for a failure, PHI-free by the registry's rules. */
export function ackErrorFor(failure: unknown): AckError {
  if (!isCrosswalkError(failure))
    return { code: 207, message: 'internal error while processing the message' };
  const code: Hl7ErrorCode = (() => {
    switch (failure.code) {
      case 'CW_ERR_HL7_REQUIRED_FIELD':
        return 101;
      case 'CW_ERR_HL7_EMPTY':
      case 'CW_ERR_HL7_NO_MSH':
      case 'CW_ERR_HL7_BAD_SEGMENT':
      case 'CW_ERR_HL7_BATCH':
        return 100;
      case 'CW_ERR_HL7_BAD_DELIMITERS':
      case 'CW_ERR_HL7_BAD_ESCAPE':
      case 'CW_ERR_HL7_BAD_BYTES':
      case 'CW_ERR_HL7_CHARSET':
        return 102;
      default:
        return 207;
    }
  })();
  return { code, message: failure.message };
}

export interface RejectAckOptions {
  readonly controlId: string;
  readonly timestamp: string;
  /** Why the message is refused; defaults to ackErrorFor(cause). */
  readonly error?: AckError;
  /** The failure that made the message unusable. */
  readonly cause?: unknown;
}

const FALLBACK_CHARSET: CharsetInfo = { declared: '', encoding: 'iso-8859-1' };

/**
 * An ACK refusing bytes that could not be used, best effort so a listener can always answer: the
 * inbound MSH when it can be read (AR, or CR in enhanced mode), else default delimiters, no MSA-2 and
 * version 2.5. Never throws for any input bytes.
 */
export function buildRejectAck(raw: Uint8Array, options: RejectAckOptions): Hl7Message {
  const header = salvageHeader(raw);
  const code = ackPlan(header).mode === 'enhanced' ? 'CR' : 'AR';
  const error = options.error ?? ackErrorFor(options.cause);
  try {
    return buildAck(header, { code, controlId: options.controlId, timestamp: options.timestamp, error });
  } catch {
    // The salvaged MSH held something unwritable (e.g. characters its charset lacks): answer from defaults.
    return buildAck(defaultHeader(), {
      code: 'AR',
      controlId: options.controlId,
      timestamp: options.timestamp,
      error,
    });
  }
}

function salvageHeader(raw: Uint8Array): Hl7Header {
  // The size limit guards parsing; only MSH is read here, so an oversized message still gets its MSA-2.
  const limits = { maxMessageBytes: Number.MAX_SAFE_INTEGER };
  for (const encoding of [undefined, 'iso-8859-1'] as const) {
    try {
      return readHeader(
        raw,
        encoding === undefined
          ? { requireFields: false, limits }
          : { requireFields: false, limits, encoding },
      );
    } catch {
      // try the next, more forgiving reading
    }
  }
  return defaultHeader();
}

function defaultHeader(): Hl7Header {
  return headerFromFields([], DEFAULT_DELIMITERS, FALLBACK_CHARSET, codecFor('iso-8859-1'));
}

/** An HL7 DTM (YYYYMMDDHHMMSS+0000) for a Date, in UTC: for callers that hold a clock. */
export function formatHl7Timestamp(date: Date): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return (
    p(date.getUTCFullYear(), 4) +
    p(date.getUTCMonth() + 1) +
    p(date.getUTCDate()) +
    p(date.getUTCHours()) +
    p(date.getUTCMinutes()) +
    p(date.getUTCSeconds()) +
    '+0000'
  );
}
