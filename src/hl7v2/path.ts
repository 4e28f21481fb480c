import { CrosswalkError } from '../errors/index.ts';

/**
 * A position as the spec writes it, 1-based throughout:
 *   PID-3          field 3 of the first PID
 *   PID-3.1        component 1;  PID-3.1.2  subcomponent 2
 *   PID-3[2].1     component 1 of the second repetition
 *   OBX[2]-5       field 5 of the second OBX segment
 *
 * A path that stops at a field or component addresses its first component/subcomponent when read or
 * written as text (the HAPI Terser convention): `get('PID-3')` is `get('PID-3[1].1.1')`. Use getRaw for
 * the whole ER7 text of a field.
 */
export interface Hl7Path {
  readonly segment: string;
  /** Which occurrence of the segment, 1-based. */
  readonly occurrence: number;
  readonly field: number;
  /** 0 when the path names no repetition: reads as the first, getRaw then means all repetitions. */
  readonly repetition: number;
  /** 0 when the path stops at the field. */
  readonly component: number;
  /** 0 when the path stops at the field or component. */
  readonly subcomponent: number;
  /** Whether the path named the occurrence itself (OBX[2]-5). */
  readonly explicitOccurrence: boolean;
}

const PATTERN =
  /^([A-Z][A-Z0-9]{2})(?:\[(\d{1,6})\])?-(\d{1,4})(?:\[(\d{1,6})\])?(?:\.(\d{1,4})(?:\.(\d{1,4}))?)?$/;
const cache = new Map<string, Hl7Path>();
const CACHE_MAX = 4096;

/** Parses a position; throws CW_ERR_HL7_BAD_PATH. Results are cached: paths are usually literals. */
export function parsePath(path: string): Hl7Path {
  const hit = cache.get(path);
  if (hit !== undefined) return hit;
  const m = PATTERN.exec(path);
  if (m === null) {
    throw new CrosswalkError('CW_ERR_HL7_BAD_PATH', {
      path: path.length > 40 ? `${path.slice(0, 40)}…` : path,
      reason: 'expected SEG[-occurrence]-field[repetition].component.subcomponent, e.g. PID-3[2].1',
    });
  }
  const n = (s: string | undefined, dflt: number): number => (s === undefined ? dflt : Number(s));
  const parsed: Hl7Path = Object.freeze({
    segment: m[1]!,
    occurrence: n(m[2], 1),
    field: n(m[3], 0),
    repetition: n(m[4], 0),
    component: n(m[5], 0),
    subcomponent: n(m[6], 0),
    explicitOccurrence: m[2] !== undefined,
  });
  for (const [what, v] of [
    ['occurrence', parsed.occurrence],
    ['field', parsed.field],
    ['repetition', m[4] === undefined ? 1 : parsed.repetition],
  ] as const) {
    if (v < 1)
      throw new CrosswalkError('CW_ERR_HL7_BAD_PATH', { path, reason: `${what} numbers start at 1` });
  }
  if ((m[5] !== undefined && parsed.component < 1) || (m[6] !== undefined && parsed.subcomponent < 1)) {
    throw new CrosswalkError('CW_ERR_HL7_BAD_PATH', { path, reason: 'component numbers start at 1' });
  }
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(path, parsed);
  return parsed;
}

/** Validates a separate occurrence argument (msg.get('OBX-5', 2)); naming it twice is an error. */
export function checkOccurrence(p: Hl7Path, occurrence: number, text: string): number {
  if (occurrence === p.occurrence) return occurrence;
  if (p.explicitOccurrence) {
    throw new CrosswalkError('CW_ERR_HL7_BAD_PATH', {
      path: text,
      reason: 'occurrence given both in the path and as an argument',
    });
  }
  if (!Number.isSafeInteger(occurrence) || occurrence < 1) {
    throw new CrosswalkError('CW_ERR_HL7_BAD_PATH', { path: text, reason: 'occurrence numbers start at 1' });
  }
  return occurrence;
}

/** The path with a separate occurrence argument applied. */
export function withOccurrence(p: Hl7Path, occurrence: number | undefined, text: string): Hl7Path {
  if (occurrence === undefined || occurrence === p.occurrence) return p;
  return { ...p, occurrence: checkOccurrence(p, occurrence, text) };
}

/** The path in its canonical written form, e.g. "OBX[2]-5[1].1". */
export function formatPath(p: Hl7Path): string {
  let s = p.segment + (p.occurrence !== 1 ? `[${p.occurrence}]` : '') + `-${p.field}`;
  if (p.repetition !== 0) s += `[${p.repetition}]`;
  if (p.component > 0) s += `.${p.component}`;
  if (p.subcomponent > 0) s += `.${p.subcomponent}`;
  return s;
}
