import type { Command } from 'commander';
import { CrosswalkError } from '../../errors/index.ts';
import {
  DELIVERY_STATES,
  type DeliveryState,
  destinationOverview,
  documentDetail,
  listDeliveries,
  queueFigures,
  requireDestination,
  setPaused,
  settleStuck,
} from '../../store/outbox-repository.ts';
import { actingAs } from '../acting.ts';
import { emit, table } from '../output.ts';
import { withSettings } from '../settings-flags.ts';
import { withMigratedStore } from './release.ts';

/**
 * `crosswalk outbox`: what waits for which destination, and the few things a person does about it —
 * pause and resume a destination, retry or confirm a delivery that is stuck (refused, or quarantined
 * because its outcome is unknown). A running deliverer sees a pause or resume at its next pass.
 */

const age = (iso: string | null, now: Date): string => {
  if (iso === null) return '-';
  const s = Math.max(0, Math.round((now.getTime() - Date.parse(iso)) / 1000));
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.round(s / 60)}m` : `${Math.round(s / 3600)}h`;
};

function stateOf(v: unknown): DeliveryState | undefined {
  if (v === undefined) return undefined;
  if (!(DELIVERY_STATES as readonly string[]).includes(String(v))) {
    throw new CrosswalkError('CW_ERR_CLI_USAGE', {
      reason: `--state must be one of ${DELIVERY_STATES.join(', ')}; got ${String(v)}`,
    });
  }
  return v as DeliveryState;
}

export function outboxCommand(program: Command): void {
  const outbox = program
    .command('outbox')
    .description('documents for the ERP and other systems: queues per destination, pause, resume, retry');

  withSettings(
    outbox.command('list').description('destinations with their queue depth and oldest waiting document'),
  )
    .option('--json', 'as JSON')
    .action(async (opts: Record<string, unknown>) => {
      await withMigratedStore(opts, async (store) => {
        await actingAs(store, opts, 'outbox.read');
        const rows = await destinationOverview(store);
        const now = new Date();
        emit(Boolean(opts['json']), rows, () =>
          table([
            [
              'destination',
              'connector',
              'configured',
              'state',
              'waiting',
              'oldest',
              'quarantined',
              'failed',
              'delivered',
            ],
            ...rows.map((d) => [
              d.name,
              d.connector,
              d.enabled ? 'yes' : 'no',
              d.paused ? 'paused' : d.alerting ? 'queueing' : 'flowing',
              String(d.depth),
              age(d.oldestCreatedAt, now),
              String(d.byState.quarantined),
              String(d.byState.failed),
              String(d.byState.delivered),
            ]),
          ]),
        );
      });
    });

  withSettings(
    outbox
      .command('show')
      .description('one destination and what waits for it, or one document (jb_…/rq_…) and its attempts')
      .argument('<destination-or-document>'),
  )
    .option('--state <state>', `only deliveries in this state (${DELIVERY_STATES.join(', ')})`)
    .option('--limit <n>', 'at most this many deliveries', '50')
    .option('--json', 'as JSON')
    .action(async (what: string, opts: Record<string, unknown>) => {
      const json = Boolean(opts['json']);
      await withMigratedStore(opts, async (store) => {
        await actingAs(store, opts, 'outbox.read');
        if (/^(jb|rq)_[0-9a-f]{16}$/.test(what)) {
          const detail = await documentDetail(store, what);
          if (!detail)
            throw new CrosswalkError('CW_ERR_API_NOT_FOUND', { what: 'outbox document', id: what });
          emit(json, detail, () =>
            [
              `${detail.document.id}  ${detail.document.kind}  key ${detail.document.orderingKey}  entity ${detail.document.entity ?? '-'}  ${detail.document.itemCount} items  created ${detail.document.createdAt}`,
              '',
              table([
                ['destination', 'state', 'attempts', 'next attempt', 'delivered', 'last error'],
                ...detail.deliveries.map((v) => [
                  v.destination,
                  v.state,
                  String(v.attempts),
                  v.state === 'pending' ? v.nextAttemptAt : '-',
                  v.deliveredAt ?? '-',
                  v.lastError ?? '',
                ]),
              ]),
              '',
              table([
                ['destination', 'attempt', 'finished', 'outcome', 'status', 'detail'],
                ...detail.attempts.map((a) => [
                  a.destination,
                  String(a.attempt),
                  a.finishedAt,
                  a.outcome,
                  a.httpStatus === null ? '-' : String(a.httpStatus),
                  a.detail ?? '',
                ]),
              ]),
            ].join('\n'),
          );
          return;
        }
        const dest = await requireDestination(store, what);
        const state = stateOf(opts['state']);
        const limit = Number(opts['limit']);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
          throw new CrosswalkError('CW_ERR_CLI_USAGE', { reason: '--limit must be 1–1000' });
        }
        const figures = await queueFigures(store, what);
        const deliveries = await listDeliveries(store, what, { ...(state ? { state } : {}), limit });
        emit(json, { destination: dest, ...figures, deliveries }, () =>
          [
            `${dest.name} (${dest.connector})${dest.enabled ? '' : ' not configured'}${dest.paused ? ` paused by ${dest.pausedBy}${dest.pauseReason ? `: ${dest.pauseReason}` : ''}` : ''}${dest.alerting ? ` queueing since ${dest.alertSince}` : ''}`,
            `waiting ${figures.depth}, oldest ${age(figures.oldestCreatedAt, new Date())}; ${DELIVERY_STATES.map((s) => `${s} ${figures.byState[s]}`).join(', ')}`,
            '',
            table([
              ['document', 'kind', 'key', 'entity', 'state', 'attempts', 'last error'],
              ...deliveries.map((v) => [
                v.documentId,
                v.kind,
                v.orderingKey,
                v.entity ?? '-',
                v.state,
                String(v.attempts),
                v.lastError ?? '',
              ]),
            ]),
          ].join('\n'),
        );
      });
    });

  for (const [name, paused] of [
    ['pause', true],
    ['resume', false],
  ] as const) {
    withSettings(
      outbox
        .command(name)
        .description(
          paused
            ? 'stop delivering to one destination (documents keep queueing; others keep flowing)'
            : 'deliver to a paused destination again (it drains in order)',
        )
        .argument('<destination>')
        .option('--as <name>', `who ${name}s it (must be the token's user)`),
    )
      .option('--reason <text>', 'why (shown in outbox list/show)')
      .option('--json', 'as JSON')
      .action(async (destination: string, opts: Record<string, unknown>) => {
        await withMigratedStore(opts, async (store) => {
          const who = (await actingAs(store, opts, 'outbox.operate')).subject;
          await requireDestination(store, destination);
          const reason = typeof opts['reason'] === 'string' ? opts['reason'] : null;
          const changed = await store.transaction((tx) =>
            setPaused(tx, destination, paused, who, reason, new Date().toISOString()),
          );
          emit(Boolean(opts['json']), { destination, paused, changed }, () =>
            changed
              ? `${destination} ${paused ? 'paused' : 'resumed'} by ${who}`
              : `${destination} was already ${paused ? 'paused' : 'flowing'}`,
          );
        });
      });
  }

  for (const [name, action, help] of [
    ['retry', 'retry', 'send a refused or quarantined document again (check the receiver does not have it)'],
    ['confirm', 'confirm', 'record a quarantined or refused document as delivered (the receiver has it)'],
  ] as const) {
    withSettings(
      outbox
        .command(name)
        .description(help)
        .argument('<destination>')
        .argument('<document>')
        .option('--as <name>', "who decides (must be the token's user)"),
    )
      .option('--json', 'as JSON')
      .action(async (destination: string, document: string, opts: Record<string, unknown>) => {
        await withMigratedStore(opts, async (store) => {
          const who = (await actingAs(store, opts, 'outbox.operate')).subject;
          await requireDestination(store, destination);
          const row = await store.transaction((tx) =>
            settleStuck(tx, destination, document, action, who, new Date().toISOString()),
          );
          emit(
            Boolean(opts['json']),
            row,
            () => `${document} at ${destination}: ${row.state} (${name} by ${who})`,
          );
        });
      });
  }
}
