import { CrosswalkError } from '../errors/index.ts';
import type { SqlExecutor, SqlValue } from './port.ts';

/** A statement as an executor was given it, to be run later on a real one. */
export interface RecordedStatement {
  readonly sql: string;
  readonly params: readonly SqlValue[];
}

/**
 * An executor that runs nothing: it keeps the statements it is given, in order, for work that writes
 * without reading (saveBatchEffects), so the statements can be built on one thread and run on another.
 * A read is a mistake in such work, and fails.
 */
export function recordingExecutor(like: SqlExecutor): { tx: SqlExecutor; statements: RecordedStatement[] } {
  const statements: RecordedStatement[] = [];
  const refuse = (): never => {
    throw new CrosswalkError('CW_ERR_APPLY_INTERNAL', { reason: 'recorded work read the database' });
  };
  return {
    statements,
    tx: {
      capabilities: like.capabilities,
      rawCipher: like.rawCipher,
      // PostgreSQL: the catalog read is a read of its own store, cached, so bulk inserts are recorded in
      // their one-array-per-column form.
      ...(like.columnTypes ? { columnTypes: like.columnTypes.bind(like) } : {}),
      query: async () => refuse(),
      queryArrays: async () => refuse(),
      executeScript: async () => refuse(),
      execute: async (sql: string, params: readonly SqlValue[] = []) => {
        statements.push({ sql, params });
        return { rowsAffected: 0 };
      },
    },
  };
}

/** Runs recorded statements, in order, on a real executor. */
export async function replayStatements(
  tx: SqlExecutor,
  statements: readonly RecordedStatement[],
): Promise<void> {
  for (const s of statements) await tx.execute(s.sql, s.params);
}
