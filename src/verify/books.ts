import { type Violation, violation } from './types.ts';

/** A journal entry header with the sums of the lines stored under it (null header: lines without one). */
export interface EntryFact {
  readonly id: string;
  readonly header: {
    readonly lineCount: number;
    readonly totalDebit: bigint;
    readonly totalCredit: bigint;
  } | null;
  readonly lines: number;
  readonly linesDebit: bigint;
  readonly linesCredit: bigint;
}

/** Every entry balances (Σ debit = Σ credit over its lines) and its header states what its lines hold. */
export function checkEntries(entries: Iterable<EntryFact>): Violation[] {
  const out: Violation[] = [];
  for (const e of entries) {
    const subject = `entry ${e.id}`;
    if (e.linesDebit !== e.linesCredit)
      out.push(
        violation('entry-unbalanced', subject, `lines debit ${e.linesDebit}, credit ${e.linesCredit}`),
      );
    if (e.header === null) {
      out.push(violation('entry-unbalanced', subject, `${e.lines} line(s) without an entry header`));
      continue;
    }
    const h = e.header;
    if (h.totalDebit !== h.totalCredit)
      out.push(
        violation('entry-unbalanced', subject, `header debit ${h.totalDebit}, credit ${h.totalCredit}`),
      );
    if (h.lineCount !== e.lines || h.totalDebit !== e.linesDebit || h.totalCredit !== e.linesCredit)
      out.push(
        violation(
          'entry-unbalanced',
          subject,
          `header says ${h.lineCount} line(s), Dr ${h.totalDebit} Cr ${h.totalCredit}; lines hold ${e.lines}, Dr ${e.linesDebit} Cr ${e.linesCredit}`,
        ),
      );
  }
  return out;
}

/** The trial balance nets to zero per entity and currency. */
export function checkTrialBalance(
  nets: Iterable<{ readonly entity: string; readonly currency: string; readonly net: bigint }>,
): Violation[] {
  const out: Violation[] = [];
  for (const n of nets)
    if (n.net !== 0n)
      out.push(violation('trial-balance', `${n.entity} ${n.currency}`, `debits exceed credits by ${n.net}`));
  return out;
}
