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
 * Recorded statements in the form they cross between threads: every string parameter in one text, cut
 * back out by where each ends. Structured clone of the statements themselves makes one string per
 * parameter on the receiving side (some 220 per DFT^P03, 40 µs a message to receive), which the writing
 * thread paid while the database waited; one text is one copy, and the parameters are substrings of it
 * (V8 keeps them as views, not copies). Each distinct statement text travels once.
 */
export interface PackedStatements {
  /** Distinct statement texts. */
  readonly sqls: readonly string[];
  /** Per statement: its index in `sqls` and its number of parameters. */
  readonly shapes: Int32Array;
  /** Per parameter: 1 when it is a string (in `text`), 0 when it is in `others`. */
  readonly kinds: Uint8Array;
  readonly text: string;
  /** Per string parameter: where it ends in `text` (each starts where the one before ends). */
  readonly ends: Int32Array;
  /** The parameters that are not strings, in order (numbers, bigints, nulls, bytes). */
  readonly others: readonly SqlValue[];
}

export function packStatements(statements: readonly RecordedStatement[]): PackedStatements {
  const sqlIndex = new Map<string, number>();
  const shapes = new Int32Array(statements.length * 2);
  let total = 0;
  for (const s of statements) total += s.params.length;
  const kinds = new Uint8Array(total);
  const strings: string[] = [];
  const ends: number[] = [];
  const others: SqlValue[] = [];
  let k = 0;
  let end = 0;
  for (let i = 0; i < statements.length; i++) {
    const { sql, params } = statements[i]!;
    let at = sqlIndex.get(sql);
    if (at === undefined) {
      at = sqlIndex.size;
      sqlIndex.set(sql, at);
    }
    shapes[2 * i] = at;
    shapes[2 * i + 1] = params.length;
    for (const v of params) {
      if (typeof v === 'string') {
        kinds[k++] = 1;
        strings.push(v);
        end += v.length;
        ends.push(end);
      } else {
        kinds[k++] = 0;
        others.push(v);
      }
    }
  }
  return {
    sqls: [...sqlIndex.keys()],
    shapes,
    kinds,
    text: strings.join(''),
    ends: Int32Array.from(ends),
    others,
  };
}

export function unpackStatements(p: PackedStatements): RecordedStatement[] {
  const { sqls, shapes, kinds, text, ends, others } = p;
  const out: RecordedStatement[] = new Array(shapes.length / 2);
  let k = 0;
  let si = 0;
  let oi = 0;
  let start = 0;
  for (let i = 0; i < out.length; i++) {
    const params: SqlValue[] = new Array(shapes[2 * i + 1]!);
    for (let j = 0; j < params.length; j++) {
      if (kinds[k++] === 1) {
        const e = ends[si++]!;
        params[j] = text.substring(start, e);
        start = e;
      } else params[j] = others[oi++]!;
    }
    out[i] = { sql: sqls[shapes[2 * i]!]!, params };
  }
  return out;
}
