/**
 * The MLLP listener: accepts TCP (or TLS) connections and runs one `MllpConnection` per socket. It knows
 * framing, sockets and limits; what a payload means and when it is durable is the handler's business.
 */
import net, { type AddressInfo } from 'node:net';
import tls, { type TLSSocket } from 'node:tls';
import { CrosswalkError } from '../errors/index.ts';
import { type ConnectionConfig, type ListenerTotals, MllpConnection } from './connection.ts';
import { normalizeFingerprint } from './fingerprint.ts';
import { DEFAULT_MAX_FRAME_BYTES, DEFAULT_PARTIAL_BYTES, newDecoderCounters } from './framing.ts';
import type {
  MllpListenerEvent,
  MllpListenerOptions,
  MllpListenerStats,
  MllpRefusalReason,
  MllpTlsOptions,
} from './types.ts';

export interface MllpCloseOptions {
  /** true (default): stop accepting, finish in-flight frames and write their replies, then close. */
  readonly graceful?: boolean;
  /** Upper bound on a graceful close; connections still open then are destroyed (default 10 s). */
  readonly timeoutMs?: number;
}

interface ListenerConfig extends ConnectionConfig {
  readonly host: string;
  readonly port: number;
  readonly maxConnections: number;
  readonly onEvent: ((event: MllpListenerEvent) => void) | undefined;
  readonly tls: MllpTlsOptions | undefined;
  readonly allowedFingerprints: ReadonlySet<string> | undefined;
}

function nonNegativeInt(name: string, value: number | undefined, fallback: number, min = 0): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < min) {
    throw new CrosswalkError('CW_ERR_CONFIG_INVALID', {
      setting: `mllp.${name}`,
      reason: `must be an integer ≥ ${min}, got ${String(value)}`,
    });
  }
  return v;
}

function buildConfig(o: MllpListenerOptions): ListenerConfig {
  if (typeof o.onMessage !== 'function') {
    throw new CrosswalkError('CW_ERR_CONFIG_INVALID', {
      setting: 'mllp.onMessage',
      reason: 'a handler is required',
    });
  }
  const allowed = o.tls?.allowedClientFingerprints;
  return Object.freeze({
    interfaceName: o.interfaceName ?? 'mllp',
    host: o.host ?? '127.0.0.1',
    port: nonNegativeInt('port', o.port, 0),
    maxFrameBytes: nonNegativeInt('maxFrameBytes', o.maxFrameBytes, DEFAULT_MAX_FRAME_BYTES, 1),
    frameTimeoutMs: nonNegativeInt('frameTimeoutMs', o.frameTimeoutMs, 30_000),
    idleTimeoutMs: nonNegativeInt('idleTimeoutMs', o.idleTimeoutMs, 0),
    maxConnections: nonNegativeInt('maxConnections', o.maxConnections, 100, 1),
    maxInFlight: nonNegativeInt('maxInFlightPerConnection', o.maxInFlightPerConnection, 128, 1),
    writeHighWaterBytes: nonNegativeInt('writeHighWaterBytes', o.writeHighWaterBytes, 1024 * 1024, 1),
    partialBytes: nonNegativeInt('frameErrorPartialBytes', o.frameErrorPartialBytes, DEFAULT_PARTIAL_BYTES),
    closeLingerMs: nonNegativeInt('closeLingerMs', o.closeLingerMs, 2000),
    onMessage: o.onMessage,
    onHandlerError: o.onHandlerError,
    onFrameError: o.onFrameError,
    onEvent: o.onEvent,
    tls: o.tls,
    allowedFingerprints: allowed ? new Set(allowed.map((f) => normalizeFingerprint(f))) : undefined,
  });
}

export class MllpListener {
  private readonly config: ListenerConfig;
  private server: net.Server | undefined;
  private readonly connections = new Set<MllpConnection>();
  /** Every accepted TCP socket, TLS handshakes in progress included, so close() can end them all. */
  private readonly rawSockets = new Set<net.Socket>();
  private readonly counters = newDecoderCounters();
  private readonly totals: ListenerTotals = {
    bytesReceived: 0,
    bytesSent: 0,
    repliesWritten: 0,
    handlerErrors: 0,
  };
  private connectionsTotal = 0;
  private connectionsRefused = 0;
  private tlsRefused = 0;
  private nextConnectionId = 1;
  private closing: Promise<void> | undefined;
  private bound: { host: string; port: number } | undefined;
  private readonly emit = (event: MllpListenerEvent): void => {
    try {
      this.config.onEvent?.(event);
    } catch {
      // An observer must not be able to break the transport.
    }
  };

  constructor(options: MllpListenerOptions) {
    this.config = buildConfig(options);
  }

  get interfaceName(): string {
    return this.config.interfaceName;
  }

  /** Where the listener is bound, once `listen()` has resolved. */
  get address(): { host: string; port: number } | undefined {
    return this.bound;
  }

