import { arrayParam, type ColumnType } from './pg-arrays.ts';
import type { Row, SqlExecutor, SqlValue } from './port.ts';
import { asBigInt, asBool, asNumber } from './values.ts';

export const snakeCase = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
export const camelCase = (k: string): string => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** Rows per INSERT: well under SQLite's 32,766 and PostgreSQL's 65,535 bound parameters. */
const MAX_PARAMS = 30_000;

/**
 * Inserts records whose keys are the columns in camelCase, as few multi-row statements as the
 * parameter limits allow. `suffix` may add e.g. an ON CONFLICT clause.
 */
export async function insertRows(
  tx: SqlExecutor,
  table: string,
  records: readonly object[],
  suffix = '',
): Promise<void> {
  if (records.length === 0) return;
  const arrays = await arrayInsert(tx, table, records, suffix);
  if (arrays) {
    await tx.execute(arrays.sql, arrays.params);
    return;
  }
  const keys = Object.keys(records[0]!);
  // Chunks are powers of two (137 rows: 128 + 8 + 1), so a table is written by at most ten distinct
  // statements, which the SQLite adapter prepares once and reuses, instead of one per batch size.
  let perStatement = 1;
  while (perStatement * 2 <= Math.min(512, Math.floor(MAX_PARAMS / keys.length))) perStatement *= 2;
  for (let i = 0; i < records.length; ) {
    let size = perStatement;
    while (size > records.length - i) size /= 2;
    const end = i + size;
    const params: SqlValue[] = new Array(size * keys.length);
    let p = 0;
    for (; i < end; i++) {
      const r = records[i] as Record<string, SqlValue>;
      for (const k of keys) params[p++] = r[k] ?? null;
    }
    await tx.execute(valuesInsertSql(table, keys, size, suffix), params);
  }
}

/**
 * The text of a multi-row INSERT, kept per table, columns, row count and suffix: a chunk of 512 rows is
 * some 20 KB of text, which building anew per chunk made the largest allocation of the apply stage, and
 * the same string object is then hashed once for the adapter's statement cache instead of per call.
 * Bounded: a few tables × at most ten chunk sizes each, and the shapes code writes, not data.
 */
const VALUES_SQL = new Map<string, string>();
function valuesInsertSql(table: string, keys: readonly string[], rows: number, suffix: string): string {
  const shape = `${table}\u0000${keys.join(',')}\u0000${rows}\u0000${suffix}`;
  let sql = VALUES_SQL.get(shape);
  if (sql === undefined) {
    const row = `(${keys.map(() => '?').join(', ')})`;
    sql = `INSERT INTO ${table} (${keys.map(snakeCase).join(', ')}) VALUES ${new Array(rows).fill(row).join(', ')} ${suffix}`;
    VALUES_SQL.set(shape, sql);
  }
  return sql;
}

/**
 * Inserts into several tables at once, in order. On PostgreSQL that is one statement (all but the last
 * insert in WITH clauses), so the checks that run after a statement see every part of it: that is how
 * a journal entry's lines and its header are written (migration 0014). Elsewhere, one table after the
 * other.
 */
export async function insertRowsTogether(
  tx: SqlExecutor,
  parts: readonly { readonly table: string; readonly records: readonly object[] }[],
): Promise<void> {
  const present = parts.filter((p) => p.records.length > 0);
  const arrays: { sql: string; params: SqlValue[] }[] = [];
  for (const p of present) {
    const a = await arrayInsert(tx, p.table, p.records, '');
    if (!a) break;
    arrays.push(a);
  }
  if (present.length > 1 && arrays.length === present.length) {
    const last = arrays.pop()!;
    await tx.execute(`WITH ${arrays.map((a, i) => `p${i} AS (${a.sql})`).join(', ')} ${last.sql}`, [
      ...arrays.flatMap((a) => a.params),
      ...last.params,
    ]);
    return;
  }
  for (const p of present) await insertRows(tx, p.table, p.records);
}

/**
 * PostgreSQL: the whole set as one statement of one array per column, `INSERT … SELECT … FROM (SELECT
 * unnest($1::text[]), unnest($2::bigint[]), …)` (see `pg-arrays.ts` for how each travels). Its text is the same
 * whatever the number of rows, and the server parses and plans a dozen parameters instead of a VALUES
 * list of thousands (that planning was a tenth of the server's time in the apply stage). Null on other
 * engines, and for a table or column the catalog does not know (the VALUES form lets the engine word
 * that error).
 */
async function arrayInsert(
  tx: SqlExecutor,
  table: string,
  records: readonly object[],
  suffix: string,
): Promise<{ sql: string; params: SqlValue[] } | null> {
  if (!tx.columnTypes) return null;
  const keys = Object.keys(records[0]!);
  const known = await tx.columnTypes(table);
  const types = keys.map((k) => known.get(snakeCase(k)));
  if (!types.every((t): t is ColumnType => t !== undefined)) return null;
  const params = keys.map((k, i) =>
    arrayParam(
      records.map((r) => (r as Record<string, unknown>)[k]),
      types[i]!,
    ),
  );
  const names = params.map((_, i) => `c${i}`);
  // unnest in the select list, one per array, which the server zips row by row (the arrays are of one
  // length); unnest(a, b, …) in FROM would first copy all the rows into a tuplestore.
  return {
    sql: `INSERT INTO ${table} (${keys.map(snakeCase).join(', ')})
     SELECT ${params.map((p, i) => p.expr(names[i]!)).join(', ')}
     FROM (SELECT ${params.map((p, i) => `unnest(?::${p.cast}) AS ${names[i]}`).join(', ')}) AS u ${suffix}`,
    params: params.map((p) => p.value),
  };
}

export type ColumnKind = 'text' | 'int' | 'bigint' | 'bool' | 'json';

/** Reads rows back into camelCase records, normalising each column by its kind (text by default). */
export function fromRows<T>(rows: readonly Row[], kinds: Readonly<Record<string, ColumnKind>> = {}): T[] {
  return rows.map((r) => {
    const out: Record<string, unknown> = {};
    for (const [col, v] of Object.entries(r)) {
      const key = camelCase(col);
      const kind = kinds[key] ?? 'text';
      out[key] =
        v === null || v === undefined
          ? null
          : kind === 'int'
            ? asNumber(v)
            : kind === 'bigint'
              ? asBigInt(v)
              : kind === 'bool'
                ? asBool(v)
                : kind === 'json'
                  ? typeof v === 'string'
                    ? JSON.parse(v)
                    : v
                  : String(v);
    }
    return out as T;
  });
}
