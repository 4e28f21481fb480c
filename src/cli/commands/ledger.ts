import type { Command } from 'commander';
import { CrosswalkError } from '../../errors/index.ts';
import { entitiesInScope } from '../../governance/index.ts';
import { readHeader } from '../../hl7v2/index.ts';
import {
  type CloseCheck,
  canClose,
  createLedgerContext,
  DEFAULT_CURRENCIES,
  type FiscalPeriod,
  formatMinor,
  transitionPeriod,
} from '../../ledger/index.ts';
import { findFacility, type MappingRelease, minorDigits } from '../../mapping/index.ts';
import { appendAudit } from '../../store/audit-repository.ts';
import {
  entryCounts,
  type OpenExceptionSource,
  openExceptionSources,
  periodJournal,
  recentJournal,
  trialBalance,
} from '../../store/books-queries.ts';
import type { SqlExecutor, Store } from '../../store/index.ts';
import { readMasterData } from '../../store/master-data.ts';
import {
  activeReleaseId,
  listPeriods,
  loadRelease,
  movePeriodStatus,
  pendingCount,
} from '../../store/posting-repository.ts';
import { actingAs } from '../acting.ts';
import { exitWithFailure } from '../io.ts';
import { emit, table } from '../output.ts';
import { withSettings } from '../settings-flags.ts';
import { manualJournalCommand } from './four-eyes.ts';
import { withMigratedStore } from './release.ts';

/**
 * `crosswalk ledger …`: the books as finance reads them (trial balance, journal with its sources,
 * periods) and the period close. Money is printed from minor units with the currency's scale, never
 * through a float.
 */

/** The currency's scale: the ledger's configured currencies first, ISO 4217 exponents otherwise. */
function scaleOf(currency: string): number {
  return DEFAULT_CURRENCIES.find((c) => c.code === currency)?.scale ?? minorDigits(currency);
}

const money = (amount: bigint, currency: string): string => formatMinor(amount, scaleOf(currency));

async function checkEntity(db: SqlExecutor, entity: unknown): Promise<string | undefined> {
  if (typeof entity !== 'string') return undefined;
  const { entities } = await readMasterData(db, ['entities']);
  if (!entities.some((e) => e.code === entity)) {
    throw new CrosswalkError('CW_ERR_LEDGER_UNKNOWN_ENTITY', { entity });
  }
  return entity;
}

async function checkPeriod(
  db: SqlExecutor,
  period: unknown,
  entity: string | undefined,
): Promise<string | undefined> {
  if (typeof period !== 'string') return undefined;
  const periods = await listPeriods(db);
  if (!periods.some((p) => p.id === period && (entity === undefined || p.entityCode === entity))) {
    throw new CrosswalkError('CW_ERR_API_NOT_FOUND', {
      what: entity ? `fiscal period of ${entity}` : 'fiscal period',
      id: period,
    });
  }
  return period;
}

function positiveInt(name: string, v: unknown): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new CrosswalkError('CW_ERR_CLI_USAGE', { reason: `${name} must be a whole number ≥ 1` });
  return n;
}

/** `YYYY-MM-DD` of an instant in a time zone (the sender's calendar, as interpretation dates events). */
function localDate(instant: string, timeZone: string): string | null {
  const t = new Date(instant);
  if (Number.isNaN(t.getTime())) return null;
  try {
    return new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    }).format(t);
  } catch {
    return t.toISOString().slice(0, 10);
  }
}

/**
 * Which entity an open exception would post to once fixed, and the date its work belongs to; null
 * where that cannot be known (the exception then counts against every entity, or every period).
 * An event names both. A message that failed before any event was made tells them through its header:
 * the sending facility (MSH-4.1) mapped by the active release, and the message time (MSH-7) as sent.
 */
