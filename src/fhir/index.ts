/**
 * FHIR R4: the resources Crosswalk serves (validation, search, CapabilityStatement, OperationOutcome),
 * the write path over a storage port (idempotent creates, versions, transaction and batch Bundles, the
 * inbox rows of writes with back-office effects), interpretation of those rows into canonical events
 * through the same mapping releases as HL7 v2, and publishing of the item and charge masters.
 */
export { capabilityStatement } from './capability.ts';
export { ENVELOPE_FORMAT, type FhirInboundDocument, isEnvelope } from './envelope.ts';
export { interpretFhir, isFhirMessage } from './interpret.ts';
export {
  type BodyLimits,
  canonicalJson,
  contentHash,
  DEFAULT_LIMITS,
  type FhirResource,
  type Json,
  type JsonObject,
  nestingDepth,
  parseBody,
} from './json.ts';
export {
  asCrosswalkError,
  ERROR_CODE_SYSTEM,
  informationOutcome,
  operationOutcome,
  statusLine,
} from './outcome.ts';
export type {
  FhirInboundRow,
  FhirStorePort,
  FhirTx,
  FhirWrite,
  SearchPage,
  StoredResource,
} from './port.ts';
export { RESOURCE_SPECS, SPEC_BY_TYPE, SUPPORTED_TYPES } from './resources.ts';
export type { Alternative, Clause, IndexRow, SearchPlan } from './search.ts';
export { parseSearch } from './search.ts';
export {
  type BundleOptions,
  type BundleSummary,
  controlIdOf,
  EntryError,
  FhirService,
  searchsetBundle,
  type WriteOutcome,
} from './service.ts';
export { validateResource } from './validate.ts';
