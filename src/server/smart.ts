import type {
  FastifyError,
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
} from 'fastify';
import { CrosswalkError, isCrosswalkError } from '../errors/index.ts';
import { operationOutcome } from '../fhir/index.ts';
import {
  type Action,
  authorize,
  type Interaction,
  oauthErrorOf,
  type Principal,
  parseScopes,
  SIGNING_ALGORITHMS,
  type SmartScope,
  scopesCover,
} from '../governance/index.ts';
import type { Store } from '../store/index.ts';
import {
  checkSmartToken,
  issueAccessToken,
  recordFhirAccess,
  recordFhirRefusal,
} from '../store/smart-repository.ts';

/**
 * SMART Backend Services over HTTP: the token endpoint (POST /auth/token), the discovery document, and
 * the guard /fhir installs on itself. Kept apart from the /api authentication (user tokens, sessions) so
 * /fhir's rules read in one place: every route but metadata and discovery needs a live SMART access
 * token whose scopes cover the type and interaction, checked before the body is stored.
 *
 * The token endpoint URL is the assertion's only accepted `aud`. With CROSSWALK_PUBLIC_URL set it is
 * fixed; without it, it is taken from the request's Host header, which is right for a server reached
 * directly and wrong behind a proxy that rewrites Host (set the setting there).
 */

export interface SmartOptions {
  readonly store: Store;
  /** The URL clients reach this server at (scheme://host[:port]); null: from each request. */
  readonly publicUrl?: string | null;
  readonly clock?: () => Date;
  /**
   * Another kind of bearer credential /fhir may accept (a user's API token, resolved by the /api
   * authentication): the principal it stands for, or null. Such a principal is held to the matrix
   * (fhir.read/fhir.write for its roles and its token's action list) and has no per-type scopes.
   */
  readonly otherBearer?: (bearer: string) => Promise<Principal | null>;
}

export const TOKEN_PATH = '/auth/token';
const FHIR_JSON = 'application/fhir+json; charset=utf-8';

export function tokenEndpointOf(req: FastifyRequest, publicUrl: string | null | undefined): string {
  const base = publicUrl
    ? publicUrl.replace(/\/+$/, '')
    : `${req.protocol}://${req.headers.host ?? 'localhost'}`;
  return `${base}${TOKEN_PATH}`;
}

/** The SMART discovery document (/fhir/.well-known/smart-configuration). */
export function smartConfiguration(tokenEndpoint: string): Record<string, unknown> {
  return {
    token_endpoint: tokenEndpoint,
    token_endpoint_auth_methods_supported: ['private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: [...SIGNING_ALGORITHMS],
    grant_types_supported: ['client_credentials'],
    scopes_supported: ['system/*.read', 'system/*.write', 'system/*.*', 'system/*.rs', 'system/*.cu'],
    capabilities: ['client-confidential-asymmetric', 'permission-v1', 'permission-v2'],
  };
}

function formParser(app: FastifyInstance): void {
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 65_536 },
    (_req, body, done) => {
      const params = new URLSearchParams(String(body));
      const out: Record<string, string> = {};
      for (const [k, v] of params) {
        // RFC 6749 §3.2: a parameter sent twice is a malformed request, not a choice for the server.
        if (Object.hasOwn(out, k)) {
          done(new CrosswalkError('CW_ERR_SMART_BAD_REQUEST', { reason: `${k.slice(0, 40)} appears twice` }));
          return;
        }
        out[k] = v;
      }
      done(null, out);
    },
  );
}

