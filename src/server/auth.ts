import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { CrosswalkError } from '../errors/index.ts';
import {
  type Action,
  decide,
  hashPassword,
  isAction,
  issueSessionId,
  MATRIX,
  type Principal,
  parseSessionId,
  type Target,
  TOKEN_PREFIX,
  verifyPassword,
} from '../governance/index.ts';
import { appendAudit } from '../store/audit-repository.ts';
import {
  createSession,
  endSession,
  findUser,
  type Resolution,
  resolveSession,
  resolveToken,
} from '../store/identity-repository.ts';
import type { SqlExecutor, Store } from '../store/index.ts';

/**
 * Authentication and authorisation for the HTTP API (issue 6).
 *
 * Invariants:
 * - Every route declares what it needs in its config: `{ action: '<matrix action>' }`, or `{ public: true }`
 *   for the few that need nothing (health probes, the OpenAPI document, signing in). A route under /api
 *   that declares neither stops the app from starting: forgetting is not a way to publish a route.
 * - The check runs in `onRequest`, before the body is read or parsed: nothing from an unauthenticated
 *   caller reaches a parser.
 * - /fhir is left to its own resolver (SMART Backend Services); this hook does not look at it.
 * - Every refusal is in the audit log (actor: the subject the credential named, else `anonymous`; object:
 *   the route template; never the credential). Reads of PHI (matrix rule `phi`) are audited as they happen.
 * - The actor of every action is the principal's subject; a request that claims another (the
 *   X-Crosswalk-Actor header, an `actor` or `as` field) is refused.
 */

/**
 * A bearer credential other than our API tokens, by prefix (e.g. SMART access tokens `cwa_`). It answers
 * the principal, or null when the credential is not valid.
 */
export interface BearerResolver {
  readonly prefix: string;
  resolve(db: SqlExecutor, bearer: string): Promise<Principal | null>;
}

export interface AuthOptions {
  readonly store: Store;
  readonly sessionIdleTimeoutMs: number;
  readonly sessionMaxAgeMs: number;
  readonly resolvers?: readonly BearerResolver[];
  readonly clock?: () => Date;
}

export const SESSION_COOKIE = 'crosswalk_session';
export const ACTOR_HEADER = 'x-crosswalk-actor';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The matrix action this route takes (checked before the handler runs). */
    action?: Action;
    /** No credential needed (health probes, OpenAPI, sign-in). */
    public?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyInstance {
    /**
     * Checks a further action inside a route, with the target the route knows (a replay that carries
     * edits also needs `exceptions.edit`; a scoped action needs its entity). Records and throws a 403.
     */
    authorizeAlso(req: FastifyRequest, action: Action, target?: Target): Promise<void>;
  }
}

const isFhir = (url: string) => url === '/fhir' || url.startsWith('/fhir/');

/** The authenticated principal of a request that passed the hook (routes with an action always have one). */
export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw new CrosswalkError('CW_ERR_AUTH_REQUIRED', { how: 'sign in or send a token' });
  return req.principal;
}

/** The acting person: the principal's subject. */
export const subjectOf = (req: FastifyRequest): string => principalOf(req).subject;

function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** A route's template, used as the audit object: parameters are ids, never patient identifiers. */
const templateOf = (req: FastifyRequest) => `${req.method} ${req.routeOptions.url ?? 'unmatched'}`;

/** A hash of a password nobody has, verified for unknown users so both paths cost the same. */
const DECOY = hashPassword('decoy password for timing only');

