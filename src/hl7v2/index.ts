/**
 * Crosswalk's HL7 v2 ER7 toolkit: pure (no I/O), lossless, delimiter- and charset-aware.
 *
 *   parseMessage(bytes)      one message → Hl7Message (get/set by spec position, encode byte-exact)
 *   parseBatch(bytes)        files, batches and runs of messages, tolerant of malformed envelopes
 *   readHeader(bytes)        MSH only, for the ingest hot path
 *   buildAck / ackPlan / buildRejectAck   original and enhanced acknowledgement
 */
export {
  type AckCode,
  type AckCondition,
  type AckError,
  type AckOptions,
  type AckOutcome,
  type AckPlan,
  ackErrorFor,
  ackPlan,
  buildAck,
  buildRejectAck,
  formatHl7Timestamp,
  HL7_ERROR_CODES,
  type Hl7ErrorCode,
  type RejectAckOptions,
} from './ack.ts';
export {
  assertWellFormed,
  type BatchGroup,
  type BatchIssue,
  type BatchIssueKind,
  type BatchItem,
  Hl7Batch,
  parseBatch,
} from './batch.ts';
export { type CharsetInfo, encodingForCharset, type Hl7Encoding } from './charset.ts';
export { DEFAULT_DELIMITERS, type Delimiters, makeDelimiters } from './delimiters.ts';
export { escapeValue, type UnescapeOptions, unescapeValue } from './escape.ts';
export { type Hl7Header, type ReadHeaderOptions, readHeader, requireHeaderFields } from './header.ts';
export { DEFAULT_LIMITS, type Hl7Limits } from './limits.ts';
export { normaliseTerminators, type Terminator } from './lines.ts';
export { Hl7Message, type ParseOptions, parseMessage } from './message.ts';
export { formatPath, type Hl7Path, parsePath } from './path.ts';
export { NULL_VALUE, Segment } from './segment.ts';
export { type FieldLine, fieldLines } from './tree.ts';
