import type { Command } from 'commander';
import { rotateTokenKeys } from '../../apply/index.ts';
import { rotateKeyRing } from '../../config/key-ring.ts';
import { CrosswalkError } from '../../errors/index.ts';
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
      .description(
        'add a new current key to a ring: raw (stored bodies; older rows stay readable) or token (patient and encounter tokens; earlier keys keep encounters linked)',
      )
      .option('--ring <ring>', 'raw or token', 'raw')
      .option('--json', 'print JSON'),
  ).action(async (opts: Record<string, unknown>) => {
    const config = configFrom(opts);
    const ring = String(opts['ring']);
    if (ring !== 'raw' && ring !== 'token') {
      throw new CrosswalkError('CW_ERR_CLI_USAGE', { reason: '--ring must be raw or token' });
    }
    const file = ring === 'raw' ? config.rawKeyRingFile : config.tokenKeyFile;
    const id = ring === 'raw' ? rotateKeyRing(file, 'CROSSWALK_RAW_KEY_RING_FILE') : rotateTokenKeys(file);
    const next =
      ring === 'raw'
        ? 'run `crosswalk keys reencrypt` to move older rows'
        : 'encounters tokenised with earlier keys stay linked while those keys are in the ring';
    emit(
      Boolean(opts['json']),
      { ring, file, current: id },
      () => `key ${id} is now current in ${file}; restart running servers to use it; ${next}`,
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
