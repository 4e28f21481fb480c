import type { Dialect, Migration } from '../port.ts';

/**
 * The journal's database checks (migration 0004), same rules and same trigger names, cheaper to run:
 *
 * - PostgreSQL: once per INSERT statement over the rows it inserted (transition tables), one set-based
 *   query, instead of a PL/pgSQL call and four aggregate queries per entry and a lookup per line. An
 *   AFTER STATEMENT trigger that raises aborts the statement just as the BEFORE ROW one did.
 * - SQLite (no statement triggers): still per entry, but one pass over the entry's lines instead of four.
 *
 * What is enforced is unchanged: an entry's lines exist, match its entity, currency and period, and
 * balance; its period is open; lines cannot be added to an entry once its header exists.
 */
function checks(d: Dialect): string {
  if (d === 'sqlite') {
    return `
      DROP TRIGGER journal_entries_balanced;
      CREATE TRIGGER journal_entries_balanced BEFORE INSERT ON journal_entries
      BEGIN
        SELECT RAISE(ABORT, 'journal entry does not balance, or its lines do not match it')
        FROM (SELECT COUNT(*) AS n,
                     COALESCE(SUM(CASE WHEN side = 'debit' THEN amount END), 0) AS dr,
                     COALESCE(SUM(CASE WHEN side = 'credit' THEN amount END), 0) AS cr,
                     COALESCE(MAX(entity <> NEW.entity OR currency <> NEW.currency OR period_id <> NEW.period_id), 0) AS odd
              FROM journal_lines WHERE entry_id = NEW.id)
        WHERE NEW.total_debit <> NEW.total_credit OR n <> NEW.line_count OR dr <> NEW.total_debit
           OR cr <> NEW.total_credit OR odd;
        SELECT RAISE(ABORT, 'the fiscal period of this entry takes no postings')
        WHERE NOT EXISTS (SELECT 1 FROM fiscal_periods
                          WHERE entity_code = NEW.entity AND id = NEW.period_id AND status = 'open');
      END;`;
  }
  return `
    DROP TRIGGER journal_entries_balanced ON journal_entries;
    DROP FUNCTION crosswalk_journal_entry_balanced();
    DROP TRIGGER journal_lines_sealed ON journal_lines;
    DROP FUNCTION crosswalk_journal_lines_sealed();

    CREATE FUNCTION crosswalk_journal_entries_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF EXISTS (
        SELECT 1 FROM posted e
        LEFT JOIN LATERAL (
          SELECT COUNT(*) AS n,
                 COALESCE(SUM(l.amount) FILTER (WHERE l.side = 'debit'), 0) AS dr,
                 COALESCE(SUM(l.amount) FILTER (WHERE l.side = 'credit'), 0) AS cr,
                 COALESCE(bool_or(l.entity <> e.entity OR l.currency <> e.currency OR l.period_id <> e.period_id), false) AS odd
          FROM journal_lines l WHERE l.entry_id = e.id) x ON true
        WHERE e.total_debit <> e.total_credit OR x.n <> e.line_count OR x.dr <> e.total_debit
           OR x.cr <> e.total_credit OR x.odd) THEN
        RAISE EXCEPTION 'journal entry does not balance, or its lines do not match it' USING ERRCODE = 'P0001';
      END IF;
      IF EXISTS (
        SELECT 1 FROM posted e
        WHERE NOT EXISTS (SELECT 1 FROM fiscal_periods p
                          WHERE p.entity_code = e.entity AND p.id = e.period_id AND p.status = 'open')) THEN
        RAISE EXCEPTION 'the fiscal period of this entry takes no postings' USING ERRCODE = 'P0001';
      END IF;
      RETURN NULL;
    END $$;
    CREATE TRIGGER journal_entries_balanced AFTER INSERT ON journal_entries
      REFERENCING NEW TABLE AS posted
      FOR EACH STATEMENT EXECUTE FUNCTION crosswalk_journal_entries_balanced();

    CREATE FUNCTION crosswalk_journal_lines_sealed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF EXISTS (SELECT 1 FROM added l JOIN journal_entries e ON e.id = l.entry_id) THEN
        RAISE EXCEPTION 'lines cannot be added to a posted journal entry' USING ERRCODE = 'P0001';
      END IF;
      RETURN NULL;
    END $$;
    CREATE TRIGGER journal_lines_sealed AFTER INSERT ON journal_lines
      REFERENCING NEW TABLE AS added
      FOR EACH STATEMENT EXECUTE FUNCTION crosswalk_journal_lines_sealed();`;
}

export const m0008: Migration = {
  id: 8,
  name: 'journal checks per statement',
  up: (d) => checks(d),
};
