/**
 * SMART Backend Services through the real HTTP composition (app.inject), on both engines: discovery and
 * the CapabilityStatement's security block; every refusal of the token endpoint with its RFC 6749 error
 * and its own code, each audited; a replayed assertion refused, also when two requests race; scopes
 * deciding what a token may read and write on /fhir; expired, unknown and disabled-client tokens.
 */
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Action, Principal, Role } from '../governance/index.ts';
import { createLogger, Metrics } from '../observe/index.ts';
import { readAuditChain } from '../store/audit-repository.ts';
import { migrate, type Store } from '../store/index.ts';
import { disableClient, principalFromSmartToken } from '../store/smart-repository.ts';
import { eachEngine } from '../store/test-engines.ts';
import { userWithToken } from '../store/test-identities.ts';
import { type AppDeps, buildApp } from './app.ts';
import {
  injectToken,
  registerTestClient,
  type TestClient,
  testAssertion,
  testKeys,
  tokenForm,
} from './smart-testing.ts';

type Json = Record<string, unknown>;
const TOKEN_URL = 'http://localhost:80/auth/token';
const FHIR = { 'content-type': 'application/fhir+json' };

async function smartApp(store: Store, extra: Partial<AppDeps> = {}): Promise<FastifyInstance> {
  await migrate(store);
  return buildApp({
    store,
    logger: createLogger('warn', new Writable({ write: (_c, _e, cb) => cb() })),
    metrics: new Metrics({ defaultMetrics: false }),
    version: 'test',
    ...extra,
  });
}

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

function requestToken(app: FastifyInstance, assertion: string, scope = 'system/*.read', extra: Json = {}) {
  const form = new URLSearchParams(tokenForm(assertion, scope));
  for (const [k, v] of Object.entries(extra)) form.set(k, String(v));
  return app.inject({
    method: 'POST',
    url: '/auth/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: form.toString(),
  });
}

async function lastRefusal(store: Store): Promise<Json | null> {
  const [last] = await readAuditChain(store, 1);
  return (last?.after as Json | null) ?? null;
}

async function assertRefused(
  app: FastifyInstance,
  store: Store,
  res: { statusCode: number; json(): unknown },
  expected: { status: number; error: string; code: string },
): Promise<void> {
  const body = res.json() as Json;
  assert.equal(res.statusCode, expected.status, `${expected.code}: ${JSON.stringify(body)}`);
  assert.equal(body['error'], expected.error, expected.code);
  assert.equal(body['code'], expected.code);
  assert.equal(typeof body['error_description'], 'string');
  assert.equal('access_token' in body, false);
  const audited = await lastRefusal(store);
  assert.equal(audited?.['refused'], expected.code, `${expected.code} is audited`);
  void app;
}

const patient = (family: string) => ({ resourceType: 'Practitioner', name: [{ family }], active: true });
const delivery = {
  resourceType: 'SupplyDelivery',
  status: 'completed',
  patient: { reference: 'Patient/p1' },
  suppliedItem: { quantity: { value: 1 }, itemCodeableConcept: { coding: [{ code: '7000001' }] } },
  occurrenceDateTime: '2026-03-01T08:00:00Z',
};