export function exceptionScope(
  x: OpenExceptionSource,
  release: MappingRelease | null,
): { entity: string | null; date: string | null } {
  const tz = release?.content.timeZone ?? 'UTC';
  if (x.eventOccurredAt !== null) {
    return { entity: x.eventEntity, date: localDate(x.eventOccurredAt, tz) };
  }
  if (x.raw === null) return { entity: null, date: null };
  try {
    const h = readHeader(x.raw, { requireFields: false });
    const m = /^(\d{4})(\d{2})(\d{2})/.exec(h.dateTime);
    const date = m ? `${m[1]}-${m[2]}-${m[3]}` : null;
    const facility = h.sendingFacility.split(h.delimiters.component)[0] ?? '';
    const entity =
      release !== null && date !== null && facility !== ''
        ? (findFacility(release, facility, date)?.entityCode ?? null)
        : null;
    return { entity, date };
  } catch {
    return { entity: null, date: null };
  }
}

interface CloseOutcome {
  readonly entity: string;
  readonly period: string;
  readonly from: string;
  readonly status: string;
  readonly closed: boolean;
  readonly by: string;
  readonly blockers: CloseCheck['blockers'];
  /** Ids of the open exceptions that block, for `crosswalk exceptions`/`messages show`. */
  readonly blockingExceptions: readonly string[];
}

/** The facts the ledger's close check needs, gathered from the database, and its verdict. */
async function closeCheck(
  db: SqlExecutor,
  period: FiscalPeriod,
): Promise<{ check: CloseCheck; blockingExceptions: string[] }> {
  const md = await readMasterData(db, ['entities', 'accounts', 'costCenters', 'intercompanyRelationships']);
  const ctx = createLedgerContext({
    entities: md.entities,
    accounts: md.accounts,
    costCenters: md.costCenters,
    intercompany: md.intercompanyRelationships,
  });
  const activeId = await activeReleaseId(db);
  const release = activeId === null ? null : await loadRelease(db, activeId);
  const blocking = (await openExceptionSources(db)).filter((x) => {
    const scope = exceptionScope(x, release);
    return (
      (scope.entity === null || scope.entity === period.entityCode) &&
      (scope.date === null || scope.date <= period.endDate)
    );
  });
  const check = canClose(
    period,
    {
      periods: await listPeriods(db),
      entries: await periodJournal(db, period.entityCode, period.id),
      // Messages not yet interpreted: their events' entities and dates are unknown, so any of them blocks.
      unpostedEvents: await pendingCount(db),
      openExceptions: blocking.length,
    },
    ctx,
  );
  return { check, blockingExceptions: blocking.map((x) => String(x.id)) };
}

/**
 * `ledger.read` is scoped: with --entity the grant must cover that entity; without it the listing shows
 * only the entities the reader's grants cover. Answers the filter to apply.
 */
async function readScope(
  store: Store,
  opts: Record<string, unknown>,
  entity: string | undefined,
): Promise<(entity: string) => boolean> {
  const who = await actingAs(store, opts, 'ledger.read', entity ? { entity } : undefined);
  const inScope = entitiesInScope(who, 'ledger.read');
  return (e) => inScope === null || inScope.has(e);
}

