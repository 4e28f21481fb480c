/**
 * Four-eyes postings (issue 6, segregation of duties): manual journal entries and inventory adjustments
 * are prepared by one person and posted only when someone else approves them.
 *
 * Invariants:
 * - A proposal is immutable once prepared (append-only rows); a decision is one row per proposal, never
 *   changed, recording who prepared and who decided.
 * - The approver is never the preparer. The preparer compared is the one stored on the proposal row,
 *   read in the approving transaction — not anything the caller passes — and the database's insert
 *   trigger on the decisions table refuses the same thing again, so an edit of the decision path or a
 *   hand-written INSERT cannot get round it. A refused self-approval is audited in its own transaction.
 * - Approval posts in one transaction: the entries through the ledger's checks and the database's
 *   balance triggers, the stock movement and position (adjustments), the outbox journal document, the
 *   decision and its audit record. Re-approving is refused (the decision exists); the entry ids derive
 *   from the proposal id, so even a forced second post collides.
 */

import { createHash, randomBytes } from 'node:crypto';
import { CrosswalkError } from '../errors/index.ts';
import { buildCatalog, postAll } from '../inventory/index.ts';
import {
  countVariance,
  createLedgerContext,
  type JournalEntry,
  journalize,
  type LedgerContext,
  manualJournalEntries,
  prepareManualJournal,
  readManualFile,
} from '../ledger/index.ts';
import { documentsForBatch } from '../outbox/documents.ts';
import { appendAudit } from '../store/audit-repository.ts';
import { saveEntries } from '../store/batch-writes.ts';
import {
  type AdjustmentProposal,
  loadAdjustments,
  loadManualJournals,
  recordAdjustmentDecision,
  recordManualDecision,
  type StoredAdjustment,
  type StoredManualJournal,
  saveAdjustmentProposal,
  saveManualProposal,
} from '../store/four-eyes-repository.ts';
import type { SqlExecutor, Store } from '../store/index.ts';
import { loadInventoryState, saveInventory } from '../store/inventory-repository.ts';
import { readMasterData } from '../store/master-data.ts';
import { enqueueDocuments } from '../store/outbox-repository.ts';
import { activeReleaseId, listPeriods, loadRelease } from '../store/posting-repository.ts';
import { rulesFromRelease } from './rules.ts';

/** The outbox ordering key of approved manual journals and adjustments (sequenced by approval time). */
export const MANUAL_ORDERING_KEY = 'manual';

const sameName = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

async function ledgerOf(db: SqlExecutor): Promise<LedgerContext> {
  const md = await readMasterData(db, ['entities', 'accounts', 'costCenters', 'intercompanyRelationships']);
  return createLedgerContext({
    entities: md.entities,
    accounts: md.accounts,
    costCenters: md.costCenters,
    intercompany: md.intercompanyRelationships,
  });
}

function newId(prefix: string, at: string): string {
  return `${prefix}_${at.slice(0, 10).replaceAll('-', '')}_${randomBytes(5).toString('hex')}`;
}

/** Refuses a decision on a decided proposal, and an approval by its stored preparer (audited). */
async function checkDecidable(
  store: Store,
  what: string,
  action: string,
  p: { id: string; preparedBy: string; decision: { decision: string; decidedBy: string } | null },
  approver: string | null,
  at: string,
): Promise<void> {
  if (p.decision !== null) {
    throw new CrosswalkError('CW_ERR_PROPOSAL_DECIDED', {
      what,
      id: p.id,
      decision: p.decision.decision,
      by: p.decision.decidedBy,
    });
  }
  if (approver !== null && sameName(approver, p.preparedBy)) {
    const error = new CrosswalkError('CW_ERR_FOUR_EYES_SELF_APPROVAL', {
      what,
      id: p.id,
      preparer: p.preparedBy,
      approver,
    });
    await store.transaction((tx) =>
      appendAudit(tx, {
        at,
        actor: approver,
        action,
        object: `${what.replaceAll(' ', '-')}:${p.id}`,
        after: { refused: error.code, preparedBy: p.preparedBy },
      }),
    );
    throw error;
  }
}

