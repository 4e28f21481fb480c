import { type Violation, violation } from './types.ts';

/** A document's delivery to one destination, in the order its ordering key produced it. */
export interface DeliveryFact {
  readonly destination: string;
  readonly orderingKey: string;
  /** Source order within the key: compared as (major, minor). */
  readonly seq: readonly [bigint, number];
  readonly documentId: string;
  readonly delivered: boolean;
  /** When it was delivered (ISO 8601); null while not delivered. */
  readonly deliveredAt: string | null;
  /**
   * Not delivered yet (pending, in flight, quarantined or failed): the outbox holds back the rest of its
   * key at that destination until it is.
   */
  readonly waiting: boolean;
}

const bySeq = (a: DeliveryFact, b: DeliveryFact) =>
  a.seq[0] === b.seq[0] ? a.seq[1] - b.seq[1] : a.seq[0] < b.seq[0] ? -1 : 1;

/**
 * Per ordering key, each destination received documents in source order: delivery times never go
 * backwards along the source order, and no document was delivered while an earlier one of its key is
 * still waiting.
 */
export function checkDestinationOrder(deliveries: Iterable<DeliveryFact>): Violation[] {
  const groups = new Map<string, DeliveryFact[]>();
  for (const d of deliveries) {
    const k = `${d.destination}\u0000${d.orderingKey}`;
    const g = groups.get(k) ?? [];
    g.push(d);
    groups.set(k, g);
  }
  const out: Violation[] = [];
  for (const g of groups.values()) {
    g.sort(bySeq);
    let lastDelivered: DeliveryFact | null = null;
    let firstWaiting: DeliveryFact | null = null;
    for (const d of g) {
      const subject = `destination ${d.destination} key ${d.orderingKey}`;
      if (d.waiting && firstWaiting === null) firstWaiting = d;
      if (!d.delivered) continue;
      if (firstWaiting !== null)
        out.push(
          violation(
            'destination-order',
            subject,
            `document ${d.documentId} delivered while earlier ${firstWaiting.documentId} waits`,
          ),
        );
      if (
        lastDelivered &&
        d.deliveredAt !== null &&
        lastDelivered.deliveredAt !== null &&
        d.deliveredAt < lastDelivered.deliveredAt
      )
        out.push(
          violation(
            'destination-order',
            subject,
            `document ${d.documentId} delivered at ${d.deliveredAt}, before earlier ${lastDelivered.documentId} (${lastDelivered.deliveredAt})`,
          ),
        );
      lastDelivered = d;
    }
  }
  return out;
}
