import { CrosswalkError } from '../errors/index.ts';
import { MIGRATIONS } from './migrations/index.ts';
import type { Migration, SqlExecutor, Store } from './port.ts';
import { asNumber } from './values.ts';

const LEDGER_DDL = `CREATE TABLE IF NOT EXISTS schema_migrations (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at TEXT NOT NULL
)`;

export interface SchemaStatus {
  readonly current: number;
  readonly expected: number;
  readonly pending: readonly { id: number; name: string }[];
}

async function appliedIds(db: SqlExecutor): Promise<Set<number>> {
  const rows = await db.query<{ id: unknown }>('SELECT id FROM schema_migrations');
  return new Set(rows.map((r) => asNumber(r.id)));
}

async function hasLedger(store: Store): Promise<boolean> {
  const sql =
    store.capabilities.dialect === 'sqlite'
      ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
      : "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'schema_migrations'";
  return (await store.query(sql)).length > 0;
}

export async function schemaStatus(
  store: Store,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<SchemaStatus> {
  const applied = (await hasLedger(store)) ? await appliedIds(store) : new Set<number>();
  const expected = migrations.at(-1)?.id ?? 0;
  const current = applied.size === 0 ? 0 : Math.max(...applied);
  return {
    current,
    expected,
    pending: migrations.filter((m) => !applied.has(m.id)).map(({ id, name }) => ({ id, name })),
  };
}

/** Throws unless the schema is exactly at this build's version: used by `serve` and /readyz. */
export async function assertMigrated(
  store: Store,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<void> {
  const s = await schemaStatus(store, migrations);
  if (s.current > s.expected)
    throw new CrosswalkError('CW_ERR_STORE_AHEAD', { found: s.current, expected: s.expected });
  if (s.pending.length > 0)
    throw new CrosswalkError('CW_ERR_STORE_NOT_MIGRATED', { found: s.current, expected: s.expected });
}

/**
 * Applies pending migrations in order, each in its own transaction together with its ledger row, under
 * the store's migration lock; the applied set is re-read inside each transaction so a process that lost
 * the race skips what another already did. Returns the migrations this call applied.
 */
export async function migrate(
  store: Store,
  options: { migrations?: readonly Migration[]; now?: () => Date } = {},
): Promise<{ id: number; name: string }[]> {
  const migrations = options.migrations ?? MIGRATIONS;
  const now = options.now ?? (() => new Date());
  const done: { id: number; name: string }[] = [];
  await store.withMigrationLock(async () => {
    await store.executeScript(LEDGER_DDL);
    const status = await schemaStatus(store, migrations);
    if (status.current > status.expected) {
      throw new CrosswalkError('CW_ERR_STORE_AHEAD', { found: status.current, expected: status.expected });
    }
    for (const m of migrations) {
      await store.transaction(async (tx) => {
        if ((await appliedIds(tx)).has(m.id)) return;
        try {
          await tx.executeScript(m.up(store.capabilities.dialect));
        } catch (e) {
          throw new CrosswalkError(
            'CW_ERR_STORE_MIGRATION',
            { id: `${m.id} (${m.name})`, reason: (e as Error).message },
            { cause: e },
          );
        }
        await tx.execute('INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)', [
          m.id,
          m.name,
          now().toISOString(),
        ]);
        done.push({ id: m.id, name: m.name });
      });
    }
  });
  return done;
}
