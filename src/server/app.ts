import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  LogController,
} from 'fastify';
import { CrosswalkError, isCrosswalkError } from '../errors/index.ts';
import type { Principal } from '../governance/index.ts';
import type { Logger, Metrics } from '../observe/index.ts';
import { resolveToken } from '../store/identity-repository.ts';
import type { Store } from '../store/index.ts';
import { type BearerResolver, installAuth } from './auth.ts';
import { exceptionRoutes } from './exceptions.ts';
import { fhirRoutes } from './fhir.ts';
import { healthRoutes } from './health.ts';
import { messageRoutes } from './messages.ts';
import { outboxRoutes } from './outbox.ts';
import { ownershipRoutes } from './ownership.ts';
import { smartTokenRoutes } from './smart.ts';
import { systemRoutes } from './system.ts';

export interface AppDeps {
  readonly store: Store;
  /** Serve HTTPS with this certificate and key instead of plain HTTP. */
  readonly https?: { readonly cert: Buffer; readonly key: Buffer };
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly version: string;
  /** The apply stage's token key, for replays from /api/exceptions (without it they answer 409). */
  readonly tokenKey?: Uint8Array;
  /** Earlier keys of the token ring, newest first (apply/token-link.ts). */
  readonly earlierTokenKeys?: readonly Uint8Array[];
  /** Largest request body accepted before parsing, in bytes. */
  readonly bodyLimitBytes?: number;
  /** Called after a FHIR write stored inbox rows (the runtime wakes the apply stage with it). */
  readonly onStored?: () => void;
  /** The URL clients reach this server at (CROSSWALK_PUBLIC_URL): fixes the SMART token endpoint. */
  readonly publicUrl?: string | null;
  /** A non-SMART bearer credential /fhir also accepts, e.g. a user's API token (null: none). */
  readonly fhirOtherBearer?: (bearer: string) => Promise<Principal | null>;
  /** A web session unused this long ends (default 15 minutes). */
  readonly sessionIdleTimeoutMs?: number;
  /** A web session ends this long after sign-in (default 8 hours). */
  readonly sessionMaxAgeMs?: number;
  /** Bearer credentials other than API tokens, by prefix (SMART access tokens). */
  readonly bearerResolvers?: readonly BearerResolver[];
}

export interface ErrorBody {
  readonly code: string;
  readonly message: string;
  readonly details?: unknown;
}

/**
 * The HTTP composition root: each context is a plugin under its prefix, sharing the store, metrics and
 * logger passed in. Tests build it and call `app.inject()`; sockets are only for end-to-end tests.
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // Fastify types an HTTPS instance apart; the routes and hooks are the same either way.
    ...((deps.https ? { https: { cert: deps.https.cert, key: deps.https.key } } : {}) as object),
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: deps.bodyLimitBytes ?? 1_048_576,
    // Our own onResponse hook logs route templates; Fastify's request lines would log raw URLs.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => randomUUID(),
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Crosswalk API',
        version: deps.version,
        description: "The governed integration layer between a health system's EHR and its ERP.",
      },
    },
  });

  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    deps.metrics.httpRequests.inc({ method: req.method, route, status: String(reply.statusCode) });
    deps.metrics.httpDuration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
    // Route templates only: a URL can carry identifiers.
    req.log.info(
      { method: req.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request',
    );
  });

  // Before any route is registered: the onRoute check sees every one of them.
  installAuth(app, {
    store: deps.store,
    sessionIdleTimeoutMs: deps.sessionIdleTimeoutMs ?? 900_000,
    sessionMaxAgeMs: deps.sessionMaxAgeMs ?? 28_800_000,
    ...(deps.bearerResolvers ? { resolvers: deps.bearerResolvers } : {}),
  });

  app.setErrorHandler((err: FastifyError | CrosswalkError, req, reply) => {
    if (isCrosswalkError(err)) {
      return reply.status(err.httpStatus).send({ code: err.code, message: err.message } satisfies ErrorBody);
    }
    const fe = err as FastifyError;
    if (fe.validation) {
      return reply.status(400).send({
        code: 'CW_ERR_API_BAD_REQUEST',
        message: fe.message,
        details: fe.validation,
      } satisfies ErrorBody);
    }
    if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
      return reply
        .status(fe.statusCode)
        .send({ code: 'CW_ERR_API_BAD_REQUEST', message: fe.message } satisfies ErrorBody);
    }
    const incident = req.id;
    req.log.error(
      { err: { type: fe.name, message: fe.message, stack: fe.stack }, incident },
      'unhandled error',
    );
    const e = new CrosswalkError('CW_ERR_SERVER_INTERNAL', { incident });
    return reply.status(500).send({ code: e.code, message: e.message } satisfies ErrorBody);
  });

  app.setNotFoundHandler((req, reply) => {
    reply
      .status(404)
      .send({ code: 'CW_ERR_API_NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` });
  });

  await app.register(healthRoutes, { store: deps.store, metrics: deps.metrics });
  await app.register(systemRoutes, { prefix: '/api', store: deps.store, version: deps.version });
  await app.register(messageRoutes, { prefix: '/api', store: deps.store });
  await app.register(outboxRoutes, { prefix: '/api', store: deps.store });
  await app.register(ownershipRoutes, { prefix: '/api', store: deps.store });
  await app.register(exceptionRoutes, {
    prefix: '/api',
    store: deps.store,
    ...(deps.tokenKey ? { tokenKey: deps.tokenKey } : {}),
    ...(deps.earlierTokenKeys ? { earlierTokenKeys: deps.earlierTokenKeys } : {}),
  });
  await app.register(smartTokenRoutes, { store: deps.store, publicUrl: deps.publicUrl ?? null });
  await app.register(fhirRoutes, {
    prefix: '/fhir',
    store: deps.store,
    version: deps.version,
    publicUrl: deps.publicUrl ?? null,
    ...(deps.onStored ? { onStored: deps.onStored } : {}),
    // A person's API token is accepted on /fhir too, held to the matrix (fhir.read / fhir.write) and to
    // the token's own action list; SMART access tokens (cwa_) always go the SMART way.
    otherBearer:
      deps.fhirOtherBearer ??
      (async (bearer) => (await resolveToken(deps.store, bearer, new Date())).principal ?? null),
  });

  app.get('/api/openapi.json', { config: { public: true }, schema: { hide: true } }, async () =>
    app.swagger(),
  );
  return app;
}
