import type { ManualLine, ManualProposal } from '../ledger/index.ts';
import type { SqlExecutor } from './port.ts';
import { asBigInt, asNumber } from './values.ts';

/**
 * Four-eyes proposals in the database (migration 0013): manual journals and inventory adjustments are
 * prepared as append-only proposal rows; a separate decisions table takes at most one decision per
 * proposal (primary key), append-only too, and its insert trigger refuses an approval by the stored
 * preparer. Status is derived: no decision row is `pending`.
 */

export interface Decision {
  readonly decision: 'approved' | 'rejected';
  readonly decidedBy: string;
  readonly decidedAt: string;
  readonly preparedBy: string;
  readonly note: string | null;
  readonly entryIds: readonly string[];
}

export interface StoredManualJournal extends ManualProposal {
  readonly preparedBy: string;
  readonly preparedAt: string;
  readonly sourceName: string | null;
  readonly decision: Decision | null;
}

const json = (v: unknown): unknown => (typeof v === 'string' ? JSON.parse(v) : v);

function decisionOf(r: Record<string, unknown>): Decision | null {
  if (r['decision'] === null || r['decision'] === undefined) return null;
  return {
    decision: String(r['decision']) as Decision['decision'],
    decidedBy: String(r['decided_by']),
    decidedAt: String(r['decided_at']),
    preparedBy: String(r['d_prepared_by']),
    note: r['note'] === null ? null : String(r['note']),
    entryIds: json(r['entry_ids']) as string[],
  };
}

export async function saveManualProposal(
  tx: SqlExecutor,
  p: ManualProposal,
  who: { preparedBy: string; preparedAt: string; sourceName: string | null; contentSha256: string },
): Promise<void> {
  await tx.execute(
    `INSERT INTO manual_journal_proposals (id, description, prepared_by, prepared_at, source_name, content_sha256, line_count)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
    [p.id, p.description, who.preparedBy, who.preparedAt, who.sourceName, who.contentSha256, p.lines.length],
  );
  for (const l of p.lines) {
    await tx.execute(
      `INSERT INTO manual_journal_lines (proposal_id, line_no, entity, currency, account_code, cost_center_code, debit, credit, effective_date, period_id, memo)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        p.id,
        l.lineNo,
        l.entity,
        l.currency,
        l.account,
        l.costCenter,
        l.debit,
        l.credit,
        l.effectiveDate,
        l.periodId,
        l.memo,
      ],
    );
  }
}

const DECISION_COLUMNS =
  'd.decision, d.decided_by, d.decided_at, d.prepared_by AS d_prepared_by, d.note, d.entry_ids';

export async function loadManualJournals(db: SqlExecutor, id?: string): Promise<StoredManualJournal[]> {
  const rows = await db.query(
    `SELECT p.id, p.description, p.prepared_by, p.prepared_at, p.source_name, ${DECISION_COLUMNS}
     FROM manual_journal_proposals p LEFT JOIN manual_journal_decisions d ON d.proposal_id = p.id
     ${id === undefined ? '' : 'WHERE p.id = ?'} ORDER BY p.prepared_at, p.id`,
    id === undefined ? [] : [id],
  );
  const lines = await db.query(
    `SELECT proposal_id, line_no, entity, currency, account_code, cost_center_code, debit, credit, effective_date, period_id, memo
     FROM manual_journal_lines ${id === undefined ? '' : 'WHERE proposal_id = ?'} ORDER BY proposal_id, line_no`,
    id === undefined ? [] : [id],
  );
  const byProposal = new Map<string, ManualLine[]>();
  for (const l of lines) {
    const k = String(l['proposal_id']);
    byProposal.set(k, [
      ...(byProposal.get(k) ?? []),
      {
        lineNo: asNumber(l['line_no']),
        entity: String(l['entity']),
        currency: String(l['currency']),
        account: String(l['account_code']),
        costCenter: l['cost_center_code'] === null ? null : String(l['cost_center_code']),
        debit: asBigInt(l['debit']),
        credit: asBigInt(l['credit']),
        effectiveDate: String(l['effective_date']),
        periodId: String(l['period_id']),
        memo: l['memo'] === null ? null : String(l['memo']),
      },
    ]);
  }
  return rows.map((r) => ({
    id: String(r['id']),
    description: String(r['description']),
    preparedBy: String(r['prepared_by']),
    preparedAt: String(r['prepared_at']),
    sourceName: r['source_name'] === null ? null : String(r['source_name']),
    lines: byProposal.get(String(r['id'])) ?? [],
    decision: decisionOf(r),
  }));
}

