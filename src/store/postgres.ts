import pg from 'pg';
import { CrosswalkError } from '../errors/index.ts';
import type { ColumnType } from './pg-arrays.ts';
import type { Capabilities, CommitDurability, Row, SqlExecutor, SqlValue, Store } from './port.ts';
import { DEFAULT_RAW_KEY_RING_FILE, RawCipher } from './raw-cipher.ts';

/** Arbitrary but fixed: the advisory-lock key every Crosswalk process uses for migrations. */
const MIGRATION_LOCK_KEY = 0x43_57_4d_49_47n; // 'CWMIG'

const CAPABILITIES: Capabilities = Object.freeze({
  dialect: 'postgres',
  supportsReturning: true,
  concurrentWriters: true,
  supportsSkipLocked: true,
});

// int8 as bigint (money is exact); timestamptz as ISO-8601 UTC text, the same shape SQLite returns.
const TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (v: string) => BigInt(v);
    if (oid === 1184 || oid === 1114)
      return (v: string) => new Date(oid === 1114 ? `${v}Z` : v).toISOString();
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

/** `?` placeholders to `$n`. Our SQL never has `?` inside string literals; that is a rule of the house. */
export function numberPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

const converted = new Map<string, string>();
function toPg(sql: string): string {
  let s = converted.get(sql);
  if (s === undefined) {
    s = numberPlaceholders(sql);
    if (converted.size < 5000) converted.set(sql, s);
  }
  return s;
}

function bind(params: readonly SqlValue[]): unknown[] {
  return params.map((p) => (typeof p === 'bigint' ? p.toString() : p));
}

function unreachable(target: string, e: unknown): CrosswalkError {
  const err = e as NodeJS.ErrnoException & { code?: string };
  const reason = err.code === 'ECONNREFUSED' ? 'connection refused' : (err.message ?? String(e));
  return new CrosswalkError('CW_ERR_STORE_UNREACHABLE', { target, reason }, { cause: e });
}

const CONNECTION_ERRORS = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'ETIMEDOUT',
  'ECONNRESET',
  'EHOSTUNREACH',
  '57P01',
  '57P03',
  '3D000',
  '28000',
  '28P01',
]);

export interface PostgresOptions {
  readonly poolMax?: number;
  readonly display?: string;
  readonly connectTimeoutMs?: number;
  /** Seals stored message bodies; default: the key ring file of the embedded default, read on first use. */
  readonly rawCipher?: RawCipher;
  /** See open.ts; default `flushed` (synchronous_commit=on). */
  readonly commitDurability?: CommitDurability;
}

/**
 * Column types per table, read from the catalog on first use and kept for the store's life: bulk inserts
 * bind one typed array per column (`bulk.ts`). Any script (migrations are scripts) may change a table,
 * so running one forgets them all, and so does an error that a changed table would cause (another
 * process migrated it): the next try reads the catalog again.
 */
class ColumnTypes {
  private readonly tables = new Map<string, Promise<ReadonlyMap<string, ColumnType>>>();

  get(table: string, db: SqlExecutor): Promise<ReadonlyMap<string, ColumnType>> {
    let types = this.tables.get(table);
    if (types === undefined) {
      types = db
        .query<{ attname: string; type: string; oid: number }>(
          `SELECT attname, format_type(atttypid, atttypmod) AS type, atttypid::int AS oid FROM pg_attribute
           WHERE attrelid = to_regclass(?) AND attnum > 0 AND NOT attisdropped`,
          [table],
        )
        .then((rows) => new Map(rows.map((r) => [r.attname, { type: r.type, oid: r.oid }])));
      this.tables.set(table, types);
      // A failed read (a transaction already aborted, say) is not remembered.
      types.catch(() => this.tables.delete(table));
    }
    return types;
  }

  forget(): void {
    this.tables.clear();
  }

  /** Forgets them on an error a changed table would cause, and passes the error on. */
  stale(e: unknown): never {
    if (SCHEMA_ERRORS.has((e as { code?: string }).code ?? '')) this.forget();
    throw e;
  }
}

/** No such table or column, a value of the wrong type, a cast that does not exist. */
const SCHEMA_ERRORS = new Set(['42P01', '42703', '42804', '42846']);

