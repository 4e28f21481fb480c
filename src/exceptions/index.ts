/**
 * The exception work-queue's domain: every failure is a work item with a stable reason code from the one
 * error registry (owning team, SLA, retryability), a status, a history, and fix-and-replay. Pure: the
 * store records what these functions decide, the apply stage performs replays.
 */
export {
  applyEdits,
  checkApprover,
  checkEdit,
  type FieldEdit,
  isFinancial,
  needsApproval,
  parseEdit,
} from './edits.ts';
export {
  afterReplay,
  ageHours,
  allowedActions,
  type Command,
  checkActor,
  type Decision,
  decide,
  dueAt,
  EXCEPTION_STATUSES,
  type ExceptionAction,
  type ExceptionState,
  type ExceptionStatus,
  type HistoryEntry,
  type HistoryKind,
  isOpen,
  isOverdue,
  type ReplayResult,
  requireAllowed,
} from './lifecycle.ts';
export { isTeam, type Reason, reasonOf, reasons, TEAMS } from './reasons.ts';
