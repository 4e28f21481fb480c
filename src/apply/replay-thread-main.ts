/**
 * A replay thread: its own connection and context; claims pages from the counter it shares with the
 * other replaying threads until none is left, sending each page's report (see replay-run.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { errorCodeOf } from '../errors/index.ts';
import { openStore } from '../store/index.ts';
import {
  type FromReplayThread,
  type ReplayThreadData,
  replayClaimedPages,
  replayContext,
} from './replay-run.ts';

const port = parentPort!;
const data = workerData as ReplayThreadData;
const send = (m: FromReplayThread) => port.postMessage(m);

try {
  const store = await openStore(data.databaseUrl, {
    poolMax: 2,
    ...(data.rawKeyRingFile ? { rawKeyRingFile: data.rawKeyRingFile } : {}),
  });
  try {
    const ctx = await replayContext(store, data.releaseId, data.tokenKey, data.at);
    send({ type: 'ready' });
    await replayClaimedPages(store, ctx, data.plan, data.next, data.keepEntries, (page, report) =>
      send({ type: 'report', page, report }),
    );
  } finally {
    await store.close();
  }
  send({ type: 'done' });
} catch (e) {
  send({ type: 'error', code: errorCodeOf(e), message: (e as Error).message ?? String(e) });
}
// The thread ends when nothing is left to run; its messages are delivered before its exit.
