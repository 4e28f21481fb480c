import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { CrosswalkError, isCrosswalkError } from '../errors/index.ts';
import {
  type BodyLimits,
  capabilityStatement,
  DEFAULT_LIMITS,
  EntryError,
  FhirService,
  type JsonObject,
  operationOutcome,
  parseBody,
  type StoredResource,
  searchsetBundle,
} from '../fhir/index.ts';
import type { Principal } from '../governance/index.ts';
import { FhirRepository } from '../store/fhir-repository.ts';
import type { Store } from '../store/index.ts';
import { guardFhir, smartConfiguration, tokenEndpointOf } from './smart.ts';

/**
 * /fhir: the FHIR R4 REST facade as a Fastify plugin. Bodies are read as bytes and checked for size and
 * nesting depth before anything is parsed; every error, including Fastify's own and unknown routes, is
 * an OperationOutcome with the registry's status. Writes are answered after their transaction commits.
 */

export interface FhirPluginOptions {
  readonly store: Store;
  readonly version: string;
  readonly limits?: BodyLimits;
  readonly clock?: () => Date;
  /** Called after a write committed inbox rows, to wake the apply stage (it also polls). */
  readonly onStored?: () => void;
  /** The URL clients reach this server at, which fixes the SMART token endpoint (null: from Host). */
  readonly publicUrl?: string | null;
  /** Another bearer credential /fhir accepts besides SMART access tokens (see SmartOptions). */
  readonly otherBearer?: (bearer: string) => Promise<Principal | null>;
}

const FHIR_JSON = 'application/fhir+json; charset=utf-8';

function fromFastify(err: FastifyError, limits: BodyLimits, req: FastifyRequest): CrosswalkError | null {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new CrosswalkError('CW_ERR_FHIR_TOO_LARGE', {
        size: Number(req.headers['content-length'] ?? 0) || `over ${limits.maxBytes}`,
        limit: limits.maxBytes,
      });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new CrosswalkError('CW_ERR_FHIR_MEDIA_TYPE', {
        contentType: String(req.headers['content-type'] ?? '(none)').slice(0, 60),
      });
    default:
      if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
        return new CrosswalkError('CW_ERR_API_BAD_REQUEST', { reason: err.message });
      }
      return null;
  }
}

const baseOf = (req: FastifyRequest) => `${req.protocol}://${req.headers.host ?? 'localhost'}/fhir`;

function sendResource(reply: FastifyReply, req: FastifyRequest, s: StoredResource, status: number) {
  const location = `${baseOf(req)}/${s.resourceType}/${s.id}/_history/${s.versionId}`;
  return reply
    .status(status)
    .header('content-type', FHIR_JSON)
    .header('etag', `W/"${s.versionId}"`)
    .header('last-modified', new Date(s.lastUpdated).toUTCString())
    .header('location', location)
    .header('content-location', location)
    .send(s.resource);
}

function queryPairs(req: FastifyRequest): (readonly [string, string])[] {
  const q = req.url.indexOf('?');
  return q < 0 ? [] : [...new URLSearchParams(req.url.slice(q + 1))].map(([k, v]) => [k, v] as const);
}

