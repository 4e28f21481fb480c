import net from 'node:net';
import tls from 'node:tls';
import { CrosswalkError } from '../errors/index.ts';
import { frame, MllpClient, type MllpClientTlsOptions, MllpDecoder } from '../mllp/index.ts';

export interface ReliableSendOptions {
  readonly host: string;
  readonly port: number;
  readonly tls?: MllpClientTlsOptions;
  /** Messages kept in flight on the connection. */
  readonly window: number;
  /** How long to wait for one ACK. */
  readonly timeoutMs: number;
  /**
   * Keep reconnecting and resending what got no ACK for this long after a connection failure; 0 gives
   * up at the first failure.
   */
  readonly retryForMs: number;
  readonly onReply?: (index: number, reply: Buffer) => void;
  readonly onReconnect?: (attempt: number, error: CrosswalkError) => void;
}

export interface ReliableSendResult {
  /** The reply to each payload, or null where none came (given up). */
  readonly replies: (Buffer | null)[];
  readonly connections: number;
  readonly elapsedMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Sends payloads over MLLP with a window in flight, the way an interface engine's sender does: when the
 * connection fails, it reconnects and resends every payload it saw no ACK for, in order. A payload that
 * was stored but whose ACK was lost is therefore sent again; the receiver's idempotency (sender +
 * MSH-10) makes that harmless, which is exactly what the crash tests check.
 */
export async function sendReliably(
  payloads: readonly Buffer[],
  options: ReliableSendOptions,
): Promise<ReliableSendResult> {
  const replies: (Buffer | null)[] = payloads.map(() => null);
  const started = performance.now();
  // The outage clock starts at a failure and stops when a reply arrives again; so does the backoff, so
  // that each outage starts again from a short wait instead of the longest one the last outage reached.
  let giveUpAt: number | undefined;
  let connections = 0;
  let attempt = 0;
  for (;;) {
    const pending = payloads.map((_, i) => i).filter((i) => replies[i] === null);
    if (pending.length === 0) break;
    const client = new MllpClient({ maxInFlight: options.window });
    try {
      await client.connect({
        host: options.host,
        port: options.port,
        ...(options.tls ? { tls: options.tls } : {}),
      });
      connections++;
      await client.sendAll(
        (function* () {
          for (const i of pending) yield payloads[i]!;
        })(),
        {
          window: options.window,
          timeoutMs: options.timeoutMs,
          onReply: (reply, k) => {
            const i = pending[k]!;
            replies[i] = Buffer.from(reply);
            giveUpAt = undefined;
            attempt = 0;
            options.onReply?.(i, replies[i]!);
          },
        },
      );
    } catch (e) {
      const error =
        e instanceof CrosswalkError
          ? e
          : new CrosswalkError('CW_ERR_MLLP_CONNECTION', {
              target: `${options.host}:${options.port}`,
              reason: String(e),
            });
      giveUpAt ??= Date.now() + options.retryForMs;
      if (Date.now() >= giveUpAt) {
        await client.close().catch(() => undefined);
        if (options.retryForMs === 0 && replies.every((r) => r === null)) throw error;
        break;
      }
      attempt++;
      options.onReconnect?.(attempt, error);
      await sleep(Math.min(1000, 50 * 2 ** Math.min(attempt, 5)));
    } finally {
      await client.close().catch(() => undefined);
    }
  }
  return { replies, connections, elapsedMs: performance.now() - started };
}

/**
 * Sends one message whose MSH-15 asks for no commit ACK when all goes well (NE, or ER: only on error),
 * on its own connection, and waits `graceMs` for the error reply a receiver may still send. MLLP has no
 * correlation id, so such a message cannot share a pipelined connection with messages that do expect
 * replies. Resolves with the reply, or null when none came (which is what the sender asked for).
 */
export async function sendExpectingNoAck(
  payload: Buffer,
  options: {
    host: string;
    port: number;
    tls?: MllpClientTlsOptions;
    graceMs: number;
    connectTimeoutMs?: number;
  },
): Promise<Buffer | null> {
  const target = `${options.host}:${options.port}`;
  const socket: net.Socket = await new Promise((resolve, reject) => {
    const t = options.tls;
    const s = t
      ? tls.connect({
          host: options.host,
          port: options.port,
          ...t,
          rejectUnauthorized: t.rejectUnauthorized ?? true,
        } as tls.ConnectionOptions)
      : net.connect({ host: options.host, port: options.port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new CrosswalkError('CW_ERR_MLLP_CONNECTION', { target, reason: 'connect timed out' }));
    }, options.connectTimeoutMs ?? 10_000);
    s.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new CrosswalkError('CW_ERR_MLLP_CONNECTION', { target, reason: e.code ?? e.message }));
    });
    s.once(t ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      resolve(s);
    });
  });
  try {
    return await new Promise<Buffer | null>((resolve) => {
      const decoder = new MllpDecoder({
        onFrame: (reply) => resolve(Buffer.from(reply)),
        onMalformed: () => resolve(null),
      });
      socket.on('data', (chunk: Buffer) => decoder.push(chunk));
      socket.on('error', () => resolve(null));
      socket.write(frame(payload));
      setTimeout(() => resolve(null), options.graceMs);
    });
  } finally {
    socket.destroy();
  }
}
