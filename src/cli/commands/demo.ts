import { rmSync } from 'node:fs';
import type { Command } from 'commander';
import { generateDemoHealthSystem } from '../../demo/index.ts';
import { CrosswalkError } from '../../errors/index.ts';
import { startServer } from '../../server/runtime.ts';
import { migrate, openStore, parseDatabaseUrl } from '../../store/index.ts';
import {
  countMasterData,
  getMeta,
  isMasterDataEmpty,
  loadMasterData,
  setMeta,
} from '../../store/master-data.ts';
import { emit, table } from '../output.ts';
import { configFrom, withSettings } from '../settings-flags.ts';
import { VERSION } from '../version.ts';
import { runUntilSignalled } from './serve.ts';

const DEMO_SEED_KEY = 'demo.seed';

export function demoCommand(program: Command): void {
  withSettings(
    program
      .command('demo')
      .description('load the generated demo health system into the database, then serve it')
      .option('--fresh', 'start from an empty embedded database (deletes the SQLite file first)')
      .option('--no-serve', 'load and exit instead of serving')
      .option('--json', 'print JSON'),
  ).action(async (opts: Record<string, unknown>) => {
    const config = configFrom(opts);
    const json = Boolean(opts['json']);
    const target = parseDatabaseUrl(config.databaseUrl);
    if (opts['fresh']) {
      if (target.engine !== 'sqlite') {
        throw new CrosswalkError('CW_ERR_CLI_USAGE', {
          reason: '--fresh only applies to the embedded SQLite database',
        });
      }
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${target.path}${suffix}`, { force: true });
    }
    const store = await openStore(target, { poolMax: 2 });
    let loaded: boolean;
    try {
      await migrate(store);
      const existingSeed = await getMeta(store, DEMO_SEED_KEY);
      if (existingSeed === String(config.demoSeed)) {
        loaded = false;
      } else if (await isMasterDataEmpty(store)) {
        const system = generateDemoHealthSystem({ seed: config.demoSeed });
        await loadMasterData(store, system);
        await setMeta(store, DEMO_SEED_KEY, String(config.demoSeed));
        loaded = true;
      } else {
        throw new CrosswalkError('CW_ERR_DEMO_NOT_EMPTY', { target: store.target });
      }
      const counts = await countMasterData(store);
      emit(json, { database: store.target, seed: config.demoSeed, loaded, counts }, () =>
        [
          loaded
            ? `Loaded the demo health system (seed ${config.demoSeed}) into ${store.target}:`
            : `The demo health system (seed ${config.demoSeed}) is already in ${store.target}:`,
          table(Object.entries(counts).map(([k, n]) => [`  ${k}`, String(n)])),
        ].join('\n'),
      );
    } finally {
      await store.close();
    }
    if (opts['serve'] === false) return;
    const running = await startServer({ config, version: VERSION });
    process.stderr.write(
      [
        '',
        `Crosswalk ${VERSION} is running on ${running.store.target}. Look at:`,
        `  ${running.httpUrl}/readyz              readiness (database reachable and migrated)`,
        `  ${running.httpUrl}/api/system          version and schema`,
        `  ${running.httpUrl}/api/openapi.json    the API description`,
        `  ${running.httpUrl}/metrics             Prometheus metrics`,
        `  mllp://${running.mllpAddress}          HL7 v2 over MLLP (crosswalk send FILE --to ${running.mllpAddress})`,
        'Press Ctrl-C to stop.',
        '',
      ].join('\n'),
    );
    await runUntilSignalled(running);
  });
}
