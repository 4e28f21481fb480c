/**
 * The subledger: entities, chart of accounts, fiscal periods, posting rules, journal entries, trial
 * balance, close checks and the hledger export. Pure: no I/O, no storage; a repository persists the
 * frozen records this module produces (entries and their lines map one-to-one onto rows).
 *
 * Invariants every entry carries (see model.ts): integer minor-unit amounts > 0 with a side; balanced
 * per entity and currency (one entity and one currency per entry; intercompany work is a group of
 * entries); a deterministic id that is the idempotency key; a reason code; never changed — corrections
 * are reversals. Late events land in the next open period, flagged with the period they belonged to.
 */

export {
  type CloseBlocker,
  type CloseBlockerCode,
  type CloseCheck,
  type CloseFacts,
  canClose,
} from './close.ts';
export {
  accountOf,
  accountsWithRole,
  costCenterOf,
  createLedgerContext,
  currencyOf,
  entityOf,
  intercompanyOf,
  type LedgerContext,
  type LedgerSetup,
  postableAccount,
} from './context.ts';
export {
  buildEntry,
  type EntryDraft,
  entryTotals,
  isBalanced,
  type LineDraft,
  postedLines,
  type ReverseOptions,
  reverse,
} from './entry.ts';
export { hledgerAccountName, renderHledger } from './hledger.ts';
export { entryFingerprint, entryId, reversalId } from './ids.ts';
export { countVariance, journalize, type PostingEvent } from './journalize.ts';
export {
  type ManualLine,
  type ManualProposal,
  manualJournalEntries,
  prepareManualJournal,
  readManualFile,
} from './manual.ts';
export * from './model.ts';
export { DEFAULT_CURRENCIES, formatAmount, formatMinor, MAX_LINE_AMOUNT, parseMinor } from './money.ts';
export {
  isIsoDate,
  monthlyPeriods,
  type PeriodResolution,
  periodFor,
  transitionPeriod,
  validatePeriods,
} from './periods.ts';
export {
  type AccountSelector,
  type CostCenterSource,
  checkRulesAgainstChart,
  createRuleTable,
  type Determination,
  type DeterminedLeg,
  type DeterminedSide,
  determineAccounts,
  findRule,
  POSTING_EVENT_TYPES,
  type PostingEventType,
  type PostingRule,
  type RuleInput,
  type RuleLeg,
  type RuleSide,
  type RuleTable,
} from './rules.ts';
export {
  IMPLANT_CATEGORIES,
  PHARMACY_CATEGORY,
  STANDARD_RULES,
  standardRuleTable,
} from './standard-rules.ts';
export {
  type AccountActivity,
  type ActivityLine,
  accountActivity,
  type IntercompanyMismatch,
  intercompanyMismatches,
  normalSideBalance,
  type TrialBalance,
  type TrialBalanceRow,
  type TrialBalanceTotal,
  trialBalance,
} from './trial-balance.ts';
