import { createHash } from 'node:crypto';
import { CrosswalkError, isCrosswalkError } from '../errors/index.ts';
import {
  type AckError,
  ackErrorFor,
  ackPlan,
  buildAck,
  buildRejectAck,
  formatHl7Timestamp,
  type Hl7Encoding,
  type Hl7Header,
  type Hl7Message,
  parseMessage,
  readHeader,
  requireHeaderFields,
} from '../hl7v2/index.ts';
import { crashPoint } from '../observe/crash-points.ts';
import type {
  InboundCandidate,
  InboundRejection,
  InboxRepository,
  StoreOutcome,
} from '../store/inbox-repository.ts';
import { GroupCommitter } from './group-commit.ts';

/** Per-interface behaviour of the front door. */
export interface InterfaceSettings {
  /** The feed's name; the default ordering key of what it delivers. */
  readonly name: string;
  /** Messages of one ordering key are applied in arrival order; different keys may run in parallel. */
  readonly orderingKey?: string;
  /** `auto` follows MSH-15/MSH-16; `original` always answers AA/AE/AR, whatever the sender asks. */
  readonly ackMode?: 'auto' | 'original';
  /** Read messages in this encoding whatever MSH-18 says (for senders whose MSH-18 is wrong). */
  readonly charset?: Hl7Encoding;
}

export type InboxOutcome = 'stored' | 'duplicate' | 'conflict' | 'rejected' | 'store-failed';

export interface InboxObserver {
  onMessage?(interfaceName: string, outcome: InboxOutcome): void;
  onBatch?(size: number, seconds: number): void;
}

export interface InboxOptions {
  readonly repository: InboxRepository;
  readonly clock?: () => Date;
  /** Most messages committed in one transaction. */
  readonly maxBatch?: number;
  readonly observer?: InboxObserver;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/**
 * ACK control ids are deterministic, so a replay or a retry after a crash builds the same bytes: `A` +
 * 15 hex digits of SHA-256 over the inbound key (16 characters, within MSH-10's 20 in v2.5), `R` + the
 * same over the raw bytes for refusals that have no key.
 */
function ackControlId(prefix: 'A' | 'R', material: string | Uint8Array): string {
  return prefix + createHash('sha256').update(material).digest('hex').slice(0, 15);
}

/**
 * The refusal of a message that could not be taken in. `buildRejectAck` follows the message's own
 * MSH-15/16 (CR in enhanced mode); an interface forced to original mode answers AR whatever they say.
 */
function rejectAck(
  payload: Buffer,
  settings: InterfaceSettings,
  controlId: string,
  timestamp: string,
  cause: unknown,
): Hl7Message {
  const ack = buildRejectAck(payload, { controlId, timestamp, cause });
  if (settings.ackMode !== 'original' || ack.get('MSA-1') !== 'CR') return ack;
  // CR means the header was readable: answer AR from it (same readings as buildRejectAck's salvage).
  const limits = { maxMessageBytes: Number.MAX_SAFE_INTEGER };
  for (const encoding of [settings.charset, 'iso-8859-1'] as const) {
    try {
      const header = readHeader(payload, { requireFields: false, limits, ...(encoding ? { encoding } : {}) });
      return buildAck(header, { code: 'AR', controlId, timestamp, error: ackErrorFor(cause) });
    } catch {
      // try the next reading
    }
  }
  return ack;
}

/**
 * The durable front door for HL7 v2. For each message: read and parse it, build the ACK it will get,
 * store it raw with that ACK through group commit, and only then hand back the ACK. A resend of the
 * same key and bytes gets the stored ACK; the same key with other bytes is refused and recorded; a
 * message that cannot be parsed is refused with a reason and recorded; when storage fails, the answer
 * is AR/CR and never a positive ACK.
 */
export class Inbox {
  private readonly repository: InboxRepository;
  private readonly clock: () => Date;
  private readonly committer: GroupCommitter<InboundCandidate, StoreOutcome>;
  private readonly observer: InboxObserver;

  constructor(options: InboxOptions) {
    this.repository = options.repository;
    this.clock = options.clock ?? (() => new Date());
    this.observer = options.observer ?? {};
    this.committer = new GroupCommitter(
      (batch) => this.repository.storeBatch(batch),
      options.maxBatch ?? 1000,
      (size, s) => this.observer.onBatch?.(size, s),
    );
  }

  /** Resolves when every message received so far has been written (or failed). */
  drained(): Promise<void> {
    return this.committer.drained();
  }

