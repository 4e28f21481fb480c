/**
 * The apply stage's own thread: a store connection of its own and an Applier, driven by messages from
 * the process's main thread (which keeps the sockets: MLLP ingest, HTTP). Started through
 * thread-entry.mjs, which registers the TypeScript loader first.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { errorCodeOf } from '../errors/index.ts';
import { openStore, parseDatabaseUrl } from '../store/index.ts';
import { adoptWriterLock } from '../store/writer-lock.ts';
import { Applier } from './applier.ts';
import { PlannerThread } from './planner-thread.ts';
import type { ApplyThreadData, FromApplyThread, ToApplyThread } from './thread-protocol.ts';

const port = parentPort!;
const data = workerData as ApplyThreadData;
const send = (m: FromApplyThread) => port.postMessage(m);

try {
  const target = parseDatabaseUrl(data.databaseUrl);
  if (target.engine === 'sqlite' && data.sqliteWriterLock)
    adoptWriterLock(target.path, data.sqliteWriterLock);
  // The apply stage's commits need not wait for the disk: what it writes is derived from the flushed inbox
  // and is written again if a power loss drops it (see CommitDurability). Waiting had been about a
  // seventh of this thread's time.
  const store = await openStore(target, {
    poolMax: data.poolMax,
    commitDurability: 'deferred',
    // The main thread's store checkpoints the WAL from a thread of its own (see checkpointer.ts).
    walCheckpoints: 'elsewhere',
    ...(data.rawKeyRingFile ? { rawKeyRingFile: data.rawKeyRingFile } : {}),
  });
  // Batches are planned on a thread of their own while this one writes (planner-thread.ts), on both
  // engines. SQLite's driver holds this thread for the whole transaction; PostgreSQL's does not, and
  // there this thread could plan ahead itself (drainAhead), but building a batch's statements still ran
  // here between the server's statements: with the planner thread, 1,985 and 1,997 msg/s end to end
  // against 1,654 and 1,824 (alternating, same machine), for 5–11% more of the receiver's CPU.
  // A planner that cannot start is reported and done without: this thread then plans its own batches.
  const planner = await PlannerThread.start({
    databaseUrl: data.databaseUrl,
    ...(data.rawKeyRingFile ? { rawKeyRingFile: data.rawKeyRingFile } : {}),
    tokenKey: data.tokenKey,
    ...(data.earlierTokenKeys ? { earlierTokenKeys: data.earlierTokenKeys } : {}),
    batchSize: data.batchSize,
  }).catch((e: unknown) => {
    send({ type: 'error', code: errorCodeOf(e), message: (e as Error).message ?? String(e) });
    return null;
  });
  const applier = new Applier({
    store,
    ...(planner ? { planner } : {}),
    tokenKey: data.tokenKey,
    ...(data.earlierTokenKeys ? { earlierTokenKeys: data.earlierTokenKeys } : {}),
    batchSize: data.batchSize,
    ...(data.pollMs !== undefined ? { pollMs: data.pollMs } : {}),
    ...(data.gatherMs !== undefined ? { gatherMs: data.gatherMs } : {}),
    onBatch: (stats) => send({ type: 'batch', stats }),
    onError: (e) => send({ type: 'error', code: errorCodeOf(e), message: (e as Error).message ?? String(e) }),
  });
  port.on('message', (m: ToApplyThread) => {
    switch (m.type) {
      case 'notify':
        applier.notify();
        break;
      case 'invalidate':
        applier.invalidate();
        break;
      case 'idle':
        void applier.idle().then(() => send({ type: 'done', id: m.id }));
        break;
      case 'stop':
        void applier
          .stop()
          .then(() => planner?.stop())
          .then(() => store.close())
          .finally(() => {
            send({ type: 'done', id: m.id });
            port.close();
          });
        break;
    }
  });
  applier.start();
  send({ type: 'ready' });
} catch (e) {
  send({ type: 'failed-to-start', code: errorCodeOf(e), message: (e as Error).message ?? String(e) });
}
