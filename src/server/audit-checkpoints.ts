import { loadTokenKey } from '../apply/index.ts';
import type { Config } from '../config/settings.ts';
import type { Logger } from '../observe/index.ts';
import { writeAuditCheckpoint } from '../store/audit-repository.ts';
import type { Store } from '../store/index.ts';

/**
 * Periodic signed audit checkpoints for `serve`: every CROSSWALK_AUDIT_CHECKPOINT_INTERVAL_MS the chain
 * head is signed into the checkpoint folder, skipped when the head has not moved since the last one.
 * The next run is scheduled after the previous one ends, so a slow database never stacks them. A
 * failure is logged and retried at the next interval: a missed checkpoint weakens detection of a cut,
 * it does not stop the flow.
 */
export function startAuditCheckpoints(options: {
  store: Store;
  config: Pick<Config, 'auditCheckpointIntervalMs' | 'auditKeyFile' | 'auditCheckpointDir'>;
  logger: Logger;
}): { stop(): Promise<void> } {
  const { store, config, logger } = options;
  const interval = config.auditCheckpointIntervalMs;
  if (interval <= 0) return { stop: async () => undefined };
  const key = loadTokenKey(config.auditKeyFile);
  let lastSeq = -1;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  const tick = async () => {
    try {
      const [head] = await store.query('SELECT MAX(seq) AS seq FROM audit_log');
      const seq = head?.['seq'] === null || head?.['seq'] === undefined ? -1 : Number(head['seq']);
      if (seq >= 0 && seq !== lastSeq) {
        const written = await writeAuditCheckpoint(store, key, config.auditCheckpointDir);
        if (written) {
          lastSeq = written.checkpoint.seq;
          logger.info({ seq: written.checkpoint.seq, path: written.path }, 'audit checkpoint written');
        }
      }
    } catch (e) {
      logger.error(
        { err: { type: (e as Error).name, message: (e as Error).message } },
        'audit checkpoint failed',
      );
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = tick().finally(schedule);
    }, interval);
    timer.unref();
  };
  schedule();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
