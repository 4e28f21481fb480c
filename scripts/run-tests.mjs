// Node 20's test runner does not discover .ts files, so this finds them and passes them explicitly.
// Usage: node scripts/run-tests.mjs [--unit|--int] [path-filter...]
import { spawn } from 'node:child_process';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { buildForTests } from './test-build.mjs';

const args = process.argv.slice(2);
const onlyUnit = args.includes('--unit');
const onlyInt = args.includes('--int');
const filters = args.filter((a) => !a.startsWith('--'));

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

let files = walk('src', []).sort();
if (onlyUnit) files = files.filter((f) => !f.endsWith('.int.test.ts'));
if (onlyInt) files = files.filter((f) => f.endsWith('.int.test.ts'));
if (filters.length > 0) files = files.filter((f) => filters.some((x) => f.includes(x)));
// Files start in this order, two at a time: the integration tests (up to minutes each) first, so that
// the many short unit files fill in at the end instead of one long file running on alone.
const isInt = (f) => f.endsWith('.int.test.ts');
files = [...files.filter(isInt), ...files.filter((f) => !isInt(f))];
if (files.length === 0) {
  console.error('run-tests: no test files matched');
  process.exit(1);
}

// Integration tests start crosswalk processes: from a JavaScript copy of src/ (scripts/test-build.mjs),
// named to them by CROSSWALK_TEST_BIN. One per run, so two runs in one checkout do not share it.
const env = { ...process.env };
let build;
if (files.some((f) => f.endsWith('.int.test.ts'))) {
  build = resolve('.tmp', `test-build-${process.pid}`);
  const started = performance.now();
  env.CROSSWALK_TEST_BIN = buildForTests(resolve('.'), build);
  console.log(`run-tests: built src/ for test processes in ${Math.round(performance.now() - started)} ms`);
}

// PostgreSQL databases the tests create are named after this run and dropped together when it ends
// (src/store/test-engines.ts says why), including those of a test process that died.
const TEST_POSTGRES_URL = env.CROSSWALK_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const prefix = `cw_test_r${process.pid}_${Math.random().toString(36).slice(2, 6)}`;
env.CROSSWALK_TEST_DATABASE_PREFIX = prefix;

// One migrated database per engine for the whole run, which the tests copy when they ask for a migrated
// database (`freshStore({ migrated: true })`, src/store/test-engines.ts), migrated here with the test
// build's own migrate.
async function migratedTemplates(build) {
  const load = (path) => import(pathToFileURL(join(build, 'src/store', path)).href);
  const [{ migrate }, { SqliteStore }, { PostgresStore }] = await Promise.all([
    load('migrate.js'),
    load('sqlite.js'),
    load('postgres.js'),
  ]);
  const migrated = async (store) => {
    try {
      await migrate(store);
    } finally {
      await store.close();
    }
  };
  const sqlite = join(build, 'migrated.sqlite');
  await migrated(new SqliteStore(sqlite, {}));
  env.CROSSWALK_TEST_TEMPLATE_SQLITE = sqlite;
  const name = `${prefix}_migrated`;
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
  } catch {
    return; // no server: its tests are skipped, or fail saying so
  } finally {
    await admin.end().catch(() => undefined);
  }
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  await migrated(new PostgresStore(url.toString(), { display: name, poolMax: 2 }));
  env.CROSSWALK_TEST_TEMPLATE_POSTGRES = name;
}
if (build) {
  const started = performance.now();
  await migratedTemplates(build);
  console.log(`run-tests: migrated template databases in ${Math.round(performance.now() - started)} ms`);
}

async function dropRunDatabases() {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 2000 });
  let names;
  try {
    await client.connect();
    const r = await client.query('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [
      `${prefix}_`,
    ]);
    names = r.rows.map((row) => row.datname);
  } catch {
    return; // no server: no databases either
  } finally {
    await client.end().catch(() => undefined);
  }
  const started = performance.now();
  // Many at once (the server allows 100 connections): a checkpoint requested while one is running is
  // served by the next, so concurrent drops share checkpoints; 24 drops took 14 s four at a time and
  // 6 s sixteen at a time.
  const next = async () => {
    for (let name = names.pop(); name !== undefined; name = names.pop()) {
      const c = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      try {
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } catch (e) {
        console.error(`run-tests: could not drop ${name}: ${e.message}`);
      } finally {
        await c.end().catch(() => undefined);
      }
    }
  };
  const count = names.length;
  await Promise.all(Array.from({ length: 20 }, next));
  if (count > 0)
    console.log(
      `run-tests: dropped ${count} test databases in ${Math.round(performance.now() - started)} ms`,
    );
}

const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', ...files],
  { stdio: 'inherit', env },
);
// Ctrl-C reaches the test runner too; a signal sent to this process alone is passed on. Either way the
// cleanup below runs once the runner has exited.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', async (code, signal) => {
  if (build) rmSync(build, { recursive: true, force: true });
  await dropRunDatabases();
  process.exit(signal ? 1 : (code ?? 1));
});