export const fhirRoutes: FastifyPluginAsync<FhirPluginOptions> = async (app, options) => {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const service = new FhirService({
    store: new FhirRepository(options.store),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const started = (options.clock ?? (() => new Date()))().toISOString();

  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    ['application/fhir+json', 'application/json'],
    { parseAs: 'buffer', bodyLimit: limits.maxBytes },
    (_req, body, done) => {
      try {
        done(null, parseBody(body as Buffer, limits));
      } catch (e) {
        done(e as Error, undefined);
      }
    },
  );

  app.setErrorHandler((err: FastifyError | CrosswalkError | EntryError, req, reply) => {
    let e: CrosswalkError;
    let expression: string | undefined;
    if (err instanceof EntryError) {
      e = err.error;
      expression = `Bundle.entry[${err.index}]`;
    } else if (isCrosswalkError(err)) {
      e = err;
    } else {
      const known = fromFastify(err as FastifyError, limits, req);
      if (known) e = known;
      else {
        req.log.error(
          {
            err: { type: (err as Error).name, message: (err as Error).message, stack: (err as Error).stack },
            incident: req.id,
          },
          'unhandled error on /fhir',
        );
        e = new CrosswalkError('CW_ERR_SERVER_INTERNAL', { incident: req.id });
      }
    }
    const outcome = operationOutcome(e);
    if (expression) (outcome['issue'] as JsonObject[])[0]!['expression'] = [expression];
    return reply.status(e.httpStatus).header('content-type', FHIR_JSON).send(outcome);
  });

  app.setNotFoundHandler((req, reply) => {
    const e = new CrosswalkError('CW_ERR_FHIR_NOT_ALLOWED', {
      method: req.method,
      what: req.url.split('?')[0]!.slice(0, 80),
    });
    return reply.status(404).header('content-type', FHIR_JSON).send(operationOutcome(e));
  });

  const hide = { schema: { hide: true } };
  const publicUrl = options.publicUrl ?? null;
  // Everything else needs a SMART access token whose scopes cover the type and interaction.
  const smart = {
    store: options.store,
    publicUrl,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.otherBearer ? { otherBearer: options.otherBearer } : {}),
  };
  guardFhir(app, smart, [`${app.prefix}/metadata`, `${app.prefix}/.well-known/smart-configuration`]);

  app.get('/metadata', hide, async (req, reply) =>
    reply.header('content-type', FHIR_JSON).send(
      capabilityStatement({
        version: options.version,
        date: started,
        baseUrl: baseOf(req),
        tokenEndpoint: tokenEndpointOf(req, publicUrl),
      }),
    ),
  );

  app.get('/.well-known/smart-configuration', hide, async (req, reply) =>
    reply
      .header('content-type', 'application/json; charset=utf-8')
      .send(smartConfiguration(tokenEndpointOf(req, publicUrl))),
  );

  app.post<{ Body: JsonObject }>('/', hide, async (req, reply) => {
    const lenient = /handling=lenient/.test(String(req.headers['prefer'] ?? ''));
    const { response, summary } = await service.bundle(req.body, { lenient, baseUrl: baseOf(req) });
    if (summary.created + summary.updated > 0) options.onStored?.();
    return reply.status(200).header('content-type', FHIR_JSON).send(response);
  });

  app.post<{ Params: { type: string }; Body: JsonObject }>('/:type', hide, async (req, reply) => {
    const ifNoneExist = req.headers['if-none-exist'];
    const w = await service.create(req.body, req.params.type, {
      ifNoneExist: typeof ifNoneExist === 'string' ? ifNoneExist : null,
    });
    if (w.changed) options.onStored?.();
    return sendResource(reply, req, w.stored, w.status);
  });

  app.put<{ Params: { type: string; id: string }; Body: JsonObject }>(
    '/:type/:id',
    hide,
    async (req, reply) => {
      const w = await service.update(req.body, req.params.type, req.params.id);
      if (w.changed) options.onStored?.();
      return sendResource(reply, req, w.stored, w.status);
    },
  );

  app.get<{ Params: { type: string; id: string } }>('/:type/:id', hide, async (req, reply) =>
    sendResource(reply, req, await service.read(req.params.type, req.params.id), 200),
  );

  app.get<{ Params: { type: string; id: string; vid: string } }>(
    '/:type/:id/_history/:vid',
    hide,
    async (req, reply) => {
      const vid = /^\d{1,9}$/.test(req.params.vid) ? Number(req.params.vid) : -1;
      return sendResource(reply, req, await service.read(req.params.type, req.params.id, vid), 200);
    },
  );

  app.get<{ Params: { type: string } }>('/:type', hide, async (req, reply) => {
    const params = queryPairs(req);
    const { plan, page } = await service.search(req.params.type, params);
    return reply.header('content-type', FHIR_JSON).send(searchsetBundle(plan, page, baseOf(req), params));
  });

  for (const method of ['DELETE', 'PATCH'] as const) {
    app.route({
      method,
      url: '/*',
      ...hide,
      handler: async () => {
        throw new CrosswalkError('CW_ERR_FHIR_NOT_ALLOWED', { method, what: '/fhir' });
      },
    });
  }
};
