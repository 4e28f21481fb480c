import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { CrosswalkError } from '../errors/index.ts';
import { type Checkpointer, startCheckpointer, WAL_SAFETY_NET_PAGES } from './checkpointer.ts';
import type {
  Capabilities,
  CommitDurability,
  Row,
  SqlExecutor,
  SqlValue,
  Store,
  WalCheckpoints,
} from './port.ts';
import { DEFAULT_RAW_KEY_RING_FILE, RawCipher } from './raw-cipher.ts';
import { type WriterLock, writerLockFor } from './writer-lock.ts';

type Statement = Database.Statement<unknown[], unknown>;

const CAPABILITIES: Capabilities = Object.freeze({
  dialect: 'sqlite',
  supportsReturning: true,
  concurrentWriters: false,
  supportsSkipLocked: false,
});

/**
 * Parameters as better-sqlite3 binds them; the same array when none needs converting (a multi-row insert
 * has thousands). Spread into the call: the driver binds that faster than one array argument.
 */
function bind(params: readonly SqlValue[]): readonly unknown[] {
  for (const p of params)
    if (typeof p === 'boolean' || (typeof p === 'object' && p !== null && !Buffer.isBuffer(p)))
      return params.map(bindOne);
  return params;
}

function bindOne(p: SqlValue): unknown {
  if (typeof p === 'boolean') return p ? 1 : 0;
  if (p instanceof Date) return p.toISOString();
  if (p instanceof Uint8Array && !Buffer.isBuffer(p))
    return Buffer.from(p.buffer, p.byteOffset, p.byteLength);
  return p;
}

const STATEMENT_CACHE_MAX = 256;

export interface SqliteOptions {
  /** Milliseconds a writer waits for another process's write lock before failing. */
  readonly busyTimeoutMs?: number;
  /** Seals stored message bodies; default: the key ring file of the embedded default, read on first use. */
  readonly rawCipher?: RawCipher;
  /** See open.ts; default `flushed` (synchronous=FULL). */
  readonly commitDurability?: CommitDurability;
  /** See WalCheckpoints; default `inline`. */
  readonly walCheckpoints?: WalCheckpoints;
}

/**
 * Embedded SQLite through better-sqlite3. The driver is synchronous, so one connection serves the
 * process and an async mutex keeps statements of concurrent callers out of an open transaction.
 * WAL with synchronous=FULL: a commit has reached the disk when it returns, which is what an ACK
 * promises (synchronous=NORMAL for a `deferred` store, the apply stage's; see CommitDurability). Integers are read as bigint (safeIntegers) so money is exact beyond 2^53.
 */
export class SqliteStore implements Store {
  readonly capabilities = CAPABILITIES;
  readonly target: string;
  readonly rawCipher: RawCipher;
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Statement>();
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly writer: WriterLock | null;
  private readonly checkpointer: Checkpointer | null = null;

