import type { Dialect } from './port.ts';

/**
 * Column types per dialect, so one migration text serves both engines. Money is always BIGINT minor
 * units; timestamps are stored as ISO-8601 UTC text on SQLite and TIMESTAMPTZ on PostgreSQL.
 */
export interface DdlTypes {
  /** Auto-incrementing 64-bit primary key. */
  readonly serialPk: string;
  readonly bigint: string;
  readonly int: string;
  readonly text: string;
  readonly bytes: string;
  readonly bool: string;
  readonly timestamp: string;
  readonly json: string;
  /** Default expression for "now" in the column's type. */
  readonly now: string;
}

export function ddlTypes(dialect: Dialect): DdlTypes {
  return dialect === 'sqlite'
    ? {
        serialPk: 'INTEGER PRIMARY KEY AUTOINCREMENT',
        bigint: 'INTEGER',
        int: 'INTEGER',
        text: 'TEXT',
        bytes: 'BLOB',
        bool: 'INTEGER',
        timestamp: 'TEXT',
        json: 'TEXT',
        now: "(strftime('%Y-%m-%dT%H:%M:%fZ','now'))",
      }
    : {
        serialPk: 'BIGSERIAL PRIMARY KEY',
        bigint: 'BIGINT',
        int: 'INTEGER',
        text: 'TEXT',
        bytes: 'BYTEA',
        bool: 'BOOLEAN',
        timestamp: 'TIMESTAMPTZ',
        json: 'JSONB',
        now: 'now()',
      };
}

/**
 * Triggers that make a table append-only in the database itself, so that no code path (ours, a script,
 * a console session through the application's account) can update or delete what was posted.
 */
export function appendOnly(dialect: Dialect, table: string): string {
  if (dialect === 'sqlite') {
    return `
      CREATE TRIGGER ${table}_no_update BEFORE UPDATE ON ${table}
      BEGIN SELECT RAISE(ABORT, '${table} is append-only: post a correcting entry instead'); END;
      CREATE TRIGGER ${table}_no_delete BEFORE DELETE ON ${table}
      BEGIN SELECT RAISE(ABORT, '${table} is append-only: post a correcting entry instead'); END;`;
  }
  return `
    CREATE OR REPLACE FUNCTION crosswalk_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION '% is append-only: post a correcting entry instead', TG_TABLE_NAME USING ERRCODE = 'P0001';
    END $$;
    CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table}
      FOR EACH ROW EXECUTE FUNCTION crosswalk_append_only();
    CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table}
      FOR EACH STATEMENT EXECUTE FUNCTION crosswalk_append_only();`;
}
