/**
 * Runs a storage test suite on both engines (imported by tests only). SQLite gets a fresh file in a
 * temp folder; PostgreSQL gets a fresh database per store, so runs never see each other's rows. Without
 * a PostgreSQL server the PostgreSQL half is skipped with a visible reason, unless CI=true, where it is
 * mandatory and fails instead.
 *
 * Dropping the databases: DROP DATABASE makes the server take an immediate checkpoint and waits for it
 * (dbcommands.c), flushing every dirty buffer of every database on the shared server, which took 1-4 s
 * per drop while other tests were writing, and slowed their writes too. Under scripts/run-tests.mjs
 * (which sets CROSSWALK_TEST_DATABASE_PREFIX) the databases are named after the run and the runner
 * drops them all together when the run ends, where their checkpoints coincide and find little to
 * flush; a test file run on its own drops its databases when each suite ends, as before.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe } from 'node:test';
import pg from 'pg';
import type { CommitDurability, Dialect, Store } from './port.ts';
import { PostgresStore } from './postgres.ts';
import type { RawCipher } from './raw-cipher.ts';
import { SqliteStore } from './sqlite.ts';

export const TEST_POSTGRES_URL =
  process.env['CROSSWALK_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const mandatory = process.env['CI'] === 'true';

async function probe(): Promise<string | null> {
  const c = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return null;
  } catch (e) {
    return (e as Error).message || (e as { code?: string }).code || 'unreachable';
  } finally {
    await c.end().catch(() => undefined);
  }
}

const postgresProblem = await probe();
if (postgresProblem && !mandatory) {
  console.warn(
    `# PostgreSQL tests SKIPPED: ${TEST_POSTGRES_URL} is not reachable (${postgresProblem}); CI=true makes them mandatory`,
  );
}

type StoreOptions = { rawCipher?: RawCipher; commitDurability?: CommitDurability };

export interface EngineUnderTest {
  readonly dialect: Dialect;
  /** A new, empty, isolated store and the CROSSWALK_DATABASE_URL that reaches it (for child processes). */
  freshStore(options?: StoreOptions): Promise<{ store: Store; url: string }>;
  /** Another store on an existing database (e.g. with another key ring), closed with the suite. */
  reopen(url: string, options?: StoreOptions): Store;
  /** Only the URL of a new, empty database (the caller opens it, e.g. in a child process). */
  freshUrl(): Promise<string>;
}

function sqliteEngine(): EngineUnderTest & { cleanup(): Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'cw-sqlite-'));
  const opened: Store[] = [];
  let n = 0;
  return {
    dialect: 'sqlite',
    async freshUrl() {
      return join(dir, `db-${++n}.sqlite`);
    },
    async freshStore(options = {}) {
      const url = await this.freshUrl();
      return { store: this.reopen(url, options), url };
    },
    reopen(url, options = {}) {
      const store = new SqliteStore(url, options);
      opened.push(store);
      return store;
    },
    async cleanup() {
      await Promise.all(opened.map((s) => s.close().catch(() => undefined)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const RUN_PREFIX = process.env['CROSSWALK_TEST_DATABASE_PREFIX'];

function postgresEngine(): EngineUnderTest & { cleanup(): Promise<void> } {
  const prefix = `${RUN_PREFIX ?? 'cw_test'}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const databases: string[] = [];
  const opened: Store[] = [];
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  return {
    dialect: 'postgres',
    async freshUrl() {
      const name = `${prefix}_${databases.length + 1}`;
      await admin(`CREATE DATABASE ${name}`);
      databases.push(name);
      const u = new URL(TEST_POSTGRES_URL);
      u.pathname = `/${name}`;
      return u.toString();
    },
    async freshStore(options = {}) {
      const url = await this.freshUrl();
      return { store: this.reopen(url, options), url };
    },
    reopen(url, options = {}) {
      const store = new PostgresStore(url, { display: url, poolMax: 5, ...options });
      opened.push(store);
      return store;
    },
    async cleanup() {
      await Promise.all(opened.map((s) => s.close().catch(() => undefined)));
      if (RUN_PREFIX !== undefined) return; // the runner drops them (see above)
      for (const name of databases)
        await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    },
  };
}

/** Declares `body` as a suite once per engine: "<title> [sqlite]" and "<title> [postgres]". */
export function eachEngine(title: string, body: (engine: EngineUnderTest) => void): void {
  describe(`${title} [sqlite]`, () => {
    const engine = sqliteEngine();
    after(() => engine.cleanup());
    body(engine);
  });
  const skip = postgresProblem && !mandatory ? `PostgreSQL not reachable (${postgresProblem})` : false;
  describe(`${title} [postgres]`, { skip }, () => {
    const engine = postgresEngine();
    after(() => engine.cleanup());
    body(engine);
  });
}