async function queueJournal(tx: SqlExecutor, entries: readonly JournalEntry[], at: string): Promise<void> {
  const docs = documentsForBatch(
    MANUAL_ORDERING_KEY,
    [{ kind: 'applied', message: { id: BigInt(Date.parse(at)) }, entries }],
    at,
  );
  await enqueueDocuments(tx, docs);
}

// --- manual journals -------------------------------------------------------------------------------------

export async function prepareManual(
  store: Store,
  input: { text: string; format: 'json' | 'csv'; sourceName: string | null; description?: string },
  preparedBy: string,
  at: string,
): Promise<StoredManualJournal> {
  const file = readManualFile(input.text, input.format);
  if (input.description) file.description = input.description;
  const id = newId('mj', at);
  const ctx = await ledgerOf(store);
  return store.transaction(async (tx) => {
    const proposal = prepareManualJournal(id, file, ctx, await listPeriods(tx));
    await saveManualProposal(tx, proposal, {
      preparedBy,
      preparedAt: at,
      sourceName: input.sourceName,
      contentSha256: createHash('sha256').update(input.text).digest('hex'),
    });
    await appendAudit(tx, {
      at,
      actor: preparedBy,
      action: 'journal.prepare',
      object: `manual-journal:${id}`,
      after: {
        description: proposal.description,
        lines: proposal.lines.length,
        debits: proposal.lines.reduce((a, l) => a + l.debit, 0n).toString(),
      },
    });
    return (await loadManualJournals(tx, id))[0]!;
  });
}

export async function manualJournal(db: SqlExecutor, id: string): Promise<StoredManualJournal> {
  const p = (await loadManualJournals(db, id))[0];
  if (!p) throw new CrosswalkError('CW_ERR_PROPOSAL_NOT_FOUND', { what: 'manual journal', id });
  return p;
}

export async function decideManual(
  store: Store,
  id: string,
  decision: 'approved' | 'rejected',
  who: string,
  note: string | null,
  at: string,
): Promise<{ proposal: StoredManualJournal; entries: readonly JournalEntry[] }> {
  const seen = await manualJournal(store, id);
  await checkDecidable(
    store,
    'manual journal',
    'journal.approve',
    seen,
    decision === 'approved' ? who : null,
    at,
  );
  const ctx = await ledgerOf(store);
  return store.transaction(async (tx) => {
    // Read again inside the transaction: the preparer and the decision as stored, not as first seen.
    const p = await manualJournal(tx, id);
    if (p.decision !== null || (decision === 'approved' && sameName(p.preparedBy, who))) {
      throw new CrosswalkError(
        p.decision !== null ? 'CW_ERR_PROPOSAL_DECIDED' : 'CW_ERR_FOUR_EYES_SELF_APPROVAL',
        {
          what: 'manual journal',
          id,
          decision: p.decision?.decision ?? '',
          by: p.decision?.decidedBy ?? '',
          preparer: p.preparedBy,
          approver: who,
        },
      );
    }
    const entries = decision === 'approved' ? manualJournalEntries(p, ctx, await listPeriods(tx), at) : [];
    await saveEntries(tx, entries);
    await queueJournal(tx, entries, at);
    await recordManualDecision(tx, id, {
      decision,
      decidedBy: who,
      decidedAt: at,
      preparedBy: p.preparedBy,
      note,
      entryIds: entries.map((e) => e.id),
    });
    await appendAudit(tx, {
      at,
      actor: who,
      action: 'journal.approve',
      object: `manual-journal:${id}`,
      before: { status: 'pending', preparedBy: p.preparedBy },
      after: { status: decision, note, entries: entries.map((e) => e.id) },
    });
    return { proposal: await manualJournal(tx, id), entries };
  });
}

// --- inventory adjustments -------------------------------------------------------------------------------

