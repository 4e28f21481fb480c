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
