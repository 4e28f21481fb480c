import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Copies an SQLite file's write-ahead log back into the database from a thread of its own.
 *
 * SQLite's default has the connection whose commit takes the WAL past 1,000 pages copy it back and
 * sync the database file, inside that commit: with the inbox and the apply stage sharing one file, the
 * apply stage's commits (megabytes each) paid for a checkpoint nearly every time, while holding the
 * writer lock the inbox's ACKs wait on. A PASSIVE checkpoint needs no writer lock, so this thread does
 * the copying and syncing beside the writers instead. The writers keep a high automatic threshold
 * (`WAL_SAFETY_NET_PAGES`) as a safety net: should this thread stop, the WAL is still bounded.
 *
 * The thread is plain JavaScript (no TypeScript loader), so it starts the same from `src/` and from a
 * build.
 */
export const WAL_SAFETY_NET_PAGES = 16_384;

const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
let timer;
const tick = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (e) {
    parentPort.postMessage({ error: String(e && e.message) });
  }
  timer = setTimeout(tick, workerData.intervalMs);
};
timer = setTimeout(tick, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearTimeout(timer);
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } finally {
    db.close();
    parentPort.postMessage({ stopped: true });
  }
});
`;

export interface Checkpointer {
  /** Last checkpoint error, if the thread reported one (the file stays consistent either way). */
  readonly lastError: () => string | null;
  /** One last checkpoint, then the thread's connection closes. */
  stop(): Promise<void>;
}

export function startCheckpointer(path: string, intervalMs = 100): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(THREAD_SOURCE, {
    eval: true,
    workerData: { path, driver, intervalMs },
    resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
  });
  // The thread must never keep a finished process alive.
  worker.unref();
  let error: string | null = null;
  let stopping: Promise<void> | undefined;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.on('message', (m: { error?: string }) => {
    if (m.error) error = m.error;
  });
  worker.on('error', (e) => {
    error = e.message;
  });
  return {
    lastError: () => error,
    stop() {
      stopping ??= (async () => {
        const stopped = new Promise<void>((resolve) =>
          worker.on('message', (m: { stopped?: boolean }) => m.stopped && resolve()),
        );
        worker.postMessage('stop');
        await Promise.race([stopped, exited]);
        await worker.terminate();
      })();
      return stopping;
    },
  };
}