  /** The MLLP handler: the reply bytes for `payload`, or null when the sender asked for no ACK. */
  async receive(
    payload: Buffer,
    settings: InterfaceSettings,
    receivedAt: Date = this.clock(),
  ): Promise<Buffer | null> {
    const timestamp = formatHl7Timestamp(receivedAt);
    const options = settings.charset ? { encoding: settings.charset } : {};
    let header: Hl7Header;
    try {
      const message = parseMessage(payload, options);
      header = message.header;
      // MSH-9 and MSH-10 must be valued: without them a message can be neither keyed nor routed.
      requireHeaderFields(header);
    } catch (e) {
      return this.refuseUnreadable(payload, settings, receivedAt, timestamp, e);
    }

    const plan =
      settings.ackMode === 'original'
        ? ackPlan({ acceptAckType: '', applicationAckType: '' })
        : ackPlan(header);
    const sender = `${header.sendingApplication}|${header.sendingFacility}`;
    const controlId = ackControlId('A', `${sender}\u0000${header.controlId}`);
    const ack = buildAck(header, { code: plan.commitAckCode('accept'), controlId, timestamp }).encode();
    const candidate: InboundCandidate = {
      interfaceName: settings.name,
      orderingKey: settings.orderingKey ?? settings.name,
      sender,
      controlId: header.controlId,
      messageType: header.messageType,
      receivedAt: receivedAt.toISOString(),
      contentSha256: sha256(payload),
      raw: payload,
      ack,
      ackCode: plan.commitAckCode('accept'),
    };

    let outcome: StoreOutcome;
    try {
      outcome = await this.committer.submit(candidate);
    } catch (e) {
      this.observer.onMessage?.(settings.name, 'store-failed');
      const reason = isCrosswalkError(e) ? e.message : 'the database did not accept the write';
      const error: AckError = {
        code: 207,
        message: new CrosswalkError('CW_ERR_INBOX_STORE_FAILED', { reason }).message,
      };
      const code = plan.commitAckCode('reject');
      // Storage failed: no positive ACK. The refusal is sent whatever MSH-15 asked, so the sender resends.
      return buildAck(header, { code, controlId, timestamp, error }).encode();
    }
    crashPoint('inbox-committed');

    switch (outcome.kind) {
      case 'stored':
        this.observer.onMessage?.(settings.name, 'stored');
        return plan.sendCommitAck(true) ? ack : null;
      case 'duplicate':
        this.observer.onMessage?.(settings.name, 'duplicate');
        return plan.sendCommitAck(true) ? outcome.ack : null;
      case 'conflict': {
        this.observer.onMessage?.(settings.name, 'conflict');
        const err = new CrosswalkError('CW_ERR_INBOX_DUPLICATE_CONFLICT', {
          sender,
          controlId: header.controlId,
        });
        const code = plan.commitAckCode('error');
        const refusal = buildAck(header, {
          code,
          controlId,
          timestamp,
          error: { code: 205, message: err.message },
        }).encode();
        await this.record({
          interfaceName: settings.name,
          sender,
          controlId: header.controlId,
          messageType: header.messageType,
          receivedAt: candidate.receivedAt,
          contentSha256: candidate.contentSha256,
          raw: payload,
          reasonCode: err.code,
          reason: err.message,
          ack: refusal,
          ackCode: code,
          existingMessageId: outcome.existingId,
        });
        return plan.sendCommitAck(false) ? refusal : null;
      }
    }
  }

  /**
   * A message (or a malformed frame's first bytes) that could not be parsed: AR/CR naming the reason,
   * and the bytes kept as a rejection for a person to look at.
   */
  async refuseUnreadable(
    payload: Buffer,
    settings: InterfaceSettings,
    receivedAt: Date,
    timestamp: string,
    cause: unknown,
  ): Promise<Buffer> {
    const { ack, rejection } = this.refusal(payload, settings, receivedAt, timestamp, cause);
    await this.record(rejection);
    return ack;
  }

  /**
   * The same, for callers that must answer synchronously (a malformed MLLP frame): the ACK is returned
   * at once and the rejection recorded in the background.
   */
  refuseUnreadableNow(
    payload: Buffer,
    settings: InterfaceSettings,
    receivedAt: Date,
    cause: unknown,
  ): Buffer {
    const { ack, rejection } = this.refusal(
      payload,
      settings,
      receivedAt,
      formatHl7Timestamp(receivedAt),
      cause,
    );
    void this.record(rejection);
    return ack;
  }

  private refusal(
    payload: Buffer,
    settings: InterfaceSettings,
    receivedAt: Date,
    timestamp: string,
    cause: unknown,
  ): { ack: Buffer; rejection: InboundRejection } {
    this.observer.onMessage?.(settings.name, 'rejected');
    const ackMessage = rejectAck(payload, settings, ackControlId('R', payload), timestamp, cause);
    const ack = ackMessage.encode();
    const reasonCode = isCrosswalkError(cause) ? cause.code : 'CW_ERR_HL7_BAD_SEGMENT';
    return {
      ack,
      rejection: {
        interfaceName: settings.name,
        sender: null,
        controlId: null,
        messageType: null,
        receivedAt: receivedAt.toISOString(),
        contentSha256: sha256(payload),
        raw: payload,
        reasonCode,
        reason: ackErrorFor(cause).message ?? reasonCode,
        ack,
        ackCode: ackMessage.get('MSA-1') || 'AR',
        existingMessageId: null,
      },
    };
  }

  /** Best effort: a refusal is sent even when recording it fails (nothing was accepted, so nothing is lost). */
  private async record(rejection: InboundRejection): Promise<void> {
    try {
      await this.repository.recordRejections([rejection]);
    } catch {
      // The sender still gets AR/CR; the rejection counter in metrics keeps the event visible.
    }
  }
}
