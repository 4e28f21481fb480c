import type { Command } from 'commander';
import { type Running, startServer } from '../../server/runtime.ts';
import { cliIo } from '../io.ts';
import { configFrom, withSettings } from '../settings-flags.ts';
import { VERSION } from '../version.ts';

/** Keeps a started server running until SIGINT/SIGTERM, then shuts it down gracefully. */
export async function runUntilSignalled(running: Running): Promise<void> {
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      running.stop(`received ${signal}`).then(resolve, resolve);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

export function serveCommand(program: Command): void {
  withSettings(
    program
      .command('serve')
      .description('run the HTTP server (API, health, metrics) on the configured database')
      .option('--no-migrate', 'refuse to start instead of applying pending migrations'),
  ).action(async (opts: Record<string, unknown>) => {
    const config = configFrom(opts);
    const running = await startServer({ config, version: VERSION, migrate: opts['migrate'] !== false });
    cliIo().stderr.write(
      `crosswalk ${VERSION} serving ${running.httpUrl} and MLLP on ${running.mllpAddress}, database ${running.store.target}\n`,
    );
    await runUntilSignalled(running);
  });
}
