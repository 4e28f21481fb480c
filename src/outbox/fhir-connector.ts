/**
 * Connector `fhir`: an item-master document as one FHIR R4 transaction Bundle of PUTs by deterministic
 * id (`render-fhir.ts`), POSTed to the EHR's FHIR base. Built on the HTTP connector, so the answer means
 * what it means there: 2xx delivered, 408/429/5xx retried (Retry-After honoured), other 4xx refused (an
 * exception, not resent), no answer after sending unknown.
 *
 * A PUT of a whole resource by id is idempotent by FHIR's own rules, so this destination always counts
 * as honouring idempotency: an unknown outcome is resent, never quarantined.
 */
import type { Connector } from './connector.ts';
import { httpConnector } from './http-connector.ts';
import { renderMasterBundle } from './render-fhir.ts';

export interface FhirConnectorOptions {
  readonly name: string;
  /** The FHIR base, e.g. `https://ehr.example/fhir/R4`; the transaction is POSTed to it. */
  readonly baseUrl: string;
  readonly timeoutMs: number;
  /** Extra request headers (e.g. authorization); never logged. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly now?: () => Date;
}

export function fhirConnector(options: FhirConnectorOptions): Connector {
  return httpConnector({
    name: options.name,
    url: options.baseUrl,
    honoursIdempotencyKey: true,
    timeoutMs: options.timeoutMs,
    headers: { accept: 'application/fhir+json', ...options.headers },
    kinds: ['item-master'],
    type: 'fhir',
    contentType: 'application/fhir+json',
    render: (doc, chart) => JSON.stringify(renderMasterBundle(doc, chart.scaleOf)),
    ...(options.now ? { now: options.now } : {}),
  });
}
