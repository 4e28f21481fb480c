import type { Command } from 'commander';
import {
  approveEdit,
  type EditReport,
  proposeEdit,
  type ReplayReport,
  rejectEdit,
  replayException,
  replayExceptions,
} from '../../apply/exception-replay.ts';
import { loadTokenKeys } from '../../apply/index.ts';
import { CrosswalkError } from '../../errors/index.ts';
import { ageHours, type Command as ExceptionCommand, parseEdit } from '../../exceptions/index.ts';
import { exceptionDetail, exceptionView, parseStatuses } from '../../server/exceptions.ts';
import { actOnException, type ExceptionFilter, listExceptions } from '../../store/exceptions-repository.ts';
import { actingAs } from '../acting.ts';
import { exitWithFailure } from '../io.ts';
import { emit, table } from '../output.ts';
import { configFrom, withSettings } from '../settings-flags.ts';
import { withMigratedStore } from './release.ts';

/**
 * `crosswalk exceptions …`: the work-queue from the command line. Who acts is named by `--as` until
 * users exist (issue 6), as for releases; every action is recorded in the exception's history.
 * A replay that still fails exits 1, so a script notices.
 */

function exceptionId(given: string): bigint {
  if (!/^\d{1,18}$/.test(given))
    throw new CrosswalkError('CW_ERR_CLI_USAGE', { reason: `an exception id is a number, got "${given}"` });
  return BigInt(given);
}

function isoOption(flag: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const d = new Date(String(value));
  if (Number.isNaN(d.getTime()))
    throw new CrosswalkError('CW_ERR_CLI_USAGE', {
      reason: `${flag} must be a date or time (ISO 8601), got "${String(value)}"`,
    });
  return d.toISOString();
}

function hoursOption(flag: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0)
    throw new CrosswalkError('CW_ERR_CLI_USAGE', {
      reason: `${flag} takes a number of hours ≥ 0, got "${String(value)}"`,
    });
  return n;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

function filterFrom(opts: Record<string, unknown>, now: Date): ExceptionFilter {
  const statuses = parseStatusesCli(opts['status'] as string | undefined);
  const older = hoursOption('--older-than', opts['olderThan']);
  const limit = opts['limit'] === undefined ? undefined : Number(opts['limit']);
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1))
    throw new CrosswalkError('CW_ERR_CLI_USAGE', { reason: '--limit must be a whole number ≥ 1' });
  return {
    ...(statuses ? { statuses } : {}),
    ...(opts['team'] ? { team: String(opts['team']) } : {}),
    ...(opts['reasonCode'] ? { reasonCode: String(opts['reasonCode']) } : {}),
    ...(opts['key'] ? { orderingKey: String(opts['key']) } : {}),
    ...(opts['message'] ? { messageId: exceptionId(String(opts['message'])) } : {}),
    ...(older !== undefined
      ? { createdBefore: new Date(now.getTime() - older * 3_600_000).toISOString() }
      : {}),
    ...(opts['overdue'] ? { overdueAt: now } : {}),
    ...(opts['replayable'] ? { replayable: true } : {}),
    ...(limit !== undefined ? { limit } : {}),
  };
}

function parseStatusesCli(given: string | undefined) {
  try {
    return parseStatuses(given);
  } catch (e) {
    throw new CrosswalkError('CW_ERR_CLI_USAGE', { reason: `--status: ${(e as Error).message}` });
  }
}

function replayLine(r: ReplayReport): string {
  const what =
    r.result === 'applied'
      ? `applied (${r.events} event(s), ${r.entries} entr${r.entries === 1 ? 'y' : 'ies'}); exception resolved`
      : r.result === 'skipped'
        ? `not interpreted under the active release (${r.code}); exception resolved`
        : r.result === 'already-applied'
          ? 'already applied by an earlier replay; nothing to do'
          : `still fails: ${r.message} [${r.code}]; exception stays open`;
  const rev = r.revisionId === null ? '' : ` (corrected version ${r.revisionId})`;
  return `exception ${r.exceptionId}, message ${r.messageId}${rev}: ${what}`;
}

