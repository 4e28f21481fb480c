import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import type { Command } from 'commander';
import {
  adjustment,
  decideAdjustment,
  decideManual,
  manualJournal,
  prepareAdjustment,
  prepareManual,
} from '../../apply/four-eyes.ts';
import { CrosswalkError } from '../../errors/index.ts';
import { DEFAULT_CURRENCIES, formatMinor } from '../../ledger/index.ts';
import {
  loadAdjustments,
  loadManualJournals,
  type StoredAdjustment,
  type StoredManualJournal,
} from '../../store/four-eyes-repository.ts';
import { actingAs } from '../acting.ts';
import { emit, table } from '../output.ts';
import { withSettings } from '../settings-flags.ts';
import { withMigratedStore } from './release.ts';

/**
 * `crosswalk ledger manual …` and `crosswalk inventory …`: four-eyes postings (src/apply/four-eyes.ts).
 * Matrix actions: prepare is journal.prepare / inventory.adjust.prepare; approve and reject are
 * journal.approve / inventory.adjust.approve; list, show and on-hand are ledger.read / inventory.read.
 */

const scale = (currency: string) => DEFAULT_CURRENCIES.find((c) => c.code === currency)?.scale ?? 2;
const money = (amount: bigint, currency: string) => formatMinor(amount, scale(currency));
const statusOf = (p: { decision: { decision: string } | null }) => p.decision?.decision ?? 'pending';

function manualJson(p: StoredManualJournal) {
  return {
    id: p.id,
    status: statusOf(p),
    description: p.description,
    preparedBy: p.preparedBy,
    preparedAt: p.preparedAt,
    source: p.sourceName,
    lines: p.lines.map((l) => ({
      ...l,
      debit: money(l.debit, l.currency),
      credit: money(l.credit, l.currency),
    })),
    decision: p.decision,
  };
}

function manualHuman(p: StoredManualJournal): string {
  const d = p.decision;
  return [
    `${p.id}  ${statusOf(p)}  prepared by ${p.preparedBy} at ${p.preparedAt}${d ? `; ${d.decision} by ${d.decidedBy} at ${d.decidedAt}` : ''}`,
    `  ${p.description}`,
    table([
      ['  LINE', 'ENTITY', 'ACCOUNT', 'COST CENTER', 'DEBIT', 'CREDIT', 'DATE', 'MEMO'],
      ...p.lines.map((l) => [
        `  ${l.lineNo}`,
        l.entity,
        l.account,
        l.costCenter ?? '-',
        l.debit > 0n ? money(l.debit, l.currency) : '',
        l.credit > 0n ? money(l.credit, l.currency) : '',
        l.effectiveDate,
        l.memo ?? '',
      ]),
    ]),
    ...(d && d.entryIds.length > 0 ? [`  posted: ${d.entryIds.join(', ')}`] : []),
    ...(d?.note ? [`  note: ${d.note}`] : []),
  ].join('\n');
}

function adjustmentJson(p: StoredAdjustment) {
  return { ...p, status: statusOf(p) };
}

function adjustmentHuman(p: StoredAdjustment): string {
  const d = p.decision;
  const what =
    p.mode === 'count' ? `counted ${p.quantity}` : `change ${p.quantity > 0n ? '+' : ''}${p.quantity}`;
  return [
    `${p.id}  ${statusOf(p)}  ${p.itemCode}${p.lotNumber ? ` lot ${p.lotNumber}` : ''} at ${p.parLocationCode}: ${what} (${p.reason})`,
    `  prepared by ${p.preparedBy} at ${p.preparedAt}${d ? `; ${d.decision} by ${d.decidedBy} at ${d.decidedAt}` : ''}`,
    ...(d && d.decision === 'approved'
      ? [
          `  on-hand changed by ${d.quantityChange ?? 0n}, value by ${d.currency ? money(d.valueChange ?? 0n, d.currency) : '0'} ${d.currency ?? ''}; entries: ${d.entryIds.join(', ') || 'none'}`,
        ]
      : []),
    ...(d?.note ? [`  note: ${d.note}`] : []),
  ].join('\n');
}

function signedQuantity(flag: string, text: unknown, allowNegative: boolean): bigint {
  const t = String(text ?? '').trim();
  if (!/^[+-]?\d{1,15}$/.test(t)) {
    throw new CrosswalkError('CW_ERR_CLI_USAGE', { reason: `${flag} must be a whole number of base units` });
  }
  const n = BigInt(t);
  if (!allowNegative && n < 0n)
    throw new CrosswalkError('CW_ERR_CLI_USAGE', { reason: `${flag} cannot be negative` });
  return n;
}

