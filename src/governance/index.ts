/**
 * Governance: who may do what and the proof of what was done. So far the tamper-evident audit chain
 * (issue 6 has the rest: identities, roles, segregation of duties, ownership, PHI controls).
 */
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
