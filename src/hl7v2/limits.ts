import { CrosswalkError } from '../errors/index.ts';

/**
 * Hard limits that bound the memory and time one message can cost. Exceeding one is
 * CW_ERR_HL7_TOO_LARGE, never a truncation. The defaults admit a message carrying an embedded document
 * (an OBX-5 ED of a few MB) and refuse anything that looks like a runaway sender; raise them for feeds
 * that embed larger documents.
 */
export interface Hl7Limits {
  /** Bytes of one message. */
  readonly maxMessageBytes: number;
  /** Bytes of one batch or file given to parseBatch. */
  readonly maxBatchBytes: number;
  /** Characters of one segment, terminator excluded. */
  readonly maxSegmentChars: number;
  /** Characters of one field, all its repetitions included. */
  readonly maxFieldChars: number;
  /** Segments in one message. */
  readonly maxSegments: number;
}

export const DEFAULT_LIMITS: Hl7Limits = Object.freeze({
  maxMessageBytes: 16 * 1024 * 1024,
  maxBatchBytes: 256 * 1024 * 1024,
  maxSegmentChars: 8 * 1024 * 1024,
  maxFieldChars: 8 * 1024 * 1024,
  maxSegments: 50_000,
});

export function resolveLimits(partial: Partial<Hl7Limits> | undefined): Hl7Limits {
  if (partial === undefined) return DEFAULT_LIMITS;
  const limits = { ...DEFAULT_LIMITS, ...partial };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new CrosswalkError('CW_ERR_CONFIG_INVALID', {
        setting: `hl7 ${name}`,
        reason: 'must be a positive integer',
      });
    }
  }
  return Object.freeze(limits);
}

export function tooLarge(
  what: string,
  position: string,
  size: number,
  limit: number,
  unit: string,
): CrosswalkError {
  return new CrosswalkError('CW_ERR_HL7_TOO_LARGE', { what, position, size, limit, unit });
}

/** "segment 3 (PID) field 5": 1-based, as the spec counts; the name only when it is a valid segment name. */
export function segmentPosition(index: number, name?: string, field?: number): string {
  const named = name !== undefined && /^[A-Z][A-Z0-9]{2}$/.test(name) ? ` (${name})` : '';
  return field === undefined ? `segment ${index}${named}` : `segment ${index}${named} field ${field}`;
}
