/**
 * Deterministic identifiers. An entry's id is a hash of what derived it (source event, rule, leg), so a
 * replay of the same event through the same rule yields the same id and the store can refuse the second
 * write as a duplicate: the id is the idempotency key. The content fingerprint is the companion check —
 * same id with a different fingerprint is a conflict to raise, never a silent overwrite.
 */

import { createHash, hash } from 'node:crypto';
import type { JournalEntry } from './model.ts';

/** 128 bits of SHA-256, hex, behind a `je_` prefix: collision-safe and readable in an export. */
function digest(parts: readonly string[]): string {
  // JSON of a string array is an unambiguous encoding: no separator can be forged by a part's content.
  return hash('sha256', JSON.stringify(parts), 'hex').slice(0, 32);
}

/** The 14 digits of `<lowercase letters>_<14 digits>_…`, or null: a scan, as this runs per entry. */
function sortPrefix(id: string): string | null {
  const u = id.indexOf('_');
  if (u < 1 || id.length < u + 16 || id.charCodeAt(u + 15) !== 95) return null;
  for (let i = 0; i < u; i++) {
    const c = id.charCodeAt(i);
    if (c < 97 || c > 122) return null;
  }
  for (let i = u + 1; i <= u + 14; i++) {
    const c = id.charCodeAt(i);
    if (c < 48 || c > 57) return null;
  }
  return id.slice(u + 1, u + 15);
}

/**
 * An id behind `je_`, keeping the sort prefix of the id it derives from (`ev_<14 digits>_…` or
 * `je_<14 digits>_…`): entries then sort with their events and are inserted where the journal grows.
 */
function derived(from: string, parts: readonly string[]): string {
  const h = digest(parts);
  const prefix = sortPrefix(from);
  return prefix !== null ? `je_${prefix}_${h.slice(0, 24)}` : `je_${h}`;
}

/** The id of the `leg`-th entry derived from `sourceEventId` by rule `ruleId`. */
export function entryId(sourceEventId: string, ruleId: string, leg = 0): string {
  return derived(sourceEventId, ['entry', sourceEventId, ruleId, String(leg)]);
}

/** The id of the reversal of `originalId`: reversing the same entry twice is the same (idempotent) write. */
export function reversalId(originalId: string): string {
  return derived(originalId, ['reversal', originalId]);
}

/**
 * A hash of the economic content of an entry: everything except when it was booked (`postedAt`) and
 * where it landed (`periodId`, `lateFromPeriod`, `accountingDate`), which depend on the clock and the
 * state of the periods at the time and legitimately differ on a replay.
 */
export function entryFingerprint(entry: JournalEntry): string {
  const content = [
    entry.id,
    entry.entity,
    entry.currency,
    entry.effectiveDate,
    entry.sourceEventId,
    entry.ruleId,
    entry.reasonCode,
    entry.description,
    entry.groupId ?? '',
    entry.reverses ?? '',
    ...entry.lines.map((l) =>
      JSON.stringify([
        l.lineNo,
        l.account,
        l.costCenter ?? '',
        l.side,
        l.amount.toString(),
        l.memo ?? '',
        Object.entries(l.dimensions).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      ]),
    ),
  ];
  return createHash('sha256').update(JSON.stringify(content)).digest('hex');
}
