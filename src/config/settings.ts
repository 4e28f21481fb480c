import { z } from 'zod';

/**
 * Every setting Crosswalk reads, in one place. Each has its environment name (CROSSWALK_…), a CLI flag,
 * a default, its unit in its name, and one sentence on what it is for and when to change it. The README
 * and docs/configuration.md list the same table; a test keeps them in step.
 *
 * Precedence, lowest first: default < configuration file < environment < command-line flag.
 */

const port = z.coerce
  .number({ error: 'must be a number' })
  .int('must be a whole number')
  .min(0, 'must be 0–65535')
  .max(65535, 'must be 0–65535');
const positiveInt = z.coerce
  .number({ error: 'must be a number' })
  .int('must be a whole number')
  .positive('must be > 0');
const nonEmpty = z.string().trim().min(1, 'must not be empty');

const mllpInterface = z
  .object({
    name: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
        'name must be 1–64 letters, digits, dot, dash or underscore',
      ),
    host: nonEmpty.optional(),
    port,
    orderingKey: nonEmpty.optional(),
    ackMode: z.enum(['auto', 'original']).optional(),
    charset: z
      .enum([
        'ascii',
        'utf-8',
        'iso-8859-1',
        'iso-8859-2',
        'iso-8859-3',
        'iso-8859-4',
        'iso-8859-5',
        'iso-8859-6',
        'iso-8859-7',
        'iso-8859-8',
        'iso-8859-9',
        'iso-8859-15',
      ])
      .optional(),
    maxFrameBytes: positiveInt.optional(),
    idleTimeoutMs: positiveInt.optional(),
    maxConnections: positiveInt.optional(),
    tls: z
      .object({
        keyFile: nonEmpty,
        certFile: nonEmpty,
        caFile: nonEmpty.optional(),
        allowedClientFingerprints: z.array(nonEmpty).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type MllpInterfaceConfig = z.output<typeof mllpInterface>;

const mllpInterfaces = z.preprocess(
  (v, ctx) => {
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON array of interfaces' });
      return z.NEVER;
    }
  },
  z.array(mllpInterface, { error: 'must be a JSON array of interfaces' }),
);

const destinationName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'name must be 1–64 letters, digits, dot, dash or underscore');
const documentKinds = z
  .array(z.enum(['journal-batch', 'requisition', 'item-master']))
  .min(1)
  .optional();

const outboxDestination = z.discriminatedUnion('type', [
  z
    .object({
      name: destinationName,
      type: z.literal('journal-files'),
      folder: nonEmpty.optional(),
      formats: z
        .array(z.enum(['csv', 'json', 'hledger']))
        .min(1)
        .optional(),
      kinds: documentKinds,
    })
    .strict(),
  z
    .object({
      name: destinationName,
      type: z.literal('http'),
      url: z
        .string()
        .url('url must be an http(s) URL')
        .regex(/^https?:\/\//i, 'url must be http or https'),
      honoursIdempotencyKey: z.boolean().optional(),
      timeoutMs: positiveInt.optional(),
      headers: z.record(z.string(), z.string()).optional(),
      kinds: documentKinds,
    })
    .strict(),
  z
    .object({
      name: destinationName,
      type: z.literal('mllp'),
      host: nonEmpty,
      port: z.number().int().min(1).max(65535),
      honoursIdempotencyKey: z.boolean().optional(),
      timeoutMs: positiveInt.optional(),
      sendingApplication: nonEmpty.optional(),
      sendingFacility: nonEmpty.optional(),
      receivingApplication: z.string().optional(),
      receivingFacility: z.string().optional(),
      kinds: z.array(z.literal('item-master')).min(1).optional(),
    })
    .strict(),
  z
    .object({
      name: destinationName,
      type: z.literal('fhir'),
      url: z
        .string()
        .url('url must be an http(s) URL')
        .regex(/^https?:\/\//i, 'url must be http or https'),
      timeoutMs: positiveInt.optional(),
      headers: z.record(z.string(), z.string()).optional(),
      kinds: z.array(z.literal('item-master')).min(1).optional(),
    })
    .strict(),
]);

export type OutboxDestinationConfig = z.output<typeof outboxDestination>;

const outboxDestinations = z.preprocess(
  (v, ctx) => {
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON array of destinations' });
      return z.NEVER;
    }
  },
  z.array(outboxDestination, { error: 'must be a JSON array of destinations' }),
);

export interface SettingSpec<T extends z.ZodType = z.ZodType> {
  readonly env: string;
  readonly flag: string;
  readonly schema: T;
  readonly default: z.input<T>;
  readonly purpose: string;
}

function setting<T extends z.ZodType>(spec: SettingSpec<T>): SettingSpec<T> {
  return spec;
}

export const SETTINGS = {
  databaseUrl: setting({
    env: 'CROSSWALK_DATABASE_URL',
    flag: '--database-url',
    schema: nonEmpty,
    default: './.crosswalk/crosswalk.db',
    purpose:
      'Where Crosswalk keeps its data: a SQLite file path (embedded default) or a postgres:// URL for production and for running several processes.',
  }),
  httpHost: setting({
    env: 'CROSSWALK_HTTP_HOST',
    flag: '--http-host',
    schema: nonEmpty,
    default: '127.0.0.1',
    purpose:
      'Address the HTTP server (API, /fhir, dashboard, metrics) binds to; 0.0.0.0 to serve other machines.',
  }),
  httpPort: setting({
    env: 'CROSSWALK_HTTP_PORT',
    flag: '--http-port',
    schema: port,
    default: 8080,
    purpose: 'TCP port of the HTTP server; 0 picks a free port.',
  }),
  publicUrl: setting({
    env: 'CROSSWALK_PUBLIC_URL',
    flag: '--public-url',
    schema: z
      .string()
      .trim()
      .refine(
        (v) => v === '' || /^https?:\/\/[^/?#]+(\/[^?#]*)?$/.test(v),
        'must be an http(s) URL or empty',
      ),
    default: '',
    purpose:
      "The URL clients reach this server at (e.g. https://crosswalk.example.org), which fixes the SMART token endpoint (<this>/auth/token) that client assertions must name as aud. Empty takes it from each request's Host header: fine when clients reach the server directly, wrong behind a proxy that rewrites Host.",
  }),
  mllpHost: setting({
    env: 'CROSSWALK_MLLP_HOST',
    flag: '--mllp-host',
    schema: nonEmpty,
    default: '127.0.0.1',
    purpose: 'Address the HL7 v2 MLLP listener binds to.',
  }),
  mllpPort: setting({
    env: 'CROSSWALK_MLLP_PORT',
    flag: '--mllp-port',
    schema: port,
    default: 2575,
    purpose: 'TCP port of the HL7 v2 MLLP listener (2575 is the registered HL7 port); 0 picks a free port.',
  }),
  mllpInterfaces: setting({
    env: 'CROSSWALK_MLLP_INTERFACES',
    flag: '--mllp-interfaces',
    schema: mllpInterfaces,
    default: [],
    purpose:
      'MLLP interfaces as a JSON array of {name, port, host?, orderingKey?, ackMode? (auto|original), charset?, maxFrameBytes?, idleTimeoutMs?, maxConnections?, tls? {keyFile, certFile, caFile?, allowedClientFingerprints?}}; empty means one interface "mllp" on CROSSWALK_MLLP_HOST:CROSSWALK_MLLP_PORT.',
  }),
  httpTlsCertFile: setting({
    env: 'CROSSWALK_HTTP_TLS_CERT_FILE',
    flag: '--http-tls-cert-file',
    schema: z.string().trim(),
    default: '',
    purpose:
      'Certificate chain (PEM) of the HTTP listener; with CROSSWALK_HTTP_TLS_KEY_FILE it serves HTTPS only. Empty: plain HTTP, for a listener behind a TLS-terminating proxy or on 127.0.0.1.',
  }),
  httpTlsKeyFile: setting({
    env: 'CROSSWALK_HTTP_TLS_KEY_FILE',
    flag: '--http-tls-key-file',
    schema: z.string().trim(),
    default: '',
    purpose: 'Private key (PEM) of the HTTP listener certificate; set both files or neither.',
  }),
  mllpTlsCertFile: setting({
    env: 'CROSSWALK_MLLP_TLS_CERT_FILE',
    flag: '--mllp-tls-cert-file',
    schema: z.string().trim(),
    default: '',
    purpose:
      'Certificate chain (PEM) of the default MLLP interface (CROSSWALK_MLLP_HOST:PORT); with CROSSWALK_MLLP_TLS_KEY_FILE it speaks MLLP over TLS only. Interfaces listed in CROSSWALK_MLLP_INTERFACES set their own tls.',
  }),
  mllpTlsKeyFile: setting({
    env: 'CROSSWALK_MLLP_TLS_KEY_FILE',
    flag: '--mllp-tls-key-file',
    schema: z.string().trim(),
    default: '',
    purpose: 'Private key (PEM) of the default MLLP interface certificate; set both files or neither.',
  }),
  mllpTlsCaFile: setting({
    env: 'CROSSWALK_MLLP_TLS_CA_FILE',
    flag: '--mllp-tls-ca-file',
    schema: z.string().trim(),
    default: '',
    purpose:
      'CA certificates (PEM) that sign client certificates: when set, the default MLLP interface requires a client certificate from that CA (mutual TLS).',
  }),
  tokenKeyFile: setting({
    env: 'CROSSWALK_TOKEN_KEY_FILE',
    flag: '--token-key-file',
    schema: nonEmpty,
    default: './.crosswalk/token.key',
    purpose:
      'File holding the secret key (at least 16 bytes) that turns patient and encounter identifiers into tokens; created with a random key (mode 0600) when missing. Keep it out of backups of the database.',
  }),
  rawKeyRingFile: setting({
    env: 'CROSSWALK_RAW_KEY_RING_FILE',
    flag: '--raw-key-ring-file',
    schema: nonEmpty,
    default: './.crosswalk/raw-keys.json',
    purpose:
      'Key ring (JSON, mode 0600) whose current AES-256 key seals stored message bodies (raw HL7 v2, FHIR) at rest; created with one random key when missing. `crosswalk keys rotate` adds a key, older keys keep old rows readable. Keep it out of backups of the database: without it the bodies cannot be read.',
  }),
  auditKeyFile: setting({
    env: 'CROSSWALK_AUDIT_KEY_FILE',
    flag: '--audit-key-file',
    schema: nonEmpty,
    default: './.crosswalk/audit.key',
    purpose:
      'File holding the secret key that signs audit checkpoints; created with a random key (mode 0600) when missing. Keep it away from the database and its backups: whoever can write both could forge a checkpoint.',
  }),
  auditCheckpointDir: setting({
    env: 'CROSSWALK_AUDIT_CHECKPOINT_DIR',
    flag: '--audit-checkpoint-dir',
    schema: nonEmpty,
    default: './.crosswalk/audit-checkpoints',
    purpose:
      'Folder outside the database where signed audit checkpoints (sequence number and head hash) are written; `crosswalk audit verify` checks the chain against them. Put it on storage the database server cannot write.',
  }),
  auditCheckpointIntervalMs: setting({
    env: 'CROSSWALK_AUDIT_CHECKPOINT_INTERVAL_MS',
    flag: '--audit-checkpoint-interval-ms',
    schema: z.coerce
      .number({ error: 'must be a number' })
      .int('must be a whole number')
      .min(0, 'must be >= 0'),
    default: 900_000,
    purpose:
      'How often `crosswalk serve` signs the audit chain head into CROSSWALK_AUDIT_CHECKPOINT_DIR (as `crosswalk audit checkpoint` does); 0 disables. A cut of the chain after the last checkpoint cannot be detected, so this bounds how much history an intruder with database access could silently drop.',
  }),
  breakglassMaxMinutes: setting({
    env: 'CROSSWALK_BREAKGLASS_MAX_MINUTES',
    flag: '--breakglass-max-minutes',
    schema: positiveInt,
    default: 60,
    purpose:
      'The longest `crosswalk breakglass open --minutes N` may grant a role for. Every use raises a security exception and waits for a review by someone else, so keep it as short as an emergency needs.',
  }),
  applyBatchSize: setting({
    env: 'CROSSWALK_APPLY_BATCH_SIZE',
    flag: '--apply-batch-size',
    schema: positiveInt,
    default: 500,
    purpose:
      'Messages applied to inventory and the books per transaction; larger batches post faster, smaller ones hold locks for less time.',
  }),
  applyThread: setting({
    env: 'CROSSWALK_APPLY_THREAD',
    flag: '--apply-thread',
    schema: z.enum(['own', 'main']),
    default: 'own',
    purpose:
      'Where the apply stage runs: "own" gives it a thread (and database connection) of its own, so posting never holds up acknowledgments; "main" runs it on the thread that serves the sockets (an in-memory SQLite database always does).',
  }),
  dbPoolMax: setting({
    env: 'CROSSWALK_DB_POOL_MAX',
    flag: '--db-pool-max',
    // Two at least: migrations hold one connection for their lock while they work on another.
    schema: positiveInt.min(2, 'must be at least 2'),
    default: 10,
    purpose:
      'Most PostgreSQL connections one process opens; raise it with many workers, lower it when the server limits connections.',
  }),
  shutdownTimeoutMs: setting({
    env: 'CROSSWALK_SHUTDOWN_TIMEOUT_MS',
    flag: '--shutdown-timeout-ms',
    schema: positiveInt,
    default: 10000,
    purpose: 'How long a graceful shutdown waits for in-flight work before closing connections anyway.',
  }),
  outboxDestinations: setting({
    env: 'CROSSWALK_OUTBOX_DESTINATIONS',
    flag: '--outbox-destinations',
    schema: outboxDestinations,
    default: [],
    purpose:
      'Where documents for the ERP go, as a JSON array of {name, type: "journal-files", folder?, formats? (csv|json|hledger), kinds?} or {name, type: "http", url, honoursIdempotencyKey? (default false: unknown outcomes are quarantined, not resent), timeoutMs?, headers?, kinds?}; for the EHR (item-master documents) {name, type: "mllp", host, port, honoursIdempotencyKey? (the receiver deduplicates by MSH-10; default false), timeoutMs?, sendingApplication? (default CROSSWALK), sendingFacility? (default CROSSWALK), receivingApplication?, receivingFacility?} sending MFN^M16/M04, or {name, type: "fhir", url (the FHIR base), timeoutMs?, headers?} posting transaction Bundles of PUTs; kinds defaults to journal-batch and requisition for files and http, item-master for mllp and fhir; empty means one "journal-files" destination writing csv, json and hledger into CROSSWALK_OUTBOX_DIR.',
  }),
  outboxDir: setting({
    env: 'CROSSWALK_OUTBOX_DIR',
    flag: '--outbox-dir',
    schema: z.string(),
    default: '',
    purpose:
      'Folder of the default journal-files destination (and of any without a folder of its own, in a subfolder named after it); empty means an "outbox" folder beside the token key file, i.e. in the data folder.',
  }),
  outboxPollMs: setting({
    env: 'CROSSWALK_OUTBOX_POLL_MS',
    flag: '--outbox-poll-ms',
    schema: positiveInt,
    default: 1000,
    purpose:
      'How often an idle deliverer looks for documents (it is also woken after each apply batch); lower it for lower latency to the ERP.',
  }),
  outboxRetryBaseMs: setting({
    env: 'CROSSWALK_OUTBOX_RETRY_BASE_MS',
    flag: '--outbox-retry-base-ms',
    schema: positiveInt,
    default: 1000,
    purpose:
      'First retry delay of a failed delivery; it doubles per attempt (with jitter) up to the maximum.',
  }),
  outboxRetryMaxMs: setting({
    env: 'CROSSWALK_OUTBOX_RETRY_MAX_MS',
    flag: '--outbox-retry-max-ms',
    schema: positiveInt,
    default: 300000,
    purpose:
      'Longest delay between delivery attempts while a destination is down; a Retry-After from the receiver is honoured even when longer.',
  }),
  outboxQueueAlertMs: setting({
    env: 'CROSSWALK_OUTBOX_QUEUE_ALERT_MS',
    flag: '--outbox-queue-alert-ms',
    schema: positiveInt,
    default: 300000,
    purpose:
      'A destination whose oldest waiting document is older than this raises one alert (a warn log line and an exception) until it has caught up again.',
  }),
  outboxLeaseMs: setting({
    env: 'CROSSWALK_OUTBOX_LEASE_MS',
    flag: '--outbox-lease-ms',
    schema: positiveInt.min(1000, 'must be at least 1000'),
    default: 30000,
    purpose:
      'How long a process holds a destination for delivery without renewing it; after a crash, another process (or the restarted one) takes the destination over when it lapses. Keep it longer than any one call to a destination can take (at least twice CROSSWALK_OUTBOX_HTTP_TIMEOUT_MS).',
  }),
  outboxHttpTimeoutMs: setting({
    env: 'CROSSWALK_OUTBOX_HTTP_TIMEOUT_MS',
    flag: '--outbox-http-timeout-ms',
    schema: positiveInt,
    default: 10000,
    purpose:
      'Time an HTTP destination has to answer one document (connect, send, answer) unless it sets its own timeoutMs; after the request was sent, no answer is an unknown outcome.',
  }),
  sessionIdleTimeoutMs: setting({
    env: 'CROSSWALK_SESSION_IDLE_TIMEOUT_MS',
    flag: '--session-idle-timeout-ms',
    schema: positiveInt,
    default: 900000,
    purpose:
      'A web session unused this long ends (the next request needs a new sign-in); shorten it for shared workstations.',
  }),
  sessionMaxAgeMs: setting({
    env: 'CROSSWALK_SESSION_MAX_AGE_MS',
    flag: '--session-max-age-ms',
    schema: positiveInt,
    default: 28800000,
    purpose:
      'A web session ends this long after sign-in however active it is (one working shift by default).',
  }),
  logLevel: setting({
    env: 'CROSSWALK_LOG_LEVEL',
    flag: '--log-level',
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'must be one of fatal, error, warn, info, debug, trace, silent',
    }),
    default: 'info',
    purpose: 'Least severe log level written (JSON lines on stdout); debug for troubleshooting.',
  }),
  demoSeed: setting({
    env: 'CROSSWALK_DEMO_SEED',
    flag: '--seed',
    schema: z.coerce
      .number({ error: 'must be a number' })
      .int('must be a whole number')
      .nonnegative('must be >= 0'),
    default: 42,
    purpose: 'Seed of the generated demo health system; the same seed always gives the same data.',
  }),
} as const;

export type SettingName = keyof typeof SETTINGS;
export type Config = { readonly [K in SettingName]: z.output<(typeof SETTINGS)[K]['schema']> };
