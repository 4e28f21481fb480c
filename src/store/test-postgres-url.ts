/**
 * The PostgreSQL server tests and benchmarks use. Its own module, free of node:test, so that a benchmark
 * can import it without starting a test run (test-engines.ts registers hooks when it is loaded).
 */
export const TEST_POSTGRES_URL =
  process.env['CROSSWALK_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
