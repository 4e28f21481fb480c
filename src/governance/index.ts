/**
 * Governance: who may do what and the proof of what was done: the authorisation matrix (access.ts) and
 * the tamper-evident audit chain.
 */
export {
  ACTIONS,
  type Action,
  type ActionRule,
  authorize,
  BUSINESS_ROLES,
  CLINICAL_ROLES,
  type Decision,
  entitiesInScope,
  type Grant,
  isAction,
  isRole,
  isScope,
  MATRIX,
  type Principal,
  ROLES,
  type Role,
  type Scope,
  type Target,
} from './access.ts';
export {
  type AuditInput,
  type AuditRecord,
  type ChainProblemKind,
  type ChainVerdict,
  type Checkpoint,
  canonicalJson,
  checkpointIsGenuine,
  GENESIS_HASH,
  nextRecord,
  recordHash,
  signCheckpoint,
  verifyChain,
} from './audit-chain.ts';
