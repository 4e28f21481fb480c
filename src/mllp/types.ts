/** The listener's public vocabulary: options, handler contracts, events and counters. */
import type { CrosswalkError } from '../errors/index.ts';
import type { FrameErrorReason } from './framing.ts';

/** What the listener knows about a frame besides its bytes. Carries no payload data, so it is loggable. */
export interface MllpMessageContext {
  /** Unique within one listener, increasing in accept order. */
  readonly connectionId: number;
  readonly remoteAddress: string;
  readonly interfaceName: string;
  /** When the chunk that completed the frame was read from the socket. */
  readonly receivedAt: Date;
  /** SHA-256 of the client certificate (lower-case hex, no separators) on a mutual-TLS connection. */
  readonly tlsFingerprint?: string;
}

/** A reply payload, unframed; null or undefined sends nothing for that frame. */
export type MllpReply = Buffer | null | undefined;

/**
 * Called once per well-formed frame. Calls for the frames of one connection may overlap (up to
 * `maxInFlightPerConnection`), which lets an application commit many messages in one transaction;
 * replies are written in the order the frames arrived whatever order the calls settle in.
 */
export type MllpMessageHandler = (payload: Buffer, ctx: MllpMessageContext) => Promise<MllpReply> | MllpReply;

/**
 * Called when `onMessage` throws or rejects. A reply returned here takes the failed frame's place in the
 * reply order (an application answers AR); returning nothing, or throwing, closes the connection after
 * the replies before it are written.
 */
export type MllpHandlerErrorHandler = (
  error: unknown,
  payload: Buffer,
  ctx: MllpMessageContext,
) => Promise<MllpReply> | MllpReply;

export interface MllpFrameErrorInfo {
  readonly reason: FrameErrorReason;
  readonly bytesSeen: number;
  readonly ctx: MllpMessageContext;
  /** The frame's first bytes (bounded by `frameErrorPartialBytes`), enough to read an MSH for an AR. */
  readonly partial?: Buffer;
  /** The registry error for this failure (a work item's reason code); PHI-free. */
  readonly error: CrosswalkError;
}

/**
 * Called for each malformed frame. The reply, if any, is written in the frame's place in the order. For
 * `disconnect` the peer is gone and the reply is ignored; the call is for the record.
 */
export type MllpFrameErrorHandler = (info: MllpFrameErrorInfo) => MllpReply;

export interface MllpTlsOptions {
  readonly key: string | Buffer;
  readonly cert: string | Buffer;
  /** Trust anchors for client certificates. */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** Ask for a client certificate and refuse a connection without a valid one. */
  readonly requestClientCert?: boolean;
  /**
   * SHA-256 fingerprints (hex, with or without colons, any case) of the client certificates admitted.
   * Setting it implies `requestClientCert`. A certificate that verifies but is not listed is refused.
   */
  readonly allowedClientFingerprints?: readonly string[];
}

export interface MllpListenerOptions {
  readonly onMessage: MllpMessageHandler;
  readonly onHandlerError?: MllpHandlerErrorHandler;
  readonly onFrameError?: MllpFrameErrorHandler;
  /** Observability hook; events never carry payload bytes. Must not throw. */
  readonly onEvent?: (event: MllpListenerEvent) => void;
  /** A label for this feed, passed to handlers and events (default `mllp`). */
  readonly interfaceName?: string;
  /** Default 127.0.0.1: exposing a listener beyond the host is a deliberate configuration choice. */
  readonly host?: string;
  /** 0 picks a free port; `listen()` answers which. */
  readonly port?: number;
  /** Largest payload accepted (default 8 MiB). Raise it for feeds that embed documents in OBX-5. */
  readonly maxFrameBytes?: number;
  /** Close a connection with no traffic and nothing in flight for this long (0, the default: never). */
  readonly idleTimeoutMs?: number;
  /** Abandon a frame whose end block has not arrived this long after its start (default 30 s). */
  readonly frameTimeoutMs?: number;
  /** Connections beyond this are closed on accept and counted as refused (default 100). */
  readonly maxConnections?: number;
  /**
   * Frames of one connection being handled at once (default 128). Reading pauses while the window is
   * full. 1 gives strict one-at-a-time processing.
   */
  readonly maxInFlightPerConnection?: number;
  /** Reading pauses while a peer leaves more than this many reply bytes unread (default 1 MiB). */
  readonly writeHighWaterBytes?: number;
  /** Leading bytes of a malformed frame given to `onFrameError` (default 1024). */
  readonly frameErrorPartialBytes?: number;
  /** How long a connection closed for a handler error may linger to flush its last replies (2 s). */
  readonly closeLingerMs?: number;
  readonly tls?: MllpTlsOptions;
}

export type MllpConnectionCloseReason = 'peer' | 'idle' | 'handler-error' | 'listener-close' | 'socket-error';

export type MllpRefusalReason = 'max-connections' | 'tls-handshake' | 'not-allowed' | 'closing';

export type MllpListenerEvent =
  | {
      readonly type: 'connection-open';
      readonly connectionId: number;
      readonly remoteAddress: string;
      readonly tlsFingerprint?: string;
    }
  | {
      readonly type: 'connection-close';
      readonly connectionId: number;
      readonly reason: MllpConnectionCloseReason;
      readonly framesReceived: number;
    }
  | {
      readonly type: 'connection-refused';
      readonly remoteAddress: string;
      readonly reason: MllpRefusalReason;
      readonly error?: CrosswalkError;
    }
  | {
      readonly type: 'frame-error';
      readonly connectionId: number;
      readonly reason: FrameErrorReason;
      readonly bytesSeen: number;
      readonly error: CrosswalkError;
    }
  | { readonly type: 'handler-error'; readonly connectionId: number; readonly error: unknown };

export interface MllpListenerStats {
  connectionsOpen: number;
  connectionsTotal: number;
  connectionsRefused: number;
  tlsRefused: number;
  framesReceived: number;
  bytesReceived: number;
  bytesSent: number;
  garbageBytes: number;
  fsWithoutCr: number;
  frameErrors: { oversize: number; timeout: number; resync: number; disconnect: number };
  repliesWritten: number;
  handlerErrors: number;
  /** Handler calls started and not yet answered, across connections. */
  inFlight: number;
}
