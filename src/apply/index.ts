export { Applier, type ApplierOptions, type BatchStats } from './applier.ts';
export {
  DEMO_RELEASE_APPROVER,
  DEMO_RELEASE_AUTHOR,
  demoPeriods,
  openingEntries,
  setUpDemoBooks,
} from './demo-books.ts';
export {
  type ApplyContext,
  type EncounterState,
  type Interpretation,
  interpretStored,
  type MessagePlan,
  planMessage,
  type Requisition,
  type StoredMessage,
  sourceMessageKey,
  touchedBy,
} from './plan.ts';
export { POSTING_TYPE, rulesFromRelease } from './rules.ts';
export { loadTokenKey, loadTokenKeys, rotateTokenKeys, type TokenKeys } from './token-key.ts';
