/**
 * The invariant checker's vocabulary. A check reads facts from the store and a pure function here turns
 * them into violations; a violation names the invariant, the thing that breaks it and what was found, in
 * words an engineer on call can act on (no patient data: subjects are ids, keys and codes).
 */
export type InvariantName =
  | 'acknowledged-message-missing'
  | 'message-state'
  | 'duplicate-effect'
  | 'entry-unbalanced'
  | 'trial-balance'
  | 'on-hand'
  | 'immutable-changed'
  | 'destination-order'
  | 'audit-chain';

export interface Violation {
  readonly invariant: InvariantName;
  /** What breaks it: `message 42`, `entry je_…`, `HRMC USD`, `table journal_lines`. */
  readonly subject: string;
  readonly detail: string;
}

export const violation = (invariant: InvariantName, subject: string, detail: string): Violation => ({
  invariant,
  subject,
  detail,
});
