import type { Command } from 'commander';
import { CrosswalkError } from '../../errors/index.ts';
import { publishMasterSnapshot } from '../../store/publish-repository.ts';
import { actingAs } from '../acting.ts';
import { emit } from '../output.ts';
import { withSettings } from '../settings-flags.ts';
import { withMigratedStore } from './release.ts';

/**
 * `crosswalk publish items|charges`: the whole item master or charge master, as stored now, queued for
 * the EHR (every destination taking item-master documents, or `--to` one) in one transaction. A running
 * deliverer sends it at its next pass; changes that arrive as ItemMasterChanged / ChargeMasterChanged are
 * published by the apply stage on their own.
 */
export function publishCommand(program: Command): void {
  withSettings(
    program
      .command('publish')
      .description('queue the whole item master or charge master for the EHR (MFN over MLLP, FHIR)')
      .argument('<master>', 'items or charges'),
  )
    .option('--to <destination>', 'one destination only (default: every one taking item-master documents)')
    .option('--as <name>', "who publishes (must be the token's user; recorded in the documents)")
    .option('--json', 'as JSON')
    .action(async (master: string, opts: Record<string, unknown>) => {
      if (master !== 'items' && master !== 'charges') {
        throw new CrosswalkError('CW_ERR_CLI_USAGE', { reason: `publish items or charges; got ${master}` });
      }
      await withMigratedStore(opts, async (store) => {
        const by = (await actingAs(store, opts, 'publish.master')).subject;
        const r = await publishMasterSnapshot(store, {
          master,
          by,
          at: new Date(),
          ...(opts['to'] !== undefined ? { to: String(opts['to']) } : {}),
        });
        emit(
          Boolean(opts['json']),
          r,
          () =>
            `queued ${r.records} ${master === 'items' ? 'items' : 'charge lines'} in ${r.documents.length} documents for ${r.destinations.join(', ')}`,
        );
      });
    });
}
