import type { Command } from 'commander';
import { sodReport } from '../../store/breakglass-repository.ts';
import { actingAs } from '../acting.ts';
import { exitWithFailure } from '../io.ts';
import { emit, table } from '../output.ts';
import { withSettings } from '../settings-flags.ts';
import { withMigratedStore } from './release.ts';

/**
 * `crosswalk sod report`: segregation-of-duties conflicts now and in history. Exit 0 with none, 1 when
 * there are any, so a pipeline can gate on it.
 */
export function sodCommand(program: Command): void {
  const sod = program.command('sod').description('segregation of duties');
  withSettings(
    sod
      .command('report')
      .description(
        'conflicts: security_admin held with a business role, unreviewed break-glass, the same person doing and approving (releases, message revisions, manual journals, inventory adjustments); exit 1 when any',
      )
      .option('--json', 'print JSON'),
  ).action(async (opts: Record<string, unknown>) => {
    await withMigratedStore(opts, async (store) => {
      await actingAs(store, opts, 'sod.report');
      const report = await sodReport(store);
      emit(Boolean(opts['json']), report, () =>
        [
          report.conflicts.length === 0
            ? 'no segregation-of-duties conflict'
            : `${report.conflicts.length} conflict(s):\n${table([
                ['KIND', 'PERSON', 'OBJECT', 'DETAIL'],
                ...report.conflicts.map((c) => [c.kind, c.person, c.object, c.detail]),
              ])}`,
          ...report.skipped.map((s) => `skipped ${s.check}: ${s.reason}`),
        ].join('\n'),
      );
      if (report.conflicts.length > 0) exitWithFailure();
    });
  });
}
