import { CrosswalkError } from '../errors/index.ts';
import { MllpClient, type MllpClientTlsOptions } from '../mllp/index.ts';

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
  // The outage clock starts at a failure and stops when a reply arrives again.
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