export async function prepareAdjustment(
  store: Store,
  input: Omit<AdjustmentProposal, 'id' | 'effectiveDate'> & { effectiveDate?: string },
  preparedBy: string,
  at: string,
): Promise<StoredAdjustment> {
  const bad = (reason: string) => new CrosswalkError('CW_ERR_ADJUSTMENT_INVALID', { reason });
  if (input.reason.trim() === '') throw bad('give a --reason');
  if (input.mode === 'delta' && input.quantity === 0n) throw bad('a quantity change of 0 changes nothing');
  if (input.mode === 'count' && input.quantity < 0n) throw bad('a count cannot be negative');
  const md = await readMasterData(store, ['items', 'parLocations']);
  const item = md.items.find((i) => i.code === input.itemCode);
  if (!item) throw new CrosswalkError('CW_ERR_INVENTORY_UNKNOWN_ITEM', { item: input.itemCode });
  if (!md.parLocations.some((l) => l.code === input.parLocationCode)) {
    throw bad(`location ${input.parLocationCode} is not a par location`);
  }
  if (item.tracking === 'lot-serial') {
    throw bad(`item ${item.code} is tracked by serial number: adjust it with a count sheet naming each unit`);
  }
  if (item.tracking === 'lot' && !input.lotNumber)
    throw bad(`item ${item.code} is tracked by lot: name the --lot`);
  if (item.tracking === 'none' && input.lotNumber) throw bad(`item ${item.code} is not tracked by lot`);
  const id = newId('adj', at);
  const proposal: AdjustmentProposal = {
    id,
    itemCode: input.itemCode,
    parLocationCode: input.parLocationCode,
    lotNumber: input.lotNumber,
    mode: input.mode,
    quantity: input.quantity,
    reason: input.reason.trim(),
    effectiveDate: input.effectiveDate ?? at.slice(0, 10),
  };
  return store.transaction(async (tx) => {
    await saveAdjustmentProposal(tx, proposal, { preparedBy, preparedAt: at });
    await appendAudit(tx, {
      at,
      actor: preparedBy,
      action: 'inventory.adjust.prepare',
      object: `inventory-adjustment:${id}`,
      after: {
        item: proposal.itemCode,
        location: proposal.parLocationCode,
        lot: proposal.lotNumber,
        mode: proposal.mode,
        quantity: proposal.quantity.toString(),
        reason: proposal.reason,
      },
    });
    return (await loadAdjustments(tx, id))[0]!;
  });
}

export async function adjustment(db: SqlExecutor, id: string): Promise<StoredAdjustment> {
  const p = (await loadAdjustments(db, id))[0];
  if (!p) throw new CrosswalkError('CW_ERR_PROPOSAL_NOT_FOUND', { what: 'inventory adjustment', id });
  return p;
}

/**
 * Approving posts a count of the position (counted = on-hand now + change, or the counted quantity):
 * the inventory engine values the difference at the moving average, and the ledger's count-variance
 * rules (shrink or overage, inventory-variance against inventory) book its value — one transaction.
 */
