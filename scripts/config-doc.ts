// Prints the configuration reference as Markdown: `node --import tsx scripts/config-doc.ts > docs/configuration.md`.
import { SETTINGS } from '../src/config/index.ts';

const rows = Object.entries(SETTINGS).map(
  ([name, s]) => `| \`${s.env}\` | \`${s.flag}\` | \`${name}\` | \`${String(s.default)}\` | ${s.purpose} |`,
);
process.stdout.write(
  [
    '# Configuration',
    '',
    'Every setting has an environment variable, a command-line flag and a key for the optional JSON file',
    '(`--config FILE` or `CROSSWALK_CONFIG_FILE`; keys are the names below or the variable names).',
    'Precedence, lowest first: default < file < environment < flag. An invalid value stops the command',
    'with one line naming the setting and exit code 1. Units are in the names (`_MS` milliseconds, `_BYTES` bytes).',
    '',
    '| variable | flag | file key | default | what it is for |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    'Generated from `src/config/settings.ts` by `node --import tsx scripts/config-doc.ts`; a test checks',
    'that every setting appears here.',
    '',
  ].join('\n'),
);
