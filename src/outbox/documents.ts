/**
 * Outbound documents: what an apply batch owes other systems, built purely from the batch's plans so
 * the repository can write them in the same transaction as the effects that caused them.
 *
 * Invariants:
 * - One journal-batch document per apply batch per entity (all that batch's entries of the entity), and
 *   one requisition document per apply batch per entity: a few rows per batch, never one per entry, so
 *   the outbox costs the hot path a couple of statements.
 * - A document's id is its idempotency key and depends only on its content (the set of entry ids, or of
 *   requisition ids): re-applying or replaying the same effects gives the same id, which the database
 *   takes once (ON CONFLICT DO NOTHING) and the receiver can deduplicate on.
 * - Order within an ordering key is (last message id of the batch, position in the batch): message ids
 *   only grow within a key, so documents are delivered in source order.
 * - Every journal-batch document balances per entity × currency (checked here, as a second line behind
 *   the ledger's per-entry check) and carries its control totals.
 * - Item and charge master changes (ItemMasterChanged, ChargeMasterChanged) become item-master documents
 *   after them (`master-documents.ts`), in the same transaction, through this same call.
 * - Payloads carry amounts as integer minor units in strings (JSON has no bigint) and no patient
 *   identifiers: entries and requisitions hold codes, amounts and keyed tokens only.
 */
import { createHash } from 'node:crypto';
import { jsonText } from '../canonical/index.ts';
import { CrosswalkError } from '../errors/index.ts';
import type { JournalEntry } from '../ledger/index.ts';
import { journalBatchId } from './journal-files.ts';
import { type MasterEventLike, masterChangeDocuments } from './master-documents.ts';

export type DocumentKind = 'journal-batch' | 'requisition' | 'item-master';
export const DOCUMENT_KINDS: readonly DocumentKind[] = ['journal-batch', 'requisition', 'item-master'];

export interface OutboundDocument {
  /** The idempotency key: `jb_…` journal batches, `rq_…` requisition batches, `im_…` item master. */
  readonly id: string;
  readonly kind: DocumentKind;
  readonly orderingKey: string;
  /** With `seqPart`, the document's place in its ordering key. */
  readonly seqMessageId: bigint;
  readonly seqPart: number;
  readonly entity: string | null;
  readonly firstMessageId: bigint;
  readonly lastMessageId: bigint;
  /** Entries or requisitions it carries. */
  readonly itemCount: number;
  /** JSON text (see `JournalBatchPayload`, `RequisitionBatchPayload`). */
  readonly payload: string;
  readonly createdAt: string;
}

/** A bill-only requisition as the ERP receives it (the apply stage's Requisition has this shape). */
export interface OutboundRequisition {
  readonly id: string;
  readonly kind: string;
  readonly sourceEventId: string;
  readonly entity: string;
  readonly itemCode: string;
  readonly vendorCode: string | null;
  readonly quantity: bigint;
  readonly unitCost: bigint;
  readonly currency: string;
  readonly costCenter: string | null;
  readonly lotNumber: string | null;
  readonly serialNumber: string | null;
  readonly caseToken: string | null;
  readonly createdAt: string;
}

/** What documentsForBatch reads of a message plan: applied messages' entries and requisitions. */
export interface PlannedEffects {
  readonly kind: string;
  readonly message: { readonly id: bigint };
  readonly entries?: readonly JournalEntry[];
  readonly requisitions?: readonly OutboundRequisition[];
  /** Its events: item and charge master changes become item-master documents for the EHR. */
  readonly events?: readonly MasterEventLike[];
}

export interface BookTotal {
  readonly entity: string;
  readonly currency: string;
  readonly debitMinor: string;
  readonly creditMinor: string;
}

export interface JournalBatchPayload {
  readonly format: 'crosswalk.outbox.journal-batch';
  readonly version: 1;
  readonly id: string;
  readonly entity: string;
  readonly orderingKey: string;
  readonly firstMessageId: string;
  readonly lastMessageId: string;
  readonly controlTotals: readonly BookTotal[];
  readonly entries: readonly unknown[];
}

