/**
 * The planner thread's body (see planner-thread.ts): a read-only use of a store connection of its own
 * and an Applier that only prepares, through a SuccessivePlanner. Started through thread-entry.mjs, which registers the TypeScript loader.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { errorCodeOf } from '../errors/index.ts';
import { openStore, parseDatabaseUrl } from '../store/index.ts';
import { Applier } from './applier.ts';
import {
  type FromPlanner,
  type PlannerThreadData,
  SuccessivePlanner,
  type ToPlanner,
  toSent,
} from './planner-thread.ts';

const port = parentPort!;
const data = workerData as PlannerThreadData;
const send = (m: FromPlanner) => port.postMessage(m);

try {
  const store = await openStore(parseDatabaseUrl(data.databaseUrl), {
    poolMax: 1,
    // It writes nothing: the writing thread's store owns the WAL's checkpoints.
    walCheckpoints: 'elsewhere',
    ...(data.rawKeyRingFile ? { rawKeyRingFile: data.rawKeyRingFile } : {}),
  });
  const applier = new Applier({
    store,
    tokenKey: data.tokenKey,
    ...(data.earlierTokenKeys ? { earlierTokenKeys: data.earlierTokenKeys } : {}),
    batchSize: data.batchSize,
  });
  const planner = new SuccessivePlanner(applier);
  // One question at a time, in order: the writer asks for the next batch only after it has the one before.
  let queue = Promise.resolve();
  port.on('message', (m: ToPlanner) => {
    queue = queue.then(async () => {
      try {
        if (m.reload) applier.invalidate();
        const base = await applier.staticContext();
        const recorded = await planner.next(m.key, m.after, base, m.at);
        send({ type: 'planned', id: m.id, batch: recorded ? toSent(recorded) : null });
      } catch (e) {
        planner.forget();
        send({ type: 'error', id: m.id, code: errorCodeOf(e), message: (e as Error).message ?? String(e) });
      }
    });
  });
  send({ type: 'ready' });
} catch (e) {
  send({ type: 'failed-to-start', message: (e as Error).message ?? String(e) });
}
