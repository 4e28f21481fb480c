import { appendOnly, ddlTypes } from '../ddl.ts';
import type { Migration } from '../port.ts';

/**
 * The audit trail (see governance/audit-chain.ts): one row per action, hash-chained by sequence number.
 * Append-only by trigger, like the books: the application cannot change or remove what was recorded.
 */
export const m0009: Migration = {
  id: 9,
  name: 'audit chain',
  up: (d) => {
    const t = ddlTypes(d);
    return `
      CREATE TABLE audit_log (
        seq ${t.bigint} PRIMARY KEY CHECK (seq >= 1),
        at ${t.text} NOT NULL,
        actor ${t.text} NOT NULL,
        action ${t.text} NOT NULL,
        object ${t.text} NOT NULL,
        before_state ${t.text},
        after_state ${t.text},
        prev_hash ${t.text} NOT NULL,
        hash ${t.text} NOT NULL UNIQUE
      );
      ${appendOnly(d, 'audit_log')}`;
  },
};
