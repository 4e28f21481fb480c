import type { Command } from 'commander';
import { rotateKeyRing } from '../../config/key-ring.ts';
import { reencryptRawBodies } from '../../store/reencrypt.ts';
import { emit } from '../output.ts';
import { configFrom, withSettings } from '../settings-flags.ts';
import { withMigratedStore } from './release.ts';

/**
 * `crosswalk keys rotate | reencrypt`: the key ring that seals stored message bodies at rest
 * (CROSSWALK_RAW_KEY_RING_FILE). Rotation only touches the key file; the rows follow when reencrypt runs.
 */
export function keysCommand(program: Command): void {
  const keys = program
    .command('keys')
    .description(
      'the key ring that seals stored message bodies at rest: rotate it, move old rows to the new key',
    );

  withSettings(
    keys
      .command('rotate')
      .description('add a new current key to the raw key ring; new writes use it, older rows stay readable')
      .option('--json', 'print JSON'),
  ).action(async (opts: Record<string, unknown>) => {
    const config = configFrom(opts);
    const id = rotateKeyRing(config.rawKeyRingFile, 'CROSSWALK_RAW_KEY_RING_FILE');
    emit(
      Boolean(opts['json']),
      { ring: config.rawKeyRingFile, current: id },
      () =>
        `key ${id} is now current in ${config.rawKeyRingFile}; restart running servers to write with it, and run \`crosswalk keys reencrypt\` to move older rows`,
    );
  });

  withSettings(
    keys
      .command('reencrypt')
      .description(
        'seal every stored body that is under an older key (or in the clear) with the current key, in batches',
      )
      .option('--batch <n>', 'rows per transaction (default 500)', '500')
      .option('--json', 'print JSON'),
  ).action(async (opts: Record<string, unknown>) => {
    await withMigratedStore(opts, async (store) => {
      const report = await reencryptRawBodies(store, { batchSize: Number(opts['batch']) || 500 });
      const kept = Object.entries(report.keptUnderOlderKeys);
      emit(Boolean(opts['json']), report, () =>
        [
          `current key ${report.currentKeyId}: ${Object.entries(report.moved)
            .map(([t, n]) => `${n} ${t} row(s) moved`)
            .join(', ')}`,
          ...(kept.length > 0
            ? [
                `immutable rows stay under older keys (keep them in the ring): ${kept.map(([k, n]) => `${k} ${n}`).join(', ')}`,
              ]
            : []),
        ].join('\n'),
      );
    });
  });
}
