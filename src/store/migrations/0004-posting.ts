import { appendOnly, ddlTypes } from '../ddl.ts';
import type { Dialect, Migration } from '../port.ts';

/**
 * The posting core: fiscal periods, mapping releases, canonical events, the journal, per-message outcomes
 * and apply cursors, exceptions (work items) and bill-only requisitions.
 *
 * The database enforces what the books promise, whatever code writes to it:
 * - a journal entry's lines are written first and the entry header last; inserting the header checks that
 *   its lines exist, match its entity/currency/period and balance (debits = credits), and that its period
 *   is open; lines cannot be added to an entry once its header exists (the FK from lines to entries is
 *   deferred to commit, so lines without a header cannot be committed either);
 * - entries, lines, events and requisitions are append-only (corrections are reversing entries).
 */
function journalChecks(d: Dialect): string {
  if (d === 'sqlite') {
    return `
      CREATE TRIGGER journal_entries_balanced BEFORE INSERT ON journal_entries
      BEGIN
        SELECT RAISE(ABORT, 'journal entry does not balance, or its lines do not match it')
        WHERE NEW.total_debit <> NEW.total_credit
           OR (SELECT COUNT(*) FROM journal_lines WHERE entry_id = NEW.id) <> NEW.line_count
           OR (SELECT COALESCE(SUM(amount), 0) FROM journal_lines WHERE entry_id = NEW.id AND side = 'debit') <> NEW.total_debit
           OR (SELECT COALESCE(SUM(amount), 0) FROM journal_lines WHERE entry_id = NEW.id AND side = 'credit') <> NEW.total_credit
           OR EXISTS (SELECT 1 FROM journal_lines WHERE entry_id = NEW.id
                        AND (entity <> NEW.entity OR currency <> NEW.currency OR period_id <> NEW.period_id));
        SELECT RAISE(ABORT, 'the fiscal period of this entry takes no postings')
        WHERE NOT EXISTS (SELECT 1 FROM fiscal_periods
                          WHERE entity_code = NEW.entity AND id = NEW.period_id AND status = 'open');
      END;
      CREATE TRIGGER journal_lines_sealed BEFORE INSERT ON journal_lines
      BEGIN
        SELECT RAISE(ABORT, 'lines cannot be added to a posted journal entry')
        WHERE EXISTS (SELECT 1 FROM journal_entries WHERE id = NEW.entry_id);
      END;`;
  }
  return `
    CREATE FUNCTION crosswalk_journal_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE n integer; dr bigint; cr bigint; mismatched boolean;
    BEGIN
      SELECT COUNT(*),
             COALESCE(SUM(amount) FILTER (WHERE side = 'debit'), 0),
             COALESCE(SUM(amount) FILTER (WHERE side = 'credit'), 0),
             COALESCE(bool_or(entity <> NEW.entity OR currency <> NEW.currency OR period_id <> NEW.period_id), false)
        INTO n, dr, cr, mismatched
        FROM journal_lines WHERE entry_id = NEW.id;
      IF NEW.total_debit <> NEW.total_credit OR n <> NEW.line_count OR dr <> NEW.total_debit
         OR cr <> NEW.total_credit OR mismatched THEN
        RAISE EXCEPTION 'journal entry does not balance, or its lines do not match it' USING ERRCODE = 'P0001';
      END IF;
      IF NOT EXISTS (SELECT 1 FROM fiscal_periods
                     WHERE entity_code = NEW.entity AND id = NEW.period_id AND status = 'open') THEN
        RAISE EXCEPTION 'the fiscal period of this entry takes no postings' USING ERRCODE = 'P0001';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER journal_entries_balanced BEFORE INSERT ON journal_entries
      FOR EACH ROW EXECUTE FUNCTION crosswalk_journal_entry_balanced();
    CREATE FUNCTION crosswalk_journal_lines_sealed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF EXISTS (SELECT 1 FROM journal_entries WHERE id = NEW.entry_id) THEN
        RAISE EXCEPTION 'lines cannot be added to a posted journal entry' USING ERRCODE = 'P0001';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER journal_lines_sealed BEFORE INSERT ON journal_lines
      FOR EACH ROW EXECUTE FUNCTION crosswalk_journal_lines_sealed();`;
}

