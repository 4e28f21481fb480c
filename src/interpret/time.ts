import { CrosswalkError } from '../errors/index.ts';

/**
 * HL7 v2 DTM/TS (`YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]`) to a UTC instant. A time without an
 * offset is the sender's local time in the release's IANA zone; converting with Intl keeps the result
 * independent of the machine's zone (replay on a server in UTC gives the same ids and times). In the hour a
 * DST change repeats, the earlier instant is taken; a local time that does not exist (spring-forward gap)
 * is read with the offset before the change.
 */
export interface Hl7Instant {
  /** UTC, as toISOString writes it. */
  readonly iso: string;
  /** The sender's own calendar date (YYYY-MM-DD), the date effective-dated crosswalks are read at. */
  readonly date: string;
}

const TS = /^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.(\d{1,4}))?([+-]\d{4})?$/;

const formats = new Map<string, Intl.DateTimeFormat>();

function format(tz: string): Intl.DateTimeFormat {
  let f = formats.get(tz);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formats.set(tz, f);
  }
  return f;
}

const offsets = new Map<string, number>();

/**
 * The zone's offset from UTC at an instant, in ms (local = utc + offset). Zones change offset only on
 * whole minutes, so results are cached per zone and minute (formatToParts is the costly step).
 */
function offsetAt(tz: string, utcMs: number): number {
  if (tz === 'UTC') return 0;
  const whole = Math.floor(utcMs / 60_000) * 60_000;
  const key = `${tz}|${whole}`;
  const hit = offsets.get(key);
  if (hit !== undefined) return hit;
  const p: Record<string, number> = {};
  for (const part of format(tz).formatToParts(new Date(whole))) {
    if (part.type !== 'literal') p[part.type] = Number(part.value);
  }
  const local = Date.UTC(p['year']!, p['month']! - 1, p['day']!, p['hour']!, p['minute']!, p['second']!);
  if (offsets.size >= 50_000) offsets.clear();
  offsets.set(key, local - whole);
  return local - whole;
}

function bad(position: string, value: string): CrosswalkError {
  return new CrosswalkError('CW_ERR_INTERPRET_BAD_TIMESTAMP', {
    position,
    value: value.length > 40 ? `${value.slice(0, 40)}…` : value,
  });
}

/**
 * Parsed times per zone and value: the lines of a message, and the messages of a feed, repeat the same
 * few times. Bounded (cleared when full); only successes are kept, so errors still name their position.
 */
const parsedByZone = new Map<string, Map<string, Hl7Instant>>();

/** Parses an HL7 time; '' gives null; anything else malformed throws CW_ERR_INTERPRET_BAD_TIMESTAMP. */
export function parseHl7Time(value: string, timeZone: string, position: string): Hl7Instant | null {
  const v = value.trim();
  if (v === '') return null;
  let parsed = parsedByZone.get(timeZone);
  if (parsed === undefined) {
    if (parsedByZone.size >= 64) parsedByZone.clear();
    parsed = new Map();
    parsedByZone.set(timeZone, parsed);
  }
  const hit = parsed.get(v);
  if (hit !== undefined) return hit;
  const r = parseNonEmpty(v, timeZone, position);
  if (parsed.size >= 20_000) parsed.clear();
  parsed.set(v, r);
  return r;
}

function parseNonEmpty(v: string, timeZone: string, position: string): Hl7Instant {
  const m = TS.exec(v);
  if (m === null) throw bad(position, v);
  const [, y, mo = '01', d = '01', h = '00', mi = '00', s, frac, offset] = m;
  if (frac !== undefined && s === undefined) throw bad(position, v);
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s ?? '0');
  const ms = frac === undefined ? 0 : Math.round(Number(`0.${frac}`) * 1000);
  const wall = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const check = new Date(wall);
  if (
    year < 1900 ||
    year > 2999 ||
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    throw bad(position, v);
  }
  let utc: number;
  if (offset !== undefined) {
    const sign = offset[0] === '-' ? -1 : 1;
    const oh = Number(offset.slice(1, 3));
    const om = Number(offset.slice(3, 5));
    if (oh > 14 || om > 59) throw bad(position, v);
    utc = wall - sign * (oh * 60 + om) * 60_000;
  } else {
    // Candidate instants are wall − offset for the offsets in force around it; a candidate is right when
    // the zone's offset at it is the one used. Two right ones: the repeated hour, take the earlier. None:
    // the skipped hour, read with the smaller offset (the one before clocks went forward).
    const first = offsetAt(timeZone, wall);
    const c1 = wall - first;
    const o1 = offsetAt(timeZone, c1);
    const c2 = wall - o1;
    const valid = [c1, c2].filter((c) => offsetAt(timeZone, c) === wall - c);
    utc = valid.length > 0 ? Math.min(...valid) : wall - Math.min(first, o1);
  }
  return { iso: new Date(utc).toISOString(), date: `${y}-${mo}-${d}` };
}
