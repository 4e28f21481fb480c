/**
 * The outbox: what Crosswalk hands to the ERP. Today the journal batch files (CSV, JSON, hledger) with
 * their control totals; pure renderers, the CLI and (later) connectors do the I/O.
 */
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
