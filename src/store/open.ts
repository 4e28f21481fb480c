import type { CommitDurability, Store, WalCheckpoints } from './port.ts';
import { PostgresStore } from './postgres.ts';
import { DEFAULT_RAW_KEY_RING_FILE, RawCipher } from './raw-cipher.ts';
import { SqliteStore } from './sqlite.ts';
import { type DatabaseTarget, parseDatabaseUrl } from './target.ts';

export interface OpenStoreOptions {
  readonly poolMax?: number;
  readonly commitDurability?: CommitDurability;
  /** SQLite: who checkpoints the WAL (see WalCheckpoints); default `inline`. */
  readonly walCheckpoints?: WalCheckpoints;
  /** The key ring that seals stored message bodies (CROSSWALK_RAW_KEY_RING_FILE); default: the embedded default's. */
  readonly rawKeyRingFile?: string;
}

/** Opens the store a database URL names and checks that it answers. */
export async function openStore(
  url: string | DatabaseTarget,
  options: OpenStoreOptions = {},
): Promise<Store> {
  const target = typeof url === 'string' ? parseDatabaseUrl(url) : url;
  const rawCipher = RawCipher.fromFile(options.rawKeyRingFile ?? DEFAULT_RAW_KEY_RING_FILE);
  const store: Store =
    target.engine === 'sqlite'
      ? new SqliteStore(target.path, {
          rawCipher,
          ...(options.commitDurability ? { commitDurability: options.commitDurability } : {}),
          ...(options.walCheckpoints ? { walCheckpoints: options.walCheckpoints } : {}),
        })
      : new PostgresStore(target.url, {
          display: target.display,
          poolMax: options.poolMax ?? 10,
          rawCipher,
          ...(options.commitDurability ? { commitDurability: options.commitDurability } : {}),
        });
  try {
    await store.ping();
  } catch (e) {
    await store.close().catch(() => undefined);
    throw e;
  }
  return store;
}