export function ledgerCommand(program: Command): void {
  const ledger = program
    .command('ledger')
    .description('the books: trial balance, journal, fiscal periods and their close, manual journals');
  manualJournalCommand(ledger);

  withSettings(
    ledger
      .command('trial-balance')
      .description('debits, credits and net per entity × currency × account, and the net per entity (zero)')
      .option('--entity <code>', 'one legal entity')
      .option('--period <id>', 'one fiscal period, e.g. 2026-11')
      .option('--json', 'print JSON (amounts as decimal strings)'),
  ).action(async (opts: Record<string, unknown>) => {
    await withMigratedStore(opts, async (store) => {
      const entity = await checkEntity(store, opts['entity']);
      const visible = await readScope(store, opts, entity);
      const periodId = await checkPeriod(store, opts['period'], entity);
      const rows = (
        await trialBalance(store, {
          ...(entity ? { entity } : {}),
          ...(periodId ? { periodId } : {}),
        })
      ).filter((r) => visible(r.entity));
      const totals = new Map<string, { entity: string; currency: string; debit: bigint; credit: bigint }>();
      for (const r of rows) {
        const k = `${r.entity} ${r.currency}`;
        const t = totals.get(k) ?? { entity: r.entity, currency: r.currency, debit: 0n, credit: 0n };
        totals.set(k, { ...t, debit: t.debit + r.debit, credit: t.credit + r.credit });
      }
      const sums = [...totals.values()].map((t) => ({ ...t, net: t.debit - t.credit }));
      const balanced = sums.every((t) => t.net === 0n);
      emit(
        Boolean(opts['json']),
        {
          entity: entity ?? null,
          period: periodId ?? null,
          balanced,
          rows: rows.map((r) => ({
            entity: r.entity,
            currency: r.currency,
            account: r.account,
            accountName: r.accountName,
            debit: money(r.debit, r.currency),
            credit: money(r.credit, r.currency),
            net: money(r.net, r.currency),
          })),
          totals: sums.map((t) => ({
            entity: t.entity,
            currency: t.currency,
            debit: money(t.debit, t.currency),
            credit: money(t.credit, t.currency),
            net: money(t.net, t.currency),
            balanced: t.net === 0n,
          })),
        },
        () => {
          if (rows.length === 0) return 'no postings';
          const lines: string[][] = [['ENTITY', 'CURRENCY', 'ACCOUNT', 'NAME', 'DEBIT', 'CREDIT', 'NET']];
          for (const t of sums) {
            for (const r of rows.filter((x) => x.entity === t.entity && x.currency === t.currency)) {
              lines.push([
                r.entity,
                r.currency,
                r.account,
                r.accountName,
                money(r.debit, r.currency),
                money(r.credit, r.currency),
                money(r.net, r.currency),
              ]);
            }
            lines.push([
              t.entity,
              t.currency,
              'total',
              t.net === 0n ? 'net zero: balanced' : 'OUT OF BALANCE',
              money(t.debit, t.currency),
              money(t.credit, t.currency),
              money(t.net, t.currency),
            ]);
          }
          // Amounts right-aligned: pad them before the table pads the text columns.
          const width = (i: number) => Math.max(...lines.map((l) => l[i]!.length));
          const aligned = lines.map((l) => l.map((c, i) => (i >= 4 ? c.padStart(Math.max(width(i), 1)) : c)));
          return [
            `trial balance${entity ? ` of ${entity}` : ''}${periodId ? `, period ${periodId}` : ', all periods'}`,
            table(aligned),
          ].join('\n');
        },
      );
      if (!balanced) exitWithFailure();
    });
  });

  withSettings(
    ledger
      .command('journal')
      .description('journal entries, newest first, with their lines, source event and inbound message')
      .option('--entity <code>', 'one legal entity')
      .option('--period <id>', 'one fiscal period, e.g. 2026-11')
      .option('--limit <n>', 'how many entries', '20')
      .option('--json', 'print JSON'),
  ).action(async (opts: Record<string, unknown>) => {
    const limit = positiveInt('--limit', opts['limit']);
    await withMigratedStore(opts, async (store) => {
      const entity = await checkEntity(store, opts['entity']);
      const visible = await readScope(store, opts, entity);
      const periodId = await checkPeriod(store, opts['period'], entity);
      const entries = (
        await recentJournal(store, {
          limit,
          ...(entity ? { entity } : {}),
          ...(periodId ? { periodId } : {}),
        })
      ).filter((e) => visible(e.entity));
      emit(
        Boolean(opts['json']),
        entries.map(({ accountNames, lines, ...e }) => ({
          ...e,
          total: money(e.total, e.currency),
          lines: lines.map((l, i) => ({
            ...l,
            accountName: accountNames[i] ?? null,
            amount: money(l.amount, e.currency),
          })),
        })),
        () =>
          entries.length === 0
            ? 'no journal entries'
            : entries
                .map((e) => {
                  const head = [
                    `${e.id}  ${e.entity} ${e.periodId}  ${e.accountingDate}  ${e.reasonCode}  ${money(e.total, e.currency)} ${e.currency}`,
                    `  ${e.description}${e.lateFromPeriod ? ` (late from ${e.lateFromPeriod})` : ''}${
                      e.reverses ? ` (reverses ${e.reverses})` : ''
                    }`,
                    e.sourceMessageId === null
                      ? `  source ${e.sourceEventId} (no inbound message), rule ${e.ruleId}, posted ${e.postedAt}`
                      : `  source event ${e.sourceEventId} (${e.eventType}) from message ${e.sourceMessageId} (crosswalk messages show ${e.sourceMessageId}), rule ${e.ruleId}, posted ${e.postedAt}`,
                  ];
                  const amounts = e.lines.map((l) => money(l.amount, e.currency));
                  const width = Math.max(...amounts.map((a) => a.length));
                  const body = table(
                    e.lines.map((l, i) => [
                      `    ${l.side === 'debit' ? 'Dr' : 'Cr'}`,
                      l.account,
                      e.accountNames[i] ?? '',
                      l.costCenter ?? '-',
                      amounts[i]!.padStart(width),
                    ]),
                  );
                  return [...head, body].join('\n');
                })
                .join('\n\n'),
      );
    });
  });

  withSettings(
    ledger
      .command('periods')
      .description('fiscal periods per entity with their status and how many entries they hold')
      .option('--entity <code>', 'one legal entity')
      .option('--json', 'print JSON'),
  ).action(async (opts: Record<string, unknown>) => {
    await withMigratedStore(opts, async (store) => {
      const entity = await checkEntity(store, opts['entity']);
      const visible = await readScope(store, opts, entity);
      const counts = await entryCounts(store);
      const periods = (await listPeriods(store))
        .filter((p) => (entity === undefined || p.entityCode === entity) && visible(p.entityCode))
        .map((p) => ({ ...p, entries: counts.get(`${p.entityCode} ${p.id}`) ?? 0 }));
      emit(Boolean(opts['json']), periods, () =>
        periods.length === 0
          ? 'no fiscal periods'
          : table([
              ['ENTITY', 'PERIOD', 'START', 'END', 'STATUS', 'ENTRIES'],
              ...periods.map((p) => [
                p.entityCode,
                p.id,
                p.startDate,
                p.endDate,
                p.status,
                String(p.entries),
              ]),
            ]),
      );
    });
  });

  withSettings(
    ledger
      .command('close')
      .description(
        'close a fiscal period: cut it off (open → closing), check it with the ledger, then close it (final); --abort reopens a closing period',
      )
      .argument('<entity>', 'the legal entity, e.g. HRMC')
      .argument('<period>', 'the fiscal period, e.g. 2026-11')
      .option('--as <name>', "who closes it (must be the token's user)")
      .option('--abort', 'give up a close in progress: closing → open')
      .option('--json', 'print JSON'),
  ).action(async (entityArg: string, periodArg: string, opts: Record<string, unknown>) => {
    const json = Boolean(opts['json']);
    await withMigratedStore(opts, async (store) => {
      const entity = (await checkEntity(store, entityArg))!;
      const who = (await actingAs(store, opts, 'ledger.close', { entity })).subject;
      const find = async (db: SqlExecutor): Promise<FiscalPeriod> => {
        const p = (await listPeriods(db)).find((x) => x.entityCode === entity && x.id === periodArg);
        if (!p) {
          throw new CrosswalkError('CW_ERR_API_NOT_FOUND', {
            what: `fiscal period of ${entity}`,
            id: periodArg,
          });
        }
        return p;
      };
      // Moves the period if it is still where it was read; a concurrent change is reported, not overwritten.
      const move = async (
        db: SqlExecutor,
        p: FiscalPeriod,
        to: FiscalPeriod['status'],
      ): Promise<FiscalPeriod> => {
        const next = transitionPeriod(p, to);
        const at = new Date().toISOString();
        if (!(await movePeriodStatus(db, entity, p.id, p.status, to, at))) {
          throw new CrosswalkError('CW_ERR_LEDGER_PERIOD_TRANSITION', {
            period: p.id,
            entity,
            from: `${p.status} (changed by someone else meanwhile)`,
            to,
          });
        }
        await appendAudit(db, {
          at,
          actor: who,
          action: `ledger.period.${to}`,
          object: `period:${entity}/${p.id}`,
          before: { status: p.status },
          after: { status: to },
        });
        return next;
      };

      if (opts['abort']) {
        const reopened = await store.transaction(async (tx) => move(tx, await find(tx), 'open'));
        emit(
          json,
          { entity, period: reopened.id, from: 'closing', status: 'open', by: who },
          () =>
            `period ${reopened.id} of ${entity} is open again (close abandoned by ${who}); it takes postings`,
        );
        return;
      }

      /**
       * Periods close in order: when an earlier one is still open nothing changes (the ledger's own
       * rule, asked with the period as if cut off and no other facts). Otherwise the cut-off comes
       * first and is kept even when the close is then refused: from then on events dated in the period
       * roll forward, so the checks look at books that no longer move while the team clears them.
       */
      const closeInOrder = async (start: FiscalPeriod): Promise<CloseOutcome> => {
        const base = { entity, period: start.id, from: start.status, by: who };
        const order = canClose(
          start.status === 'closing' ? start : transitionPeriod(start, 'closing'),
          { periods: await listPeriods(store), entries: [], unpostedEvents: 0, openExceptions: 0 },
          createLedgerContext({ entities: [], accounts: [], costCenters: [], intercompany: [] }),
        );
        if (!order.ok) {
          return {
            ...base,
            status: start.status,
            closed: false,
            blockers: order.blockers,
            blockingExceptions: [],
          };
        }
        if (start.status === 'open')
          await store.transaction(async (tx) => move(tx, await find(tx), 'closing'));
        return store.transaction(async (tx) => {
          const p = await find(tx);
          const { check, blockingExceptions } = await closeCheck(tx, p);
          if (!check.ok) {
            return { ...base, status: p.status, closed: false, blockers: check.blockers, blockingExceptions };
          }
          await move(tx, p, 'closed');
          return { ...base, status: 'closed', closed: true, blockers: [], blockingExceptions: [] };
        });
      };

      const start = await find(store);
      if (start.status === 'closed') {
        throw new CrosswalkError('CW_ERR_CLI_CLOSE_BLOCKED', {
          period: start.id,
          entity,
          reasons: 'it is already closed, and closed is final (corrections go into a later period)',
        });
      }
      const outcome: CloseOutcome = await closeInOrder(start);
      emit(json, outcome, () =>
        outcome.closed
          ? `period ${outcome.period} of ${entity} closed by ${who} (${outcome.from === 'open' ? 'open → closing → closed' : 'closing → closed'}); it takes no more postings`
          : [
              outcome.status === 'closing'
                ? `period ${outcome.period} of ${entity} is cut off (closing: no new postings) but cannot close yet:`
                : `period ${outcome.period} of ${entity} cannot close:`,
              ...outcome.blockers.map(
                (b) =>
                  `  - ${b.code} (${b.count}): ${b.detail}${
                    b.code === 'open-exceptions' && outcome.blockingExceptions.length > 0
                      ? `; exception ids ${outcome.blockingExceptions.slice(0, 10).join(', ')}${outcome.blockingExceptions.length > 10 ? ', …' : ''}`
                      : ''
                  }`,
              ),
              ...(outcome.status === 'closing'
                ? [
                    `resolve them and run crosswalk ledger close ${entity} ${outcome.period} --as ${who} again, or reopen it with --abort`,
                  ]
                : []),
            ].join('\n'),
      );
      if (!outcome.closed) {
        throw new CrosswalkError('CW_ERR_CLI_CLOSE_BLOCKED', {
          period: outcome.period,
          entity,
          reasons: outcome.blockers.map((b) => `${b.code} (${b.count})`).join(', '),
        });
      }
    });
  });
}
