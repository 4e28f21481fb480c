import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { Applier, loadTokenKeys } from '../apply/index.ts';
import { type ApplyStage, ApplyThread } from '../apply/thread.ts';
import type { Config, MllpInterfaceConfig } from '../config/index.ts';
import { CrosswalkError } from '../errors/index.ts';
import { Inbox, type MllpIngest, startMllpIngest } from '../inbox/index.ts';
import type { MllpTlsOptions } from '../mllp/index.ts';
import { createLogger, type Logger, Metrics } from '../observe/index.ts';
import { type Deliverer, startDeliverer } from '../outbox/index.ts';
import { InboxRepository } from '../store/inbox-repository.ts';
import { assertMigrated, migrate, openStore, type Store } from '../store/index.ts';
import { buildApp } from './app.ts';
import { startAuditCheckpoints } from './audit-checkpoints.ts';

export interface Running {
  readonly store: Store;
  readonly app: FastifyInstance;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly httpUrl: string;
  /** One listener per configured MLLP interface (the first is the default one). */
  readonly mllp: readonly MllpIngest[];
  /** host:port of the first MLLP listener. */
  readonly mllpAddress: string;
  /** The apply stage: stored messages → events → inventory and the books. */
  readonly applier: ApplyStage;
  /** The outbox's deliverer: queued documents → their destinations (files, the ERP). */
  readonly deliverer: Deliverer;
  /** Stops taking new work, finishes what is in flight (bounded by the shutdown timeout), closes. */
  stop(reason?: string): Promise<void>;
}

export interface StartOptions {
  readonly config: Config;
  readonly version: string;
  /** Apply pending migrations at start (safe with several processes: migrations run under a lock). */
  readonly migrate?: boolean;
  readonly logger?: Logger;
}

function listenError(e: unknown, listener: string, host: string, port: number): CrosswalkError {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'EADDRINUSE') return new CrosswalkError('CW_ERR_SERVER_PORT_IN_USE', { listener, port });
  return new CrosswalkError('CW_ERR_SERVER_LISTEN', {
    listener,
    host,
    port,
    reason: err.code ?? err.message,
  });
}