export async function decideAdjustment(
  store: Store,
  id: string,
  decision: 'approved' | 'rejected',
  who: string,
  note: string | null,
  at: string,
): Promise<StoredAdjustment> {
  const seen = await adjustment(store, id);
  const action = 'inventory.adjust.approve';
  await checkDecidable(store, 'inventory adjustment', action, seen, decision === 'approved' ? who : null, at);
  const md = await readMasterData(store, [
    'entities',
    'accounts',
    'costCenters',
    'intercompanyRelationships',
    'items',
    'itemUoms',
    'parLocations',
  ]);
  const ledger = createLedgerContext({
    entities: md.entities,
    accounts: md.accounts,
    costCenters: md.costCenters,
    intercompany: md.intercompanyRelationships,
  });
  return store.transaction(async (tx) => {
    const p = await adjustment(tx, id);
    if (p.decision !== null || (decision === 'approved' && sameName(p.preparedBy, who))) {
      throw new CrosswalkError(
        p.decision !== null ? 'CW_ERR_PROPOSAL_DECIDED' : 'CW_ERR_FOUR_EYES_SELF_APPROVAL',
        {
          what: 'inventory adjustment',
          id,
          decision: p.decision?.decision ?? '',
          by: p.decision?.decidedBy ?? '',
          preparer: p.preparedBy,
          approver: who,
        },
      );
    }
    let quantityChange: bigint | null = null;
    let valueChange: bigint | null = null;
    let currency: string | null = null;
    let movementKeys: string[] = [];
    let entries: JournalEntry[] = [];
    if (decision === 'approved') {
      const keys = { positions: [{ itemCode: p.itemCode, parLocationCode: p.parLocationCode }], serials: [] };
      const state = await loadInventoryState(tx, keys);
      const position = [...state.positions.values()][0];
      // A lot-tracked item is counted lot by lot (lots not listed count zero): the named lot takes the
      // change, every other lot is listed at what the books hold, so only the named lot moves.
      const onHand =
        p.lotNumber === null ? (position?.quantity ?? 0n) : (position?.lots.get(p.lotNumber) ?? 0n);
      const counted = p.mode === 'count' ? p.quantity : onHand + p.quantity;
      if (counted < 0n) {
        throw new CrosswalkError('CW_ERR_ADJUSTMENT_INVALID', {
          reason: `on-hand of ${p.itemCode}${p.lotNumber === null ? '' : ` lot ${p.lotNumber}`} at ${p.parLocationCode} is ${onHand}; a change of ${p.quantity} would make it negative`,
        });
      }
      const lots =
        p.lotNumber === null
          ? undefined
          : [
              ...[...(position?.lots ?? new Map<string, bigint>())]
                .filter(([lot]) => lot !== p.lotNumber)
                .map(([lotNumber, quantity]) => ({ lotNumber, quantity })),
              { lotNumber: p.lotNumber, quantity: counted },
            ];
      const catalog = buildCatalog(md.items, md.itemUoms);
      const result = postAll(state, catalog, [
        {
          type: 'count',
          sourceEventId: id,
          line: 1,
          itemCode: p.itemCode,
          parLocationCode: p.parLocationCode,
          occurredAt: at,
          ...(lots === undefined ? { quantity: counted } : { lots }),
        },
      ]);
      const movements = result.movements.filter((m) => m.quantity !== 0n || m.value !== 0n);
      quantityChange = movements.reduce((a, m) => a + m.quantity, 0n);
      valueChange = movements.reduce((a, m) => a + m.value, 0n);
      currency = result.movements[0]?.currency ?? null;
      movementKeys = movements.map((m) => m.movementKey);
      const variance = countVariance(0n, valueChange);
      const location = md.parLocations.find((l) => l.code === p.parLocationCode)!;
      const item = md.items.find((i) => i.code === p.itemCode)!;
      if (variance !== null) {
        entries = journalize(
          {
            sourceEventId: id,
            eventType: variance.eventType,
            entity: location.entityCode,
            itemCategory: item.category,
            costCenter: location.costCenterCode,
            stockCostCenter: location.costCenterCode,
            effectiveDate: p.effectiveDate,
            postedAt: at,
            amount: variance.amount,
            ...(currency !== null ? { currency } : {}),
            dimensions: { item: p.itemCode, parLocation: p.parLocationCode },
          },
          rulesFromRelease(await activeRelease(tx)),
          ledger,
          await listPeriods(tx),
        );
      }
      // The adjustment id stands where an event id would: provenance from the movement to its decision.
      await saveInventory(tx, movements, result.state, () => id);
      await saveEntries(tx, entries);
      await queueJournal(tx, entries, at);
    }
    await recordAdjustmentDecision(tx, id, {
      decision,
      decidedBy: who,
      decidedAt: at,
      preparedBy: p.preparedBy,
      note,
      entryIds: entries.map((e) => e.id),
      quantityChange,
      valueChange,
      currency,
      movementKeys,
    });
    await appendAudit(tx, {
      at,
      actor: who,
      action,
      object: `inventory-adjustment:${id}`,
      before: { status: 'pending', preparedBy: p.preparedBy },
      after: {
        status: decision,
        note,
        quantityChange: quantityChange?.toString() ?? null,
        valueChange: valueChange?.toString() ?? null,
        entries: entries.map((e) => e.id),
      },
    });
    return adjustment(tx, id);
  });
}

async function activeRelease(db: SqlExecutor) {
  const id = await activeReleaseId(db);
  const release = id === null ? null : await loadRelease(db, id);
  if (!release) {
    throw new CrosswalkError('CW_ERR_ADJUSTMENT_INVALID', {
      reason: 'no mapping release is active, so there is no account determination to post with',
    });
  }
  return release;
}
