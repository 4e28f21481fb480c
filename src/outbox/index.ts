/**
 * The outbox: what Crosswalk owes other systems and its delivery. Pure parts: the documents an apply
 * batch owes (`documents.ts`), the journal batch files (CSV, JSON, hledger) with their control totals,
 * rendering and the retry schedule. I/O parts: the connectors (files, HTTP) and the Deliverer, which
 * drive the store's outbox repository.
 */
export { backoffMs, nextDelayMs, parseRetryAfter, type RetryPolicy } from './backoff.ts';
export type { Connector, DeliverableDocument, SendResult } from './connector.ts';
export { Deliverer, type DelivererOptions } from './deliverer.ts';
export {
  DOCUMENT_KINDS,
  type DocumentKind,
  documentsForBatch,
  journalEntriesOf,
  type OutboundDocument,
  requisitionBatchId,
} from './documents.ts';
export { type FhirConnectorOptions, fhirConnector } from './fhir-connector.ts';
export { fileNameOf, journalFilesConnector, writeFileAtomically } from './files-connector.ts';
export { errorInBody, httpConnector } from './http-connector.ts';
export {
  type BookControlTotal,
  buildJournalBatch,
  type ControlTotals,
  CSV_COLUMNS,
  controlTotalsJson,
  controlTotalsText,
  JOURNAL_FILE_FORMATS,
  type JournalBatch,
  type JournalFileFormat,
  journalBatchId,
  neutraliseCell,
  renderJournalBatch,
  renderJournalCsv,
  renderJournalHledger,
  renderJournalJson,
  type SummaryRow,
} from './journal-files.ts';
export {
  type ItemMasterDocument,
  itemMasterDocumentOf,
  MASTER_CHUNK,
  type MasterFile,
  type MasterRecord,
  masterChangeDocuments,
  masterSnapshotDocuments,
  type PublishedChargeLine,
  type PublishedItem,
} from './master-documents.ts';
export { judgeAck, type MllpConnectorOptions, mllpConnector } from './mllp-connector.ts';
export { FORMAT_EXTENSION, type RenderChart, renderDocumentBody, renderDocumentFile } from './render.ts';
export { masterResources, renderMasterBundle, resourceIdOf } from './render-fhir.ts';
export { type MfnHeader, renderMasterMfn } from './render-hl7.ts';
export {
  connectorsFromConfig,
  DEFAULT_DESTINATION,
  destinationsOf,
  outboxDir,
  startDeliverer,
} from './service.ts';
