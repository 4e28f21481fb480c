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
  const keys = Object.keys(records[0]!);
  const columns = keys.map(snakeCase).join(', ');
  if (tx.columnTypes) {
    const types = await tx.columnTypes(table);
    const cast = keys.map((k) => types.get(snakeCase(k)));
    if (cast.every((t) => t !== undefined)) {
      await insertArrays(tx, table, columns, cast as ColumnType[], keys, records, suffix);
      return;
    }
    // An unknown table or column: the statement below reports it as the engine words it.
  }
  const row = `(${keys.map(() => '?').join(', ')})`;
  // Chunks are powers of two (137 rows: 128 + 8 + 1), so a table is written by at most ten distinct
  // statements, which the SQLite adapter prepares once and reuses, instead of one per batch size.
  let perStatement = 1;
  while (perStatement * 2 <= Math.min(512, Math.floor(MAX_PARAMS / keys.length))) perStatement *= 2;
  for (let i = 0; i < records.length; ) {
    let size = perStatement;
    while (size > records.length - i) size /= 2;
    const chunk = records.slice(i, i + size);
    i += size;
    const params: SqlValue[] = [];
    for (const r of chunk) for (const k of keys) params.push((r as Record<string, SqlValue>)[k] ?? null);
    await tx.execute(
      `INSERT INTO ${table} (${columns}) VALUES ${chunk.map(() => row).join(', ')} ${suffix}`,
      params,
    );
  }
}

/**
 * PostgreSQL: the whole set in one statement of one array per column, `INSERT … SELECT … FROM
 * unnest($1::text[], $2::bigint[], …)` (see `pg-arrays.ts` for how each travels). Its text is the same
 * whatever the number of rows, and the server parses and plans a dozen parameters instead of a VALUES
 * list of thousands (that planning was a tenth of the server's time in the apply stage).
 */
async function insertArrays(
  tx: SqlExecutor,
  table: string,
  columns: string,
  types: readonly ColumnType[],
  keys: readonly string[],
  records: readonly object[],
  suffix: string,
): Promise<void> {
  const params = keys.map((k, i) =>
    arrayParam(
      records.map((r) => (r as Record<string, unknown>)[k]),
      types[i]!,
    ),
  );
  const names = params.map((_, i) => `c${i}`);
  await tx.execute(
    `INSERT INTO ${table} (${columns}) SELECT ${params.map((p, i) => p.expr(names[i]!)).join(', ')}
     FROM unnest(${params.map((p) => `?::${p.cast}`).join(', ')}) AS u(${names.join(', ')}) ${suffix}`,
    params.map((p) => p.value),
  );
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
