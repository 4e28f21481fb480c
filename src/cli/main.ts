import { Command, CommanderError } from 'commander';
import { isCrosswalkError } from '../errors/index.ts';
import { auditCommand } from './commands/audit.ts';
import { breakglassCommand } from './commands/breakglass.ts';
import { clientsCommand } from './commands/clients.ts';
import { demoCommand } from './commands/demo.ts';
import { exceptionsCommand } from './commands/exceptions.ts';
import { exportCommand } from './commands/export.ts';
import { inventoryCommand } from './commands/four-eyes.ts';
import { identityCommands } from './commands/identity.ts';
import { importCommand } from './commands/import.ts';
import { keysCommand } from './commands/keys.ts';
import { ledgerCommand } from './commands/ledger.ts';
import { messagesCommand } from './commands/messages.ts';
import { migrateCommand } from './commands/migrate.ts';
import { outboxCommand } from './commands/outbox.ts';
import { ownershipCommand } from './commands/ownership.ts';
import { publishCommand } from './commands/publish.ts';
import { releaseCommand } from './commands/release.ts';
import { replayCommand } from './commands/replay.ts';
import { sendCommand } from './commands/send.ts';
import { serveCommand } from './commands/serve.ts';
import { sodCommand } from './commands/sod.ts';
import { verifyCommand } from './commands/verify.ts';
import { type CliIo, type CliOutput, cliIo, inCliRun } from './io.ts';
import { VERSION } from './version.ts';

/** Exit codes: 0 ok, 1 failure, 2 usage error. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

export function buildProgram(): Command {
  const program = new Command('crosswalk')
    .description("Crosswalk: the governed integration layer between a health system's EHR and its ERP")
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  serveCommand(program);
  migrateCommand(program);
  demoCommand(program);
  sendCommand(program);
  messagesCommand(program);
  releaseCommand(program);
  ledgerCommand(program);
  replayCommand(program);
  exportCommand(program);
  importCommand(program);
  exceptionsCommand(program);
  verifyCommand(program);
  outboxCommand(program);
  publishCommand(program);
  auditCommand(program);
  ownershipCommand(program);
  inventoryCommand(program);
  clientsCommand(program);
  breakglassCommand(program);
  sodCommand(program);
  keysCommand(program);
  identityCommands(program);
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  // Commander's own output (help, version, usage errors) goes where the run's output goes.
  const output = {
    writeOut: (s: string) => void cliIo().stdout.write(s),
    writeErr: (s: string) => void cliIo().stderr.write(s),
    getOutHelpWidth: () => helpWidth(cliIo().stdout),
    getErrHelpWidth: () => helpWidth(cliIo().stderr),
    getOutHasColors: () => hasColors(cliIo().stdout),
    getErrHasColors: () => hasColors(cliIo().stderr),
  };
  for (const cmd of all(program)) cmd.exitOverride().configureOutput(output);
  return program;
}

// Off a terminal commander's own default answers undefined too (no wrapping); its typing says number.
const helpWidth = (s: CliOutput): number => (s.isTTY ? s.columns : undefined) as number;

/** As commander decides by default, but from the run's environment: NO_COLOR and FORCE_COLOR first. */
function hasColors(s: CliOutput): boolean {
  const env = cliIo().env;
  if (env['NO_COLOR'] || env['FORCE_COLOR'] === '0' || env['FORCE_COLOR'] === 'false') return false;
  if (env['FORCE_COLOR'] || env['CLICOLOR_FORCE'] !== undefined) return true;
  return s.isTTY === true && s.hasColors?.() === true;
}

/**
 * Runs the CLI and returns the exit code. A user's mistake is one line on stderr naming the problem
 * (`crosswalk: <message> [<code>]`), never a stack trace; CROSSWALK_DEBUG=1 adds the stack for
 * anything unexpected. `io` replaces the process's streams and environment (see io.ts); the binary
 * passes none.
 */
export function main(argv: readonly string[], io?: CliIo): Promise<number> {
  return inCliRun(io, async (run) => {
    const { stderr, env } = cliIo();
    const program = buildProgram();
    try {
      await program.parseAsync([...argv], { from: 'user' });
      // A command may report a partial failure (e.g. `send` got AE/AR) through exitWithFailure().
      return run.failed ? EXIT.failure : EXIT.ok;
    } catch (e) {
      if (e instanceof CommanderError) {
        if (
          e.code === 'commander.helpDisplayed' ||
          e.code === 'commander.version' ||
          e.code === 'commander.help'
        ) {
          return EXIT.ok;
        }
        return EXIT.usage;
      }
      if (isCrosswalkError(e)) {
        stderr.write(`crosswalk: ${e.message} [${e.code}]\n`);
        return e.code === 'CW_ERR_CLI_USAGE' ? EXIT.usage : EXIT.failure;
      }
      const err = e as Error;
      stderr.write(`crosswalk: unexpected error: ${err.message}\n`);
      if (env['CROSSWALK_DEBUG']) stderr.write(`${err.stack}\n`);
      return EXIT.failure;
    }
  });
}