export function installAuth(app: FastifyInstance, opts: AuthOptions): void {
  const { store } = opts;
  const clock = opts.clock ?? (() => new Date());
  const resolvers = opts.resolvers ?? [];

  app.decorateRequest('principal', null);

  app.addHook('onRoute', (route: RouteOptions) => {
    if (isFhir(route.url)) return;
    const config = (route.config ?? {}) as { action?: string; public?: boolean };
    if (config.public === true) return;
    if (config.action === undefined) {
      throw new Error(
        `route ${route.method} ${route.url} declares no action (config.action) and is not public`,
      );
    }
    if (!isAction(config.action)) {
      throw new Error(
        `route ${route.method} ${route.url} declares ${config.action}, which is not in the matrix`,
      );
    }
  });

  const audit = (input: { actor: string; action: string; object: string; after?: unknown }) =>
    store.transaction((tx) => appendAudit(tx, { at: clock().toISOString(), before: null, ...input }));

  /** Records the refusal, then answers it. */
  const refuse = async (
    req: FastifyRequest,
    reply: FastifyReply,
    error: CrosswalkError,
    subject: string | null,
    action: string | undefined,
  ) => {
    await audit({
      actor: subject ?? 'anonymous',
      action: 'auth.refused',
      object: templateOf(req),
      after: { code: error.code, reason: error.message, ...(action ? { wanted: action } : {}) },
    });
    return reply.status(error.httpStatus).send({ code: error.code, message: error.message });
  };

  const resolve = async (req: FastifyRequest): Promise<Resolution | null> => {
    const now = clock();
    const auth = req.headers.authorization;
    if (auth !== undefined) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
      if (!m) return { problem: 'the Authorization header is not "Bearer <token>"', subject: null };
      const bearer = m[1]!;
      if (bearer.startsWith(TOKEN_PREFIX)) return resolveToken(store, bearer, now);
      const other = resolvers.find((r) => bearer.startsWith(r.prefix));
      if (other) {
        const p = await other.resolve(store, bearer);
        return p ? { principal: p } : { problem: 'the access token is not valid', subject: null };
      }
      return { problem: 'the token is malformed', subject: null };
    }
    const session = cookieValue(req.headers.cookie, SESSION_COOKIE);
    if (session !== null) return resolveSession(store, session, now, opts.sessionIdleTimeoutMs);
    return null;
  };

  app.addHook('onRequest', async (req, reply) => {
    const url = req.routeOptions.url;
    if (url === undefined || isFhir(url)) return; // unmatched (answers 404) or /fhir (its own resolver)
    const config = req.routeOptions.config as { action?: Action; public?: boolean };
    if (config.public === true) return;
    const action = config.action;
    if (action === undefined) return; // unreachable: onRoute refused such routes at startup
    const r = await resolve(req);
    if (r === null) {
      return refuse(
        req,
        reply,
        new CrosswalkError('CW_ERR_AUTH_REQUIRED', {
          how: 'send "Authorization: Bearer <API token>" or sign in with POST /api/session',
        }),
        null,
        action,
      );
    }
    if (r.problem !== undefined) {
      return refuse(
        req,
        reply,
        new CrosswalkError('CW_ERR_AUTH_INVALID', { reason: r.problem }),
        r.subject,
        action,
      );
    }
    const principal = r.principal;
    const claimed = req.headers[ACTOR_HEADER];
    if (typeof claimed === 'string' && claimed !== principal.subject) {
      return refuse(
        req,
        reply,
        new CrosswalkError('CW_ERR_AUTH_ACTOR_MISMATCH', { claimed, subject: principal.subject }),
        principal.subject,
        action,
      );
    }
    const decision = decide(principal, action);
    if (!decision.allowed) {
      return refuse(
        req,
        reply,
        new CrosswalkError('CW_ERR_AUTH_FORBIDDEN', {
          subject: principal.subject,
          action,
          reason: decision.reason,
        }),
        principal.subject,
        action,
      );
    }
    req.principal = principal;
    if (MATRIX[action].phi === true) {
      await audit({ actor: principal.subject, action, object: objectOf(req) });
    }
  });

  // After parsing: a body that names an actor must name the principal.
  app.addHook('preHandler', async (req, reply) => {
    if (!req.principal) return;
    const body = req.body as { actor?: unknown; as?: unknown } | null | undefined;
    if (!body || typeof body !== 'object') return;
    for (const claimed of [body.actor, body.as]) {
      if (typeof claimed === 'string' && claimed !== req.principal.subject) {
        return refuse(
          req,
          reply,
          new CrosswalkError('CW_ERR_AUTH_ACTOR_MISMATCH', { claimed, subject: req.principal.subject }),
          req.principal.subject,
          req.routeOptions.config.action,
        );
      }
    }
  });

  app.post<{ Body: { user: string; password: string } }>(
    '/api/session',
    {
      config: { public: true },
      schema: {
        summary: 'Sign in: user and password give an HttpOnly session cookie',
        tags: ['session'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['user', 'password'],
          properties: {
            user: { type: 'string', minLength: 1, maxLength: 100 },
            password: { type: 'string', minLength: 1, maxLength: 1000 },
          },
        },
      },
    },
    async (req, reply) => {
      const now = clock();
      const u = await findUser(store, req.body.user);
      const ok = verifyPassword(req.body.password, u?.passwordHash ?? DECOY) && u !== null;
      if (!ok || u.disabledAt !== null) {
        await audit({
          actor: u ? u.name : 'anonymous',
          action: 'auth.sign_in_failed',
          object: 'session',
          after: { reason: !u ? 'unknown user' : !ok ? 'wrong password' : 'user disabled' },
        });
        const e = new CrosswalkError('CW_ERR_AUTH_SIGN_IN', {});
        return reply.status(e.httpStatus).send({ code: e.code, message: e.message });
      }
      const s = issueSessionId();
      const expiresAt = new Date(now.getTime() + opts.sessionMaxAgeMs).toISOString();
      await store.transaction(async (tx) => {
        await createSession(tx, { idSha256: s.idSha256, user: u.name, at: now.toISOString(), expiresAt });
        await appendAudit(tx, {
          at: now.toISOString(),
          actor: u.name,
          action: 'auth.sign_in',
          object: `session:${s.idSha256.slice(0, 12)}`,
          before: null,
          after: { expiresAt },
        });
      });
      const secure = req.protocol === 'https' ? '; Secure' : '';
      reply.header(
        'set-cookie',
        `${SESSION_COOKIE}=${s.id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${Math.floor(opts.sessionMaxAgeMs / 1000)}${secure}`,
      );
      return { user: u.name, expiresAt, idleTimeoutMs: opts.sessionIdleTimeoutMs };
    },
  );

  app.delete(
    '/api/session',
    { config: { public: true }, schema: { summary: 'Sign out', tags: ['session'] } },
    async (req, reply) => {
      const id = cookieValue(req.headers.cookie, SESSION_COOKIE);
      const parsed = id === null ? null : parseSessionId(id);
      if (parsed) {
        const now = clock().toISOString();
        await store.transaction(async (tx) => {
          if (await endSession(tx, parsed.idSha256, now)) {
            const [row] = await tx.query('SELECT user_name FROM sessions WHERE id_sha256 = ?', [
              parsed.idSha256,
            ]);
            await appendAudit(tx, {
              at: now,
              actor: String(row?.['user_name'] ?? 'anonymous'),
              action: 'auth.sign_out',
              object: `session:${parsed.idSha256.slice(0, 12)}`,
              before: null,
              after: null,
            });
          }
        });
      }
      reply.header('set-cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`);
      return reply.status(204).send();
    },
  );

  app.decorate('authorizeAlso', async (req: FastifyRequest, action: Action, target?: Target) => {
    const p = principalOf(req);
    const d = decide(p, action, target);
    if (!d.allowed) {
      const e = new CrosswalkError('CW_ERR_AUTH_FORBIDDEN', { subject: p.subject, action, reason: d.reason });
      await audit({
        actor: p.subject,
        action: 'auth.refused',
        object: templateOf(req),
        after: { code: e.code, reason: e.message, wanted: action },
      });
      throw e;
    }
    if (MATRIX[action].phi === true) await audit({ actor: p.subject, action, object: objectOf(req) });
  });
}

/** The object of a PHI read: the route template with its parameters (ids), never the query or body. */
function objectOf(req: FastifyRequest): string {
  let url = req.routeOptions.url ?? 'unmatched';
  for (const [k, v] of Object.entries((req.params ?? {}) as Record<string, string>))
    url = url.replace(`:${k}`, v);
  return url;
}
