import type { Command } from 'commander';
import { type Config, loadConfig, SETTINGS, type SettingName } from '../config/index.ts';
import { cliIo } from './io.ts';

const NAMES = Object.keys(SETTINGS) as SettingName[];

/** Adds a flag for every setting (e.g. `--http-port <value>`) and `--config <file>` to a command. */
export function withSettings(cmd: Command): Command {
  cmd.option('--config <file>', 'JSON configuration file (also CROSSWALK_CONFIG_FILE)');
  cmd.option('--token-file <path>', 'file holding your API token (instead of CROSSWALK_TOKEN)');
  for (const name of NAMES) {
    const spec = SETTINGS[name];
    cmd.option(`${spec.flag} <value>`, `${spec.purpose} [${spec.env}; default ${String(spec.default)}]`);
  }
  return cmd;
}

/** Resolves the configuration from a command's parsed options, the environment and the file. */
export function configFrom(opts: Record<string, unknown>): Config {
  const flags: Partial<Record<SettingName, unknown>> = {};
  for (const name of NAMES) {
    const key = SETTINGS[name].flag
      .replace(/^--/, '')
      .replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (opts[key] !== undefined) flags[name] = opts[key];
  }
  return loadConfig({ flags, file: opts['config'] as string | undefined, env: cliIo().env });
}
