export { type DdlTypes, ddlTypes } from './ddl.ts';
export { assertMigrated, migrate, type SchemaStatus, schemaStatus } from './migrate.ts';
export { MIGRATIONS } from './migrations/index.ts';
export { type OpenStoreOptions, openStore } from './open.ts';
export type { Capabilities, Dialect, Migration, Row, SqlExecutor, SqlValue, Store } from './port.ts';
export { PostgresStore } from './postgres.ts';
export { SqliteStore } from './sqlite.ts';
export { type DatabaseTarget, parseDatabaseUrl } from './target.ts';
export { asBigInt, asBool, asBytes, asNumber, asOptionalString } from './values.ts';
