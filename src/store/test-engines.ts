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
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe } from 'node:test';
import pg from 'pg';
import { migrate } from './migrate.ts';
import type { CommitDurability, Dialect, Store } from './port.ts';
import { PostgresStore } from './postgres.ts';
import type { RawCipher } from './raw-cipher.ts';
import { SqliteStore } from './sqlite.ts';

import {
  testServerAdmin as admin,
  testDatabaseUrl as postgresUrl,
  TEST_POSTGRES_URL,
} from './test-postgres-url.ts';

export { TEST_POSTGRES_URL };

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

/**
 * `migrated`: the database already holds the current schema, as `migrate` leaves it, copied from a
 * database migrated once for the run or the process (a file copy on SQLite, CREATE DATABASE … TEMPLATE
 * on PostgreSQL), instead of migrating each new database: on PostgreSQL that took 0.6-1.5 s per
 * database on the shared CI machine, and most tests begin by migrating. Tests of migrating itself, or
 * of what an unmigrated database does, ask for an empty one (the default).
 */
export interface FreshOptions {
  readonly migrated?: boolean;
}

type StoreOptions = { rawCipher?: RawCipher; commitDurability?: CommitDurability };

export interface EngineUnderTest {
  readonly dialect: Dialect;
  /** A new, isolated store and the CROSSWALK_DATABASE_URL that reaches it (for child processes). */
  freshStore(options?: StoreOptions & FreshOptions): Promise<{ store: Store; url: string }>;
  /** Another store on an existing database (e.g. with another key ring), closed with the suite. */
  reopen(url: string, options?: StoreOptions): Store;
  /** Only the URL of a new database (the caller opens it, e.g. in a child process). */
  freshUrl(options?: FreshOptions): Promise<string>;
}

const processTag = `${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
const RUN_PREFIX = process.env['CROSSWALK_TEST_DATABASE_PREFIX'];
const tempDirs: string[] = [];
const templates: { sqlite?: Promise<string>; postgres?: Promise<string> } = {};

/**
 * The migrated SQLite file: the run's (scripts/run-tests.mjs makes one per engine before the tests
 * start), or this process's, made on first use.
 */
function sqliteTemplate(): Promise<string> {
  const run = process.env['CROSSWALK_TEST_TEMPLATE_SQLITE'];
  if (run) return Promise.resolve(run);
  templates.sqlite ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-sqlite-template-'));
    tempDirs.push(dir);
    const path = join(dir, 'migrated.sqlite');
    const store = new SqliteStore(path, {});
    try {
      await migrate(store);
    } finally {
      await store.close();
    }
    return path;
  })();
  return templates.sqlite;
}

/** The migrated PostgreSQL database, the run's or this process's; nothing stays connected to it. */
function postgresTemplate(): Promise<string> {
  const run = process.env['CROSSWALK_TEST_TEMPLATE_POSTGRES'];
  if (run) return Promise.resolve(run);
  templates.postgres ??= (async () => {
    const name = `${RUN_PREFIX ?? 'cw_test'}_${processTag}_migrated`;
    await admin(`CREATE DATABASE ${name}`);
    const store = new PostgresStore(postgresUrl(name), { display: name, poolMax: 2 });
    try {
      await migrate(store);
    } finally {
      await store.close();
    }
    return name;
  })();
  return templates.postgres;
}

// The templates go when the test file ends (under the runner, with the run's other databases).
after(async () => {
  if (templates.postgres && RUN_PREFIX === undefined) {
    const name = await templates.postgres.catch(() => null);
    if (name) await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
  }
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

function sqliteEngine(): EngineUnderTest & { cleanup(): Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'cw-sqlite-'));
  const opened: Store[] = [];
  let n = 0;
  return {
    dialect: 'sqlite',
    async freshUrl(options = {}) {
      const path = join(dir, `db-${++n}.sqlite`);
      if (options.migrated) {
        const template = await sqliteTemplate();
        copyFileSync(template, path);
        // Closing the template's last connection checkpointed its WAL into the file; if one is left, it
        // belongs with it.
        if (existsSync(`${template}-wal`)) copyFileSync(`${template}-wal`, `${path}-wal`);
      }
      return path;
    },
    async freshStore({ migrated, ...options } = {}) {
      const url = await this.freshUrl({ migrated: migrated === true });
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

function postgresEngine(): EngineUnderTest & { cleanup(): Promise<void> } {
  const prefix = `${RUN_PREFIX ?? 'cw_test'}_${processTag}_${Math.random().toString(36).slice(2, 6)}`;
  const databases: string[] = [];
  const opened: Store[] = [];
  return {
    dialect: 'postgres',
    async freshUrl(options = {}) {
      const name = `${prefix}_${databases.length + 1}`;
      await admin(
        options.migrated
          ? `CREATE DATABASE ${name} TEMPLATE ${await postgresTemplate()}`
          : `CREATE DATABASE ${name}`,
      );
      databases.push(name);
      return postgresUrl(name);
    },
    async freshStore({ migrated, ...options } = {}) {
      const url = await this.freshUrl({ migrated: migrated === true });
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