/** The process composition root for `crosswalk serve` and `crosswalk demo`. */
export async function startServer(options: StartOptions): Promise<Running> {
  const { config } = options;
  const logger = options.logger ?? createLogger(config.logLevel);
  const metrics = new Metrics();
  const tokenKeys = loadTokenKeys(config.tokenKeyFile);
  // The serving process checkpoints its SQLite WAL from a thread of its own (see checkpointer.ts).
  const store = await openStore(config.databaseUrl, {
    poolMax: config.dbPoolMax,
    rawKeyRingFile: config.rawKeyRingFile,
    walCheckpoints: 'background',
  });
  let app: FastifyInstance | undefined;
  const mllp: MllpIngest[] = [];
  let applier: ApplyStage | undefined;
  let deliverer: Deliverer | undefined;
  try {
    if (options.migrate !== false) {
      const applied = await migrate(store);
      if (applied.length > 0) logger.info({ applied: applied.map((m) => m.id) }, 'migrations applied');
    }
    await assertMigrated(store);
    const httpTls = tlsFiles(config, 'HTTP');
    app = await buildApp({
      ...(httpTls ? { https: { cert: readPem(httpTls.certFile), key: readPem(httpTls.keyFile) } } : {}),
      store,
      logger,
      metrics,
      version: options.version,
      tokenKey: tokenKeys.current,
      earlierTokenKeys: tokenKeys.earlier,
      publicUrl: config.publicUrl === '' ? null : config.publicUrl,
      // A FHIR write that reached the inbox wakes the apply stage, as an MLLP batch does.
      onStored: () => applier?.notify(),
      sessionIdleTimeoutMs: config.sessionIdleTimeoutMs,
      sessionMaxAgeMs: config.sessionMaxAgeMs,
    });
    try {
      await app.listen({ host: config.httpHost, port: config.httpPort });
    } catch (e) {
      throw listenError(e, 'HTTP', config.httpHost, config.httpPort);
    }
    deliverer = await startDeliverer({ store, config, logger, metrics });
    const tokenKey = tokenKeys.current;
    const measured = applierMetrics(metrics, logger);
    const delivery = deliverer;
    // A batch that posted may have queued documents: the deliverer looks at once instead of at its next poll.
    const hooks = {
      ...measured,
      onBatch: (s: Parameters<typeof measured.onBatch>[0]) => {
        measured.onBatch(s);
        if (s.applied > 0) delivery.notify();
      },
    };
    applier =
      config.applyThread === 'own' && !isInMemory(config.databaseUrl)
        ? await ApplyThread.start({
            databaseUrl: config.databaseUrl,
            poolMax: config.dbPoolMax,
            rawKeyRingFile: config.rawKeyRingFile,
            tokenKey,
            earlierTokenKeys: tokenKeys.earlier,
            batchSize: config.applyBatchSize,
            ...hooks,
            onExit: (code) => logger.error({ code }, 'apply thread ended unexpectedly; restart the process'),
          })
        : new Applier({
            store,
            tokenKey,
            earlierTokenKeys: tokenKeys.earlier,
            batchSize: config.applyBatchSize,
            ...hooks,
          });
    const observer = inboxMetrics(metrics);
    const inbox = new Inbox({
      repository: new InboxRepository(store),
      observer: {
        ...observer,
        onBatch: (size, seconds) => {
          observer.onBatch(size, seconds);
          applier?.notify();
        },
      },
    });
    for (const iface of mllpInterfacesOf(config)) {
      mllp.push(
        await startMllpIngest({
          inbox,
          settings: {
            name: iface.name,
            ...(iface.orderingKey ? { orderingKey: iface.orderingKey } : {}),
            ...(iface.ackMode ? { ackMode: iface.ackMode } : {}),
            ...(iface.charset ? { charset: iface.charset } : {}),
          },
          host: iface.host ?? config.mllpHost,
          port: iface.port,
          ...(iface.tls ? { tls: readTls(iface.tls) } : {}),
          ...(iface.maxFrameBytes ? { maxFrameBytes: iface.maxFrameBytes } : {}),
          ...(iface.idleTimeoutMs ? { idleTimeoutMs: iface.idleTimeoutMs } : {}),
          ...(iface.maxConnections ? { maxConnections: iface.maxConnections } : {}),
        }),
      );
    }
  } catch (e) {
    for (const m of mllp) await m.close(1000).catch(() => undefined);
    await deliverer?.stop().catch(() => undefined);
    await applier?.stop().catch(() => undefined);
    await app?.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    throw e;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.httpPort;
  const scheme = config.httpTlsCertFile !== '' ? 'https' : 'http';
  const httpUrl = `${scheme}://${config.httpHost.includes(':') ? `[${config.httpHost}]` : config.httpHost}:${port}`;
  const mllpAddress = `${mllp[0]!.host}:${mllp[0]!.port}`;
  const theApplier = applier!;
  if (theApplier instanceof Applier) theApplier.start();
  const checkpoints = startAuditCheckpoints({ store, config, logger });
  logger.info(
    { http: httpUrl, mllp: mllp.map((m) => `${m.host}:${m.port}`), database: store.target },
    'crosswalk started',
  );

  let stopping: Promise<void> | undefined;
  const running: Running = {
    store,
    app,
    logger,
    metrics,
    httpUrl,
    mllp,
    mllpAddress,
    applier: theApplier,
    deliverer: deliverer!,
    stop(reason = 'stop requested') {
      stopping ??= (async () => {
        logger.info({ reason }, 'shutting down');
        const timer = setTimeout(() => {
          logger.warn({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown timed out; closing connections');
          app?.server.closeAllConnections();
        }, config.shutdownTimeoutMs);
        timer.unref();
        try {
          // MLLP first: its in-flight messages commit and get their ACKs before the store closes.
          await Promise.all(mllp.map((m) => m.close(config.shutdownTimeoutMs)));
          // Then the batch being applied finishes (commits or rolls back whole).
          await theApplier.stop();
          // Then the call in flight at each destination ends; its outcome is recorded.
          await deliverer?.stop();
          await checkpoints.stop();
          await app?.close();
        } finally {
          clearTimeout(timer);
          await store.close();
        }
        logger.info('stopped');
      })();
      return stopping;
    },
  };
  return running;
}

function inboxMetrics(metrics: Metrics) {
  const messages = metrics.counter(
    'crosswalk_inbox_messages_total',
    'HL7 v2 messages received, by interface and outcome.',
    ['interface', 'outcome'],
  );
  const batchSize = metrics.histogram(
    'crosswalk_inbox_batch_size',
    'Messages committed per inbox transaction.',
    [],
    [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
  );
  const commitSeconds = metrics.histogram(
    'crosswalk_inbox_commit_seconds',
    'Duration of one inbox transaction (group commit).',
    [],
    [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5],
  );
  return {
    onMessage: (iface: string, outcome: string) => messages.inc({ interface: iface, outcome }),
    onBatch: (size: number, seconds: number) => {
      batchSize.observe(size);
      commitSeconds.observe(seconds);
    },
  };
}

/** The configured interfaces, or the default one on CROSSWALK_MLLP_HOST:PORT; names and ports must differ. */
function mllpInterfacesOf(config: Config): MllpInterfaceConfig[] {
  const tls = tlsFiles(config, 'MLLP');
  const list: MllpInterfaceConfig[] =
    config.mllpInterfaces.length > 0
      ? config.mllpInterfaces
      : [
          {
            name: 'mllp',
            port: config.mllpPort,
            ...(tls
              ? {
                  tls: {
                    keyFile: tls.keyFile,
                    certFile: tls.certFile,
                    ...(config.mllpTlsCaFile ? { caFile: config.mllpTlsCaFile } : {}),
                  },
                }
              : {}),
          },
        ];
  const names = new Set<string>();
  const ports = new Set<number>();
  for (const i of list) {
    if (names.has(i.name)) {
      throw new CrosswalkError('CW_ERR_CONFIG_INVALID', {
        setting: 'CROSSWALK_MLLP_INTERFACES',
        reason: `interface name "${i.name}" is used twice`,
      });
    }
    if (i.port !== 0 && ports.has(i.port)) {
      throw new CrosswalkError('CW_ERR_CONFIG_INVALID', {
        setting: 'CROSSWALK_MLLP_INTERFACES',
        reason: `port ${i.port} is used twice`,
      });
    }
    names.add(i.name);
    ports.add(i.port);
  }
  return list;
}

/** The certificate and key files of a listener, both or neither (a half-configured TLS is refused). */
function tlsFiles(config: Config, listener: 'HTTP' | 'MLLP'): { certFile: string; keyFile: string } | null {
  const [certFile, keyFile] =
    listener === 'HTTP'
      ? [config.httpTlsCertFile, config.httpTlsKeyFile]
      : [config.mllpTlsCertFile, config.mllpTlsKeyFile];
  if (certFile === '' && keyFile === '') {
    if (listener === 'MLLP' && config.mllpTlsCaFile !== '') {
      throw new CrosswalkError('CW_ERR_CONFIG_INVALID', {
        setting: 'CROSSWALK_MLLP_TLS_CA_FILE',
        reason: 'needs CROSSWALK_MLLP_TLS_CERT_FILE and CROSSWALK_MLLP_TLS_KEY_FILE',
      });
    }
    return null;
  }
  if (certFile === '' || keyFile === '') {
    throw new CrosswalkError('CW_ERR_CONFIG_INVALID', {
      setting: `CROSSWALK_${listener}_TLS_${certFile === '' ? 'CERT' : 'KEY'}_FILE`,
      reason: `set both CROSSWALK_${listener}_TLS_CERT_FILE and CROSSWALK_${listener}_TLS_KEY_FILE, or neither`,
    });
  }
  return { certFile, keyFile };
}

function readPem(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new CrosswalkError('CW_ERR_CONFIG_FILE', {
      path,
      reason: (e as NodeJS.ErrnoException).code ?? 'unreadable',
    });
  }
}

function readTls(t: NonNullable<MllpInterfaceConfig['tls']>): MllpTlsOptions {
  const read = (path: string) => {
    try {
      return readFileSync(path);
    } catch (e) {
      throw new CrosswalkError('CW_ERR_CONFIG_FILE', {
        path,
        reason: (e as NodeJS.ErrnoException).code ?? 'unreadable',
      });
    }
  };
  return {
    key: read(t.keyFile),
    cert: read(t.certFile),
    // A CA for client certificates means they are required: a client without one signed by it is refused.
    ...(t.caFile ? { ca: read(t.caFile), requestClientCert: true } : {}),
    ...(t.allowedClientFingerprints ? { allowedClientFingerprints: t.allowedClientFingerprints } : {}),
  };
}

function applierMetrics(metrics: Metrics, logger: Logger) {
  const messages = metrics.counter('crosswalk_apply_messages_total', 'Messages applied, by outcome.', [
    'outcome',
  ]);
  const events = metrics.counter('crosswalk_apply_events_total', 'Canonical events applied.');
  const entries = metrics.counter('crosswalk_journal_entries_total', 'Journal entries posted.');
  // Steadily rising: another process or key keeps moving the stock this one plans on (see Applier).
  const replanned = metrics.counter(
    'crosswalk_apply_replanned_batches_total',
    'Apply batches planned again inside their transaction because what they were planned on had moved.',
  );
  const seconds = metrics.histogram(
    'crosswalk_apply_batch_seconds',
    'Duration of one apply transaction.',
    [],
    [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
  );
  return {
    onBatch: (s: {
      applied: number;
      failed: number;
      skipped: number;
      events: number;
      entries: number;
      replanned: boolean;
      seconds: number;
    }) => {
      messages.inc({ outcome: 'applied' }, s.applied);
      messages.inc({ outcome: 'failed' }, s.failed);
      messages.inc({ outcome: 'skipped' }, s.skipped);
      events.inc(s.events);
      entries.inc(s.entries);
      if (s.replanned) replanned.inc();
      seconds.observe(s.seconds);
    },
    onError: (e: unknown) =>
      logger.error(
        { err: { message: (e as Error).message, code: (e as { code?: string }).code } },
        'apply stage failed; will retry',
      ),
  };
}

/** An in-memory SQLite database exists only on the connection that opened it: no second thread can reach it. */
function isInMemory(url: string): boolean {
  return url === ':memory:' || url === 'sqlite::memory:' || url.includes('mode=memory');
}
