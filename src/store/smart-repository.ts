import { CrosswalkError, isCrosswalkError } from '../errors/index.ts';
import {
  ACCESS_TOKEN_SECONDS,
  type Action,
  assertionAlgorithm,
  CLIENT_ASSERTION_TYPE,
  claimedClientId,
  decodeAssertion,
  isRole,
  type Jwks,
  newAccessToken,
  type Principal,
  parseAccessToken,
  parseScopes,
  principalForClient,
  type Role,
  type SmartScope,
  sameDigest,
  scopesNotAllowed,
  validateJwks,
  verifyClientAssertion,
} from '../governance/index.ts';
import { appendAudit } from './audit-repository.ts';
import type { Row, SqlExecutor, Store } from './port.ts';
import { asOptionalString } from './values.ts';

/**
 * SMART Backend Services in the database: the registry of system clients, the used-jti guard and the
 * issued access tokens (migration 0011). Verification rules are governance/smart.ts's; this file adds
 * what needs rows: who the client is, whether a jti was seen, whether a token is live.
 *
 * Every token issued and every refusal is appended to the audit log. A refusal is written in its own
 * transaction, after the refused one rolled back, so a refused request leaves no other trace. Before
 * the signature verifies, the claimed client id is only a claim: such refusals are recorded with the
 * actor `unauthenticated`.
 */

export interface SmartClient {
  readonly clientId: string;
  readonly name: string | null;
  readonly jwks: Jwks;
  readonly scopes: string;
  readonly roles: readonly Role[];
  readonly registeredBy: string;
  readonly registeredAt: string;
  readonly disabledAt: string | null;
  readonly disabledBy: string | null;
}

const CLIENT_COLUMNS =
  'client_id, name, jwks, scopes, roles, registered_by, registered_at, disabled_at, disabled_by';

function clientOf(r: Row): SmartClient {
  return {
    clientId: String(r['client_id']),
    name: asOptionalString(r['name']),
    jwks: JSON.parse(String(r['jwks'])) as Jwks,
    scopes: String(r['scopes']),
    roles: String(r['roles']).split(' ').filter(isRole),
    registeredBy: String(r['registered_by']),
    registeredAt: String(r['registered_at']),
    disabledAt: asOptionalString(r['disabled_at']),
    disabledBy: asOptionalString(r['disabled_by']),
  };
}

const CLIENT_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export interface ClientRegistration {
  readonly clientId: string;
  readonly name?: string | null;
  readonly jwks: unknown;
  readonly scopes: string;
  readonly roles?: readonly string[];
  readonly actor: string;
  readonly now?: Date;
}

export async function registerClient(store: Store, r: ClientRegistration): Promise<SmartClient> {
  if (!CLIENT_ID.test(r.clientId)) {
    throw new CrosswalkError('CW_ERR_SMART_BAD_CLIENT', {
      clientId: r.clientId.slice(0, 40),
      reason: 'a client id is 1-128 letters, digits, dots, dashes, colons or underscores',
    });
  }
  const kids = validateJwks(r.clientId, r.jwks);
  const scopes = parseScopes(r.scopes);
  if (scopes.length === 0) {
    throw new CrosswalkError('CW_ERR_SMART_BAD_SCOPE', {
      scope: '(none)',
      reason: 'name at least one scope',
    });
  }
  const roles = r.roles && r.roles.length > 0 ? r.roles : ['service'];
  for (const role of roles) {
    if (!isRole(role)) {
      throw new CrosswalkError('CW_ERR_SMART_BAD_CLIENT', {
        clientId: r.clientId,
        reason: `${role} is not a role`,
      });
    }
  }
  const at = (r.now ?? new Date()).toISOString();
  const scopeText = scopes.map((s) => s.text).join(' ');
  return store.transaction(async (tx) => {
    const inserted = await tx.execute(
      `INSERT INTO smart_clients (client_id, name, jwks, scopes, roles, registered_by, registered_at)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (client_id) DO NOTHING`,
      [r.clientId, r.name ?? null, JSON.stringify(r.jwks), scopeText, roles.join(' '), r.actor, at],
    );
    if (inserted.rowsAffected === 0) {
      throw new CrosswalkError('CW_ERR_SMART_CLIENT_EXISTS', { clientId: r.clientId });
    }
    await appendAudit(tx, {
      at,
      actor: r.actor,
      action: 'users.manage',
      object: `smart_client:${r.clientId}`,
      after: { registered: r.clientId, name: r.name ?? null, scopes: scopeText, roles, kids },
    });
    return (await findClient(tx, r.clientId))!;
  });
}

export async function findClient(db: SqlExecutor, clientId: string): Promise<SmartClient | null> {
  const [row] = await db.query(`SELECT ${CLIENT_COLUMNS} FROM smart_clients WHERE client_id = ?`, [clientId]);
  return row ? clientOf(row) : null;
}

