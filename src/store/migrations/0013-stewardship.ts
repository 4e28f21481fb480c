import {
  DEFAULT_OWNERS,
  DEFAULT_SOURCE_SYSTEM,
  MASTER_KINDS,
  OWNERSHIP_EPOCH,
} from '../../governance/index.ts';
import { appendOnly, ddlTypes } from '../ddl.ts';
import type { Dialect, Migration } from '../port.ts';

/**
 * Stewardship and four-eyes postings (issue 6):
 * - master_data_owners: which system is the system of record of each kind of master data, an
 *   effective-dated history (a change is a new row, audited; never an edit). Seeded with the defaults.
 * - master_data_sources: which system a message comes from, by sender, sending application or interface
 *   (`*` for the rest), effective-dated the same way. Seeded with `*` → EHR.
 * - manual_journal_proposals / manual_journal_lines: a prepared manual journal, immutable once written.
 * - manual_journal_decisions: at most one decision per proposal (approved, posting its entries, or
 *   rejected), never changed. The database refuses an approval by the proposal's own preparer, read from
 *   the stored proposal, whatever code writes it (segregation of duties).
 * - inventory_adjustment_proposals / inventory_adjustment_decisions: the same for stock adjustments.
 */

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** Refuses an approval whose decider is the proposal's stored preparer (compared case-insensitively, trimmed). */
function noSelfApproval(d: Dialect, decisions: string, proposals: string): string {
  const same = (n: string) =>
    `LOWER(TRIM(${n}.decided_by)) = (SELECT LOWER(TRIM(p.prepared_by)) FROM ${proposals} p WHERE p.id = ${n}.proposal_id)`;
  if (d === 'sqlite') {
    return `
      CREATE TRIGGER ${decisions}_four_eyes BEFORE INSERT ON ${decisions}
      WHEN NEW.decision = 'approved' AND ${same('NEW')}
      BEGIN SELECT RAISE(ABORT, 'segregation of duties: the preparer cannot approve their own proposal'); END;`;
  }
  return `
    CREATE FUNCTION crosswalk_${decisions}_four_eyes() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.decision = 'approved' AND ${same('NEW')} THEN
        RAISE EXCEPTION 'segregation of duties: the preparer cannot approve their own proposal' USING ERRCODE = 'P0001';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER ${decisions}_four_eyes BEFORE INSERT ON ${decisions}
      FOR EACH ROW EXECUTE FUNCTION crosswalk_${decisions}_four_eyes();`;
}

export const m0013: Migration = {
  id: 13,
  name: 'stewardship and four-eyes postings',
  up: (d) => {
    const t = ddlTypes(d);
    const kinds = MASTER_KINDS.map(quote).join(', ');
    const owners = MASTER_KINDS.map(
      (k) =>
        `(${quote(k)}, ${quote(DEFAULT_OWNERS[k])}, '${OWNERSHIP_EPOCH}', 'migration 0013', '${OWNERSHIP_EPOCH}')`,
    ).join(',\n        ');
    return `
      CREATE TABLE master_data_owners (
        id ${t.serialPk},
        kind ${t.text} NOT NULL CHECK (kind IN (${kinds})),
        system ${t.text} NOT NULL,
        effective_from ${t.text} NOT NULL,
        set_by ${t.text} NOT NULL,
        set_at ${t.text} NOT NULL,
        note ${t.text}
      );
      ${appendOnly(d, 'master_data_owners')}
      INSERT INTO master_data_owners (kind, system, effective_from, set_by, set_at) VALUES
        ${owners};

      CREATE TABLE master_data_sources (
        id ${t.serialPk},
        source ${t.text} NOT NULL,
        system ${t.text} NOT NULL,
        effective_from ${t.text} NOT NULL,
        set_by ${t.text} NOT NULL,
        set_at ${t.text} NOT NULL,
        note ${t.text}
      );
      ${appendOnly(d, 'master_data_sources')}
      INSERT INTO master_data_sources (source, system, effective_from, set_by, set_at)
        VALUES ('*', ${quote(DEFAULT_SOURCE_SYSTEM)}, '${OWNERSHIP_EPOCH}', 'migration 0013', '${OWNERSHIP_EPOCH}');

      CREATE TABLE manual_journal_proposals (
        id ${t.text} PRIMARY KEY,
        description ${t.text} NOT NULL,
        prepared_by ${t.text} NOT NULL,
        prepared_at ${t.text} NOT NULL,
        source_name ${t.text},
        content_sha256 ${t.text} NOT NULL,
        line_count ${t.int} NOT NULL CHECK (line_count >= 2)
      );
      ${appendOnly(d, 'manual_journal_proposals')}

      CREATE TABLE manual_journal_lines (
        proposal_id ${t.text} NOT NULL REFERENCES manual_journal_proposals(id),
        line_no ${t.int} NOT NULL,
        entity ${t.text} NOT NULL,
        currency ${t.text} NOT NULL,
        account_code ${t.text} NOT NULL,
        cost_center_code ${t.text},
        debit ${t.bigint} NOT NULL CHECK (debit >= 0),
        credit ${t.bigint} NOT NULL CHECK (credit >= 0),
        effective_date ${t.text} NOT NULL,
        period_id ${t.text} NOT NULL,
        memo ${t.text},
        PRIMARY KEY (proposal_id, line_no),
        CHECK ((debit > 0 AND credit = 0) OR (credit > 0 AND debit = 0))
      );
      ${appendOnly(d, 'manual_journal_lines')}

      CREATE TABLE manual_journal_decisions (
        proposal_id ${t.text} PRIMARY KEY REFERENCES manual_journal_proposals(id),
        decision ${t.text} NOT NULL CHECK (decision IN ('approved', 'rejected')),
        decided_by ${t.text} NOT NULL,
        decided_at ${t.text} NOT NULL,
        prepared_by ${t.text} NOT NULL,
        note ${t.text},
        entry_ids ${t.json} NOT NULL
      );
      ${appendOnly(d, 'manual_journal_decisions')}
      ${noSelfApproval(d, 'manual_journal_decisions', 'manual_journal_proposals')}

      CREATE TABLE inventory_adjustment_proposals (
        id ${t.text} PRIMARY KEY,
        item_code ${t.text} NOT NULL,
        par_location_code ${t.text} NOT NULL,
        lot_number ${t.text},
        mode ${t.text} NOT NULL CHECK (mode IN ('delta', 'count')),
        quantity ${t.bigint} NOT NULL,
        reason ${t.text} NOT NULL,
        effective_date ${t.text} NOT NULL,
        prepared_by ${t.text} NOT NULL,
        prepared_at ${t.text} NOT NULL,
        CHECK (mode = 'count' AND quantity >= 0 OR mode = 'delta' AND quantity <> 0)
      );
      ${appendOnly(d, 'inventory_adjustment_proposals')}

      CREATE TABLE inventory_adjustment_decisions (
        proposal_id ${t.text} PRIMARY KEY REFERENCES inventory_adjustment_proposals(id),
        decision ${t.text} NOT NULL CHECK (decision IN ('approved', 'rejected')),
        decided_by ${t.text} NOT NULL,
        decided_at ${t.text} NOT NULL,
        prepared_by ${t.text} NOT NULL,
        note ${t.text},
        quantity_change ${t.bigint},
        value_change ${t.bigint},
        currency ${t.text},
        movement_keys ${t.json} NOT NULL,
        entry_ids ${t.json} NOT NULL
      );
      ${appendOnly(d, 'inventory_adjustment_decisions')}
      ${noSelfApproval(d, 'inventory_adjustment_decisions', 'inventory_adjustment_proposals')}`;
  },
};
