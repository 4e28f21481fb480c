import type { Command } from 'commander';
import { createLogger } from '../../observe/index.ts';
import {
  type BreakGlassUse,
  listBreakGlass,
  openBreakGlass,
  reviewBreakGlass,
} from '../../store/breakglass-repository.ts';
import { actingAs } from '../acting.ts';
import { cliIo } from '../io.ts';
import { emit, table } from '../output.ts';
import { configFrom, withSettings } from '../settings-flags.ts';
import { withMigratedStore } from './release.ts';

/**
 * `crosswalk breakglass open | list | review`: emergency access. Opening grants the acting user one role
 * for N minutes with a reason, raises a security exception and logs an alert (who, which role, until
 * when, never the reason); someone other than that user reviews it afterwards.
 */
export function breakglassCommand(program: Command): void {
  const bg = program
    .command('breakglass')
    .description('emergency access: take a role for minutes with a reason; others review every use');

  withSettings(
    bg
      .command('open')
      .description(
        'grant yourself a role for N minutes (at most CROSSWALK_BREAKGLASS_MAX_MINUTES), with a reason',
      )
      .requiredOption('--role <role>', 'the role to take')
      .requiredOption('--reason <text>', 'why: the reviewer reads it')
      .option('--minutes <n>', 'for how long', '30')
      .option('--as <name>', "who breaks glass (the token's user, who gets the role)")
      .option('--json', 'print JSON'),
  ).action(async (opts: Record<string, unknown>) => {
    const config = configFrom(opts);
    const minutes = /^\d{1,6}$/.test(String(opts['minutes'])) ? Number(opts['minutes']) : Number.NaN;
    await withMigratedStore(opts, async (store) => {
      const user = (await actingAs(store, opts, 'breakglass.open')).subject;
      const opened = await openBreakGlass(store, {
        user,
        role: String(opts['role']),
        reason: String(opts['reason']),
        minutes,
        maxMinutes: config.breakglassMaxMinutes,
      });
      // The alert: on stderr, so --json output stays parseable; the reason stays out of it.
      createLogger(config.logLevel, cliIo().stderr).warn(
        {
          code: opened.alert.code,
          grant: opened.use.id,
          user: opened.use.user,
          role: opened.use.role,
          until: opened.use.until,
          exception: opened.exceptionId,
        },
        'break-glass access opened',
      );
      emit(Boolean(opts['json']), { ...opened.use, exception: opened.exceptionId }, () =>
        [
          `break-glass ${opened.use.id}: ${user} holds ${opened.use.role} until ${opened.use.until}`,
          `security exception ${opened.exceptionId} raised; someone else reviews it: crosswalk breakglass review ${opened.use.id} --note "…" --as NAME`,
        ].join('\n'),
      );
    });
  });

  withSettings(
    bg
      .command('list')
      .description('break-glass uses waiting for review (--all: every use)')
      .option('--all', 'include reviewed uses')
      .option('--json', 'print JSON'),
  ).action(async (opts: Record<string, unknown>) => {
    await withMigratedStore(opts, async (store) => {
      await actingAs(store, opts, 'breakglass.review');
      const uses = await listBreakGlass(store, { all: Boolean(opts['all']) });
      const reviewed = (u: BreakGlassUse) =>
        u.reviewedBy ? `${u.reviewedBy} ${u.reviewedAt}` : 'not reviewed';
      emit(Boolean(opts['json']), uses, () =>
        uses.length === 0
          ? opts['all']
            ? 'no break-glass uses'
            : 'no break-glass use waits for review'
          : table([
              ['ID', 'USER', 'ROLE', 'FROM', 'UNTIL', 'REVIEWED', 'REASON'],
              ...uses.map((u) => [u.id, u.user, u.role, u.from, u.until, reviewed(u), u.reason]),
            ]),
      );
    });
  });

  withSettings(
    bg
      .command('review')
      .description('sign off one break-glass use (not your own)')
      .argument('<id>', 'the break-glass use (its grant id)')
      .requiredOption('--note <text>', 'what the review found')
      .option('--as <name>', "who reviews (must be the token's user)")
      .option('--json', 'print JSON'),
  ).action(async (id: string, opts: Record<string, unknown>) => {
    await withMigratedStore(opts, async (store) => {
      const reviewer = (await actingAs(store, opts, 'breakglass.review')).subject;
      const use = await reviewBreakGlass(store, { id, reviewer, note: String(opts['note']) });
      emit(
        Boolean(opts['json']),
        use,
        () => `break-glass ${use.id} (${use.user}, ${use.role}) reviewed by ${reviewer}`,
      );
    });
  });
}
