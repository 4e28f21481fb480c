import pg from 'pg';
import { CrosswalkError } from '../errors/index.ts';
import type { Capabilities, Row, SqlExecutor, SqlValue, Store } from './port.ts';
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
}

class ClientExecutor implements SqlExecutor {
  readonly capabilities = CAPABILITIES;
  constructor(
    private readonly client: pg.PoolClient,
    readonly rawCipher: RawCipher,
  ) {}
  async query<T extends Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return (await this.client.query(toPg(sql), bind(params))).rows as T[];
  }
  async queryArrays(sql: string, params: readonly SqlValue[] = []): Promise<unknown[][]> {
    return (await this.client.query({ text: toPg(sql), values: bind(params), rowMode: 'array' })).rows;
  }
  async execute(sql: string, params: readonly SqlValue[] = []): Promise<{ rowsAffected: number }> {
    return { rowsAffected: (await this.client.query(toPg(sql), bind(params))).rowCount ?? 0 };
  }
  async executeScript(sql: string): Promise<void> {
    await this.client.query(sql);
  }
}

/**
 * PostgreSQL through a `pg` pool, synchronous_commit on (a commit is durable on the server before it
 * returns). Several Crosswalk processes may share one database.
 */
export class PostgresStore implements Store {
  readonly capabilities = CAPABILITIES;
  readonly target: string;
  readonly rawCipher: RawCipher;
  private readonly pool: pg.Pool;

  constructor(url: string, options: PostgresOptions = {}) {
    this.target = options.display ?? 'postgres';
    this.rawCipher = options.rawCipher ?? RawCipher.fromFile(DEFAULT_RAW_KEY_RING_FILE);
    this.pool = new pg.Pool({
      connectionString: url,
      // Two at least: withMigrationLock holds one connection while the migration runs on another.
      max: Math.max(2, options.poolMax ?? 10),
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      options: '-c synchronous_commit=on -c timezone=UTC',
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
      throw this.wrap(e);
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
      throw this.wrap(e);
    }
  }

  async executeScript(sql: string): Promise<void> {
    try {
      await this.pool.query(sql);
    } catch (e) {
      throw this.wrap(e);
    }
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
      return await fn(new ClientExecutor(client, this.rawCipher));
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
      const result = await fn(new ClientExecutor(client, this.rawCipher));
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
