/**
 * The authorisation matrix, observed: for every action × every role, a real user holding only that role
 * and a real API token tries the action through its real route (app.inject) or, for actions only the
 * CLI takes, through the CLI's gate (`actingAs`); what happens must equal the matrix. Then the
 * credentials that must fail (none, malformed, unknown, wrong secret, expired, revoked, disabled user),
 * each refusal audited without the secret; scope; the conflict rule; sessions. Both engines.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { actingAs } from '../cli/acting.ts';
import { isCrosswalkError } from '../errors/index.ts';
import { ACTIONS, type Action, hashPassword, MATRIX, ROLES, type Role } from '../governance/index.ts';
import { createLogger, Metrics } from '../observe/index.ts';
import { readAuditChain } from '../store/audit-repository.ts';
import { disableUser, revokeToken } from '../store/identity-repository.ts';
import type { Store } from '../store/index.ts';
import { eachEngine } from '../store/test-engines.ts';
import { userWithToken } from '../store/test-identities.ts';
import { buildApp } from './app.ts';
import { installAuth } from './auth.ts';

type Probe = { method: 'GET' | 'POST'; url: string; payload?: object };

/** One real request per action that has a route. A 401/403 is a refusal; anything else got past the gate. */
const ROUTES: Partial<Record<Action, Probe>> = {
  'system.read': { method: 'GET', url: '/api/system' },
  'messages.read': { method: 'GET', url: '/api/messages' },
  'messages.read_phi': { method: 'GET', url: '/api/messages/1' },
  'exceptions.read': { method: 'GET', url: '/api/exceptions' },
  'exceptions.work': { method: 'POST', url: '/api/exceptions/1/comments', payload: { text: 'x' } },
  'exceptions.replay': { method: 'POST', url: '/api/exceptions/replay', payload: { all: true } },
  'exceptions.edit': { method: 'POST', url: '/api/exceptions/1/replay', payload: { edits: ['FT1-10=2'] } },
  'exceptions.approve_edit': { method: 'POST', url: '/api/exceptions/1/approve', payload: {} },
  'outbox.read': { method: 'GET', url: '/api/outbox/destinations' },
  'outbox.operate': { method: 'POST', url: '/api/outbox/destinations/nope/pause', payload: {} },
};

async function gateAllows(store: Store, token: string, action: Action, target?: { entity: string }) {
  const before = process.env['CROSSWALK_TOKEN'];
  process.env['CROSSWALK_TOKEN'] = token;
  try {
    await actingAs(store, {}, action, target);
    return { allowed: true, message: '' };
  } catch (e) {
    if (isCrosswalkError(e) && ['CW_ERR_AUTH_FORBIDDEN', 'CW_ERR_AUTH_INVALID'].includes(e.code))
      return { allowed: false, message: e.message };
    throw e;
  } finally {
    if (before === undefined) delete process.env['CROSSWALK_TOKEN'];
    else process.env['CROSSWALK_TOKEN'] = before;
  }
}

const refusals = async (store: Store) =>
  (await readAuditChain(store)).filter((r) => r.action === 'auth.refused');