export function manualJournalCommand(ledger: Command): void {
  const manual = ledger
    .command('manual')
    .description('manual journal entries: prepared by one person, posted when another approves');

  withSettings(
    manual
      .command('prepare <file>')
      .description(
        'prepare a manual journal from a JSON or CSV file (entity, account, cost_center, debit, credit, currency, description, date or period)',
      )
      .option('--description <text>', 'what the entry is for (overrides the file’s)')
      .option('--format <fmt>', 'json or csv (default: from the file name)')
      .option('--as <name>', "who prepares it (must be the token's user)")
      .option('--json', 'print JSON'),
  ).action(async (file: string, opts: Record<string, unknown>) => {
    const format = String(opts['format'] ?? (extname(file).toLowerCase() === '.csv' ? 'csv' : 'json'));
    if (format !== 'json' && format !== 'csv') {
      throw new CrosswalkError('CW_ERR_CLI_USAGE', { reason: '--format must be json or csv' });
    }
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new CrosswalkError('CW_ERR_CLI_INPUT', {
        path: file,
        reason: (e as NodeJS.ErrnoException).code ?? 'unreadable',
      });
    }
    await withMigratedStore(opts, async (store) => {
      const who = (await actingAs(store, opts, 'journal.prepare')).subject;
      const p = await prepareManual(
        store,
        {
          text,
          format,
          sourceName: basename(file),
          ...(opts['description'] ? { description: String(opts['description']) } : {}),
        },
        who,
        new Date().toISOString(),
      );
      emit(
        Boolean(opts['json']),
        manualJson(p),
        () => `prepared ${p.id}; someone other than ${who} must approve it\n${manualHuman(p)}`,
      );
    });
  });

  withSettings(
    manual
      .command('list')
      .description('manual journals and their status')
      .option('--status <s>', 'pending, approved, rejected or all (default all)')
      .option('--json', 'print JSON'),
  ).action(async (opts: Record<string, unknown>) => {
    await withMigratedStore(opts, async (store) => {
      await actingAs(store, opts, 'ledger.read');
      const want = String(opts['status'] ?? 'all');
      const all = (await loadManualJournals(store)).filter((p) => want === 'all' || statusOf(p) === want);
      emit(Boolean(opts['json']), all.map(manualJson), () =>
        all.length === 0
          ? 'no manual journals'
          : table([
              ['ID', 'STATUS', 'PREPARED BY', 'DECIDED BY', 'LINES', 'DESCRIPTION'],
              ...all.map((p) => [
                p.id,
                statusOf(p),
                p.preparedBy,
                p.decision?.decidedBy ?? '-',
                String(p.lines.length),
                p.description,
              ]),
            ]),
      );
    });
  });

  withSettings(
    manual.command('show <id>').description('one manual journal').option('--json', 'print JSON'),
  ).action(async (id: string, opts: Record<string, unknown>) => {
    await withMigratedStore(opts, async (store) => {
      await actingAs(store, opts, 'ledger.read');
      const p = await manualJournal(store, id);
      emit(Boolean(opts['json']), manualJson(p), () => manualHuman(p));
    });
  });

  for (const verb of ['approve', 'reject'] as const) {
    withSettings(
      manual
        .command(`${verb} <id>`)
        .description(
          verb === 'approve' ? 'approve and post it (not by its preparer)' : 'reject it; nothing is posted',
        )
        .option('--note <text>', 'why')
        .option('--as <name>', `who ${verb}s it (must be the token's user)`)
        .option('--json', 'print JSON'),
    ).action(async (id: string, opts: Record<string, unknown>) => {
      await withMigratedStore(opts, async (store) => {
        // The approver's grants must cover every entity the entry posts to.
        let who = (await actingAs(store, opts, 'journal.approve')).subject;
        for (const entity of new Set((await manualJournal(store, id)).lines.map((l) => l.entity)))
          who = (await actingAs(store, opts, 'journal.approve', { entity })).subject;
        const { proposal } = await decideManual(
          store,
          id,
          verb === 'approve' ? 'approved' : 'rejected',
          who,
          opts['note'] ? String(opts['note']) : null,
          new Date().toISOString(),
        );
        emit(Boolean(opts['json']), manualJson(proposal), () => manualHuman(proposal));
      });
    });
  }
}