export async function recordManualDecision(tx: SqlExecutor, id: string, d: Decision): Promise<void> {
  await tx.execute(
    `INSERT INTO manual_journal_decisions (proposal_id, decision, decided_by, decided_at, prepared_by, note, entry_ids)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
    [id, d.decision, d.decidedBy, d.decidedAt, d.preparedBy, d.note, JSON.stringify(d.entryIds)],
  );
}

// --- inventory adjustments ----------------------------------------------------------------------------

export interface AdjustmentProposal {
  readonly id: string;
  readonly itemCode: string;
  readonly parLocationCode: string;
  /** The lot adjusted, for lot-tracked items (other lots keep their quantities). */
  readonly lotNumber: string | null;
  /** `delta`: quantity is the signed change; `count`: quantity is what was counted (on-hand becomes it). */
  readonly mode: 'delta' | 'count';
  readonly quantity: bigint;
  readonly reason: string;
  readonly effectiveDate: string;
}

export interface AdjustmentDecision extends Decision {
  readonly quantityChange: bigint | null;
  readonly valueChange: bigint | null;
  readonly currency: string | null;
  readonly movementKeys: readonly string[];
}

export interface StoredAdjustment extends AdjustmentProposal {
  readonly preparedBy: string;
  readonly preparedAt: string;
  readonly decision: AdjustmentDecision | null;
}

export async function saveAdjustmentProposal(
  tx: SqlExecutor,
  p: AdjustmentProposal,
  who: { preparedBy: string; preparedAt: string },
): Promise<void> {
  await tx.execute(
    `INSERT INTO inventory_adjustment_proposals (id, item_code, par_location_code, lot_number, mode, quantity, reason, effective_date, prepared_by, prepared_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      p.id,
      p.itemCode,
      p.parLocationCode,
      p.lotNumber,
      p.mode,
      p.quantity,
      p.reason,
      p.effectiveDate,
      who.preparedBy,
      who.preparedAt,
    ],
  );
}

export async function loadAdjustments(db: SqlExecutor, id?: string): Promise<StoredAdjustment[]> {
  const rows = await db.query(
    `SELECT p.id, p.item_code, p.par_location_code, p.lot_number, p.mode, p.quantity, p.reason, p.effective_date, p.prepared_by,
            p.prepared_at, ${DECISION_COLUMNS}, d.quantity_change, d.value_change, d.currency, d.movement_keys
     FROM inventory_adjustment_proposals p LEFT JOIN inventory_adjustment_decisions d ON d.proposal_id = p.id
     ${id === undefined ? '' : 'WHERE p.id = ?'} ORDER BY p.prepared_at, p.id`,
    id === undefined ? [] : [id],
  );
  return rows.map((r) => {
    const base = decisionOf(r);
    return {
      id: String(r['id']),
      itemCode: String(r['item_code']),
      parLocationCode: String(r['par_location_code']),
      lotNumber: r['lot_number'] === null ? null : String(r['lot_number']),
      mode: String(r['mode']) as 'delta' | 'count',
      quantity: asBigInt(r['quantity']),
      reason: String(r['reason']),
      effectiveDate: String(r['effective_date']),
      preparedBy: String(r['prepared_by']),
      preparedAt: String(r['prepared_at']),
      decision:
        base === null
          ? null
          : {
              ...base,
              quantityChange: r['quantity_change'] === null ? null : asBigInt(r['quantity_change']),
              valueChange: r['value_change'] === null ? null : asBigInt(r['value_change']),
              currency: r['currency'] === null ? null : String(r['currency']),
              movementKeys: json(r['movement_keys']) as string[],
            },
    };
  });
}

export async function recordAdjustmentDecision(
  tx: SqlExecutor,
  id: string,
  d: AdjustmentDecision,
): Promise<void> {
  await tx.execute(
    `INSERT INTO inventory_adjustment_decisions (proposal_id, decision, decided_by, decided_at, prepared_by, note,
       quantity_change, value_change, currency, movement_keys, entry_ids)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      id,
      d.decision,
      d.decidedBy,
      d.decidedAt,
      d.preparedBy,
      d.note,
      d.quantityChange,
      d.valueChange,
      d.currency,
      JSON.stringify(d.movementKeys),
      JSON.stringify(d.entryIds),
    ],
  );
}
