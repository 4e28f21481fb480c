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

/**
 * Recorded statements as they cross to another thread: each distinct short string once, and every
 * parameter an index into those values. A batch's parameters repeat: of some 300 a DFT^P03 posts, about
 * 220 are strings and about 22 of those distinct (event ids again in entries, lines and movements;
 * entity, currency, period, accounts), and structured cloning writes, and allocates on arrival, every
 * one of them: measured on a batch of 500, 58 µs a message to serialize and 117 to deserialize the
 * statements as they were.
 */
export interface PackedStatements {
  readonly sql: readonly string[];
  /** How many parameters each statement has, in order. */
  readonly counts: Uint32Array;
  /** Each parameter of each statement, in order, as its index in `values`. */
  readonly refs: Uint32Array;
  readonly values: readonly SqlValue[];
}

/**
 * Strings longer than this (event payloads, outbound documents) are unique to their row: hashing them
 * to look for a repeat would cost more than sending them.
 */
const SHARED_STRING_MAX = 256;

export function packStatements(statements: readonly RecordedStatement[]): PackedStatements {
  let total = 0;
  for (const s of statements) total += s.params.length;
  const counts = new Uint32Array(statements.length);
  const refs = new Uint32Array(total);
  const values: SqlValue[] = [];
  const shared = new Map<string, number>();
  let nullAt = -1;
  let k = 0;
  for (let i = 0; i < statements.length; i++) {
    const params = statements[i]!.params;
    counts[i] = params.length;
    for (let j = 0; j < params.length; j++) {
      const p = params[j]!;
      let at: number;
      if (typeof p === 'string' && p.length <= SHARED_STRING_MAX) {
        const had = shared.get(p);
        if (had === undefined) {
          at = values.push(p) - 1;
          shared.set(p, at);
        } else at = had;
      } else if (p === null) {
        if (nullAt < 0) nullAt = values.push(null) - 1;
        at = nullAt;
      } else at = values.push(p) - 1;
      refs[k++] = at;
    }
  }
  return { sql: statements.map((s) => s.sql), counts, refs, values };
}

/** The statements `packStatements` was given, each parameter the value (or a clone of it) it was. */
export function unpackStatements(packed: PackedStatements): RecordedStatement[] {
  const { sql, counts, refs, values } = packed;
  if (counts.length !== sql.length) throw badPack('a count per statement');
  const out: RecordedStatement[] = new Array(sql.length);
  let k = 0;
  for (let i = 0; i < sql.length; i++) {
    const n = counts[i]!;
    if (k + n > refs.length) throw badPack('as many references as parameters');
    const params: SqlValue[] = new Array(n);
    for (let j = 0; j < n; j++) {
      const at = refs[k++]!;
      if (at >= values.length) throw badPack('references within the values');
      params[j] = values[at]!;
    }
    out[i] = { sql: sql[i]!, params };
  }
  if (k !== refs.length) throw badPack('as many references as parameters');
  return out;
}

function badPack(wanted: string): CrosswalkError {
  return new CrosswalkError('CW_ERR_APPLY_INTERNAL', { reason: `packed statements without ${wanted}` });
}