/** POST /auth/token: the client-credentials grant with a signed JWT client assertion. */
export const smartTokenRoutes: FastifyPluginAsync<SmartOptions> = async (app, options) => {
  const clock = options.clock ?? (() => new Date());
  formParser(app);

  app.setErrorHandler((err: FastifyError | CrosswalkError, req, reply) => {
    let e: CrosswalkError;
    if (isCrosswalkError(err)) e = err;
    else if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      e = new CrosswalkError('CW_ERR_SMART_BAD_REQUEST', {
        reason:
          err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
            ? 'use application/x-www-form-urlencoded'
            : err.message,
      });
    } else {
      req.log.error(
        { err: { type: err.name, message: err.message, stack: err.stack }, incident: req.id },
        'token endpoint failed',
      );
      return reply
        .status(500)
        .header('cache-control', 'no-store')
        .send({ error: 'server_error', incident: req.id });
    }
    const error = oauthErrorOf(e.code);
    return reply
      .status(e.httpStatus)
      .header('cache-control', 'no-store')
      .header('pragma', 'no-cache')
      .send({ error, error_description: e.message, code: e.code });
  });

  app.post<{ Body: Record<string, string> | undefined }>(
    TOKEN_PATH,
    // Public to the /api hook: the client authenticates with the signed assertion in the body itself.
    { config: { public: true }, schema: { hide: true } },
    async (req, reply) => {
      const body = req.body ?? {};
      const issued = await issueAccessToken(options.store, {
        grantType: body['grant_type'],
        scope: body['scope'],
        clientAssertionType: body['client_assertion_type'],
        clientAssertion: body['client_assertion'],
        clientId: body['client_id'],
        tokenEndpoint: tokenEndpointOf(req, options.publicUrl),
        now: clock(),
      });
      req.log.info(
        { client: issued.clientId, token: issued.tokenId, scope: issued.scope },
        'SMART access token issued',
      );
      return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send({
        access_token: issued.accessToken,
        token_type: 'bearer',
        expires_in: issued.expiresIn,
        scope: issued.scope,
      });
    },
  );
};

// --- the /fhir guard ---------------------------------------------------------------------------------

interface Need {
  readonly resourceType: string;
  readonly interaction: Interaction;
}

const TYPE = /^[A-Z][A-Za-z]{1,63}$/;
/** A principal from another credential is limited by the matrix alone, not by SMART scopes. */
const EVERY_TYPE = parseScopes('system/*.*');

/** The (type, interaction) pairs a routed /fhir request needs; a Bundle needs each of its entries'. */
function needsOf(req: FastifyRequest): Need[] | null {
  const route = req.routeOptions.url ?? '';
  const params = (req.params ?? {}) as Record<string, string>;
  const interaction: Interaction = req.method === 'GET' || req.method === 'HEAD' ? 'read' : 'write';
  if (/\/:type(\/|$)/.test(route) && params['type']) return [{ resourceType: params['type'], interaction }];
  if (req.method === 'POST' && /\/fhir\/?$/.test(route)) {
    const entries = (req.body as { entry?: unknown } | undefined)?.entry;
    if (!Array.isArray(entries)) return [];
    const out: Need[] = [];
    for (const e of entries as {
      request?: { method?: unknown; url?: unknown };
      resource?: { resourceType?: unknown };
    }[]) {
      const method = String(e?.request?.method ?? '').toUpperCase();
      const fromUrl = String(e?.request?.url ?? '').split(/[/?]/)[0] ?? '';
      const type = TYPE.test(fromUrl) ? fromUrl : String(e?.resource?.resourceType ?? '');
      // Entries that name no servable type are the service's to refuse with a precise outcome.
      if (!TYPE.test(type)) continue;
      out.push({ resourceType: type, interaction: method === 'GET' || method === 'HEAD' ? 'read' : 'write' });
    }
    return out;
  }
  return null;
}

function bearerOf(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return null;
  const m = /^Bearer[ ]+([^\s]+)\s*$/i.exec(h);
  return m ? m[1]! : null;
}

function refuse(reply: FastifyReply, e: CrosswalkError, wwwAuthenticate: string): FastifyReply {
  return reply
    .status(e.httpStatus)
    .header('www-authenticate', wwwAuthenticate)
    .header('content-type', FHIR_JSON)
    .send(operationOutcome(e));
}

