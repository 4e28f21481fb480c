/**
 * What a connector promises the deliverer. A connector sends one document and says what happened, in
 * four outcomes the deliverer turns into states:
 * - `delivered`: the receiver has it;
 * - `retry`: it certainly does not (never sent, or refused for now: 5xx, 429, network) — try later;
 * - `rejected`: it refused for good (4xx, or a 2xx whose body says error) — a person must look;
 * - `unknown`: it was sent and no answer came (timeout, connection reset after the request) — a resend
 *   is safe only if the receiver honours idempotency keys; otherwise the delivery is quarantined.
 */
import type { DocumentKind } from './documents.ts';
import type { RenderableDocument, RenderChart } from './render.ts';

export type SendResult =
  | { readonly outcome: 'delivered'; readonly response: string | null; readonly httpStatus?: number }
  | {
      readonly outcome: 'retry';
      readonly reason: string;
      readonly httpStatus?: number;
      readonly retryAfterMs?: number;
    }
  | { readonly outcome: 'rejected'; readonly reason: string; readonly httpStatus?: number }
  | { readonly outcome: 'unknown'; readonly reason: string };

/** A document as handed to a connector: content plus its place in its ordering key. */
export interface DeliverableDocument extends RenderableDocument {
  readonly orderingKey: string;
  readonly seqMessageId: bigint;
  readonly seqPart: number;
  readonly entity: string | null;
}

export interface Connector {
  readonly name: string;
  readonly type: 'journal-files' | 'http' | 'mllp' | 'fhir';
  readonly kinds: readonly DocumentKind[];
  /** True when sending the same document twice has the effect of sending it once. */
  readonly honoursIdempotencyKey: boolean;
  send(doc: DeliverableDocument, chart: RenderChart): Promise<SendResult>;
}
