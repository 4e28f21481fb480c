import { readFileSync } from 'node:fs';
import { CrosswalkError } from '../errors/index.ts';
import { type Config, SETTINGS, type SettingName } from './settings.ts';

export interface ConfigSources {
  /** Values from command-line flags, keyed by setting name; undefined means "not given". */
  readonly flags?: Partial<Record<SettingName, unknown>>;
  readonly env?: NodeJS.ProcessEnv;
  /** A JSON file whose keys are setting names (camelCase) or environment names. */
  readonly file?: string;
}

const NAMES = Object.keys(SETTINGS) as SettingName[];

function readFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CrosswalkError('CW_ERR_CONFIG_FILE', {
      path,
      reason: (e as NodeJS.ErrnoException).code ?? 'unreadable',
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new CrosswalkError('CW_ERR_CONFIG_FILE', {
      path,
      reason: `not valid JSON (${(e as Error).message})`,
    });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new CrosswalkError('CW_ERR_CONFIG_FILE', { path, reason: 'expected a JSON object' });
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(parsed)) {
    const name = NAMES.find((n) => n === key || SETTINGS[n].env === key);
    if (!name) throw new CrosswalkError('CW_ERR_CONFIG_FILE', { path, reason: `unknown setting "${key}"` });
    out[name] = value;
  }
  return out;
}

/**
 * Resolves the configuration from its sources and validates every value; the first invalid one throws
 * CW_ERR_CONFIG_INVALID naming the setting as the user wrote it (flag, variable or file key).
 */
export function loadConfig(sources: ConfigSources = {}): Config {
  const env = sources.env ?? process.env;
  const filePath = sources.file ?? env['CROSSWALK_CONFIG_FILE'];
  const fromFile = filePath ? readFile(filePath) : {};
  const out: Record<string, unknown> = {};
  for (const name of NAMES) {
    const spec = SETTINGS[name];
    const flagValue = sources.flags?.[name];
    const envValue = env[spec.env];
    let raw: unknown = spec.default;
    let origin = `${spec.env} (default)`;
    if (fromFile[name] !== undefined) {
      raw = fromFile[name];
      origin = `${name} in ${filePath}`;
    }
    if (envValue !== undefined && envValue !== '') {
      raw = envValue;
      origin = spec.env;
    }
    if (flagValue !== undefined) {
      raw = flagValue;
      origin = spec.flag;
    }
    const result = spec.schema.safeParse(raw);
    if (!result.success) {
      const issue = result.error.issues[0];
      const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
      const shown = typeof raw === 'string' ? raw : JSON.stringify(raw);
      const got = shown.length > 80 ? `${shown.slice(0, 77)}...` : shown;
      throw new CrosswalkError('CW_ERR_CONFIG_INVALID', {
        setting: origin,
        reason: `${where}${issue?.message ?? 'invalid'} (got "${got}")`,
      });
    }
    out[name] = result.data;
  }
  return Object.freeze(out) as Config;
}
