import type { Command } from 'commander';
import { sealIntegrity, verifyInvariants } from '../../store/verify-repository.ts';
import { actingAs, alsoAllowed } from '../acting.ts';
import { exitWithFailure } from '../io.ts';
import { emit } from '../output.ts';
import { withSettings } from '../settings-flags.ts';
import { withMigratedStore } from './release.ts';

/**
 * `crosswalk verify`: every invariant over one snapshot of the database. Exit 0 when none is violated,
 * 1 with the list otherwise. `--seal` records, after a clean run, what later runs compare
 * against (nothing removed or rewritten since).
 */
export function verifyCommand(program: Command): void {
  withSettings(
    program
      .command('verify')
      .description(
        'check the invariants: no acknowledged message missing, one state per message, no duplicate effect, balanced entries and trial balance, on-hand = Σ movements, nothing immutable changed, per-key order at each destination',
      )
      .option('--seal', 'after a clean run, record a seal later runs compare against')
      .option('--as <name>', "who seals (must be the token's user)")
      .option('--json', 'print JSON'),
  ).action(async (opts: Record<string, unknown>) => {
    await withMigratedStore(opts, async (store) => {
      const who = await actingAs(store, opts, 'verify.run');
      if (opts['seal']) await alsoAllowed(store, who, 'verify.seal');
      const sealer = opts['seal'] ? who.subject : null;
      const violations = await verifyInvariants(store);
      const sealed = violations.length === 0 && sealer !== null;
      if (sealed) await sealIntegrity(store, sealer, new Date().toISOString());
      emit(Boolean(opts['json']), { ok: violations.length === 0, sealed, violations }, () =>
        violations.length === 0
          ? `no invariant violated${sealed ? `; sealed by ${sealer}` : ''}`
          : [
              `${violations.length} violation(s)${sealer ? '; not sealed' : ''}:`,
              ...violations.map((v) => `  ${v.invariant}  ${v.subject}: ${v.detail}`),
            ].join('\n'),
      );
      if (violations.length > 0) exitWithFailure();
    });
  });
}
