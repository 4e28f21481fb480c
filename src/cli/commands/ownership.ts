import type { Command } from 'commander';
import { CrosswalkError } from '../../errors/index.ts';
import {
  isMasterKind,
  isSourcePattern,
  isSystemName,
  MASTER_KINDS,
  ownerOf,
  ownershipAt,
} from '../../governance/index.ts';
import { appendAudit } from '../../store/audit-repository.ts';
import { addOwner, addSource, loadOwnership } from '../../store/ownership-repository.ts';
import { actingAs } from '../acting.ts';
import { cliIo } from '../io.ts';
import { emit, table } from '../output.ts';
import { withSettings } from '../settings-flags.ts';
import { withMigratedStore } from './release.ts';

/**
 * `crosswalk ownership …`: the master-data ownership registry (principle 5). Matrix actions:
 * `list` is ownership.read, `set` and `source` are ownership.manage (src/governance/access.ts). A change
 * is a new effective-dated row and its audit record, in one transaction; the apply stage reads the
 * registry at every batch, so it takes effect without a restart.
 */

function effectiveFrom(opts: Record<string, unknown>, now: string): string {
  const given = opts['from'];
  if (given === undefined) return now;
  const t = Date.parse(String(given));
  if (Number.isNaN(t)) {
    throw new CrosswalkError('CW_ERR_CLI_USAGE', {
      reason: `--from ${String(given)} is not an ISO 8601 time`,
    });
  }
  return new Date(t).toISOString();
}

function systemArg(system: string): string {
  const s = system.trim().toUpperCase();
  if (!isSystemName(s)) {
    throw new CrosswalkError('CW_ERR_OWNERSHIP_BAD_INPUT', {
      reason: `system ${system.slice(0, 40)} must be a short name in letters and digits (EHR, ERP, HR …)`,
    });
  }
  return s;
}

export function ownershipCommand(program: Command): void {
  const ownership = program
    .command('ownership')
    .description('the master-data ownership registry: which system is the system of record of each kind');

  withSettings(
    ownership
      .command('list')
      .description('the owner of each kind of master data and the source rules, now (or --at a time)')
      .option('--at <time>', 'the registry as it stood at this time (ISO 8601)')
      .option('--json', 'print JSON'),
  ).action(async (opts: Record<string, unknown>) => {
    const at = effectiveFrom({ from: opts['at'] }, new Date().toISOString());
    await withMigratedStore(opts, async (store) => {
      await actingAs(store, opts, 'ownership.read');
      const now = ownershipAt(await loadOwnership(store), at);
      emit(Boolean(opts['json']), { at, ...now }, () =>
        [
          table([
            ['KIND', 'OWNER', 'SINCE', 'SET BY'],
            ...now.owners.map((o) => [o.kind, o.system, o.since, o.setBy]),
          ]),
          '',
          table([
            ['SOURCE', 'SYSTEM', 'SINCE', 'SET BY'],
            ...now.sources.map((s) => [s.source, s.system, s.effectiveFrom, s.setBy]),
          ]),
        ].join('\n'),
      );
    });
  });

  withSettings(
    ownership
      .command('set <kind> <system>')
      .description(`make SYSTEM the system of record of KIND (${MASTER_KINDS.join(', ')})`)
      .option('--from <time>', 'effective from this time (ISO 8601; default now)')
      .option('--note <text>', 'why')
      .option('--as <name>', "who changes it (a data steward; must be the token's user)"),
  ).action(async (kind: string, system: string, opts: Record<string, unknown>) => {
    if (!isMasterKind(kind)) {
      throw new CrosswalkError('CW_ERR_OWNERSHIP_BAD_INPUT', {
        reason: `unknown kind ${kind.slice(0, 40)}; kinds: ${MASTER_KINDS.join(', ')}`,
      });
    }
    const owner = systemArg(system);
    const now = new Date().toISOString();
    const from = effectiveFrom(opts, now);
    await withMigratedStore(opts, async (store) => {
      const who = (await actingAs(store, opts, 'ownership.manage')).subject;
      const before = await store.transaction(async (tx) => {
        const was = ownerOf(await loadOwnership(tx), kind, from);
        await addOwner(tx, {
          kind,
          system: owner,
          effectiveFrom: from,
          setBy: who,
          setAt: now,
          ...(opts['note'] ? { note: String(opts['note']) } : {}),
        });
        await appendAudit(tx, {
          at: now,
          actor: who,
          action: 'ownership.manage',
          object: `ownership:${kind}`,
          before: { owner: was },
          after: { owner, effectiveFrom: from, note: opts['note'] ? String(opts['note']) : null },
        });
        return was;
      });
      cliIo().stdout.write(`${kind}: ${before} → ${owner} from ${from} (set by ${who})\n`);
    });
  });

  withSettings(
    ownership
      .command('source <source> <system>')
      .description(
        'say which system a message source is: sender:<MSH-3>|<MSH-4>, application:<MSH-3>, interface:<name> or * (all others)',
      )
      .option('--from <time>', 'effective from this time (ISO 8601; default now)')
      .option('--note <text>', 'why')
      .option('--as <name>', "who changes it (a data steward; must be the token's user)"),
  ).action(async (source: string, system: string, opts: Record<string, unknown>) => {
    if (!isSourcePattern(source)) {
      throw new CrosswalkError('CW_ERR_OWNERSHIP_BAD_INPUT', {
        reason: `source ${source.slice(0, 60)} must be sender:APP|FACILITY, application:APP, interface:NAME or *`,
      });
    }
    const to = systemArg(system);
    const now = new Date().toISOString();
    const from = effectiveFrom(opts, now);
    await withMigratedStore(opts, async (store) => {
      const who = (await actingAs(store, opts, 'ownership.manage')).subject;
      await store.transaction(async (tx) => {
        const reg = await loadOwnership(tx);
        const was = ownershipAt(reg, from).sources.find((s) => s.source === source)?.system ?? null;
        await addSource(tx, {
          source,
          system: to,
          effectiveFrom: from,
          setBy: who,
          setAt: now,
          ...(opts['note'] ? { note: String(opts['note']) } : {}),
        });
        await appendAudit(tx, {
          at: now,
          actor: who,
          action: 'ownership.manage',
          object: `ownership-source:${source}`,
          before: was === null ? null : { system: was },
          after: { system: to, effectiveFrom: from, note: opts['note'] ? String(opts['note']) : null },
        });
      });
      cliIo().stdout.write(`${source} is ${to} from ${from} (set by ${who})\n`);
    });
  });
}
