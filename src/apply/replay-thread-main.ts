/** A replay thread: its own connection and context; replays the pages it is sent (see replay-run.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { isCrosswalkError } from '../errors/index.ts';
import { openStore } from '../store/index.ts';
import {
  type FromReplayThread,
  type ReplayThreadData,
  replayContext,
  replayPage,
  type ToReplayThread,
} from './replay-run.ts';

const port = parentPort!;
const data = workerData as ReplayThreadData;
const send = (m: FromReplayThread) => port.postMessage(m);
const codeOf = (e: unknown) => (isCrosswalkError(e) ? e.code : null);

try {
  const store = await openStore(data.databaseUrl, {
    poolMax: 2,
    ...(data.rawKeyRingFile ? { rawKeyRingFile: data.rawKeyRingFile } : {}),
  });
  const ctx = await replayContext(store, data.releaseId, data.tokenKey, data.at);
  port.on('message', (m: ToReplayThread) => {
    if (m.type === 'stop') {
      void store.close().finally(() => port.close());
      return;
    }
    replayPage(store, ctx, m.page, m.keepEntries).then(
      (report) => send({ type: 'report', id: m.id, report }),
      (e) => send({ type: 'error', id: m.id, code: codeOf(e), message: (e as Error).message ?? String(e) }),
    );
  });
  send({ type: 'ready' });
} catch (e) {
  send({ type: 'error', id: null, code: codeOf(e), message: (e as Error).message ?? String(e) });
}