export const m0004: Migration = {
  id: 4,
  name: 'posting core',
  up: (d) => {
    const t = ddlTypes(d);
    return `
      CREATE TABLE fiscal_periods (
        entity_code ${t.text} NOT NULL REFERENCES entities(code),
        id ${t.text} NOT NULL,
        start_date ${t.text} NOT NULL,
        end_date ${t.text} NOT NULL,
        status ${t.text} NOT NULL CHECK (status IN ('open', 'closing', 'closed')),
        updated_at ${t.timestamp} NOT NULL DEFAULT ${t.now},
        PRIMARY KEY (entity_code, id),
        CHECK (start_date <= end_date)
      );

      CREATE TABLE mapping_releases (
        id ${t.text} PRIMARY KEY,
        label ${t.text} NOT NULL,
        author ${t.text} NOT NULL,
        proposed_at ${t.text} NOT NULL,
        approved_by ${t.text},
        approved_at ${t.text},
        content ${t.json} NOT NULL,
        CHECK (approved_by IS NULL OR approved_by <> author)
      );
      CREATE TABLE mapping_release_activations (
        seq ${t.serialPk},
        release_id ${t.text} NOT NULL REFERENCES mapping_releases(id),
        activated_by ${t.text} NOT NULL,
        activated_at ${t.text} NOT NULL,
        note ${t.text}
      );

      CREATE TABLE canonical_events (
        id ${t.text} PRIMARY KEY,
        type ${t.text} NOT NULL,
        ordering_key ${t.text} NOT NULL,
        source_message_id ${t.bigint} NOT NULL REFERENCES inbound_messages(id),
        position ${t.text} NOT NULL,
        mapping_release_id ${t.text} NOT NULL,
        occurred_at ${t.text} NOT NULL,
        entity ${t.text},
        payload ${t.json} NOT NULL,
        recorded_at ${t.timestamp} NOT NULL DEFAULT ${t.now}
      );
      CREATE INDEX canonical_events_message ON canonical_events (source_message_id);
      ${appendOnly(d, 'canonical_events')}

      CREATE TABLE journal_entries (
        id ${t.text} PRIMARY KEY,
        entity ${t.text} NOT NULL REFERENCES entities(code),
        currency ${t.text} NOT NULL,
        period_id ${t.text} NOT NULL,
        late_from_period ${t.text},
        effective_date ${t.text} NOT NULL,
        accounting_date ${t.text} NOT NULL,
        posted_at ${t.text} NOT NULL,
        source_event_id ${t.text} NOT NULL,
        rule_id ${t.text} NOT NULL,
        reason_code ${t.text} NOT NULL,
        description ${t.text} NOT NULL,
        group_id ${t.text},
        reverses ${t.text} REFERENCES journal_entries(id),
        line_count ${t.int} NOT NULL CHECK (line_count >= 2),
        total_debit ${t.bigint} NOT NULL CHECK (total_debit > 0),
        total_credit ${t.bigint} NOT NULL CHECK (total_credit > 0),
        CHECK (total_debit = total_credit),
        FOREIGN KEY (entity, period_id) REFERENCES fiscal_periods(entity_code, id)
      );
      CREATE INDEX journal_entries_event ON journal_entries (source_event_id);
      CREATE INDEX journal_entries_period ON journal_entries (entity, period_id);
      CREATE TABLE journal_lines (
        entry_id ${t.text} NOT NULL REFERENCES journal_entries(id) DEFERRABLE INITIALLY DEFERRED,
        line_no ${t.int} NOT NULL CHECK (line_no >= 1),
        entity ${t.text} NOT NULL,
        currency ${t.text} NOT NULL,
        period_id ${t.text} NOT NULL,
        accounting_date ${t.text} NOT NULL,
        account ${t.text} NOT NULL REFERENCES accounts(code),
        cost_center ${t.text} REFERENCES cost_centers(code),
        side ${t.text} NOT NULL CHECK (side IN ('debit', 'credit')),
        amount ${t.bigint} NOT NULL CHECK (amount > 0),
        memo ${t.text},
        dimensions ${t.json} NOT NULL,
        PRIMARY KEY (entry_id, line_no)
      );
      CREATE INDEX journal_lines_account ON journal_lines (entity, account, period_id);
      ${journalChecks(d)}
      ${appendOnly(d, 'journal_entries')}
      ${appendOnly(d, 'journal_lines')}

      CREATE TABLE requisitions (
        id ${t.text} PRIMARY KEY,
        kind ${t.text} NOT NULL CHECK (kind IN ('bill-only', 'replenishment')),
        source_event_id ${t.text} NOT NULL,
        entity ${t.text} NOT NULL REFERENCES entities(code),
        item_code ${t.text} NOT NULL REFERENCES items(code),
        vendor_code ${t.text} REFERENCES vendors(code),
        quantity ${t.bigint} NOT NULL CHECK (quantity > 0),
        unit_cost ${t.bigint} NOT NULL,
        currency ${t.text} NOT NULL,
        cost_center ${t.text} REFERENCES cost_centers(code),
        lot_number ${t.text},
        serial_number ${t.text},
        case_token ${t.text},
        created_at ${t.text} NOT NULL
      );
      ${appendOnly(d, 'requisitions')}

      CREATE TABLE encounters (
        token ${t.text} PRIMARY KEY,
        entity ${t.text},
        status ${t.text} NOT NULL,
        patient_class ${t.text},
        care_location_code ${t.text},
        department_code ${t.text},
        cost_center_code ${t.text},
        admitted_at ${t.text},
        discharged_at ${t.text},
        last_event_id ${t.text} NOT NULL,
        updated_at ${t.text} NOT NULL
      );

      CREATE TABLE exceptions (
        id ${t.serialPk},
        reason_code ${t.text} NOT NULL,
        team ${t.text} NOT NULL,
        status ${t.text} NOT NULL CHECK (status IN ('open', 'assigned', 'resolved', 'ignored')),
        ordering_key ${t.text},
        message_id ${t.bigint} REFERENCES inbound_messages(id),
        event_id ${t.text},
        subject ${t.text},
        occurrences ${t.int} NOT NULL DEFAULT 1 CHECK (occurrences >= 1),
        summary ${t.text} NOT NULL,
        evidence ${t.json} NOT NULL,
        created_at ${t.text} NOT NULL,
        updated_at ${t.text} NOT NULL
      );
      CREATE INDEX exceptions_status ON exceptions (status, reason_code);
      CREATE INDEX exceptions_message ON exceptions (message_id);
      CREATE INDEX exceptions_subject ON exceptions (reason_code, subject, status);

      CREATE TABLE message_outcomes (
        message_id ${t.bigint} PRIMARY KEY REFERENCES inbound_messages(id),
        ordering_key ${t.text} NOT NULL,
        state ${t.text} NOT NULL CHECK (state IN ('applied', 'failed', 'skipped')),
        mapping_release_id ${t.text},
        event_count ${t.int} NOT NULL,
        exception_id ${t.bigint} REFERENCES exceptions(id),
        processed_at ${t.text} NOT NULL
      );
      CREATE INDEX message_outcomes_state ON message_outcomes (state);

      CREATE TABLE apply_cursors (
        ordering_key ${t.text} PRIMARY KEY,
        last_message_id ${t.bigint} NOT NULL,
        updated_at ${t.text} NOT NULL
      );`;
  },
};
