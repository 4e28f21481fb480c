import type { Migration } from '../port.ts';

/**
 * PostgreSQL: the references of the append-only tables the apply stage writes by the thousand per batch
 * are checked once per INSERT statement instead of once per row.
 *
 * A declared foreign key runs a locking lookup of the referenced row for every inserted row (an executor
 * started and a plan run per row): with five events, five entries, ten lines and five movements per
 * DFT^P03 that was a quarter of the server's time in the apply stage. Here an AFTER STATEMENT trigger
 * reads the statement's rows (a transition table), takes the same FOR KEY SHARE lock on each distinct
 * referenced row in one query and refuses the statement when one is missing, with the foreign key's
 * SQLSTATE (23503), wording and constraint name. The referenced side keeps what the foreign key gave it:
 * a referenced row cannot be deleted, re-keyed or truncated away. The lock is what makes the two sides
 * meet: a delete waits for the inserting transaction, and its check then sees the committed rows.
 * Updates of the referencing rows need no check: these tables are append-only (their triggers refuse
 * every UPDATE and DELETE).
 *
 * A reversal may reverse an entry posted by the same statement: the check runs after the statement, so
 * it sees it, as the foreign key did. Lines → entries has its own scheme (JOURNAL_ENTRY_OF_LINES below).
 * Kept as declared foreign keys: the references of the tables that are upserted (outcomes, stock).
 *
 * One limit: the referenced side's check reads the transaction's snapshot, which under REPEATABLE READ or
 * SERIALIZABLE cannot see a referencing row committed after it was taken (the foreign key re-reads
 * with a fresh snapshot there, which PL/pgSQL cannot). Deleting or re-keying a referenced row is
 * therefore refused outside READ COMMITTED; nothing in Crosswalk deletes master data.
 *
 * SQLite has no statement triggers and checks its foreign keys natively; nothing changes there.
 */
interface Reference {
  /** The declared foreign key this replaces; its name is kept in the errors. */
  readonly constraint: string;
  readonly table: string;
  readonly columns: readonly string[];
  readonly parent: string;
  readonly parentColumns: readonly string[];
}

const REFERENCES: readonly Reference[] = [
  {
    constraint: 'journal_lines_account_fkey',
    table: 'journal_lines',
    columns: ['account'],
    parent: 'accounts',
    parentColumns: ['code'],
  },
  {
    constraint: 'journal_lines_cost_center_fkey',
    table: 'journal_lines',
    columns: ['cost_center'],
    parent: 'cost_centers',
    parentColumns: ['code'],
  },
  {
    constraint: 'journal_entries_entity_fkey',
    table: 'journal_entries',
    columns: ['entity'],
    parent: 'entities',
    parentColumns: ['code'],
  },
  {
    constraint: 'journal_entries_entity_period_id_fkey',
    table: 'journal_entries',
    columns: ['entity', 'period_id'],
    parent: 'fiscal_periods',
    parentColumns: ['entity_code', 'id'],
  },
  {
    constraint: 'journal_entries_reverses_fkey',
    table: 'journal_entries',
    columns: ['reverses'],
    parent: 'journal_entries',
    parentColumns: ['id'],
  },
  {
    constraint: 'canonical_events_source_message_id_fkey',
    table: 'canonical_events',
    columns: ['source_message_id'],
    parent: 'inbound_messages',
    parentColumns: ['id'],
  },
  {
    constraint: 'inventory_movements_item_code_fkey',
    table: 'inventory_movements',
    columns: ['item_code'],
    parent: 'items',
    parentColumns: ['code'],
  },
  {
    constraint: 'inventory_movements_par_location_code_fkey',
    table: 'inventory_movements',
    columns: ['par_location_code'],
    parent: 'par_locations',
    parentColumns: ['code'],
  },
];

const list = (alias: string, cols: readonly string[]) => cols.map((c) => `${alias}.${c}`).join(', ');
const tuple = (alias: string, cols: readonly string[]) =>
  cols.length === 1 ? `${alias}.${cols[0]}` : `(${list(alias, cols)})`;
const keyText = (alias: string, cols: readonly string[]) =>
  cols.map((c) => `${alias}.${c}::text`).join(` || ', ' || `);

/**
 * The checks of every reference of one table, in one statement trigger. Each distinct key of the inserted
 * rows (rows with a NULL in the key reference nothing, as with MATCH SIMPLE) must lock one parent row.
 */
