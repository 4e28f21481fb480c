/**
 * A stored outbox document as a receiver gets it: journal batches through the journal-file renderers
 * (CSV, JSON, hledger), requisition batches as their JSON. Pure.
 *
 * The document's payload fixes every amount, account code and id; the chart supplies account names and
 * currency scales at delivery time (names are descriptive; a renamed account shows its new name).
 */
import { CrosswalkError } from '../errors/index.ts';
import type { Account, Currency } from '../ledger/index.ts';
import { type DocumentKind, journalEntriesOf } from './documents.ts';
import {
  buildJournalBatch,
  type JournalBatch,
  type JournalFileFormat,
  renderJournalBatch,
  renderJournalJson,
} from './journal-files.ts';

export interface RenderChart {
  readonly accounts: ReadonlyMap<string, Account>;
  /** Minor-unit digits of a currency code. */
  readonly scaleOf: (currency: string) => number;
}

export interface RenderableDocument {
  readonly id: string;
  readonly kind: DocumentKind;
  readonly payload: string;
}

/**
 * The last batch built, by document and chart: a files destination renders one document in up to three
 * formats in a row, and parsing the payload and ordering, checking and totalling its entries is most of
 * each render. Keyed by object identity (a new delivery attempt reads a new document object) and held
 * weakly, so nothing outlives the document it was built from.
 */
const built = new WeakMap<RenderableDocument, { chart: RenderChart; batch: JournalBatch }>();

function batchOf(doc: RenderableDocument, chart: RenderChart): JournalBatch {
  const hit = built.get(doc);
  if (hit && hit.chart === chart) return hit.batch;
  const batch = buildBatch(doc, chart);
  built.set(doc, { chart, batch });
  return batch;
}

function buildBatch(doc: RenderableDocument, chart: RenderChart): JournalBatch {
  const entries = journalEntriesOf(doc.payload);
  const currencies: Currency[] = [...new Set(entries.map((e) => e.currency))]
    .sort()
    .map((code) => ({ code, scale: chart.scaleOf(code) }));
  const batch = buildJournalBatch(entries, chart.accounts, currencies);
  if (batch.id !== doc.id) {
    throw new CrosswalkError('CW_ERR_OUTBOX_BAD_DOCUMENT', {
      reason: `document ${doc.id} holds the entries of batch ${batch.id}`,
    });
  }
  return batch;
}

/** The file extension each journal format is written with. */
export const FORMAT_EXTENSION: Readonly<Record<JournalFileFormat, string>> = {
  csv: 'csv',
  json: 'json',
  hledger: 'journal',
};

/** The document as a file of `format`; requisitions exist as JSON only (null for other formats). */
export function renderDocumentFile(
  doc: RenderableDocument,
  format: JournalFileFormat,
  chart: RenderChart,
): string | null {
  if (doc.kind === 'journal-batch') return renderJournalBatch(batchOf(doc, chart), format);
  if (format !== 'json') return null;
  return `${JSON.stringify(JSON.parse(doc.payload), null, 2)}\n`;
}

/** The JSON body an HTTP receiver gets: the journal batch document, or the requisition batch. */
export function renderDocumentBody(doc: RenderableDocument, chart: RenderChart): string {
  if (doc.kind === 'journal-batch') return renderJournalJson(batchOf(doc, chart));
  return doc.payload;
}
