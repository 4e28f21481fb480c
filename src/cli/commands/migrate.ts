import type { Command } from 'commander';
import { migrate, openStore, schemaStatus } from '../../store/index.ts';
import { emit } from '../output.ts';
import { configFrom, withSettings } from '../settings-flags.ts';

export function migrateCommand(program: Command): void {
  withSettings(
    program
      .command('migrate')
      .description('apply pending database migrations (safe to run from several processes at once)')
      .option('--status', 'only report the schema version and pending migrations')
      .option('--json', 'print JSON'),
  ).action(async (opts: Record<string, unknown>) => {
    const config = configFrom(opts);
    const store = await openStore(config.databaseUrl, { poolMax: 2, rawKeyRingFile: config.rawKeyRingFile });
    try {
      if (opts['status']) {
        const s = await schemaStatus(store);
        emit(Boolean(opts['json']), { database: store.target, ...s }, () =>
          [
            `${store.target}: schema version ${s.current} of ${s.expected}`,
            ...s.pending.map((m) => `  pending ${m.id} ${m.name}`),
          ].join('\n'),
        );
        return;
      }
      const applied = await migrate(store);
      const s = await schemaStatus(store);
      emit(Boolean(opts['json']), { database: store.target, applied, schemaVersion: s.current }, () =>
        applied.length === 0
          ? `${store.target}: up to date at schema version ${s.current}`
          : [
              ...applied.map((m) => `applied ${m.id} ${m.name}`),
              `${store.target}: now at schema version ${s.current}`,
            ].join('\n'),
      );
    } finally {
      await store.close();
    }
  });
}