export function inventoryCommand(program: Command): void {
  const inventory = program.command('inventory').description('stock on hand and four-eyes adjustments');

  withSettings(
    inventory
      .command('on-hand')
      .description('on-hand quantity and value per item × par location, from the books')
      .option('--item <code>', 'one item')
      .option('--location <code>', 'one par location')
      .option('--json', 'print JSON'),
  ).action(async (opts: Record<string, unknown>) => {
    await withMigratedStore(opts, async (store) => {
      await actingAs(store, opts, 'inventory.read');
      const where: string[] = [];
      const params: string[] = [];
      if (opts['item']) {
        where.push('item_code = ?');
        params.push(String(opts['item']));
      }
      if (opts['location']) {
        where.push('par_location_code = ?');
        params.push(String(opts['location']));
      }
      const rows = await store.query(
        `SELECT item_code, par_location_code, quantity, value, currency FROM stock_on_hand
         ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY item_code, par_location_code`,
        params,
      );
      const out = rows.map((r) => ({
        item: String(r['item_code']),
        location: String(r['par_location_code']),
        quantity: String(r['quantity']),
        value: money(BigInt(String(r['value'])), String(r['currency'])),
        currency: String(r['currency']),
      }));
      emit(Boolean(opts['json']), out, () =>
        out.length === 0
          ? 'no stock positions'
          : table([
              ['ITEM', 'LOCATION', 'QUANTITY', 'VALUE', 'CURRENCY'],
              ...out.map((o) => [o.item, o.location, o.quantity, o.value, o.currency]),
            ]),
      );
    });
  });

  const adjust = inventory
    .command('adjust')
    .description('inventory adjustments: prepared by one person, posted when another approves');

  withSettings(
    adjust
      .command('prepare')
      .description('prepare an adjustment of one item at one par location: --quantity ±N or --counted N')
      .requiredOption('--item <code>', 'the item')
      .requiredOption('--location <code>', 'the par location')
      .option('--lot <number>', 'the lot, for lot-tracked items')
      .option('--quantity <n>', 'the change in base units, e.g. -3 or +2')
      .option('--counted <n>', 'what was counted: on-hand becomes this')
      .requiredOption('--reason <text>', 'why (damaged, expired, found, count…)')
      .option('--date <yyyy-mm-dd>', 'effective date (default today)')
      .option('--as <name>', "who prepares it (must be the token's user)")
      .option('--json', 'print JSON'),
  ).action(async (opts: Record<string, unknown>) => {
    if ((opts['quantity'] === undefined) === (opts['counted'] === undefined)) {
      throw new CrosswalkError('CW_ERR_CLI_USAGE', { reason: 'give either --quantity ±N or --counted N' });
    }
    const mode = opts['counted'] !== undefined ? 'count' : 'delta';
    const quantity =
      mode === 'count'
        ? signedQuantity('--counted', opts['counted'], false)
        : signedQuantity('--quantity', opts['quantity'], true);
    const date = opts['date'] === undefined ? undefined : String(opts['date']);
    if (date !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(date)) {
      throw new CrosswalkError('CW_ERR_CLI_USAGE', { reason: '--date must be YYYY-MM-DD' });
    }
    await withMigratedStore(opts, async (store) => {
      const who = (await actingAs(store, opts, 'inventory.adjust.prepare')).subject;
      const p = await prepareAdjustment(
        store,
        {
          itemCode: String(opts['item']),
          parLocationCode: String(opts['location']),
          lotNumber: opts['lot'] === undefined ? null : String(opts['lot']),
          mode,
          quantity,
          reason: String(opts['reason']),
          ...(date ? { effectiveDate: date } : {}),
        },
        who,
        new Date().toISOString(),
      );
      emit(
        Boolean(opts['json']),
        adjustmentJson(p),
        () => `prepared ${p.id}; someone other than ${who} must approve it\n${adjustmentHuman(p)}`,
      );
    });
  });

  withSettings(
    adjust
      .command('list')
      .description('adjustments and their status')
      .option('--status <s>', 'pending, approved, rejected or all (default all)')
      .option('--json', 'print JSON'),
  ).action(async (opts: Record<string, unknown>) => {
    await withMigratedStore(opts, async (store) => {
      await actingAs(store, opts, 'inventory.read');
      const want = String(opts['status'] ?? 'all');
      const all = (await loadAdjustments(store)).filter((p) => want === 'all' || statusOf(p) === want);
      emit(Boolean(opts['json']), all.map(adjustmentJson), () =>
        all.length === 0 ? 'no inventory adjustments' : all.map(adjustmentHuman).join('\n'),
      );
    });
  });

  withSettings(
    adjust.command('show <id>').description('one adjustment').option('--json', 'print JSON'),
  ).action(async (id: string, opts: Record<string, unknown>) => {
    await withMigratedStore(opts, async (store) => {
      await actingAs(store, opts, 'inventory.read');
      const p = await adjustment(store, id);
      emit(Boolean(opts['json']), adjustmentJson(p), () => adjustmentHuman(p));
    });
  });

  for (const verb of ['approve', 'reject'] as const) {
    withSettings(
      adjust
        .command(`${verb} <id>`)
        .description(
          verb === 'approve' ? 'approve and post it (not by its preparer)' : 'reject it; nothing is posted',
        )
        .option('--note <text>', 'why')
        .option('--as <name>', `who ${verb}s it (must be the token's user)`)
        .option('--json', 'print JSON'),
    ).action(async (id: string, opts: Record<string, unknown>) => {
      await withMigratedStore(opts, async (store) => {
        const who = (await actingAs(store, opts, 'inventory.adjust.approve')).subject;
        const p = await decideAdjustment(
          store,
          id,
          verb === 'approve' ? 'approved' : 'rejected',
          who,
          opts['note'] ? String(opts['note']) : null,
          new Date().toISOString(),
        );
        emit(Boolean(opts['json']), adjustmentJson(p), () => adjustmentHuman(p));
      });
    });
  }
}