eachEngine('SMART Backend Services', (engine) => {
  test('discovery and metadata are public and name the token endpoint; /fhir refuses without a token', async (t) => {
    const { store } = await engine.freshStore({ migrated: true });
    const app = await smartApp(store);
    t.after(() => app.close());
    const conf = await app.inject('/fhir/.well-known/smart-configuration');
    assert.equal(conf.statusCode, 200);
    const c = conf.json() as Json;
    assert.equal(c['token_endpoint'], TOKEN_URL);
    assert.deepEqual(c['token_endpoint_auth_methods_supported'], ['private_key_jwt']);
    assert.equal((c['token_endpoint_auth_signing_alg_values_supported'] as string[]).includes('ES384'), true);
    const cs = (await app.inject('/fhir/metadata')).json() as Json;
    const security = ((cs['rest'] as Json[])[0]!['security'] ?? {}) as Json;
    const coding = ((security['service'] as Json[])[0]!['coding'] as Json[])[0]!;
    assert.equal(coding['code'], 'SMART-on-FHIR');
    assert.equal(coding['system'], 'http://terminology.hl7.org/CodeSystem/restful-security-service');
    const uris = (security['extension'] as Json[])[0]!;
    assert.match(String(uris['url']), /oauth-uris$/);
    assert.deepEqual(uris['extension'], [{ url: 'token', valueUri: TOKEN_URL }]);

    const none = await app.inject('/fhir/Practitioner');
    assert.equal(none.statusCode, 401);
    assert.match(String(none.headers['www-authenticate']), /^Bearer /);
    assert.equal((none.json() as Json)['resourceType'], 'OperationOutcome');
    assert.equal((await lastRefusal(store))?.['refused'], 'CW_ERR_SMART_TOKEN_MISSING');
    const post = await app.inject({
      method: 'POST',
      url: '/fhir/Practitioner',
      headers: FHIR,
      payload: patient('X'),
    });
    assert.equal(post.statusCode, 401, 'a write without a token is refused before it is stored');
    const [n] = await store.query('SELECT COUNT(*) AS n FROM inbound_messages');
    assert.equal(Number(n!['n']), 0, 'nothing was stored');
    const bad = await app.inject({
      url: '/fhir/Practitioner',
      headers: { authorization: 'Bearer cwa_0011223344556677_' + '0'.repeat(64) },
    });
    assert.equal(bad.statusCode, 401);
    assert.match(String(bad.headers['www-authenticate']), /error="invalid_token"/);
    assert.equal((await lastRefusal(store))?.['refused'], 'CW_ERR_SMART_TOKEN_INVALID');
  });

  test('each malformed, forged, misaddressed, stale or replayed assertion is refused with its own code and audited', async (t) => {
    const { store } = await engine.freshStore({ migrated: true });
    const app = await smartApp(store);
    t.after(() => app.close());
    const client = await registerTestClient(store, { clientId: 'erp-sync', scopes: 'system/*.read' });
    const now = Math.floor(Date.now() / 1000);
    const sign = (claims: Json = {}, header: Json = {}) => testAssertion(client, TOKEN_URL, claims, header);
    const ic = 'invalid_client';
    const cases: {
      name: string;
      assertion: string;
      code: string;
      scope?: string;
      error?: string;
      status?: number;
    }[] = [
      { name: 'expired', assertion: sign({ exp: now - 5 }), code: 'CW_ERR_SMART_EXPIRED' },
      { name: 'long-lived', assertion: sign({ exp: now + 3600 }), code: 'CW_ERR_SMART_LONG_LIVED' },
      { name: 'no exp', assertion: sign({ exp: undefined }), code: 'CW_ERR_SMART_NO_EXPIRY' },
      {
        name: 'wrong aud',
        assertion: sign({ aud: 'https://elsewhere.example/auth/token' }),
        code: 'CW_ERR_SMART_WRONG_AUDIENCE',
      },
      { name: 'sub differs', assertion: sign({ sub: 'someone-else' }), code: 'CW_ERR_SMART_ISSUER_MISMATCH' },
      { name: 'unknown kid', assertion: sign({}, { kid: 'nope' }), code: 'CW_ERR_SMART_UNKNOWN_KEY' },
      {
        name: 'unknown client',
        assertion: sign({ iss: 'ghost', sub: 'ghost' }),
        code: 'CW_ERR_SMART_UNKNOWN_CLIENT',
      },
      {
        name: 'alg none',
        assertion: `${b64({ alg: 'none', kid: client.kid })}.${b64({ iss: client.clientId, sub: client.clientId, aud: TOKEN_URL, exp: now + 60, jti: randomUUID() })}.`,
        code: 'CW_ERR_SMART_ALG_NONE',
      },
      {
        name: 'HS256 keyed with the public key',
        assertion: (() => {
          const input = `${b64({ alg: 'HS256', kid: client.kid, typ: 'JWT' })}.${b64({ iss: client.clientId, sub: client.clientId, aud: TOKEN_URL, exp: now + 60, jti: randomUUID() })}`;
          const secret = JSON.stringify(client.publicJwk);
          return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
        })(),
        code: 'CW_ERR_SMART_ALG_REFUSED',
      },
      {
        name: 'tampered payload',
        assertion: (() => {
          const [h, , s] = sign().split('.');
          return `${h}.${b64({ iss: client.clientId, sub: client.clientId, aud: TOKEN_URL, exp: now + 60, jti: randomUUID(), admin: true })}.${s}`;
        })(),
        code: 'CW_ERR_SMART_BAD_SIGNATURE',
      },
      {
        name: 'signed by another key under the registered kid',
        assertion: testAssertion(
          { ...client, privateKey: testKeys('ES384', client.kid).privateKey },
          TOKEN_URL,
        ),
        code: 'CW_ERR_SMART_BAD_SIGNATURE',
      },
      { name: 'not a JWS', assertion: 'not.a-jwt', code: 'CW_ERR_SMART_MALFORMED_ASSERTION' },
      {
        name: 'scope not allowed',
        assertion: sign(),
        scope: 'system/SupplyDelivery.write',
        code: 'CW_ERR_SMART_SCOPE_NOT_ALLOWED',
        error: 'invalid_scope',
        status: 400,
      },
      {
        name: 'scope not SMART',
        assertion: sign(),
        scope: 'patient/*.read',
        code: 'CW_ERR_SMART_BAD_SCOPE',
        error: 'invalid_scope',
        status: 400,
      },
    ];
    for (const c of cases) {
      const res = await requestToken(app, c.assertion, c.scope ?? 'system/*.read');
      await assertRefused(app, store, res, { status: c.status ?? 401, error: c.error ?? ic, code: c.code });
    }
    const grant = await requestToken(app, sign(), 'system/*.read', { grant_type: 'password' });
    await assertRefused(app, store, grant, {
      status: 400,
      error: 'unsupported_grant_type',
      code: 'CW_ERR_SMART_GRANT_TYPE',
    });

    const once = sign();
    const first = await requestToken(app, once);
    assert.equal(first.statusCode, 200, first.body);
    const replay = await requestToken(app, once);
    await assertRefused(app, store, replay, { status: 401, error: ic, code: 'CW_ERR_SMART_REPLAYED_JTI' });

    await disableClient(store, client.clientId, 'test-admin');
    const disabled = await requestToken(app, sign());
    await assertRefused(app, store, disabled, {
      status: 401,
      error: ic,
      code: 'CW_ERR_SMART_CLIENT_DISABLED',
    });

    const chain = await readAuditChain(store);
    const refused = chain.filter((r) => r.action === 'smart.token' && (r.after as Json)['refused']);
    assert.equal(refused.length, cases.length + 3, 'every refusal is in the audit log');
    const issued = chain.filter((r) => r.action === 'smart.token' && !(r.after as Json)['refused']);
    assert.equal(issued.length, 1);
    assert.equal(issued[0]!.actor, 'client:erp-sync');
    const text = JSON.stringify(chain);
    assert.equal(text.includes('cwa_'), false, 'no access token in the audit log');
    assert.equal(text.includes(once.split('.')[2]!), false, 'no assertion in the audit log');
  });

  test('two requests racing with one assertion: exactly one token', async (t) => {
    const { store } = await engine.freshStore({ migrated: true });
    const app = await smartApp(store);
    t.after(() => app.close());
    const client = await registerTestClient(store, { alg: 'RS384' });
    for (let round = 0; round < 3; round++) {
      const assertion = testAssertion(client, TOKEN_URL);
      const results = await Promise.all([1, 2, 3, 4].map(() => requestToken(app, assertion)));
      const codes = results.map((r) => r.statusCode).sort();
      assert.deepEqual(
        codes,
        [200, 401, 401, 401],
        `round ${round}: ${results.map((r) => r.body).join(' | ')}`,
      );
      for (const r of results.filter((x) => x.statusCode === 401)) {
        assert.equal((r.json() as Json)['code'], 'CW_ERR_SMART_REPLAYED_JTI');
      }
    }
    const [n] = await store.query('SELECT COUNT(*) AS n FROM smart_access_tokens');
    assert.equal(Number(n!['n']), 3);
  });

  test('scopes decide what a token reads and writes; expired and disabled tokens are refused', async (t) => {
    const { store } = await engine.freshStore({ migrated: true });
    const app = await smartApp(store);
    t.after(() => app.close());
    const client = await registerTestClient(store, {
      clientId: 'supply-feed',
      scopes: 'system/*.read system/SupplyDelivery.write',
    });
    const tokenRes = await requestToken(
      app,
      testAssertion(client, TOKEN_URL),
      'system/*.read system/SupplyDelivery.write',
    );
    assert.equal(tokenRes.statusCode, 200, tokenRes.body);
    const body = tokenRes.json() as Json;
    assert.equal(body['token_type'], 'bearer');
    assert.equal(body['expires_in'], 300);
    assert.equal(body['scope'], 'system/*.read system/SupplyDelivery.write');
    assert.equal(tokenRes.headers['cache-control'], 'no-store');
    const token = String(body['access_token']);
    assert.match(token, /^cwa_[0-9a-f]{16}_[0-9a-f]{64}$/);
    const [stored] = await store.query('SELECT secret_sha256 FROM smart_access_tokens');
    assert.equal(JSON.stringify(stored).includes(token.slice(21)), false, 'only the hash is stored');

    const auth = { authorization: `Bearer ${token}` };
    const created = await app.inject({
      method: 'POST',
      url: '/fhir/SupplyDelivery',
      headers: { ...FHIR, ...auth },
      payload: delivery,
    });
    assert.equal(created.statusCode, 201, created.body);
    const read = await app.inject({ url: '/fhir/SupplyDelivery?patient=Patient/p1', headers: auth });
    assert.equal(read.statusCode, 200, read.body);
    assert.equal((read.json() as Json)['total'], 1);

    const forbidden = await app.inject({
      method: 'POST',
      url: '/fhir/Practitioner',
      headers: { ...FHIR, ...auth },
      payload: patient('Okafor'),
    });
    assert.equal(forbidden.statusCode, 403, forbidden.body);
    assert.match(String(forbidden.headers['www-authenticate']), /insufficient_scope/);
    const outcome = forbidden.json() as Json;
    assert.equal(outcome['resourceType'], 'OperationOutcome');
    assert.equal((await lastRefusal(store))?.['refused'], 'CW_ERR_SMART_INSUFFICIENT_SCOPE');

    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: delivery, request: { method: 'POST', url: 'SupplyDelivery' } },
        { resource: patient('Adeyemi'), request: { method: 'POST', url: 'Practitioner' } },
      ],
    };
    const tx = await app.inject({
      method: 'POST',
      url: '/fhir',
      headers: { ...FHIR, ...auth },
      payload: bundle,
    });
    assert.equal(tx.statusCode, 403, 'a Bundle needs every entry covered');
    const okTx = await app.inject({
      method: 'POST',
      url: '/fhir',
      headers: { ...FHIR, ...auth },
      payload: { ...bundle, entry: [bundle.entry[0]] },
    });
    assert.equal(okTx.statusCode, 200, okTx.body);

    const principal = await principalFromSmartToken(store, token);
    assert.equal(principal?.kind, 'client');
    assert.equal(principal?.via, 'smart');
    assert.deepEqual(principal?.grants, [{ role: 'service', scope: '*' }]);
    assert.deepEqual([...(principal?.allowedActions ?? [])].sort(), ['fhir.read', 'fhir.write']);

    // A v2 scope token: read-only on Practitioner.
    const reader = await registerTestClient(store, {
      clientId: 'reader',
      scopes: 'system/Practitioner.rs',
      alg: 'ES256',
    });
    const readToken = await injectToken(app, reader, 'system/Practitioner.rs');
    const rauth = { authorization: `Bearer ${readToken}` };
    assert.equal((await app.inject({ url: '/fhir/Practitioner', headers: rauth })).statusCode, 200);
    assert.equal((await app.inject({ url: '/fhir/SupplyDelivery', headers: rauth })).statusCode, 403);
    const p = await principalFromSmartToken(store, readToken);
    assert.deepEqual([...(p?.allowedActions ?? [])], ['fhir.read']);

    await store.execute(
      "UPDATE smart_access_tokens SET expires_at = '2000-01-01T00:00:00.000Z' WHERE client_id = 'reader'",
    );
    const expired = await app.inject({ url: '/fhir/Practitioner', headers: rauth });
    assert.equal(expired.statusCode, 401);
    assert.match(String(expired.headers['www-authenticate']), /expired/);
    assert.equal(await principalFromSmartToken(store, readToken), null);

    await disableClient(store, client.clientId, 'test-admin');
    const afterDisable = await app.inject({ url: '/fhir/SupplyDelivery', headers: auth });
    assert.equal(afterDisable.statusCode, 401, 'a disabled client’s live tokens stop working');
  });

  test('a client acting with a role outside the FHIR actions gets a token but no access', async (t) => {
    const { store } = await engine.freshStore({ migrated: true });
    const app = await smartApp(store);
    t.after(() => app.close());
    const client: TestClient = await registerTestClient(store, { clientId: 'odd', roles: ['auditor'] });
    const token = await injectToken(app, client, 'system/*.read');
    const res = await app.inject({
      url: '/fhir/Practitioner',
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(res.statusCode, 403);
    assert.equal((await lastRefusal(store))?.['refused'], 'CW_ERR_SMART_ROLE_REFUSED');
  });

  test('another bearer credential (a user API token, resolved elsewhere) is held to the matrix', async (t) => {
    const { store } = await engine.freshStore({ migrated: true });
    const user = (subject: string, role: Role, actions: Action[] | null): Principal => ({
      kind: 'user',
      subject,
      via: 'token',
      credentialId: `t-${subject}`,
      grants: [{ role, scope: '*' }],
      allowedActions: actions ? new Set(actions) : null,
    });
    const users: Record<string, Principal> = {
      cwt_eng: user('eve', 'integration_engineer', null),
      cwt_fin: user('fin', 'finance', null),
      cwt_ro: user('rob', 'integration_engineer', ['fhir.read']),
    };
    const app = await smartApp(store, { fhirOtherBearer: async (b) => users[b] ?? null });
    t.after(() => app.close());
    const as = (token: string) => ({ authorization: `Bearer ${token}` });
    assert.equal((await app.inject({ url: '/fhir/Practitioner', headers: as('cwt_eng') })).statusCode, 200);
    const w = await app.inject({
      method: 'POST',
      url: '/fhir/Practitioner',
      headers: { ...FHIR, ...as('cwt_eng') },
      payload: patient('Eze'),
    });
    assert.equal(w.statusCode, 201, w.body);
    const fin = await app.inject({ url: '/fhir/Practitioner', headers: as('cwt_fin') });
    assert.equal(fin.statusCode, 403);
    assert.equal((await lastRefusal(store))?.['refused'], 'CW_ERR_SMART_ROLE_REFUSED');
    assert.equal((await readAuditChain(store, 1))[0]?.actor, 'fin');
    assert.equal((await app.inject({ url: '/fhir/Practitioner', headers: as('cwt_ro') })).statusCode, 200);
    const ro = await app.inject({
      method: 'POST',
      url: '/fhir/Practitioner',
      headers: { ...FHIR, ...as('cwt_ro') },
      payload: patient('Obi'),
    });
    assert.equal(ro.statusCode, 403, 'a token narrowed to fhir.read cannot write');
    assert.equal(
      (await app.inject({ url: '/fhir/Practitioner', headers: as('cwt_nobody') })).statusCode,
      401,
    );
  });

  test('a real API token of a person works on /fhir by default, held to the matrix and its action list', async (t) => {
    const { store } = await engine.freshStore({ migrated: true });
    const app = await smartApp(store);
    t.after(() => app.close());
    const eng = await userWithToken(store, 'ivy', ['integration_engineer']);
    const fin = await userWithToken(store, 'fay', ['finance']);
    const ro = await userWithToken(store, 'rea', ['integration_engineer'], { actions: ['fhir.read'] });
    assert.equal((await app.inject({ url: '/fhir/Practitioner', headers: eng.headers })).statusCode, 200);
    const [read] = await readAuditChain(store, 1);
    assert.deepEqual(
      [read?.actor, read?.action, read?.object, read?.after],
      ['ivy', 'fhir.read', 'fhir:GET /fhir/:type', { resourceTypes: ['Practitioner'] }],
      'a read of PHI is audited',
    );
    const w = await app.inject({
      method: 'POST',
      url: '/fhir/Practitioner',
      headers: { ...FHIR, ...eng.headers },
      payload: patient('Ada'),
    });
    assert.equal(w.statusCode, 201, w.body);
    assert.equal((await app.inject({ url: '/fhir/Practitioner', headers: fin.headers })).statusCode, 403);
    assert.equal((await readAuditChain(store, 1))[0]?.actor, 'fay');
    const narrowed = await app.inject({
      method: 'POST',
      url: '/fhir/Practitioner',
      headers: { ...FHIR, ...ro.headers },
      payload: patient('Ben'),
    });
    assert.equal(narrowed.statusCode, 403, 'a token narrowed to fhir.read cannot write');
    const forged = `${eng.token.slice(0, -4)}xxxx`;
    assert.equal(
      (await app.inject({ url: '/fhir/Practitioner', headers: { authorization: `Bearer ${forged}` } }))
        .statusCode,
      401,
    );
  });
});
