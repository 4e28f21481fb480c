import type { Store } from './port.ts';
import { PostgresStore } from './postgres.ts';
import { SqliteStore } from './sqlite.ts';
import { type DatabaseTarget, parseDatabaseUrl } from './target.ts';

export interface OpenStoreOptions {
  readonly poolMax?: number;
}

/** Opens the store a database URL names and checks that it answers. */
export async function openStore(
  url: string | DatabaseTarget,
  options: OpenStoreOptions = {},
): Promise<Store> {
  const target = typeof url === 'string' ? parseDatabaseUrl(url) : url;
  const store: Store =
    target.engine === 'sqlite'
      ? new SqliteStore(target.path)
      : new PostgresStore(target.url, { display: target.display, poolMax: options.poolMax ?? 10 });
  try {
    await store.ping();
  } catch (e) {
    await store.close().catch(() => undefined);
    throw e;
  }
  return store;
}