function editLines(r: EditReport): string[] {
  return [
    `stored corrected version ${r.revisionId} of exception ${r.exceptionId}'s message (the received message is kept as it was)`,
    ...(r.replay === null
      ? [
          'it changes financial fields: it waits for someone else to approve it:',
          `  crosswalk exceptions approve ${r.exceptionId} --as <someone else>   (or reject)`,
        ]
      : [replayLine(r.replay)]),
  ];
}

export function exceptionsCommand(program: Command): void {
  const exceptions = program
    .command('exceptions')
    .description('the exception work-queue: list, show, assign, comment, replay, resolve, ignore');

  withSettings(
    exceptions
      .command('list')
      .description('exceptions matching the filters, oldest first (default: open and assigned)')
      .option('--status <list>', 'comma-separated: open, assigned, resolved, ignored, or all')
      .option(
        '--team <team>',
        'owning team (integration, supply-chain, revenue-integrity, finance, data-stewardship, …)',
      )
      .option('--reason-code <code>', 'reason code, e.g. CW_ERR_MAP_UNMAPPED_ITEM')
      .option('--key <key>', 'ordering key (the interface)')
      .option('--message <id>', 'exceptions about this stored message')
      .option('--older-than <hours>', 'raised more than this many hours ago')
      .option('--overdue', 'only those past their due date')
      .option('--replayable', 'only failed messages a replay can act on')
      .option('--limit <n>', 'at most this many')
      .option('--json', 'print JSON'),
  ).action(async (opts: Record<string, unknown>) => {
    const now = new Date();
    const filter = filterFrom(opts, now);
    await withMigratedStore(opts, async (store) => {
      await actingAs(store, opts, 'exceptions.read');
      const rows = (await listExceptions(store, filter)).map((x) => exceptionView(x, now));
      emit(Boolean(opts['json']), rows, () =>
        rows.length === 0
          ? 'no exceptions match'
          : table([
              ['ID', 'STATUS', 'TEAM', 'REASON', 'AGE', 'DUE', 'ASSIGNEE', 'N', 'SUMMARY'],
              ...rows.map((x) => [
                String(x.id),
                x.status,
                x.team,
                x.reasonCode,
                `${ageHours(x.createdAt, now)}h`,
                `${x.due.slice(0, 16)}${x.overdue ? ' OVERDUE' : ''}`,
                x.assignee ?? '-',
                String(x.occurrences),
                x.summary.length > 90 ? `${x.summary.slice(0, 89)}…` : x.summary,
              ]),
            ]),
      );
    });
  });

  withSettings(
    exceptions
      .command('show')
      .description(
        'one exception: reason, owner, SLA, evidence, the message it concerns, history, corrections',
      )
      .argument('<id>', 'exception id')
      .option('--json', 'print JSON'),
  ).action(async (given: string, opts: Record<string, unknown>) => {
    const id = exceptionId(given);
    await withMigratedStore(opts, async (store) => {
      await actingAs(store, opts, 'exceptions.read');
      const d = await exceptionDetail(store, id, new Date());
      emit(Boolean(opts['json']), d, () =>
        [
          `exception ${d.id}  ${d.status}${d.assignee ? ` (assigned to ${d.assignee})` : ''}`,
          `  reason     ${d.reasonCode} — owned by ${d.reason.team}, SLA ${d.reason.slaHours} h, ${d.reason.retryable ? 'retryable' : 'not retryable'}`,
          `  summary    ${d.summary}`,
          `  raised     ${d.createdAt}${d.occurrences > 1 ? `, ${d.occurrences} occurrences, last ${d.updatedAt}` : ''}`,
          `  due        ${d.due}${d.overdue ? '  OVERDUE' : ''}`,
          ...(d.resolution ? [`  ended      ${d.resolvedAt} by ${d.resolvedBy}: ${d.resolution}`] : []),
          ...(d.message
            ? [
                `  message    ${d.message.id} ${d.message.messageType} ${d.message.sender} ${d.message.controlId}, received ${d.message.receivedAt} on ${d.message.interfaceName}${d.message.outcome ? `, now ${d.message.outcome}` : ''}`,
                `             sha256 ${d.message.contentSha256}; crosswalk messages show ${d.message.id}`,
              ]
            : []),
          `  evidence   ${JSON.stringify(d.evidence)}`,
          `  next       ${d.allowedActions.join(', ')}`,
          ...(d.revisions.length
            ? [
                'corrected versions:',
                ...d.revisions.map(
                  (r) =>
                    `  ${r.id} ${r.status} by ${r.editedBy} ${r.editedAt}: ${r.edits.map((e) => `${e.path}=${e.value}`).join(', ')}${r.decidedBy ? ` (${r.status} by ${r.decidedBy})` : ''}`,
                ),
              ]
            : []),
          'history:',
          `  ${d.createdAt}  raised`,
          ...d.history.map(
            (h) =>
              `  ${h.at}  ${h.kind} by ${h.actor}${h.fromStatus !== h.toStatus ? ` (${h.fromStatus} → ${h.toStatus})` : ''}${h.note ? `: ${h.note}` : ''}`,
          ),
        ].join('\n'),
      );
    });
  });

  const simple = (
    name: string,
    description: string,
    configure: (c: Command) => Command,
    toCommand: (opts: Record<string, unknown>) => ExceptionCommand,
    dueFrom?: (opts: Record<string, unknown>) => string | undefined,
  ) => {
    withSettings(
      configure(
        exceptions
          .command(name)
          .description(description)
          .argument('<id>', 'exception id')
          .option('--as <name>', "who does it (must be the token's user)")
          .option('--json', 'print JSON'),
      ),
    ).action(async (given: string, opts: Record<string, unknown>) => {
      const id = exceptionId(given);
      const command = toCommand(opts);
      const due = dueFrom?.(opts);
      await withMigratedStore(opts, async (store) => {
        const who = (await actingAs(store, opts, 'exceptions.work')).subject;
        const r = await actOnException(
          store,
          id,
          command,
          who,
          new Date().toISOString(),
          due ? { dueAt: due } : {},
        );
        emit(
          Boolean(opts['json']),
          { exception: exceptionView(r.exception, new Date()), entry: r.entry },
          () =>
            `exception ${id}: ${r.entry.kind} by ${who}${r.entry.fromStatus !== r.entry.toStatus ? ` (${r.entry.fromStatus} → ${r.entry.toStatus})` : ''}`,
        );
      });
    });
  };

  simple(
    'assign',
    'give an exception to a person (or to someone else)',
    (c) =>
      c
        .requiredOption('--to <name>', 'who takes it')
        .option('--due <time>', 'due date (ISO 8601)')
        .option('--note <text>', 'a note'),
    (o) => ({ kind: 'assign', assignee: String(o['to']), note: (o['note'] as string | undefined) ?? null }),
    (o) => isoOption('--due', o['due']),
  );
  simple(
    'comment',
    'add a comment (allowed in every status)',
    (c) => c.requiredOption('--text <text>', 'the comment'),
    (o) => ({ kind: 'comment', text: String(o['text']) }),
  );
  simple(
    'resolve',
    'resolve by hand: the cause was dealt with outside a replay',
    (c) => c.option('--note <text>', 'what was done'),
    (o) => ({ kind: 'resolve', note: (o['note'] as string | undefined) ?? null }),
  );
  simple(
    'ignore',
    'set aside, with the reason why',
    (c) => c.requiredOption('--reason <text>', 'why it needs no action'),
    (o) => ({ kind: 'ignore', reason: String(o['reason']) }),
  );

  withSettings(
    exceptions
      .command('replay')
      .description(
        'replay failed messages with the active release and master data: one exception, or every replayable one of a reason code, team or key (--all for all)',
      )
      .argument('[id]', 'exception id (or use the filters)')
      .option('--as <name>', "who replays (must be the token's user)")
      .option(
        '--set <position=value>',
        'correct a field first, e.g. FT1-10=2 (repeatable); FT1 and PV1-3 need a second person',
        collect,
      )
      .option('--edit-reason <text>', 'why the message is corrected')
      .option('--reason-code <code>', 'every replayable exception of this reason code')
      .option('--team <team>', 'every replayable exception of this team')
      .option('--key <key>', 'every replayable exception of this ordering key')
      .option('--all', 'every replayable exception')
      .option('--json', 'print JSON'),
  ).action(async (given: string | undefined, opts: Record<string, unknown>) => {
    const edits = ((opts['set'] as string[] | undefined) ?? []).map(parseEdit);
    const filtered = Boolean(opts['reasonCode'] || opts['team'] || opts['key'] || opts['all']);
    if (given !== undefined && filtered)
      throw new CrosswalkError('CW_ERR_CLI_USAGE', { reason: 'give an exception id or filters, not both' });
    if (given === undefined && !filtered)
      throw new CrosswalkError('CW_ERR_CLI_USAGE', {
        reason: 'name what to replay: an exception id, --reason-code, --team, --key or --all',
      });
    if (edits.length > 0 && given === undefined)
      throw new CrosswalkError('CW_ERR_CLI_USAGE', {
        reason: '--set corrects one message: give its exception id',
      });
    const config = configFrom(opts);
    const keys = loadTokenKeys(config.tokenKeyFile);
    await withMigratedStore(opts, async (store) => {
      const who = (await actingAs(store, opts, edits.length > 0 ? 'exceptions.edit' : 'exceptions.replay'))
        .subject;
      const deps = { store, tokenKey: keys.current, earlierTokenKeys: keys.earlier };
      if (given !== undefined && edits.length > 0) {
        const r = await proposeEdit(
          deps,
          exceptionId(given),
          edits,
          who,
          (opts['editReason'] as string | undefined) ?? null,
        );
        emit(Boolean(opts['json']), r, () => editLines(r).join('\n'));
        if (r.replay?.result === 'failed') exitWithFailure();
        return;
      }
      const reports =
        given !== undefined
          ? [await replayException(deps, exceptionId(given), who)]
          : await replayExceptions(
              deps,
              {
                ...(opts['reasonCode'] ? { reasonCode: String(opts['reasonCode']) } : {}),
                ...(opts['team'] ? { team: String(opts['team']) } : {}),
                ...(opts['key'] ? { orderingKey: String(opts['key']) } : {}),
              },
              who,
            );
      const failed = reports.filter((r) => r.result === 'failed').length;
      emit(
        Boolean(opts['json']),
        given !== undefined ? reports[0] : { replayed: reports.length, failed, reports },
        () =>
          reports.length === 0
            ? 'nothing to replay: no open exception of a failed message matches'
            : [
                ...reports.map(replayLine),
                ...(reports.length > 1
                  ? [
                      `${reports.length} replayed: ${reports.length - failed} went through, ${failed} still fail`,
                    ]
                  : []),
              ].join('\n'),
      );
      if (failed > 0) exitWithFailure();
    });
  });

  withSettings(
    exceptions
      .command('approve')
      .description(
        "approve the pending corrected version of an exception's message (not its editor) and replay it",
      )
      .argument('<id>', 'exception id')
      .option('--as <name>', "who approves (must be the token's user)")
      .option('--json', 'print JSON'),
  ).action(async (given: string, opts: Record<string, unknown>) => {
    const id = exceptionId(given);
    const config = configFrom(opts);
    const keys = loadTokenKeys(config.tokenKeyFile);
    await withMigratedStore(opts, async (store) => {
      const who = (await actingAs(store, opts, 'exceptions.approve_edit')).subject;
      const r = await approveEdit({ store, tokenKey: keys.current, earlierTokenKeys: keys.earlier }, id, who);
      emit(Boolean(opts['json']), r, () =>
        [
          `approved corrected version ${r.revisionId} of exception ${id}`,
          ...(r.replay ? [replayLine(r.replay)] : []),
        ].join('\n'),
      );
      if (r.replay?.result === 'failed') exitWithFailure();
    });
  });

  withSettings(
    exceptions
      .command('reject')
      .description("turn down the pending corrected version of an exception's message")
      .argument('<id>', 'exception id')
      .option('--as <name>', "who rejects it (must be the token's user)")
      .option('--note <text>', 'why')
      .option('--json', 'print JSON'),
  ).action(async (given: string, opts: Record<string, unknown>) => {
    const id = exceptionId(given);
    await withMigratedStore(opts, async (store) => {
      const who = (await actingAs(store, opts, 'exceptions.approve_edit')).subject;
      const r = await rejectEdit({ store }, id, who, (opts['note'] as string | undefined) ?? null);
      emit(Boolean(opts['json']), r, () => `rejected corrected version ${r.revisionId} of exception ${id}`);
    });
  });
}
