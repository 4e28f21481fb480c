/**
 * MLLP client with pipelining. MLLP has no correlation id, so replies are matched to sends strictly in
 * order. The consequence: once a written message misses its deadline, or a reply arrives malformed or
 * unasked for, the stream can no longer be trusted to line up, and the connection is failed as a whole
 * (every pending send rejects). The caller reconnects and resends; the receiver's idempotency (sender +
 * MSH-10) makes that safe.
 *
 * One reply per message is assumed: a receiver in enhanced acknowledgment mode that sends CA then AA
 * would look like an unasked-for reply.
 */
import net from 'node:net';
import tls from 'node:tls';
import { CrosswalkError } from '../errors/index.ts';
import { Fifo } from './fifo.ts';
import { DEFAULT_MAX_FRAME_BYTES, frameAll, MllpDecoder } from './framing.ts';

export interface MllpClientOptions {
  /** Messages written and awaiting a reply at once (default 1: classic one-at-a-time MLLP). */
  readonly maxInFlight?: number;
  /** Largest reply accepted (default 8 MiB). */
  readonly maxFrameBytes?: number;
}

export interface MllpClientTlsOptions {
  readonly ca?: string | Buffer | (string | Buffer)[];
  readonly key?: string | Buffer;
  readonly cert?: string | Buffer;
  readonly servername?: string;
  /** Default true. Turning it off accepts any server certificate: for local experiments only. */
  readonly rejectUnauthorized?: boolean;
}

export interface MllpConnectOptions {
  readonly host: string;
  readonly port: number;
  readonly tls?: MllpClientTlsOptions;
  /** Bound on TCP connect plus TLS handshake (default 10 s). */
  readonly timeoutMs?: number;
}

export interface MllpSendOptions {
  /** From the call to the reply; a message still queued behind the window counts too. */
  readonly timeoutMs: number;
  /** Names the message in a timeout error (e.g. its MSH-10); never put patient data here. */
  readonly label?: string;
}

export interface MllpSendAllOptions {
  /** Messages kept in flight (default: the client's maxInFlight). */
  readonly window?: number;
  /** Per message (default 30 s). */
  readonly timeoutMs?: number;
  readonly onReply?: (reply: Buffer, index: number, payload: Buffer) => void;
}

export interface MllpSendAllResult {
  readonly sent: number;
  readonly elapsedMs: number;
}

interface Pending {
  payload: Buffer | undefined;
  readonly resolve: (reply: Buffer) => void;
  readonly reject: (error: CrosswalkError) => void;
  readonly deadline: number;
  readonly timeoutMs: number;
  readonly label: string;
  settled: boolean;
}

function positiveInt(name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v < 1) {
    throw new CrosswalkError('CW_ERR_CONFIG_INVALID', {
      setting: `mllp.client.${name}`,
      reason: 'must be ≥ 1',
    });
  }
  return v;
}

export class MllpClient {
  private readonly maxInFlight: number;
  private readonly maxFrameBytes: number;
  private socket: net.Socket | undefined;
  private target = 'unconnected';
  private failure: CrosswalkError | undefined;
  /** Written, awaiting replies, in write order. */
  private readonly outstanding = new Fifo<Pending>();
  /** Not yet written because the window is full. May hold expired entries (skipped lazily). */
  private readonly waiting = new Fifo<Pending>();
  private writeBatch: Buffer[] = [];
  private writeScheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private seq = 0;

  constructor(options: MllpClientOptions = {}) {
    this.maxInFlight = positiveInt('maxInFlight', options.maxInFlight ?? 1);
    this.maxFrameBytes = positiveInt('maxFrameBytes', options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES);
  }

  /** Written and awaiting a reply. */
  get inFlight(): number {
    return this.outstanding.length;
  }

  get connected(): boolean {
    return this.socket !== undefined && this.failure === undefined;
  }