function childChecks(table: string, refs: readonly Reference[]): string {
  const checks = refs.map((r) => {
    const notNull = r.columns.map((c) => `a.${c} IS NOT NULL`).join(' AND ');
    const keys = `SELECT DISTINCT ${list('a', r.columns)} FROM added a WHERE ${notNull}`;
    return `
      SELECT COUNT(*) INTO wanted FROM (${keys}) k;
      IF wanted > 0 THEN
        SELECT COUNT(*) INTO locked FROM (
          SELECT 1 FROM ${r.parent} p WHERE ${tuple('p', r.parentColumns)} IN (${keys})
          FOR KEY SHARE OF p) l;
        IF locked < wanted THEN
          SELECT ${keyText('a', r.columns)} INTO missing FROM (${keys}) a
            WHERE NOT EXISTS (SELECT 1 FROM ${r.parent} p
                              WHERE ${r.parentColumns.map((c, i) => `p.${c} = a.${r.columns[i]}`).join(' AND ')})
            LIMIT 1;
          RAISE EXCEPTION 'insert or update on table "${table}" violates foreign key constraint "${r.constraint}"'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = '${r.constraint}', TABLE = '${table}',
                  DETAIL = format('Key (${r.columns.join(', ')})=(%s) is not present in table "${r.parent}".', missing);
        END IF;
      END IF;`;
  });
  return `
    CREATE FUNCTION crosswalk_${table}_references() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE wanted bigint; locked bigint; missing text;
    BEGIN${checks.join('')}
      RETURN NULL;
    END $$;
    CREATE TRIGGER ${table}_references AFTER INSERT ON ${table}
      REFERENCING NEW TABLE AS added
      FOR EACH STATEMENT EXECUTE FUNCTION crosswalk_${table}_references();`;
}

/** The referenced side: a row still referenced cannot be deleted, re-keyed or truncated away. */
function parentGuards(r: Reference): string {
  const fn = `crosswalk_${r.constraint}_parent`;
  const match = r.columns.map((c, i) => `c.${c} = OLD.${r.parentColumns[i]}`).join(' AND ');
  const refuse = `RAISE EXCEPTION 'update or delete on table "${r.parent}" violates foreign key constraint "${r.constraint}" on table "${r.table}"'
          USING ERRCODE = 'foreign_key_violation', CONSTRAINT = '${r.constraint}', TABLE = '${r.parent}'`;
  return `
    CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'TRUNCATE' THEN
        IF EXISTS (SELECT 1 FROM ${r.table}) THEN
          RAISE EXCEPTION 'cannot truncate a table referenced in a foreign key constraint'
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = 'Table "${r.table}" references "${r.parent}" (constraint "${r.constraint}").';
        END IF;
        RETURN NULL;
      END IF;
      IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'rows of "${r.parent}" can be deleted or re-keyed only under READ COMMITTED (constraint "${r.constraint}")'
          USING ERRCODE = 'foreign_key_violation';
      END IF;
      IF EXISTS (SELECT 1 FROM ${r.table} c WHERE ${match}) THEN
        ${refuse},
          DETAIL = format('Key (${r.parentColumns.join(', ')})=(%s) is still referenced from table "${r.table}".',
                          ${r.parentColumns.map((c) => `OLD.${c}::text`).join(` || ', ' || `)});
      END IF;
      RETURN NULL;
    END $$;
    CREATE TRIGGER ${r.constraint}_parent_delete AFTER DELETE ON ${r.parent}
      FOR EACH ROW EXECUTE FUNCTION ${fn}();
    CREATE TRIGGER ${r.constraint}_parent_rekey AFTER UPDATE ON ${r.parent}
      FOR EACH ROW WHEN (${tuple('OLD', r.parentColumns)} IS DISTINCT FROM ${tuple('NEW', r.parentColumns)})
      EXECUTE FUNCTION ${fn}();
    CREATE TRIGGER ${r.constraint}_parent_truncate BEFORE TRUNCATE ON ${r.parent}
      FOR EACH STATEMENT EXECUTE FUNCTION ${fn}();`;
}

/**
 * An outbox document (a batch's journal, hundreds of KB of JSON) was compressed with pglz on insert,
 * a twentieth of the server's time in the apply stage; lz4 does it several times faster for a little
 * less compression. A server built without lz4 keeps pglz.
 */
const OUTBOX_LZ4 = `
  DO $$ BEGIN
    ALTER TABLE outbox_documents ALTER COLUMN payload SET COMPRESSION lz4;
  EXCEPTION WHEN feature_not_supported THEN NULL;
  END $$;`;

/**
 * An exception that recurs (an item running short at a par location) is updated by every batch that
 * sees it again: hundreds of rows per batch. With full pages each new version went to another page,
 * so all six of the table's indexes took a new entry (under one update in ten was HOT); leaving half of
 * each page free keeps the new version beside the old one, and the indexes untouched.
 */