class ClientExecutor implements SqlExecutor {
  readonly capabilities = CAPABILITIES;
  constructor(
    private readonly client: pg.PoolClient,
    readonly rawCipher: RawCipher,
    private readonly types: ColumnTypes,
  ) {}
  async query<T extends Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    try {
      return (await this.client.query(toPg(sql), bind(params))).rows as T[];
    } catch (e) {
      return this.types.stale(e);
    }
  }
  async queryArrays(sql: string, params: readonly SqlValue[] = []): Promise<unknown[][]> {
    return (await this.client.query({ text: toPg(sql), values: bind(params), rowMode: 'array' })).rows;
  }
  async execute(sql: string, params: readonly SqlValue[] = []): Promise<{ rowsAffected: number }> {
    try {
      return { rowsAffected: (await this.client.query(toPg(sql), bind(params))).rowCount ?? 0 };
    } catch (e) {
      return this.types.stale(e);
    }
  }
  async executeScript(sql: string): Promise<void> {
    this.types.forget();
    await this.client.query(sql);
  }
  columnTypes(table: string): Promise<ReadonlyMap<string, ColumnType>> {
    return this.types.get(table, this);
  }
}

/**
 * PostgreSQL through a `pg` pool, synchronous_commit on (a commit is durable on the server before it
 * returns; off for a `deferred` store, the apply stage's: see CommitDurability). Several Crosswalk
 * processes may share one database.
 */
export class PostgresStore implements Store {
  readonly capabilities = CAPABILITIES;
  readonly target: string;
  readonly rawCipher: RawCipher;
  private readonly pool: pg.Pool;
  private readonly types = new ColumnTypes();

  constructor(url: string, options: PostgresOptions = {}) {
    this.target = options.display ?? 'postgres';
    this.rawCipher = options.rawCipher ?? RawCipher.fromFile(DEFAULT_RAW_KEY_RING_FILE);
    this.pool = new pg.Pool({
      connectionString: url,
      // Two at least: withMigrationLock holds one connection while the migration runs on another.
      max: Math.max(2, options.poolMax ?? 10),
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      // work_mem: an apply batch's statement triggers hold its rows (transition tables: thousands of
      // events of a kilobyte and more) in memory up to work_mem; at the default 4 MB they spilled to
      // temporary files on every batch.
      options: `-c synchronous_commit=${options.commitDurability === 'deferred' ? 'off' : 'on'} -c timezone=UTC -c work_mem=64MB`,
      types: TYPES,
    });
    // An idle client that loses its server must not crash the process; the next query reports it.
    this.pool.on('error', () => undefined);
    // Nor one that is checked out between two statements (a transaction doing work in JS when the server
    // restarts or ends the backend): its next statement fails, and the pool drops it on release as no
    // longer queryable. Without this listener the 'error' event was unhandled and killed the process.
    this.pool.on('connect', (client) => client.on('error', () => undefined));
  }

  private wrap(e: unknown): unknown {
    const code = (e as { code?: string }).code;
    return code && CONNECTION_ERRORS.has(code) ? unreachable(this.target, e) : e;
  }

  async query<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    try {
      return (await this.pool.query(toPg(sql), bind(params))).rows as T[];
    } catch (e) {
      return this.types.stale(this.wrap(e));
    }
  }

  async queryArrays(sql: string, params: readonly SqlValue[] = []): Promise<unknown[][]> {
    try {
      return (await this.pool.query({ text: toPg(sql), values: bind(params), rowMode: 'array' })).rows;
    } catch (e) {
      throw this.wrap(e);
    }
  }

  async execute(sql: string, params: readonly SqlValue[] = []): Promise<{ rowsAffected: number }> {
    try {
      return { rowsAffected: (await this.pool.query(toPg(sql), bind(params))).rowCount ?? 0 };
    } catch (e) {
      return this.types.stale(this.wrap(e));
    }
  }

  async executeScript(sql: string): Promise<void> {
    this.types.forget();
    try {
      await this.pool.query(sql);
    } catch (e) {
      throw this.wrap(e);
    }
  }

  columnTypes(table: string): Promise<ReadonlyMap<string, ColumnType>> {
    return this.types.get(table, this);
  }

  /** Holds one connection for `fn`; used for advisory locks that belong to a session. */
  async withClient<T>(fn: (client: SqlExecutor) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (e) {
      throw unreachable(this.target, e);
    }
    try {
      return await fn(new ClientExecutor(client, this.rawCipher, this.types));
    } finally {
      client.release();
    }
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (e) {
      throw unreachable(this.target, e);
    }
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await fn(new ClientExecutor(client, this.rawCipher, this.types));
      await client.query('COMMIT');
      return result;
    } catch (e) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true;
      }
      throw this.wrap(e);
    } finally {
      client.release(broken);
    }
  }

  /** A session advisory lock on a dedicated connection, held while `fn` runs on the pool. */
  withMigrationLock<T>(fn: () => Promise<T>): Promise<T> {
    return this.withClient(async (client) => {
      await client.query('SELECT pg_advisory_lock(?)', [MIGRATION_LOCK_KEY]);
      try {
        return await fn();
      } finally {
        await client.query('SELECT pg_advisory_unlock(?)', [MIGRATION_LOCK_KEY]);
      }
    });
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1 AS ok');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