const quoted = (s: string) => s.replace(/["\\]/g, "'");

/**
 * Installs the SMART guard on the /fhir plugin: authentication before the body is read (onRequest),
 * then the scope check once the route and body are known (preHandler). Public paths are the
 * CapabilityStatement and the discovery document.
 */
export function guardFhir(app: FastifyInstance, options: SmartOptions, publicPaths: readonly string[]): void {
  const clock = options.clock ?? (() => new Date());
  const granted = new WeakMap<
    FastifyRequest,
    { clientId: string; scopes: readonly SmartScope[]; principal: Principal }
  >();
  const isPublic = (req: FastifyRequest) => {
    const path = req.url.split('?')[0]!.replace(/\/+$/, '');
    return publicPaths.includes(path);
  };

  app.addHook('onRequest', async (req, reply) => {
    if (isPublic(req)) return;
    const now = clock();
    const action: Action = req.method === 'GET' || req.method === 'HEAD' ? 'fhir.read' : 'fhir.write';
    const bearer = bearerOf(req);
    const object = `fhir:${req.method} ${(req.routeOptions.url ?? req.url.split('?')[0]!).slice(0, 80)}`;
    if (!bearer) {
      const e = new CrosswalkError('CW_ERR_SMART_TOKEN_MISSING', {
        tokenEndpoint: tokenEndpointOf(req, options.publicUrl),
      });
      await recordFhirRefusal(options.store, {
        at: now,
        actor: 'unauthenticated',
        action,
        object,
        code: e.code,
        reason: e.message,
      });
      return refuse(reply, e, 'Bearer realm="crosswalk-fhir"');
    }
    if (!bearer.startsWith('cwa_') && options.otherBearer) {
      const principal = await options.otherBearer(bearer);
      if (principal) {
        granted.set(req, { clientId: principal.subject, scopes: EVERY_TYPE, principal });
        return;
      }
    }
    const check = await checkSmartToken(options.store, bearer, now);
    if (!check.ok) {
      const e = new CrosswalkError('CW_ERR_SMART_TOKEN_INVALID', { reason: check.reason });
      await recordFhirRefusal(options.store, {
        at: now,
        actor: 'unauthenticated',
        action,
        object: check.tokenId ? `smart_token:${check.tokenId}` : object,
        code: e.code,
        reason: e.message,
      });
      return refuse(
        reply,
        e,
        `Bearer realm="crosswalk-fhir", error="invalid_token", error_description="${quoted(check.reason)}"`,
      );
    }
    granted.set(req, { clientId: check.clientId, scopes: check.scopes, principal: check.principal });
  });

  app.addHook('preHandler', async (req, reply) => {
    const g = granted.get(req);
    if (!g) return; // public path
    const needs = needsOf(req) ?? [];
    const now = clock();
    const actor = g.principal.kind === 'client' ? `client:${g.clientId}` : g.principal.subject;
    for (const action of new Set(
      needs.map((n): Action => (n.interaction === 'read' ? 'fhir.read' : 'fhir.write')),
    )) {
      const d = authorize(g.principal, action);
      if (!d.allowed) {
        const e = new CrosswalkError('CW_ERR_SMART_ROLE_REFUSED', { clientId: g.clientId, reason: d.reason });
        await recordFhirRefusal(options.store, {
          at: now,
          actor,
          action,
          object: `fhir:${action}`,
          code: e.code,
          reason: e.message,
        });
        return refuse(reply, e, `Bearer realm="crosswalk-fhir", error="insufficient_scope"`);
      }
    }
    const missing = needs.find((n) => !scopesCover(g.scopes, n.resourceType, n.interaction));
    if (missing) {
      const e = new CrosswalkError('CW_ERR_SMART_INSUFFICIENT_SCOPE', {
        interaction: missing.interaction,
        resourceType: missing.resourceType,
        granted: g.scopes.map((s) => s.text).join(' '),
      });
      const action: Action = missing.interaction === 'read' ? 'fhir.read' : 'fhir.write';
      await recordFhirRefusal(options.store, {
        at: now,
        actor,
        action,
        object: `fhir:${missing.resourceType}`,
        code: e.code,
        reason: e.message,
      });
      const scope = `system/${missing.resourceType}.${missing.interaction}`;
      return refuse(reply, e, `Bearer realm="crosswalk-fhir", error="insufficient_scope", scope="${scope}"`);
    }
    // Allowed: FHIR resources carry patient references, so every read (a PHI read) and every write is an
    // audited action, one record per request. The object names the route and the resource types only:
    // ids and search parameters can carry identifiers.
    for (const action of ['fhir.read', 'fhir.write'] as const) {
      const types = [
        ...new Set(
          needs
            .filter((n) => (n.interaction === 'read') === (action === 'fhir.read'))
            .map((n) => n.resourceType),
        ),
      ].sort();
      if (types.length === 0) continue;
      await recordFhirAccess(options.store, {
        at: now,
        actor,
        action,
        object: `fhir:${req.method} ${req.routeOptions.url ?? '?'}`,
        types,
      });
    }
  });
}
