/**
 * Test support (imported by tests and benches only): a real system client for /fhir. It generates a key
 * pair, registers the public half as the client's JWKS, signs assertions with the private half and gets
 * access tokens through the real token endpoint, the way a deployed client would: discovery first, then
 * POST /auth/token.
 */
import { generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { CLIENT_ASSERTION_TYPE, type SigningAlgorithm, signAssertion } from '../governance/index.ts';
import type { Store } from '../store/index.ts';
import { registerClient } from '../store/smart-repository.ts';

export interface TestClient {
  readonly clientId: string;
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly privateKey: KeyObject;
  readonly publicJwk: Record<string, unknown>;
}

/** A fresh key pair for `alg` and its public JWK (with kid, alg and use). */
export function testKeys(
  alg: SigningAlgorithm,
  kid: string,
): { privateKey: KeyObject; publicJwk: Record<string, unknown> } {
  const pair = alg.startsWith('ES')
    ? generateKeyPairSync('ec', { namedCurve: alg === 'ES384' ? 'P-384' : 'P-256' })
    : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicJwk = { ...pair.publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
  return { privateKey: pair.privateKey, publicJwk };
}

/** Registers a system client with a new key pair, straight through the repository. */
export async function registerTestClient(
  store: Store,
  options: { clientId?: string; scopes?: string; alg?: SigningAlgorithm; roles?: string[] } = {},
): Promise<TestClient> {
  const alg = options.alg ?? 'ES384';
  const clientId = options.clientId ?? 'test-system';
  const kid = `${clientId}-key-1`;
  const { privateKey, publicJwk } = testKeys(alg, kid);
  await registerClient(store, {
    clientId,
    name: `test client ${clientId}`,
    jwks: { keys: [publicJwk] },
    scopes: options.scopes ?? 'system/*.*',
    ...(options.roles ? { roles: options.roles } : {}),
    actor: 'test-admin',
  });
  return { clientId, kid, alg, privateKey, publicJwk };
}

/** A signed assertion for `tokenEndpoint`, valid for 4 minutes unless the claims say otherwise. */
export function testAssertion(
  client: TestClient,
  tokenEndpoint: string,
  claims: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
): string {
  const now = Math.floor(Date.now() / 1000);
  return signAssertion(
    client.privateKey,
    { alg: client.alg, kid: client.kid, ...header },
    {
      iss: client.clientId,
      sub: client.clientId,
      aud: tokenEndpoint,
      exp: now + 240,
      jti: randomUUID(),
      ...claims,
    },
  );
}

/** The form body of a token request. */
export function tokenForm(assertion: string, scope: string): string {
  return new URLSearchParams({
    grant_type: 'client_credentials',
    scope,
    client_assertion_type: CLIENT_ASSERTION_TYPE,
    client_assertion: assertion,
  }).toString();
}

/** Discovery, then the token endpoint, through `app.inject`. Returns the access token. */
export async function injectToken(
  app: FastifyInstance,
  client: TestClient,
  scope = 'system/*.*',
): Promise<string> {
  const config = (await app.inject('/fhir/.well-known/smart-configuration')).json() as {
    token_endpoint: string;
  };
  const res = await app.inject({
    method: 'POST',
    url: new URL(config.token_endpoint).pathname,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: tokenForm(testAssertion(client, config.token_endpoint), scope),
  });
  if (res.statusCode !== 200) throw new Error(`token request failed: ${res.statusCode} ${res.body}`);
  return (res.json() as { access_token: string }).access_token;
}

/** Discovery, then the token endpoint, over HTTP at `fhirBase` (…/fhir). Returns the access token. */
export async function fetchToken(
  fhirBase: string,
  client: TestClient,
  scope = 'system/*.*',
): Promise<string> {
  const config = (await (await fetch(`${fhirBase}/.well-known/smart-configuration`)).json()) as {
    token_endpoint: string;
  };
  const res = await fetch(config.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: tokenForm(testAssertion(client, config.token_endpoint), scope),
  });
  const body = (await res.json()) as { access_token?: string };
  if (res.status !== 200 || !body.access_token) {
    throw new Error(`token request failed: ${res.status} ${JSON.stringify(body)}`);
  }
  return body.access_token;
}

/** `app.inject` with `Authorization: Bearer <token>` added to every request. */
export function bearerInject(
  app: FastifyInstance,
  token: string,
): (opts: string | InjectOptions) => Promise<LightMyRequestResponse> {
  return (opts) => {
    const o: InjectOptions = typeof opts === 'string' ? { url: opts } : opts;
    return app.inject({ ...o, headers: { ...(o.headers ?? {}), authorization: `Bearer ${token}` } });
  };
}

/** A registered client with every system scope and a token for it, for tests about /fhir itself. */
export async function authorizedFhir(
  app: FastifyInstance,
  store: Store,
): Promise<{ inject: ReturnType<typeof bearerInject>; close: () => Promise<void>; token: string }> {
  const client = await registerTestClient(store, { clientId: 'fhir-test-client', scopes: 'system/*.*' });
  const token = await injectToken(app, client, 'system/*.*');
  return { inject: bearerInject(app, token), close: () => app.close(), token };
}