eachEngine('the authorisation matrix, enforced', (engine) => {
  test('every action × every role: observed equals the matrix', async () => {
    const { store } = await engine.freshStore({ migrated: true });
    const app = await buildApp({
      store,
      logger: createLogger('silent'),
      metrics: new Metrics({ defaultMetrics: false }),
      version: 't',
    });
    try {
      const tokens = new Map<Role, string>();
      for (const role of ROLES) tokens.set(role, (await userWithToken(store, `u.${role}`, [role])).token);
      let viaRoute = 0;
      let viaGate = 0;
      const wrong: string[] = [];
      for (const action of ACTIONS) {
        for (const role of ROLES) {
          const expected = (MATRIX[action].roles as readonly Role[]).includes(role);
          const token = tokens.get(role)!;
          const probe = ROUTES[action];
          let allowed: boolean;
          if (probe) {
            const r = await app.inject({
              method: probe.method,
              url: probe.url,
              headers: { authorization: `Bearer ${token}` },
              ...(probe.payload ? { payload: probe.payload } : {}),
            });
            assert.notEqual(r.statusCode, 401, `${action} as ${role}: the token is valid (${r.body})`);
            allowed = r.statusCode !== 403;
            if (!allowed) assert.equal(r.json().code, 'CW_ERR_AUTH_FORBIDDEN', r.body);
            viaRoute++;
          } else {
            allowed = (await gateAllows(store, token, action)).allowed;
            viaGate++;
          }
          if (allowed !== expected) wrong.push(`${action} × ${role}: ${allowed ? 'allowed' : 'refused'}`);
        }
      }
      assert.deepEqual(wrong, [], 'every cell as the matrix says');
      assert.equal(viaRoute + viaGate, ACTIONS.length * ROLES.length);
      console.log(
        `# matrix [${engine.dialect}]: ${viaRoute + viaGate} cells tried (${ACTIONS.length} actions × ${ROLES.length} roles; ${viaRoute} through routes, ${viaGate} through the CLI gate)`,
      );
      const refused = await refusals(store);
      const expectedRefusals = ACTIONS.reduce(
        (n, a) => n + ROLES.filter((r) => !(MATRIX[a].roles as readonly Role[]).includes(r)).length,
        0,
      );
      assert.equal(refused.length, expectedRefusals, 'each refusal is in the audit log');
      const phiReads = (await readAuditChain(store)).filter((r) => r.action === 'messages.read_phi');
      assert.equal(phiReads.length, MATRIX['messages.read_phi'].roles.length, 'each PHI read is audited');
    } finally {
      await app.close();
    }
  });

  test('credentials that must fail do, each refusal audited without the secret', async () => {
    const { store } = await engine.freshStore({ migrated: true });
    const app = await buildApp({
      store,
      logger: createLogger('silent'),
      metrics: new Metrics({ defaultMetrics: false }),
      version: 't',
    });
    try {
      const good = await userWithToken(store, 'ivy', ['integration_engineer']);
      const expired = await userWithToken(store, 'old', ['integration_engineer'], {
        expiresAt: new Date(Date.now() - 1000).toISOString(),
      });
      const revoked = await userWithToken(store, 'rev', ['integration_engineer']);
      await revokeToken(store, revoked.tokenId, 'sec', new Date().toISOString());
      const disabled = await userWithToken(store, 'gone', ['integration_engineer']);
      await disableUser(store, 'gone', 'sec', new Date().toISOString());
      const wrongSecret = `${good.token.slice(0, 17)}${'A'.repeat(43)}`;
      const get = (authorization?: string) =>
        app.inject({ url: '/api/system', ...(authorization ? { headers: { authorization } } : {}) });

      assert.equal((await get(`Bearer ${good.token}`)).statusCode, 200);
      const cases: [string, string | undefined, string, RegExp][] = [
        ['no credential', undefined, 'CW_ERR_AUTH_REQUIRED', /authentication required/],
        ['not bearer', `Basic ${Buffer.from('a:b').toString('base64')}`, 'CW_ERR_AUTH_INVALID', /Bearer/],
        ['malformed', 'Bearer cwt_nonsense', 'CW_ERR_AUTH_INVALID', /malformed/],
        ['unknown prefix', 'Bearer xyz_123', 'CW_ERR_AUTH_INVALID', /malformed/],
        ['wrong secret', `Bearer ${wrongSecret}`, 'CW_ERR_AUTH_INVALID', /unknown/],
        ['expired', `Bearer ${expired.token}`, 'CW_ERR_AUTH_INVALID', /expired/],
        ['revoked', `Bearer ${revoked.token}`, 'CW_ERR_AUTH_INVALID', /revoked/],
        ['disabled user', `Bearer ${disabled.token}`, 'CW_ERR_AUTH_INVALID', /disabled/],
      ];
      for (const [what, auth, code, message] of cases) {
        const r = await get(auth);
        assert.equal(r.statusCode, 401, `${what}: ${r.body}`);
        assert.equal(r.json().code, code, what);
        assert.match(r.json().message, message, what);
      }
      const refused = await refusals(store);
      assert.equal(refused.length, cases.length, 'one audit record per refusal');
      assert.deepEqual(
        refused.map((r) => r.actor),
        ['anonymous', 'anonymous', 'anonymous', 'anonymous', 'anonymous', 'old', 'rev', 'gone'],
      );
      assert.equal(
        refused.every((r) => r.object === 'GET /api/system'),
        true,
        'the object is the route template',
      );
      const log = JSON.stringify(await readAuditChain(store));
      for (const t of [good.token, expired.token, revoked.token, disabled.token, wrongSecret])
        assert.equal(log.includes(t.slice(17)), false, 'no secret in the audit log');

      // The same through the CLI gate.
      const viaGate = await gateAllows(store, revoked.token, 'system.read');
      assert.deepEqual(viaGate, {
        allowed: false,
        message: 'the credential is not valid: the token has been revoked',
      });
      assert.equal((await refusals(store)).length, cases.length + 1);

      // A token narrowed to some actions may do only those.
      const narrow = await userWithToken(store, 'ivy', [], { actions: ['messages.read'] });
      assert.equal((await app.inject({ url: '/api/messages', headers: narrow.headers })).statusCode, 200);
      const r = await app.inject({ url: '/api/system', headers: narrow.headers });
      assert.equal(r.statusCode, 403);
      assert.match(r.json().message, /not scoped for system.read/);
    } finally {
      await app.close();
    }
  });

  test('scope: a controller of entity:HRMC cannot close WCCH; conflicting grants refuse business actions', async () => {
    const { store } = await engine.freshStore({ migrated: true });
    const hrmc = await userWithToken(store, 'carl', [{ role: 'controller', scope: 'entity:HRMC' }]);
    assert.equal((await gateAllows(store, hrmc.token, 'ledger.close', { entity: 'HRMC' })).allowed, true);
    const wcch = await gateAllows(store, hrmc.token, 'ledger.close', { entity: 'WCCH' });
    assert.equal(wcch.allowed, false);
    assert.match(wcch.message, /ledger.close on entity WCCH is outside the scope/);

    // Written straight into the database, around the grant rules.
    const at = new Date().toISOString();
    await store.execute(
      'INSERT INTO users (name, password_hash, created_at, created_by) VALUES (?, ?, ?, ?)',
      ['mixed', hashPassword('twelve chars!'), at, 'sql'],
    );
    for (const role of ['security_admin', 'controller'])
      await store.execute(
        'INSERT INTO role_grants (user_name, role, scope, granted_by, granted_at) VALUES (?, ?, ?, ?, ?)',
        ['mixed', role, '*', 'sql', at],
      );
    const mixed = await userWithToken(store, 'mixed', []);
    const close = await gateAllows(store, mixed.token, 'ledger.close', { entity: 'HRMC' });
    assert.equal(close.allowed, false);
    assert.match(close.message, /conflicting roles \(security_admin together with controller\)/);
    const app = await buildApp({
      store,
      logger: createLogger('silent'),
      metrics: new Metrics({ defaultMetrics: false }),
      version: 't',
    });
    try {
      const r = await app.inject({ url: '/api/exceptions', headers: mixed.headers });
      assert.equal(r.statusCode, 403);
      assert.match(r.json().message, /conflicting roles/);
    } finally {
      await app.close();
    }
  });

  test('sessions: sign in, use the cookie, sign out; failures audited; a route without an action stops startup', async () => {
    const { store } = await engine.freshStore({ migrated: true });
    await userWithToken(store, 'ada', ['auditor'], { password: 'a long passphrase' });
    const app = await buildApp({
      store,
      logger: createLogger('silent'),
      metrics: new Metrics({ defaultMetrics: false }),
      version: 't',
      sessionIdleTimeoutMs: 60_000,
    });
    try {
      const bad = await app.inject({
        method: 'POST',
        url: '/api/session',
        payload: { user: 'ada', password: 'not the one!' },
      });
      assert.equal(bad.statusCode, 401);
      assert.equal(bad.json().code, 'CW_ERR_AUTH_SIGN_IN');
      const ok = await app.inject({
        method: 'POST',
        url: '/api/session',
        payload: { user: 'ada', password: 'a long passphrase' },
      });
      assert.equal(ok.statusCode, 200, ok.body);
      const setCookie = String(ok.headers['set-cookie']);
      assert.match(
        setCookie,
        /^crosswalk_session=cws_[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=28800/,
      );
      const cookie = setCookie.split(';')[0]!;
      assert.equal((await app.inject({ url: '/api/system', headers: { cookie } })).statusCode, 200);
      const phi = await app.inject({ url: '/api/messages/1', headers: { cookie } });
      assert.equal(phi.statusCode, 403, 'an auditor reads no PHI');
      assert.equal(
        (await app.inject({ method: 'DELETE', url: '/api/session', headers: { cookie } })).statusCode,
        204,
      );
      const after = await app.inject({ url: '/api/system', headers: { cookie } });
      assert.equal(after.statusCode, 401);
      assert.match(after.json().message, /session has ended/);
      const actions = (await readAuditChain(store)).map((r) => `${r.actor} ${r.action}`);
      assert.deepEqual(actions, [
        'ada auth.sign_in_failed',
        'ada auth.sign_in',
        'ada auth.refused',
        'ada auth.sign_out',
        'ada auth.refused',
      ]);
      const bare = Fastify();
      installAuth(bare, { store, sessionIdleTimeoutMs: 1, sessionMaxAgeMs: 1 });
      assert.throws(() => bare.get('/api/forgotten', async () => 'x'), /declares no action/);
      assert.throws(
        () => bare.get('/api/unknown', { config: { action: 'ledger.burn' as never } }, async () => 'x'),
        /not in the matrix/,
      );
      bare.get('/fhir/Patient', async () => 'left to the SMART resolver');
      await bare.close();
    } finally {
      await app.close();
    }
  });
});
