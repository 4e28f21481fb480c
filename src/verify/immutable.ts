import { type Violation, violation } from './types.ts';

/**
 * Nothing immutable changed. Three kinds of evidence, none of which trusts the code that wrote the rows:
 * - stored bytes still hash to the SHA-256 recorded when they arrived (raw messages, refusals, revisions);
 * - the database still enforces immutability: the append-only and balance triggers exist;
 * - against a seal (a person's earlier "this is how it was"): no append-only table has fewer rows, and
 *   the rows of tables with an increasing id that existed then hash the same now.
 * Rows of tables keyed by content ids (entries, events, movements) are protected by the triggers and by
 * the books' own checks; a seal proves only that none of them disappeared.
 */
export interface HashFact {
  readonly table: string;
  readonly id: string;
  readonly recorded: string;
  readonly actual: string;
}

export interface TableSeal {
  readonly count: number;
  /** For tables with an increasing id: the largest id sealed and a digest of the rows up to it. */
  readonly maxId?: string;
  readonly digest?: string;
}

export type SealFacts = Readonly<Record<string, TableSeal>>;

export function checkHashes(facts: Iterable<HashFact>): Violation[] {
  const out: Violation[] = [];
  for (const f of facts)
    if (f.recorded !== f.actual)
      out.push(
        violation(
          'immutable-changed',
          `${f.table} ${f.id}`,
          /^[0-9a-f]{64}$/.test(f.actual)
            ? `stored bytes hash to ${f.actual.slice(0, 16)}…, recorded ${f.recorded.slice(0, 16)}…`
            : `stored bytes are ${f.actual}, recorded hash ${f.recorded.slice(0, 16)}…`,
        ),
      );
  return out;
}

export function checkTriggers(expected: readonly string[], present: ReadonlySet<string>): Violation[] {
  return expected
    .filter((t) => !present.has(t))
    .map((t) =>
      violation(
        'immutable-changed',
        `trigger ${t}`,
        'missing: the database no longer enforces what it guarded',
      ),
    );
}

/** `now` holds the same measures as `sealed`, taken now (digests up to the sealed max id). */
export function checkSeal(sealed: SealFacts, now: SealFacts): Violation[] {
  const out: Violation[] = [];
  for (const [table, s] of Object.entries(sealed)) {
    const n = now[table];
    if (n === undefined) {
      out.push(violation('immutable-changed', `table ${table}`, 'sealed but no longer measurable'));
      continue;
    }
    if (n.count < s.count)
      out.push(
        violation('immutable-changed', `table ${table}`, `${s.count} rows when sealed, ${n.count} now`),
      );
    if (s.digest !== undefined && n.digest !== s.digest)
      out.push(
        violation(
          'immutable-changed',
          `table ${table}`,
          `rows up to id ${s.maxId} changed since they were sealed`,
        ),
      );
  }
  return out;
}
