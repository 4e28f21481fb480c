import { createHmac, hash } from 'node:crypto';
import { CrosswalkError } from '../errors/index.ts';

/**
 * Deterministic ids and keyed tokens. Both are pure functions of their inputs (hashing is computation, not
 * I/O), which is what makes replay and dry-runs reproduce the same ids.
 */

/**
 * The sort prefix of a derived id: the first 14 digits of the source's own time as it wrote it (MSH-7
 * `yyyyMMddHHmmss…`, or any ISO time with its separators dropped), right-padded with zeros; all zeros
 * when the source gave no time. It is not a timestamp anyone should read as one (no zone arithmetic, so a
 * release's time zone cannot change an id); it is there so ids of a live feed grow with time and every
 * index keyed by them takes its inserts at the right edge of the B-tree instead of at random pages —
 * random 128-bit keys made each journal row cost three times as much to insert.
 */
export function sortPrefix(sourceTime: string): string {
  // Every event of a message asks for the same time's prefix.
  if (sourceTime === lastSourceTime) return lastPrefix;
  let digits = '';
  for (let i = 0; i < sourceTime.length && digits.length < 14; i++) {
    const c = sourceTime.charCodeAt(i);
    if (c >= 48 && c <= 57) digits += sourceTime[i];
    else if (c === 43 || (c === 45 && digits.length >= 8) || c === 46) break; // zone or fraction: stop
  }
  lastPrefix = digits.padEnd(14, '0');
  lastSourceTime = sourceTime;
  return lastPrefix;
}

let lastSourceTime: string | undefined;
let lastPrefix = '';

/**
 * `ev_` + the sort prefix of the source's time + `_` + 96 bits of sha256(sourceMessageId NUL position);
 * without a source time, `ev_` + 128 bits of the hash.
 *
 * The mapping release and the event type are deliberately NOT part of the id: replaying last week's
 * traffic through a candidate release yields events with the same ids, so a dry-run diff pairs them by id
 * and shows what the release changes (an FT1 line re-classified from usage to waste keeps its id). The
 * source time comes from the message bytes (MSH-7), so the id stays a pure function of the raw message.
 */
export function eventId(sourceMessageId: string, position: string, sourceTime?: string): string {
  // One-shot hash of the joined text: the same bytes as hashing the parts in turn (the NUL keeps a lone
  // surrogate at either edge from pairing up), at a third of the cost of a Hash object per event.
  const h = hash('sha256', `${sourceMessageId}\u0000${position}`, 'hex');
  return sourceTime === undefined ? `ev_${h.slice(0, 32)}` : `ev_${sortPrefix(sourceTime)}_${h.slice(0, 24)}`;
}

export const EVENT_ID_PATTERN = /^ev_(?:\d{14}_[0-9a-f]{24}|[0-9a-f]{32})$/;

/** The sort prefix an id carries (`ev_…`, `je_…`), or null for an id without one. */
export function sortPrefixOf(id: string): string | null {
  const m = /^[a-z]+_(\d{14})_/.exec(id);
  return m ? m[1]! : null;
}

export type TokenKind = 'patient' | 'encounter' | 'case';

const TOKEN_PREFIX: Readonly<Record<TokenKind, string>> = {
  patient: 'pt_',
  encounter: 'enc_',
  case: 'case_',
};

export const TOKEN_PATTERN = /^(pt|enc|case)_[0-9a-f]{32}$/;

/** Shorter keys are refused: a token is only as unguessable as its key (MRNs are short and dense). */
export const MIN_TOKEN_KEY_BYTES = 16;

/**
 * The identifier normal form every source must tokenise, so an HL7 v2 encounter and the FHIR Encounter
 * for it get the same token: `<assigning authority>|<id>`, authority '' when the sender gave none. Case
 * ids and whitespace are kept as sent; an id is an exact string.
 */
export function identifierKey(authority: string, id: string): string {
  return `${authority}|${id}`;
}

/**
 * A keyed token: prefix + the first 32 hex digits of HMAC-SHA256(key, `crosswalk/<kind>/v1` NUL value).
 * Without the key a token cannot be reversed or recomputed from a guessed MRN; with it, clinical roles can
 * match a token to a patient. The kind is part of the MAC input, so an MRN and a visit number that happen
 * to be equal give unrelated tokens.
 */
/**
 * A message names the same encounter and case on every line, so tokens are memoised per key: bounded
 * (cleared when full), in memory only, and keyed by the key object so a rotated key starts afresh.
 */
const memo = new WeakMap<Uint8Array, Record<TokenKind, Map<string, string>>>();
const MEMO_MAX = 4096;

export function tokenize(key: Uint8Array, kind: TokenKind, value: string): string {
  if (key.byteLength < MIN_TOKEN_KEY_BYTES) {
    throw new CrosswalkError('CW_ERR_CANONICAL_TOKEN_KEY', { min: MIN_TOKEN_KEY_BYTES });
  }
  let byKind = memo.get(key);
  if (byKind === undefined) {
    byKind = { patient: new Map(), encounter: new Map(), case: new Map() };
    memo.set(key, byKind);
  }
  const cache = byKind[kind];
  const hit = cache.get(value);
  if (hit !== undefined) return hit;
  const mac = createHmac('sha256', key).update(`crosswalk/${kind}/v1`).update('\u0000').update(value);
  const token = TOKEN_PREFIX[kind] + mac.digest('hex').slice(0, 32);
  if (cache.size >= MEMO_MAX) cache.clear();
  cache.set(value, token);
  return token;
}
