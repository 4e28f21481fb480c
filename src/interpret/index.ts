/**
 * Interpretation: HL7 v2 messages (DFT^P03/P11, ADT, SIU, MFN^M02/M04/M05/M16) to canonical events through
 * a mapping release. Patient, encounter and case identifiers become keyed tokens at this edge. Pure.
 */
export type { InterpretContext, InterpretResult } from './context.ts';
export { INTERPRETED_TYPES, interpretHl7, requireInterpreted } from './interpret.ts';
export { type Hl7Instant, parseHl7Time } from './time.ts';
