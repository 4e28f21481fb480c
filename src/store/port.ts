/**
 * The storage port. Domain repositories speak SQL through this small interface; the two adapters
 * (embedded SQLite, PostgreSQL) implement it. Branch on `capabilities`, never on a driver name spread
 * across the code.
 *
 * SQL is written once with `?` placeholders; the PostgreSQL adapter numbers them ($1, $2 …). Integer
 * columns may come back as number, bigint or string depending on engine and size, so repositories
 * normalise with `asBigInt` / `asNumber` from `values.ts`. Money columns are BIGINT minor units on both
 * engines and are always read with `asBigInt`.
 */

import type { ColumnType } from './pg-arrays.ts';
import type { RawCipher } from './raw-cipher.ts';

export type Dialect = 'sqlite' | 'postgres';

export interface Capabilities {
  readonly dialect: Dialect;
  /** INSERT … RETURNING is available (both engines we support have it; kept for future adapters). */
  readonly supportsReturning: boolean;
  /** Several processes may write at once (PostgreSQL), versus one writer at a time (SQLite). */
  readonly concurrentWriters: boolean;
  /** FOR UPDATE SKIP LOCKED for claiming work. */
  readonly supportsSkipLocked: boolean;
}

export type SqlScalar = string | number | bigint | boolean | null | Uint8Array | Date;
/** Arrays bind as PostgreSQL arrays (for set-based hot-path statements such as `unnest`); SQLite has none. */
export type SqlValue = SqlScalar | readonly (string | number | null | Uint8Array)[];
export type Row = Record<string, unknown>;

export interface SqlExecutor {
  readonly capabilities: Capabilities;
  /** Seals and opens the stored message bodies that carry patient data (see raw-cipher.ts). */
  readonly rawCipher: RawCipher;
  query<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /**
   * The rows as arrays of column values in select order, for reads of many rows where one object per
   * row (its keys, and on SQLite the named-column lookup) is a cost of its own. Values as `query` gives.
   */
  queryArrays(sql: string, params?: readonly SqlValue[]): Promise<unknown[][]>;
  execute(sql: string, params?: readonly SqlValue[]): Promise<{ rowsAffected: number }>;
  /** Runs statements separated by semicolons, with no parameters (DDL, migrations). */
  executeScript(sql: string): Promise<void>;
  /**
   * PostgreSQL only: each column of `table` with its SQL type (empty when there is no such table), read
   * from the catalog once per store, so bulk inserts can bind one typed array per column.
   */
  columnTypes?(table: string): Promise<ReadonlyMap<string, ColumnType>>;
}

export interface Store extends SqlExecutor, MigrationLockable {
  /** A human-readable target with no credentials, for logs and error messages. */
  readonly target: string;
  /**
   * Runs `fn` in one transaction; commits when it resolves, rolls back when it throws. On SQLite a
   * transaction takes the write lock at its start (BEGIN IMMEDIATE), so `fn` must not wait on I/O
   * outside the database. Nested calls join the outer transaction.
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Cheap liveness check for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface Migration {
  /** Numbered, forward-only; never renumber or edit one that has been released. */
  readonly id: number;
  readonly name: string;
  /** DDL for the dialect. Most of it is shared; `ddl.ts` holds the per-dialect type names. */
  readonly up: (dialect: Dialect) => string;
}

export interface MigrationLockable {
  /**
   * Runs `fn` while holding the database-wide migration lock, so several processes starting at once
   * apply each migration exactly once.
   */
  withMigrationLock<T>(fn: () => Promise<T>): Promise<T>;
}

/**
 * `flushed` (the default): a commit has reached the disk when it returns — what an ACK promises.
 * `deferred`: commits stay atomic and in order but reach the disk with the next flushed commit of any
 * connection (SQLite: synchronous=NORMAL in WAL mode; PostgreSQL: synchronous_commit=off), so a power
 * loss can drop the last moments of them whole. Only for a writer whose every effect can be derived
 * again from flushed input and that causes nothing outside the database itself: the apply stage (the
 * inbox holds the messages, the cursor rolls back with the effects, and the deliverer's own flushed
 * claim makes a document durable before anything leaves).
 */
export type CommitDurability = 'flushed' | 'deferred';

/**
 * Who copies an SQLite WAL back into the database file (see checkpointer.ts): the connection whose
 * commit takes it past SQLite's threshold (`inline`, SQLite's default: short-lived commands); a thread
 * this store starts (`background`: the serving process's main store); or that thread of another store of
 * this process (`elsewhere`: the apply stage's connection). PostgreSQL ignores it.
 */
export type WalCheckpoints = 'inline' | 'background' | 'elsewhere';