export interface RequisitionBatchPayload {
  readonly format: 'crosswalk.outbox.requisition-batch';
  readonly version: 1;
  readonly id: string;
  readonly entity: string;
  readonly orderingKey: string;
  readonly firstMessageId: string;
  readonly lastMessageId: string;
  readonly requisitions: readonly unknown[];
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** `rq_` + 16 hex digits of sha256 over the sorted requisition ids. */
export function requisitionBatchId(ids: readonly string[]): string {
  const h = createHash('sha256');
  for (const id of [...new Set(ids)].sort(cmp)) h.update(`${id}\n`);
  return `rq_${h.digest('hex').slice(0, 16)}`;
}

function bookTotals(entity: string, entries: readonly JournalEntry[], id: string): BookTotal[] {
  const books = new Map<string, { debit: bigint; credit: bigint }>();
  for (const e of entries) {
    const b = books.get(e.currency) ?? { debit: 0n, credit: 0n };
    books.set(e.currency, b);
    for (const l of e.lines) {
      if (l.side === 'debit') b.debit += l.amount;
      else b.credit += l.amount;
    }
  }
  return [...books.entries()]
    .sort(([a], [b]) => cmp(a, b))
    .map(([currency, b]) => {
      if (b.debit !== b.credit) {
        throw new CrosswalkError('CW_ERR_OUTBOX_UNBALANCED_BATCH', {
          batch: id,
          entity,
          currency,
          debits: b.debit.toString(),
          credits: b.credit.toString(),
        });
      }
      return { entity, currency, debitMinor: b.debit.toString(), creditMinor: b.credit.toString() };
    });
}

function groupByEntity<T extends { readonly entity: string }>(items: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const i of items) {
    const g = out.get(i.entity);
    if (g) g.push(i);
    else out.set(i.entity, [i]);
  }
  return new Map([...out.entries()].sort(([a], [b]) => cmp(a, b)));
}

/**
 * The documents one apply batch of `orderingKey` owes: per entity (in code order) its journal batch, then
 * per entity its requisition batch. Empty when the batch posted nothing.
 */
export function documentsForBatch(
  orderingKey: string,
  plans: readonly PlannedEffects[],
  createdAt: string,
): OutboundDocument[] {
  const applied = plans.filter((p) => p.kind === 'applied');
  const last = plans.at(-1);
  if (applied.length === 0 || !last) return [];
  const seqMessageId = last.message.id;
  const firstMessageId = plans[0]!.message.id;
  const docs: OutboundDocument[] = [];
  const common = (entity: string, id: string, itemCount: number) => ({
    id,
    orderingKey,
    seqMessageId,
    seqPart: docs.length,
    entity,
    firstMessageId,
    lastMessageId: seqMessageId,
    itemCount,
    createdAt,
  });

  for (const [entity, entries] of groupByEntity(applied.flatMap((p) => p.entries ?? []))) {
    const id = journalBatchId(entries.map((e) => e.id));
    const payload: JournalBatchPayload = {
      format: 'crosswalk.outbox.journal-batch',
      version: 1,
      id,
      entity,
      orderingKey,
      firstMessageId: firstMessageId.toString(),
      lastMessageId: seqMessageId.toString(),
      controlTotals: bookTotals(entity, entries, id),
      entries,
    };
    docs.push({
      ...common(entity, id, entries.length),
      kind: 'journal-batch',
      payload: jsonText(payload),
    });
  }
  for (const [entity, reqs] of groupByEntity(applied.flatMap((p) => p.requisitions ?? []))) {
    const id = requisitionBatchId(reqs.map((r) => r.id));
    const payload: RequisitionBatchPayload = {
      format: 'crosswalk.outbox.requisition-batch',
      version: 1,
      id,
      entity,
      orderingKey,
      firstMessageId: firstMessageId.toString(),
      lastMessageId: seqMessageId.toString(),
      requisitions: reqs,
    };
    docs.push({
      ...common(entity, id, reqs.length),
      kind: 'requisition',
      payload: jsonText(payload),
    });
  }
  docs.push(
    ...masterChangeDocuments(
      {
        orderingKey,
        seqMessageId,
        firstSeqPart: docs.length,
        firstMessageId,
        lastMessageId: seqMessageId,
        createdAt,
      },
      applied.flatMap((p) => p.events ?? []),
    ),
  );
  return docs;
}

/** The journal entries of a journal-batch payload, amounts back to bigint. */
export function journalEntriesOf(payload: string): JournalEntry[] {
  const doc = JSON.parse(payload) as { format?: string; entries?: Record<string, unknown>[] };
  if (doc.format !== 'crosswalk.outbox.journal-batch' || !Array.isArray(doc.entries)) {
    throw new CrosswalkError('CW_ERR_OUTBOX_BAD_DOCUMENT', { reason: 'not a journal-batch payload' });
  }
  // The parsed objects are this call's own: amounts are turned back into bigint in place, which costs
  // a fraction of copying every entry and line (this runs once per delivered batch of thousands).
  for (const e of doc.entries) {
    for (const l of e['lines'] as Record<string, unknown>[]) l['amount'] = BigInt(l['amount'] as string);
  }
  return doc.entries as unknown as JournalEntry[];
}
