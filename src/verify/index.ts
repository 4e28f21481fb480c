/**
 * The invariant checker's pure half: each function turns facts read from the store into violations.
 * `store/verify-repository.ts` reads the facts and runs the checks (`verifyInvariants`).
 */
export { checkEntries, checkTrialBalance, type EntryFact } from './books.ts';
export { checkDuplicates, type DuplicateFact } from './effects.ts';
export {
  checkHashes,
  checkSeal,
  checkTriggers,
  type HashFact,
  type SealFacts,
  type TableSeal,
} from './immutable.ts';
export { checkMessages, checkOrphanOutcomes, type MessageFact } from './messages.ts';
export { checkDestinationOrder, type DeliveryFact } from './order.ts';
export { checkOnHand } from './stock.ts';
export { type InvariantName, type Violation, violation } from './types.ts';