  connect(options: MllpConnectOptions): Promise<void> {
    if (this.socket) return Promise.reject(this.connectionError('already connected'));
    this.target = `${options.host}:${options.port}`;
    this.failure = undefined;
    const timeoutMs = options.timeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      const t = options.tls;
      const socket = t
        ? tls.connect({
            host: options.host,
            port: options.port,
            ...(t.ca ? { ca: t.ca } : {}),
            ...(t.key ? { key: t.key } : {}),
            ...(t.cert ? { cert: t.cert } : {}),
            ...(t.servername ? { servername: t.servername } : {}),
            rejectUnauthorized: t.rejectUnauthorized ?? true,
          })
        : net.connect({ host: options.host, port: options.port });
      const timer = setTimeout(() => fail(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      const fail = (err: Error): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(this.connectionError((err as NodeJS.ErrnoException).code ?? err.message, err));
      };
      socket.once('error', fail);
      socket.once(t ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        socket.off('error', fail);
        this.attach(socket);
        resolve();
      });
    });
  }

  private attach(socket: net.Socket): void {
    this.socket = socket;
    socket.setNoDelay(true);
    const decoder = new MllpDecoder({
      maxFrameBytes: this.maxFrameBytes,
      onFrame: (reply) => this.onReply(reply),
      onMalformed: (m) => this.fail(this.connectionError(`malformed reply frame (${m.reason})`)),
    });
    // Events of a socket this client has already given up (and perhaps replaced) are ignored.
    socket.on('data', (chunk: Buffer) => {
      if (socket === this.socket) decoder.push(chunk);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (socket === this.socket) this.fail(this.connectionError(err.code ?? err.message, err));
    });
    socket.on('close', () => {
      if (socket === this.socket) this.fail(this.connectionError('connection closed by the peer'));
    });
  }

  /** Sends one payload (unframed) and resolves with the reply payload. */
  send(payload: Buffer, options: MllpSendOptions): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      if (!this.socket) return reject(this.connectionError('not connected'));
      this.seq++;
      const p: Pending = {
        payload,
        resolve,
        reject,
        deadline: Date.now() + options.timeoutMs,
        timeoutMs: options.timeoutMs,
        label: options.label ?? `message #${this.seq}`,
        settled: false,
      };
      this.waiting.push(p);
      this.fillWindow();
      if (p.deadline < this.timerAt) this.armTimer(p.deadline);
    });
  }

  /**
   * Streams payloads with `window` of them in flight; resolves when every reply is in, rejects on the
   * first failure (the connection is then failed too, see the module comment).
   */
  async sendAll(
    payloads: Iterable<Buffer> | AsyncIterable<Buffer>,
    options: MllpSendAllOptions = {},
  ): Promise<MllpSendAllResult> {
    const window = positiveInt('window', options.window ?? this.maxInFlight);
    const timeoutMs = options.timeoutMs ?? 30_000;
    const started = performance.now();
    let inFlight = 0;
    let sent = 0;
    let firstError: unknown;
    let wake: (() => void) | undefined;
    const settled = (): void => {
      inFlight--;
      const w = wake;
      wake = undefined;
      w?.();
    };
    const someSettle = (): Promise<void> =>
      new Promise<void>((resolve) => {
        wake = resolve;
      });
    for await (const payload of payloads) {
      while (inFlight >= window && firstError === undefined) await someSettle();
      if (firstError !== undefined) break;
      const index = sent++;
      inFlight++;
      this.send(payload, { timeoutMs, label: `message #${index + 1}` }).then(
        (reply) => {
          try {
            options.onReply?.(reply, index, payload);
          } catch (err) {
            firstError ??= err;
          }
          settled();
        },
        (err: unknown) => {
          firstError ??= err;
          settled();
        },
      );
    }
    // Bounded: every send settles by its deadline at the latest.
    while (inFlight > 0) await someSettle();
    if (firstError !== undefined) throw firstError;
    return { sent, elapsedMs: performance.now() - started };
  }

  /** Closes the connection; anything still pending rejects with CW_ERR_MLLP_CONNECTION. */
  async close(): Promise<void> {
    const socket = this.socket;
    this.fail(this.connectionError('closed by the caller'), false);
    if (!socket || socket.destroyed) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => socket.destroy(), 2000);
      socket.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      socket.end();
    });
  }

  private write(p: Pending): void {
    this.outstanding.push(p);
    this.writeBatch.push(p.payload!);
    p.payload = undefined;
    if (!this.writeScheduled) {
      this.writeScheduled = true;
      process.nextTick(() => this.flushWrites());
    }
  }

  private flushWrites(): void {
    this.writeScheduled = false;
    const batch = this.writeBatch;
    this.writeBatch = [];
    if (batch.length === 0 || this.failure || !this.socket) return;
    this.socket.write(frameAll(batch));
  }

  private onReply(reply: Buffer): void {
    const p = this.outstanding.shift();
    if (!p) {
      this.fail(this.connectionError('a reply arrived with no message awaiting it'));
      return;
    }
    p.settled = true;
    p.resolve(reply);
    this.fillWindow();
  }

  private fillWindow(): void {
    while (this.outstanding.length < this.maxInFlight && this.waiting.length > 0) {
      const next = this.waiting.shift()!;
      if (!next.settled) this.write(next);
    }
  }

  private armTimer(at: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.onTimer(), Math.max(0, at - Date.now()));
  }

  /**
   * One timer for all pending sends, armed at the earliest deadline: cheaper than a timer per message
   * at thousands of messages per second. Each firing scans at most maxInFlight + queued entries.
   */
  private onTimer(): void {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    const now = Date.now();
    for (const p of this.outstanding) {
      if (!p.settled && p.deadline <= now) {
        const err = new CrosswalkError('CW_ERR_MLLP_NO_ACK', { controlId: p.label, ms: p.timeoutMs });
        p.settled = true;
        p.reject(err);
        this.fail(this.connectionError(`no reply for ${p.label}; replies can no longer be matched`));
        return;
      }
    }
    let next = Number.POSITIVE_INFINITY;
    for (const p of this.waiting) {
      if (p.settled) continue;
      if (p.deadline <= now) {
        p.settled = true;
        p.reject(new CrosswalkError('CW_ERR_MLLP_NO_ACK', { controlId: p.label, ms: p.timeoutMs }));
      } else next = Math.min(next, p.deadline);
    }
    for (const p of this.outstanding) next = Math.min(next, p.deadline);
    if (next !== Number.POSITIVE_INFINITY) this.armTimer(next);
  }

  private fail(error: CrosswalkError, destroy = true): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    this.failure ??= error;
    const pending = [...this.outstanding.drain(), ...this.waiting.drain()];
    for (const p of pending) {
      if (p.settled) continue;
      p.settled = true;
      p.reject(this.failure);
    }
    this.writeBatch = [];
    const socket = this.socket;
    this.socket = undefined;
    if (socket && destroy) socket.destroy();
  }

  private connectionError(reason: string, cause?: unknown): CrosswalkError {
    return new CrosswalkError('CW_ERR_MLLP_CONNECTION', { target: this.target, reason }, { cause });
  }
}
