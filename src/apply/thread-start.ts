import { Worker } from 'node:worker_threads';
import { CrosswalkError } from '../errors/index.ts';

/** What every Crosswalk thread says first: ready, or why it could not start. */
type StartMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'failed-to-start'; readonly message: string };

/**
 * Starts a thread of the apply stage (`entry`, relative to this folder) through thread-entry.mjs, which
 * registers the TypeScript loader first, and resolves once it says 'ready'. It rejects with
 * CW_ERR_APPLY_INTERNAL, naming the thread, when the thread says it failed to start or exits first.
 * After 'ready', its other messages go to `onMessage` and its exit to `onExit`.
 */
export function startThread<M extends { readonly type: string }>(options: {
  readonly name: string;
  readonly entry: string;
  readonly workerData: object;
  readonly youngGenerationMb: number;
  readonly onMessage: (m: M) => void;
  readonly onExit: (code: number) => void;
  readonly onError: (e: Error) => void;
}): Promise<Worker> {
  const worker = new Worker(new URL('./thread-entry.mjs', import.meta.url), {
    workerData: { ...options.workerData, entry: options.entry },
    resourceLimits: { maxYoungGenerationSizeMb: options.youngGenerationMb },
  });
  return new Promise((resolve, reject) => {
    const early = (code: number) =>
      reject(
        new CrosswalkError('CW_ERR_APPLY_INTERNAL', {
          reason: `${options.name} exited with ${code} at start`,
        }),
      );
    worker.once('exit', early);
    worker.on('message', (m: M | StartMessage) => {
      if (m.type === 'ready') {
        worker.off('exit', early);
        worker.on('exit', options.onExit);
        resolve(worker);
      } else if (m.type === 'failed-to-start') {
        worker.off('exit', early);
        void worker.terminate();
        reject(
          new CrosswalkError('CW_ERR_APPLY_INTERNAL', {
            reason: `${options.name}: ${(m as { message: string }).message}`,
          }),
        );
      } else options.onMessage(m as M);
    });
    worker.on('error', options.onError);
  });
}