const EXCEPTIONS_FILLFACTOR = 'ALTER TABLE exceptions SET (fillfactor = 50);';

/**
 * A journal line's entry, checked per statement rather than per line at commit (the deferred foreign key
 * was the largest single cost of writing the journal). Crosswalk writes an entry's lines and its header
 * in one statement (`insertRowsTogether`); the rows of one statement share one transaction id and one
 * command id (xmin, cmin), so the lines' statement check can tell a header written with them from one
 * written before. For each entry of the statement's lines:
 * - a header written by an earlier statement: refused, lines cannot be added to a posted entry;
 * - a header written by this statement: nothing more (its own check, 0008, counts and sums the lines);
 * - no header yet (lines written first, their header by a later statement, as a console or an older
 *   writer may do): the entry is noted in journal_lines_awaiting_entry, whose deferred constraint
 *   trigger refuses the commit if the header is still missing then, as the foreign key did, and clears
 *   the note. Crosswalk's own writes never leave a note, so nothing is left to run at commit.
 */
const JOURNAL_ENTRY_OF_LINES = `
  ALTER TABLE journal_lines DROP CONSTRAINT journal_lines_entry_id_fkey;
  CREATE TABLE journal_lines_awaiting_entry (entry_id TEXT PRIMARY KEY);

  CREATE FUNCTION crosswalk_journal_lines_entry_posted() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF NOT EXISTS (SELECT 1 FROM journal_entries WHERE id = NEW.entry_id) THEN
      RAISE EXCEPTION 'insert or update on table "journal_lines" violates foreign key constraint "journal_lines_entry_id_fkey"'
        USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'journal_lines_entry_id_fkey', TABLE = 'journal_lines',
              DETAIL = format('Key (entry_id)=(%s) is not present in table "journal_entries".', NEW.entry_id);
    END IF;
    DELETE FROM journal_lines_awaiting_entry WHERE entry_id = NEW.entry_id;
    RETURN NULL;
  END $$;
  CREATE CONSTRAINT TRIGGER journal_lines_entry_posted AFTER INSERT ON journal_lines_awaiting_entry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION crosswalk_journal_lines_entry_posted();

  CREATE OR REPLACE FUNCTION crosswalk_journal_lines_sealed() RETURNS trigger LANGUAGE plpgsql AS $$
  DECLARE this_xmin xid; this_cmin cid; early boolean; awaiting text[];
  BEGIN
    SELECT l.xmin, l.cmin INTO this_xmin, this_cmin
      FROM (SELECT entry_id, line_no FROM added LIMIT 1) a
      JOIN journal_lines l ON l.entry_id = a.entry_id AND l.line_no = a.line_no;
    IF NOT FOUND THEN
      RETURN NULL;
    END IF;
    SELECT COALESCE(bool_or(e.id IS NOT NULL AND NOT (e.xmin = this_xmin AND e.cmin = this_cmin)), false),
           array_agg(a.entry_id) FILTER (WHERE e.id IS NULL)
      INTO early, awaiting
      FROM (SELECT DISTINCT entry_id FROM added) a LEFT JOIN journal_entries e ON e.id = a.entry_id;
    IF early THEN
      RAISE EXCEPTION 'lines cannot be added to a posted journal entry' USING ERRCODE = 'P0001';
    END IF;
    IF awaiting IS NOT NULL THEN
      INSERT INTO journal_lines_awaiting_entry (entry_id) SELECT unnest(awaiting) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
  END $$;`;

function postgres(): string {
  const tables = [...new Set(REFERENCES.map((r) => r.table))];
  return [
    OUTBOX_LZ4,
    EXCEPTIONS_FILLFACTOR,
    JOURNAL_ENTRY_OF_LINES,
    ...REFERENCES.map((r) => `ALTER TABLE ${r.table} DROP CONSTRAINT ${r.constraint};`),
    ...tables.map((t) =>
      childChecks(
        t,
        REFERENCES.filter((r) => r.table === t),
      ),
    ),
    ...REFERENCES.map(parentGuards),
  ].join('\n');
}

/** The triggers this migration adds on PostgreSQL, for `crosswalk verify` to check they are still there. */
export const REFERENCE_TRIGGERS: readonly string[] = [
  ...new Set(REFERENCES.map((r) => `${r.table}_references`)),
  ...REFERENCES.flatMap((r) => ['delete', 'rekey', 'truncate'].map((op) => `${r.constraint}_parent_${op}`)),
  'journal_lines_entry_posted',
];

export const m0014: Migration = {
  id: 14,
  name: 'references checked per statement; cheaper journal, exception and outbox writes',
  up: (d) => (d === 'postgres' ? postgres() : ''),
};