  constructor(path: string, options: SqliteOptions = {}) {
    this.target = `sqlite:${path}`;
    this.rawCipher = options.rawCipher ?? RawCipher.fromFile(DEFAULT_RAW_KEY_RING_FILE);
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      this.db = new Database(path);
      this.writer = path === ':memory:' ? null : writerLockFor(path);
      this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 10000}`);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(options.commitDurability === 'deferred' ? 'synchronous = NORMAL' : 'synchronous = FULL');
      this.db.pragma('foreign_keys = ON');
      const checkpoints = path === ':memory:' ? 'inline' : (options.walCheckpoints ?? 'inline');
      if (checkpoints !== 'inline') this.db.pragma(`wal_autocheckpoint = ${WAL_SAFETY_NET_PAGES}`);
      if (checkpoints === 'background') this.checkpointer = startCheckpointer(path);
    } catch (e) {
      throw new CrosswalkError(
        'CW_ERR_STORE_UNREACHABLE',
        { target: this.target, reason: (e as Error).message },
        { cause: e },
      );
    }
  }

  /**
   * Prepared statements by text, least recently used first out: hot statements stay prepared, and SQL
   * built per call (IN lists of varying length) cannot grow the cache without bound.
   */
  private prepare(sql: string): Statement {
    let s = this.statements.get(sql);
    if (s) {
      this.statements.delete(sql);
    } else {
      s = this.db.prepare(sql);
      if (s.reader) s.safeIntegers(true);
      if (this.statements.size >= STATEMENT_CACHE_MAX) {
        this.statements.delete(this.statements.keys().next().value!);
      }
    }
    this.statements.set(sql, s);
    return s;
  }

  private runQuery<T extends Row>(sql: string, params: readonly SqlValue[]): T[] {
    const s = this.prepare(sql);
    if (s.reader) return s.all(...bind(params)) as T[];
    s.run(...bind(params));
    return [];
  }

  private runQueryArrays(sql: string, params: readonly SqlValue[]): unknown[][] {
    const s = this.prepare(sql);
    if (!s.reader) {
      s.run(...bind(params));
      return [];
    }
    // The statement is shared through the cache: raw mode is set for this call only.
    s.raw(true);
    try {
      return s.all(...bind(params)) as unknown[][];
    } finally {
      s.raw(false);
    }
  }

  private runExecute(sql: string, params: readonly SqlValue[]): { rowsAffected: number } {
    const s = this.prepare(sql);
    if (s.reader) {
      s.all(...bind(params));
      return { rowsAffected: 0 };
    }
    return { rowsAffected: s.run(...bind(params)).changes };
  }

  /** Serialises work on the single connection; a transaction holds the lock until it ends. */
  private exclusive<T>(fn: () => Promise<T> | T): Promise<T> {
    if (this.closed)
      return Promise.reject(
        new CrosswalkError('CW_ERR_STORE_UNREACHABLE', { target: this.target, reason: 'store is closed' }),
      );
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private executor(): SqlExecutor {
    return {
      capabilities: this.capabilities,
      rawCipher: this.rawCipher,
      query: async <T extends Row>(sql: string, params: readonly SqlValue[] = []) =>
        this.runQuery<T>(sql, params),
      queryArrays: async (sql: string, params: readonly SqlValue[] = []) => this.runQueryArrays(sql, params),
      execute: async (sql: string, params: readonly SqlValue[] = []) => this.runExecute(sql, params),
      executeScript: async (sql: string) => {
        this.db.exec(sql);
      },
    };
  }

  query<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.exclusive(() => this.runQuery<T>(sql, params));
  }

  queryArrays(sql: string, params: readonly SqlValue[] = []): Promise<unknown[][]> {
    return this.exclusive(() => this.runQueryArrays(sql, params));
  }

  execute(sql: string, params: readonly SqlValue[] = []): Promise<{ rowsAffected: number }> {
    return this.exclusive(() => this.writing(() => this.runExecute(sql, params)));
  }

  executeScript(sql: string): Promise<void> {
    return this.exclusive(() =>
      this.writing(() => {
        this.db.exec(sql);
      }),
    );
  }

  /** Runs `fn` holding the process's writer lock for this file (see writer-lock.ts). */
  private async writing<T>(fn: () => Promise<T> | T): Promise<T> {
    if (this.writer === null) return fn();
    await this.writer.acquire();
    try {
      return await fn();
    } finally {
      this.writer.release();
    }
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.exclusive(() => this.writing(() => this.inTransaction(fn)));
  }

  private inTransaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return (async () => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(this.executor());
        this.db.exec('COMMIT');
        return result;
      } catch (e) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw e;
      }
    })();
  }

  /**
   * SQLite has one writer at a time: each migration runs in its own BEGIN IMMEDIATE transaction and
   * re-reads the applied set inside it, which serialises concurrent starters without a separate lock.
   */
  withMigrationLock<T>(fn: () => Promise<T>): Promise<T> {
    return fn();
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1 AS ok');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.tail;
    this.closed = true;
    await this.checkpointer?.stop();
    this.db.close();
  }
}
