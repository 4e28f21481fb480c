import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { CrosswalkError } from '../../errors/index.ts';
import { type Account, type Currency, DEFAULT_CURRENCIES } from '../../ledger/index.ts';
import { minorDigits } from '../../mapping/index.ts';
import {
  buildJournalBatch,
  controlTotalsJson,
  controlTotalsText,
  JOURNAL_FILE_FORMATS,
  type JournalFileFormat,
  renderJournalBatch,
} from '../../outbox/index.ts';
import { appendAudit } from '../../store/audit-repository.ts';
import { exportJournalEntries } from '../../store/journal-export.ts';
import { readMasterData } from '../../store/master-data.ts';
import { listPeriods } from '../../store/posting-repository.ts';
import { actingAs } from '../acting.ts';
import { cliIo } from '../io.ts';
import { emit } from '../output.ts';
import { withSettings } from '../settings-flags.ts';
import { withMigratedStore } from './release.ts';

/**
 * `crosswalk export journal`: the posted journal as a batch file for the ERP (CSV, JSON or hledger), with
 * control totals beside it. The file goes to stdout or `--out`; the control totals go to stderr, or to
 * stdout as JSON with `--json` when the file goes to `--out`.
 */

function formatOf(v: unknown): JournalFileFormat {
  const f = String(v);
  if (!(JOURNAL_FILE_FORMATS as readonly string[]).includes(f)) {
    throw new CrosswalkError('CW_ERR_CLI_USAGE', {
      reason: `--format must be one of ${JOURNAL_FILE_FORMATS.join(', ')}; got ${f}`,
    });
  }
  return f as JournalFileFormat;
}

/** The currencies the entries use: the ledger's configured scales first, ISO 4217 exponents otherwise. */
function currenciesOf(codes: Iterable<string>): Currency[] {
  return [...new Set(codes)]
    .sort()
    .map((code) => DEFAULT_CURRENCIES.find((c) => c.code === code) ?? { code, scale: minorDigits(code) });
}

/** Written beside the target and renamed into place: a reader never sees half a batch. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, text, { flag: 'wx' });
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw new CrosswalkError('CW_ERR_CLI_WRITE', { path, reason: (e as Error).message });
  }
}

export function exportCommand(program: Command): void {
  const exp = program.command('export').description('files for the ERP: journal batches');

  withSettings(
    exp
      .command('journal')
      .description(
        'the posted journal as one batch file (csv, json or hledger) with control totals; refused unless it balances per entity and currency',
      )
      .requiredOption('--format <format>', `one of ${JOURNAL_FILE_FORMATS.join(', ')}`)
      .option('--entity <code>', 'one legal entity')
      .option('--period <YYYY-MM>', 'one fiscal period')
      .option('--out <file>', 'write the batch here instead of stdout')
      .option('--json', 'with --out: print the control totals as JSON on stdout'),
  ).action(async (opts: Record<string, unknown>) => {
    const format = formatOf(opts['format']);
    const out = typeof opts['out'] === 'string' ? opts['out'] : undefined;
    const json = Boolean(opts['json']);
    if (json && out === undefined) {
      throw new CrosswalkError('CW_ERR_CLI_USAGE', {
        reason: '--json needs --out: without it stdout carries the batch itself',
      });
    }
    const period = typeof opts['period'] === 'string' ? opts['period'] : undefined;
    if (period !== undefined && !/^\d{4}-(0[1-9]|1[0-2])$/.test(period)) {
      throw new CrosswalkError('CW_ERR_CLI_USAGE', { reason: `--period must be YYYY-MM; got ${period}` });
    }
    await withMigratedStore(opts, async (store) => {
      const entity = typeof opts['entity'] === 'string' ? opts['entity'] : undefined;
      const exporter = (await actingAs(store, opts, 'export.journal', entity ? { entity } : undefined))
        .subject;
      const { entities, accounts } = await readMasterData(store, ['entities', 'accounts']);
      if (entity !== undefined && !entities.some((e) => e.code === entity)) {
        throw new CrosswalkError('CW_ERR_LEDGER_UNKNOWN_ENTITY', { entity });
      }
      if (
        period !== undefined &&
        !(await listPeriods(store)).some(
          (p) => p.id === period && (entity === undefined || p.entityCode === entity),
        )
      ) {
        throw new CrosswalkError('CW_ERR_API_NOT_FOUND', {
          what: entity ? `fiscal period of ${entity}` : 'fiscal period',
          id: period,
        });
      }
      const entries = await exportJournalEntries(store, {
        ...(entity ? { entity } : {}),
        ...(period ? { periodId: period } : {}),
      });
      const chart = new Map<string, Account>(accounts.map((a) => [a.code, a]));
      const batch = buildJournalBatch(entries, chart, currenciesOf(entries.map((e) => e.currency)));
      const text = renderJournalBatch(batch, format);
      await store.transaction((tx) =>
        appendAudit(tx, {
          at: new Date().toISOString(),
          actor: exporter,
          action: 'export.journal',
          object: `journal:${entity ?? '*'}/${period ?? '*'}`,
          after: { format, entries: entries.length, to: out ?? 'stdout' },
        }),
      );
      if (out === undefined) {
        cliIo().stdout.write(text);
        cliIo().stderr.write(`${controlTotalsText(batch)}\n`);
        return;
      }
      await writeAtomically(out, text);
      if (json) emit(true, { file: out, format, ...controlTotalsJson(batch) }, () => '');
      else cliIo().stderr.write(`${controlTotalsText(batch)}\nwritten to ${out} (${format})\n`);
    });
  });
}
