/**
 * Canonical events: the typed records every engine consumes, their deterministic ids, keyed tokens for
 * patient/encounter/case identifiers, validation and JSON form. Pure: no I/O.
 */
export {
  EVENT_ID_PATTERN,
  eventId,
  identifierKey,
  MIN_TOKEN_KEY_BYTES,
  sortPrefix,
  sortPrefixOf,
  TOKEN_PATTERN,
  type TokenKind,
  tokenize,
} from './ids.ts';
export { eventFromJson, eventsToJson, jsonText } from './json.ts';
export * from './types.ts';
export { isValidEvent, validateEvent } from './validate.ts';
