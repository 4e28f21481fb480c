import {
  type CanonicalEvent,
  type EventType,
  eventId,
  MIN_TOKEN_KEY_BYTES,
  type PayloadByType,
  validateEvent,
} from '../canonical/index.ts';
import { CrosswalkError } from '../errors/index.ts';
import type { Hl7Message } from '../hl7v2/index.ts';
import type { MappingRelease } from '../mapping/index.ts';
import { encounterToken, sendingFacility } from './fields.ts';
import { type Hl7Instant, parseHl7Time } from './time.ts';

export interface InterpretContext {
  /** The release to interpret with: the active one, or a candidate in a dry-run. */
  readonly release: MappingRelease;
  /** HMAC key for patient/encounter/case tokens (at least 16 bytes). */
  readonly tokenKey: Uint8Array;
  /** The inbox key of the message (sender + control id). */
  readonly sourceMessageId: string;
  /** When the inbox stored the message (UTC ISO); the occurred-at of last resort. */
  readonly receivedAt: string;
  /**
   * Copied onto every event of the message. The caller picks the partition the engines must apply in
   * order, e.g. the inbox sequence number or the sending facility; events within a message are in
   * `position` order.
   */
  readonly orderingKey: string;
}

export type InterpretResult =
  | {
      readonly status: 'interpreted';
      /** MSH-9.1^MSH-9.2, e.g. `DFT^P03`. */
      readonly messageType: string;
      readonly events: readonly CanonicalEvent[];
    }
  | {
      /** Not an error: a message type Crosswalk has no meaning for yet; the flow records the skip. */
      readonly status: 'not-interpreted';
      readonly messageType: string;
      readonly code: 'CW_ERR_INTERPRET_UNSUPPORTED_TYPE';
      readonly reason: string;
      readonly events: readonly [];
    };

/** Collects the events of one message; every event is validated on the way in. */
export class Emitter {
  readonly events: CanonicalEvent[] = [];
  readonly msg: Hl7Message;
  readonly ctx: InterpretContext;
  readonly #receivedAt: Hl7Instant;
  readonly #timeZone: string;
  /** What every line of a message reads alike, read once (the message does not change meanwhile). */
  #encounterToken: string | null | undefined;
  #sendingFacility: string | undefined;
  #sourceTime: string | undefined;

  constructor(msg: Hl7Message, ctx: InterpretContext) {
    this.msg = msg;
    this.ctx = ctx;
    this.#receivedAt = { iso: ctx.receivedAt, date: ctx.receivedAt.slice(0, 10) };
    this.#timeZone = ctx.release.content.timeZone;
  }

  get release(): MappingRelease {
    return this.ctx.release;
  }

  get key(): Uint8Array {
    return this.ctx.tokenKey;
  }

  /** Reads an HL7 time in the release's zone; null when empty. */
  time(value: string, position: string): Hl7Instant | null {
    return parseHl7Time(value, this.#timeZone, position);
  }

  /** The message's encounter token (PV1-19), see fields.ts encounterToken. */
  encounterToken(): string | null {
    if (this.#encounterToken === undefined)
      this.#encounterToken = encounterToken(this.msg, this.ctx.tokenKey);
    return this.#encounterToken;
  }

  /** MSH-4.1, see fields.ts sendingFacility. */
  sendingFacility(): string {
    this.#sendingFacility ??= sendingFacility(this.msg);
    return this.#sendingFacility;
  }

  /** The first non-empty of several HL7 times (path, value pairs), else the receipt time. */
  firstTime(...candidates: readonly (readonly [position: string, value: string])[]): Hl7Instant {
    for (const [position, value] of candidates) {
      const t = this.time(value, position);
      if (t !== null) return t;
    }
    return this.#receivedAt;
  }

  emit<T extends EventType>(
    type: T,
    position: string,
    at: Hl7Instant,
    entity: string,
    payload: PayloadByType[T],
  ): void {
    this.#sourceTime ??= this.msg.header.dateTime;
    this.events.push(
      validateEvent({
        id: eventId(this.ctx.sourceMessageId, position, this.#sourceTime),
        type,
        orderingKey: this.ctx.orderingKey,
        sourceMessageId: this.ctx.sourceMessageId,
        position,
        mappingReleaseId: this.ctx.release.id,
        occurredAt: at.iso,
        entity,
        payload,
      }),
    );
  }
}

/** Refuses a context that would produce unusable events, before any message value is read. */
function badContext(field: string, reason: string): CrosswalkError {
  return new CrosswalkError('CW_ERR_INTERPRET_BAD_VALUE', {
    position: `context.${field}`,
    value: '…',
    reason,
  });
}

export function checkContext(ctx: InterpretContext): void {
  const bad = badContext;
  if (ctx.tokenKey.byteLength < MIN_TOKEN_KEY_BYTES) {
    throw new CrosswalkError('CW_ERR_CANONICAL_TOKEN_KEY', { min: MIN_TOKEN_KEY_BYTES });
  }
  if (ctx.sourceMessageId === '') throw bad('sourceMessageId', 'must not be empty');
  if (ctx.orderingKey === '') throw bad('orderingKey', 'must not be empty');
  // A batch's messages were mostly received in the same few instants; the date round trip is paid once.
  if (ctx.receivedAt === lastReceivedAt) return;
  const t = Date.parse(ctx.receivedAt);
  if (Number.isNaN(t) || new Date(t).toISOString() !== ctx.receivedAt) {
    throw bad('receivedAt', 'must be a UTC ISO time as toISOString writes it');
  }
  lastReceivedAt = ctx.receivedAt;
}

let lastReceivedAt: string | undefined;