export async function listClients(db: SqlExecutor): Promise<SmartClient[]> {
  const rows = await db.query(`SELECT ${CLIENT_COLUMNS} FROM smart_clients ORDER BY client_id`);
  return rows.map(clientOf);
}

/** Disables a client: no new token, and its live tokens stop working at once (the resolver checks). */
export async function disableClient(
  store: Store,
  clientId: string,
  actor: string,
  now: Date = new Date(),
): Promise<SmartClient> {
  const at = now.toISOString();
  return store.transaction(async (tx) => {
    const client = await findClient(tx, clientId);
    if (!client) throw new CrosswalkError('CW_ERR_SMART_UNKNOWN_CLIENT', { clientId });
    if (client.disabledAt) return client;
    await tx.execute(
      'UPDATE smart_clients SET disabled_at = ?, disabled_by = ? WHERE client_id = ? AND disabled_at IS NULL',
      [at, actor, clientId],
    );
    await appendAudit(tx, {
      at,
      actor,
      action: 'users.manage',
      object: `smart_client:${clientId}`,
      before: { disabled: false },
      after: { disabled: true },
    });
    return (await findClient(tx, clientId))!;
  });
}

// --- the token endpoint ------------------------------------------------------------------------------

export interface TokenRequest {
  readonly grantType: string | undefined;
  readonly scope: string | undefined;
  readonly clientAssertionType: string | undefined;
  readonly clientAssertion: string | undefined;
  /** Optional in the request; when present it must be the assertion's client. */
  readonly clientId?: string | undefined;
  /** This server's token endpoint URL: the only accepted `aud`. */
  readonly tokenEndpoint: string;
  readonly now: Date;
}

export interface IssuedToken {
  readonly accessToken: string;
  readonly tokenId: string;
  readonly clientId: string;
  readonly scope: string;
  readonly expiresIn: number;
}

/**
 * The client-credentials grant with a JWT client assertion. Throws a CrosswalkError naming the first
 * thing wrong (oauthErrorOf gives its RFC 6749 error), after auditing the refusal.
 */
