import {
  createMllpListener,
  type MllpListener,
  type MllpListenerEvent,
  type MllpTlsOptions,
} from '../mllp/index.ts';
import type { Inbox, InterfaceSettings } from './inbox.ts';

export interface MllpIngestOptions {
  readonly inbox: Inbox;
  readonly settings: InterfaceSettings;
  readonly host: string;
  readonly port: number;
  readonly tls?: MllpTlsOptions;
  readonly maxFrameBytes?: number;
  readonly idleTimeoutMs?: number;
  readonly maxConnections?: number;
  readonly maxInFlightPerConnection?: number;
  readonly onEvent?: (event: MllpListenerEvent) => void;
}

export interface MllpIngest {
  readonly listener: MllpListener;
  readonly host: string;
  readonly port: number;
  /** Stops accepting, lets in-flight messages commit and their ACKs go out, then closes. */
  close(timeoutMs?: number): Promise<void>;
}

/**
 * An MLLP interface wired to the inbox: every well-formed frame goes through the inbox (ACK after
 * commit); a malformed frame whose first bytes hold an MSH is answered AR and kept as a rejection; a
 * handler failure is answered AR rather than closing the connection.
 */
export async function startMllpIngest(options: MllpIngestOptions): Promise<MllpIngest> {
  const { inbox, settings } = options;
  const listener = createMllpListener({
    interfaceName: settings.name,
    host: options.host,
    port: options.port,
    ...(options.tls ? { tls: options.tls } : {}),
    ...(options.maxFrameBytes ? { maxFrameBytes: options.maxFrameBytes } : {}),
    ...(options.idleTimeoutMs ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
    ...(options.maxConnections ? { maxConnections: options.maxConnections } : {}),
    ...(options.maxInFlightPerConnection
      ? { maxInFlightPerConnection: options.maxInFlightPerConnection }
      : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    // The payload may be a view into a larger socket chunk; the inbox keeps it only until its commit.
    onMessage: (payload, ctx) => inbox.receive(payload, settings, ctx.receivedAt),
    onHandlerError: (error, payload, ctx) =>
      inbox.refuseUnreadableNow(payload, settings, ctx.receivedAt, error),
    onFrameError: (info) => {
      // The peer is gone: nothing was acknowledged, and its sender will resend.
      if (info.reason === 'disconnect' || !info.partial) return null;
      return inbox.refuseUnreadableNow(info.partial, settings, info.ctx.receivedAt, info.error);
    },
  });
  const address = await listener.listen();
  return {
    listener,
    host: address.host,
    port: address.port,
    async close(timeoutMs = 10_000) {
      await listener.close({ graceful: true, timeoutMs });
      await inbox.drained();
    },
  };
}
