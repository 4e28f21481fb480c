import type { FhirResource } from './json.ts';
import type { IndexRow, SearchPlan } from './search.ts';

/**
 * What the FHIR service needs from storage. The domain defines it; `store/fhir-repository.ts`
 * implements it on both engines. Every write of one request (a create, an update, a whole Bundle) goes
 * through one `transaction`, and nothing is answered before it commits.
 */

export interface StoredResource {
  readonly resourceType: string;
  readonly id: string;
  readonly versionId: number;
  readonly lastUpdated: string;
  readonly contentHash: string;
  /** As stored and served: the client's resource with the server's id and meta. */
  readonly resource: FhirResource;
}

/** An inbox row: how a FHIR write with back-office effects reaches the apply stage. */
export interface FhirInboundRow {
  readonly interfaceName: string;
  readonly orderingKey: string;
  readonly sender: string;
  /** `Type/id/_history/version`: deterministic, so a version is never applied twice. */
  readonly controlId: string;
  /** `FHIR:<Type>` */
  readonly messageType: string;
  readonly receivedAt: string;
  readonly raw: Buffer;
  readonly contentSha256: string;
  /** The answer the client got (status and location), kept like an HL7 ACK. */
  readonly ack: Buffer;
  readonly ackCode: string;
}

export interface FhirWrite {
  readonly stored: StoredResource;
  /** `stored.resource` as JSON text, written once and shared by the version row and the inbox row. */
  readonly json: string;
  /** Version 1: insert; otherwise the current row is replaced and the version added to history. */
  readonly created: boolean;
  readonly rows: readonly IndexRow[];
  readonly inbound: FhirInboundRow | null;
}

export interface SearchPage {
  readonly total: number;
  readonly resources: readonly StoredResource[];
}

export interface FhirTx {
  /** The current versions of the given `Type/id` keys that exist. */
  current(keys: readonly string[]): Promise<Map<string, StoredResource>>;
  /** `withTotal: false` skips counting (conditional checks only need the first few matches). */
  search(plan: SearchPlan, options?: { readonly withTotal?: boolean }): Promise<SearchPage>;
  /** The raw inbox bytes of earlier FHIR writes, by control id (for the versions an update supersedes). */
  inboundRaw(sender: string, controlIds: readonly string[]): Promise<Map<string, Buffer>>;
  save(writes: readonly FhirWrite[]): Promise<void>;
}

export interface FhirStorePort {
  transaction<T>(fn: (tx: FhirTx) => Promise<T>): Promise<T>;
  /** Reads outside a write: the current version, one version, a page of a search. */
  read(resourceType: string, id: string): Promise<StoredResource | null>;
  vread(resourceType: string, id: string, versionId: number): Promise<StoredResource | null>;
  search(plan: SearchPlan): Promise<SearchPage>;
}