export async function issueAccessToken(store: Store, req: TokenRequest): Promise<IssuedToken> {
  let claimed: string | null = null;
  let authenticated = false;
  try {
    if (req.grantType !== 'client_credentials') {
      throw new CrosswalkError('CW_ERR_SMART_GRANT_TYPE', {
        grantType: (req.grantType ?? '(none)').slice(0, 40),
      });
    }
    if (req.clientAssertionType !== CLIENT_ASSERTION_TYPE)
      throw new CrosswalkError('CW_ERR_SMART_ASSERTION_TYPE');
    if (!req.clientAssertion) {
      throw new CrosswalkError('CW_ERR_SMART_BAD_REQUEST', { reason: 'client_assertion is missing' });
    }
    const assertion = decodeAssertion(req.clientAssertion);
    assertionAlgorithm(assertion.header);
    claimed = claimedClientId(assertion);
    if (req.clientId !== undefined && req.clientId !== claimed) {
      throw new CrosswalkError('CW_ERR_SMART_ISSUER_MISMATCH', {
        reason: `client_id ${req.clientId.slice(0, 80)} is not the assertion's iss`,
      });
    }
    const client = await findClient(store, claimed);
    if (!client) throw new CrosswalkError('CW_ERR_SMART_UNKNOWN_CLIENT', { clientId: claimed });
    if (client.disabledAt) throw new CrosswalkError('CW_ERR_SMART_CLIENT_DISABLED', { clientId: claimed });
    const verified = verifyClientAssertion(assertion, client, {
      tokenEndpoint: req.tokenEndpoint,
      now: req.now,
    });
    authenticated = true;

    if (!req.scope || req.scope.trim() === '') {
      throw new CrosswalkError('CW_ERR_SMART_BAD_SCOPE', {
        scope: '(none)',
        reason: 'the request names no scope',
      });
    }
    const requested = parseScopes(req.scope);
    const refused = scopesNotAllowed(requested, parseScopes(client.scopes));
    if (refused.length > 0) {
      throw new CrosswalkError('CW_ERR_SMART_SCOPE_NOT_ALLOWED', {
        clientId: client.clientId,
        scope: refused.join(' '),
      });
    }
    const scope = requested.map((s) => s.text).join(' ');
    const at = req.now.toISOString();
    const expiresAt = new Date(req.now.getTime() + ACCESS_TOKEN_SECONDS * 1000).toISOString();
    const issued = newAccessToken();
    await store.transaction(async (tx) => {
      // Both tables only need rows that can still matter: a jti past its exp is refused as expired.
      await tx.execute('DELETE FROM smart_used_jtis WHERE expires_at < ?', [at]);
      await tx.execute('DELETE FROM smart_access_tokens WHERE expires_at < ?', [at]);
      const fresh = await tx.execute(
        `INSERT INTO smart_used_jtis (client_id, jti, expires_at, used_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (client_id, jti) DO NOTHING`,
        [client.clientId, verified.jti, verified.expiresAt, at],
      );
      if (fresh.rowsAffected === 0) {
        throw new CrosswalkError('CW_ERR_SMART_REPLAYED_JTI', { clientId: client.clientId });
      }
      await tx.execute(
        `INSERT INTO smart_access_tokens (id, secret_sha256, client_id, scopes, issued_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
        [issued.id, issued.secretSha256, client.clientId, scope, at, expiresAt],
      );
      await appendAudit(tx, {
        at,
        actor: `client:${client.clientId}`,
        action: 'smart.token',
        object: `smart_token:${issued.id}`,
        after: { client: client.clientId, scope, kid: verified.kid, alg: verified.alg, expiresAt },
      });
    });
    return {
      accessToken: issued.token,
      tokenId: issued.id,
      clientId: client.clientId,
      scope,
      expiresIn: ACCESS_TOKEN_SECONDS,
    };
  } catch (e) {
    if (isCrosswalkError(e)) {
      await store.transaction((tx) =>
        appendAudit(tx, {
          at: req.now.toISOString(),
          actor: authenticated && claimed ? `client:${claimed}` : 'unauthenticated',
          action: 'smart.token',
          object: `smart_client:${claimed ?? '?'}`,
          after: { refused: e.code, reason: e.message },
        }),
      );
    }
    throw e;
  }
}

// --- bearer tokens on /fhir --------------------------------------------------------------------------

export type SmartTokenCheck =
  | {
      readonly ok: true;
      readonly principal: Principal;
      readonly scopes: readonly SmartScope[];
      readonly clientId: string;
      readonly tokenId: string;
    }
  | { readonly ok: false; readonly reason: string; readonly tokenId: string | null };

/** Checks a presented SMART access token: ours, known, unexpired, and its client still enabled. */
export async function checkSmartToken(
  db: SqlExecutor,
  bearer: string,
  now: Date = new Date(),
): Promise<SmartTokenCheck> {
  const parsed = parseAccessToken(bearer);
  if (!parsed) return { ok: false, reason: 'not a Crosswalk SMART access token', tokenId: null };
  const [row] = await db.query(
    `SELECT t.secret_sha256, t.client_id, t.scopes, t.expires_at, c.roles, c.disabled_at
       FROM smart_access_tokens t JOIN smart_clients c ON c.client_id = t.client_id WHERE t.id = ?`,
    [parsed.id],
  );
  if (!row || !sameDigest(String(row['secret_sha256']), parsed.secretSha256)) {
    return { ok: false, reason: 'unknown access token', tokenId: null };
  }
  if (String(row['expires_at']) <= now.toISOString()) {
    return {
      ok: false,
      reason: `the access token expired at ${String(row['expires_at'])}`,
      tokenId: parsed.id,
    };
  }
  const clientId = String(row['client_id']);
  if (row['disabled_at'] !== null) {
    return { ok: false, reason: `system client ${clientId} is disabled`, tokenId: parsed.id };
  }
  const scopes = parseScopes(String(row['scopes']));
  const roles = String(row['roles']).split(' ').filter(isRole);
  return {
    ok: true,
    principal: principalForClient(clientId, parsed.id, roles, scopes),
    scopes,
    clientId,
    tokenId: parsed.id,
  };
}

/** The principal a SMART bearer token stands for, or null when it is not a live one. */
export async function principalFromSmartToken(
  db: SqlExecutor,
  bearer: string,
  now: Date = new Date(),
): Promise<Principal | null> {
  const c = await checkSmartToken(db, bearer, now);
  return c.ok ? c.principal : null;
}

/** Audits a refused /fhir request (401 or 403); never the presented token. */
/** An allowed /fhir request, in the audit chain (who, read or write, which resource types). */
export async function recordFhirAccess(
  store: Store,
  r: { at: Date; actor: string; action: Action; object: string; types: readonly string[] },
): Promise<void> {
  await store.transaction((tx) =>
    appendAudit(tx, {
      at: r.at.toISOString(),
      actor: r.actor,
      action: r.action,
      object: r.object,
      after: { resourceTypes: r.types },
    }),
  );
}

export async function recordFhirRefusal(
  store: Store,
  r: { at: Date; actor: string; action: Action; object: string; code: string; reason: string },
): Promise<void> {
  await store.transaction((tx) =>
    appendAudit(tx, {
      at: r.at.toISOString(),
      actor: r.actor,
      action: r.action,
      object: r.object,
      after: { refused: r.code, reason: r.reason },
    }),
  );
}