  listen(): Promise<{ host: string; port: number }> {
    const { host, port } = this.config;
    const label = `MLLP ${this.config.interfaceName}`;
    if (this.server || this.closing) {
      return Promise.reject(
        new CrosswalkError('CW_ERR_SERVER_LISTEN', {
          listener: label,
          host,
          port,
          reason: 'already started',
        }),
      );
    }
    const server = this.createServer();
    this.server = server;
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        this.server = undefined;
        reject(
          err.code === 'EADDRINUSE'
            ? new CrosswalkError('CW_ERR_SERVER_PORT_IN_USE', { listener: label, port }, { cause: err })
            : new CrosswalkError(
                'CW_ERR_SERVER_LISTEN',
                { listener: label, host, port, reason: err.code ?? err.message },
                { cause: err },
              ),
        );
      };
      server.once('error', onError);
      server.listen(port, host, () => {
        server.off('error', onError);
        // After listening, server errors are per-connection accept failures; they must not crash us.
        server.on('error', () => {});
        const a = server.address() as AddressInfo;
        this.bound = { host: a.address, port: a.port };
        resolve(this.bound);
      });
    });
  }

  private createServer(): net.Server {
    const t = this.config.tls;
    let server: net.Server;
    if (t) {
      const requestCert = t.requestClientCert === true || this.config.allowedFingerprints !== undefined;
      const tlsServer = tls.createServer({
        key: t.key,
        cert: t.cert,
        ...(t.ca ? { ca: t.ca as string | Buffer | (string | Buffer)[] } : {}),
        requestCert,
        rejectUnauthorized: requestCert,
        allowHalfOpen: true,
      });
      tlsServer.on('secureConnection', (socket: TLSSocket) => this.acceptTls(socket));
      tlsServer.on('tlsClientError', (_err, socket) => {
        this.refuse(socket.remoteAddress, 'tls-handshake', true);
      });
      server = tlsServer;
    } else {
      server = net.createServer({ allowHalfOpen: true }, (socket) => this.accept(socket, undefined));
    }
    // Node closes sockets over the limit before any TLS work and reports them as 'drop'.
    server.maxConnections = this.config.maxConnections;
    server.on('drop', (d) => this.refuse(d?.remoteAddress, 'max-connections', false));
    server.on('connection', (raw: net.Socket) => {
      this.rawSockets.add(raw);
      raw.once('close', () => this.rawSockets.delete(raw));
    });
    return server;
  }

  private refuse(
    remoteAddress: string | undefined,
    reason: MllpRefusalReason,
    isTls: boolean,
    error?: CrosswalkError,
  ): void {
    this.connectionsRefused++;
    if (isTls) this.tlsRefused++;
    this.emit({
      type: 'connection-refused',
      remoteAddress: remoteAddress ?? 'unknown',
      reason,
      ...(error ? { error } : {}),
    });
  }

  private acceptTls(socket: TLSSocket): void {
    const cert = socket.getPeerCertificate();
    const fingerprint = cert?.fingerprint256
      ? normalizeFingerprint(cert.fingerprint256, 'peer certificate')
      : undefined;
    const allowed = this.config.allowedFingerprints;
    if (allowed && (fingerprint === undefined || !allowed.has(fingerprint))) {
      const error = new CrosswalkError('CW_ERR_MLLP_NOT_ALLOWED', { subject: fingerprint ?? '(none)' });
      this.refuse(socket.remoteAddress, 'not-allowed', true, error);
      socket.destroy();
      return;
    }
    this.accept(socket, fingerprint);
  }

  private accept(socket: net.Socket, tlsFingerprint: string | undefined): void {
    if (this.closing) {
      this.refuse(socket.remoteAddress, 'closing', tlsFingerprint !== undefined);
      socket.destroy();
      return;
    }
    this.connectionsTotal++;
    const conn = new MllpConnection(socket, this.nextConnectionId++, tlsFingerprint, this.config, {
      counters: this.counters,
      totals: this.totals,
      emit: this.emit,
    });
    this.connections.add(conn);
    void conn.closed.then(() => this.connections.delete(conn));
  }

  /**
   * Stops the listener. Graceful: no new connections, nothing more read; frames already received are
   * handled and answered, then each connection ends. Whatever is still open after `timeoutMs` is
   * destroyed. Idempotent: a second call returns the first call's promise.
   */
  close(options: MllpCloseOptions = {}): Promise<void> {
    if (this.closing) return this.closing;
    const server = this.server;
    if (!server) return Promise.resolve();
    const graceful = options.graceful ?? true;
    const timeoutMs = options.timeoutMs ?? 10_000;
    this.closing = (async () => {
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      if (graceful && this.connections.size > 0) {
        for (const conn of this.connections) conn.drain();
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
        });
        await Promise.race([Promise.all([...this.connections].map((c) => c.closed)), timeout]);
        clearTimeout(timer);
      }
      for (const conn of this.connections) conn.destroy();
      for (const raw of this.rawSockets) raw.destroy();
      await serverClosed;
      this.server = undefined;
    })();
    return this.closing;
  }

  stats(): MllpListenerStats {
    let inFlight = 0;
    for (const c of this.connections) inFlight += c.inFlight;
    const c = this.counters;
    return {
      connectionsOpen: this.connections.size,
      connectionsTotal: this.connectionsTotal,
      connectionsRefused: this.connectionsRefused,
      tlsRefused: this.tlsRefused,
      framesReceived: c.frames,
      bytesReceived: this.totals.bytesReceived,
      bytesSent: this.totals.bytesSent,
      garbageBytes: c.garbageBytes,
      fsWithoutCr: c.fsWithoutCr,
      frameErrors: { oversize: c.oversize, timeout: c.timeout, resync: c.resync, disconnect: c.disconnect },
      repliesWritten: this.totals.repliesWritten,
      handlerErrors: this.totals.handlerErrors,
      inFlight,
    };
  }
}

export function createMllpListener(options: MllpListenerOptions): MllpListener {
  return new MllpListener(options);
}
