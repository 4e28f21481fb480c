import { type Violation, violation } from './types.ts';

/** One stored message as the checker sees it: its ordering key's cursor, outcome and effects. */
export interface MessageFact {
  readonly id: bigint;
  readonly orderingKey: string;
  /** The ACK code stored with it (AA/CA: a positive acknowledgement was promised). */
  readonly ackCode: string;
  /** The state of its outcome row, null when it has none. */
  readonly outcome: 'applied' | 'failed' | 'skipped' | string | null;
  /** How many outcome rows it has (the schema allows one; counted, not assumed). */
  readonly outcomeRows: number;
  readonly outcomeEventCount: number | null;
  readonly exceptionId: bigint | null;
  /** Whether the exception the outcome names exists. */
  readonly exceptionExists: boolean;
  /** Canonical events stored with this message as their source. */
  readonly events: number;
}

const POSITIVE = new Set(['AA', 'CA']);

/**
 * No acknowledged message missing, and each message in exactly one state:
 * - behind its key's cursor a message has exactly one outcome (applied, failed or skipped) — else it
 *   was acknowledged and then lost, or processed twice;
 * - ahead of the cursor it is pending and has no outcome and no effect yet;
 * - applied: its outcome counts exactly the events it has; failed: it has an exception and no effect;
 *   skipped: no effect.
 */
export function checkMessages(
  messages: Iterable<MessageFact>,
  cursors: ReadonlyMap<string, bigint>,
): Violation[] {
  const out: Violation[] = [];
  for (const m of messages) {
    const subject = `message ${m.id} (key ${m.orderingKey})`;
    const cursor = cursors.get(m.orderingKey) ?? 0n;
    const behind = m.id <= cursor;
    if (m.outcomeRows > 1) {
      out.push(violation('message-state', subject, `${m.outcomeRows} outcomes; a message has exactly one`));
      continue;
    }
    if (behind && m.outcome === null) {
      out.push(
        violation(
          POSITIVE.has(m.ackCode) ? 'acknowledged-message-missing' : 'message-state',
          subject,
          `acknowledged ${m.ackCode} and behind the cursor (${cursor}) but it has no outcome: neither applied, failed nor skipped`,
        ),
      );
      continue;
    }
    if (!behind) {
      if (m.outcome === null) {
        if (m.events > 0)
          out.push(
            violation(
              'message-state',
              subject,
              `pending (after cursor ${cursor}) but ${m.events} event(s) exist`,
            ),
          );
        continue;
      }
      // Processed and pending at once; what the outcome says is checked below as well.
      out.push(violation('message-state', subject, `pending (after cursor ${cursor}) and also ${m.outcome}`));
    }
    switch (m.outcome) {
      case 'applied':
        if (m.outcomeEventCount !== m.events)
          out.push(
            violation(
              'message-state',
              subject,
              `applied with ${m.outcomeEventCount} event(s) but ${m.events} stored`,
            ),
          );
        break;
      case 'failed':
        if (m.exceptionId === null || !m.exceptionExists)
          out.push(violation('message-state', subject, 'failed without an exception to work on'));
        if (m.events > 0)
          out.push(
            violation('message-state', subject, `failed and also applied: ${m.events} event(s) exist`),
          );
        break;
      case 'skipped':
        if (m.events > 0)
          out.push(
            violation('message-state', subject, `skipped and also applied: ${m.events} event(s) exist`),
          );
        break;
      default:
        out.push(violation('message-state', subject, `unknown state ${String(m.outcome)}`));
    }
  }
  return out;
}

/** Outcomes of messages that do not exist (possible only with the foreign keys bypassed). */
export function checkOrphanOutcomes(orphans: readonly bigint[]): Violation[] {
  return orphans.map((id) =>
    violation('message-state', `outcome of message ${id}`, 'no such stored message'),
  );
}
