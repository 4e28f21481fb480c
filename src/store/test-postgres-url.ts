/**
 * The PostgreSQL server tests and benchmarks use, and the two things both do with it. Its own module,
 * free of node:test, so that a benchmark can import it without starting a test run (test-engines.ts
 * registers hooks when it is loaded).
 */
import pg from 'pg';

export const TEST_POSTGRES_URL =
  process.env['CROSSWALK_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Runs one statement on the test server's own database (CREATE / DROP DATABASE). */
export async function testServerAdmin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** The URL of another database on the test server. */
export function testDatabaseUrl(database: string): string {
  const u = new URL(TEST_POSTGRES_URL);
  u.pathname = `/${database}`;
  return u.toString();
}
