import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashPassword, issueSessionId, issueToken } from '../governance/index.ts';
import {
  activeGrants,
  activeSecurityAdmins,
  createSession,
  createToken,
  createUser,
  disableUser,
  endGrant,
  endSession,
  findUser,
  grantHistory,
  insertGrant,
  listTokens,
  resolveSession,
  resolveToken,
  revokeToken,
} from './identity-repository.ts';
import { eachEngine } from './test-engines.ts';

const T0 = new Date('2026-11-25T10:00:00.000Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

eachEngine('identity repository', (engine) => {
  test('users, append-only grants with ends and expiry, tokens and sessions', async () => {
    const { store } = await engine.freshStore({ migrated: true });
    const iso = T0.toISOString();
    await store.transaction(async (tx) => {
      await createUser(tx, {
        name: 'sec',
        passwordHash: hashPassword('a long password'),
        at: iso,
        by: 'host',
      });
      await createUser(tx, { name: 'ana', displayName: 'Ana', passwordHash: null, at: iso, by: 'sec' });
    });
    assert.equal((await findUser(store, 'ana'))?.displayName, 'Ana');
    assert.equal(await findUser(store, 'nobody'), null);

    await insertGrant(store, {
      user: 'sec',
      role: 'security_admin',
      scope: '*',
      by: 'host',
      at: iso,
    });
    const g1 = await insertGrant(store, {
      user: 'ana',
      role: 'controller',
      scope: 'entity:HRMC',
      by: 'sec',
      at: iso,
    });
    await insertGrant(store, {
      user: 'ana',
      role: 'finance',
      scope: '*',
      by: 'sec',
      at: iso,
      kind: 'break_glass',
      reason: 'month-end',
      expiresAt: at(30).toISOString(),
    });
    assert.deepEqual(
      (await activeGrants(store, 'ana', at(10))).map((g) => g.role),
      ['controller', 'finance'],
    );
    assert.deepEqual(
      (await activeGrants(store, 'ana', at(31))).map((g) => g.role),
      ['controller'],
      'an expired break-glass grant is not active',
    );
    assert.equal(await endGrant(store, g1, 'sec', at(1).toISOString(), 'moved'), true);
    assert.equal(await endGrant(store, g1, 'sec', at(2).toISOString()), false, 'ended once only');
    assert.deepEqual((await activeGrants(store, 'ana', at(31))).length, 0);
    assert.equal((await grantHistory(store, 'ana'))[0]?.endedBy, 'sec', 'history keeps the ended grant');
    await assert.rejects(
      store.execute('UPDATE role_grants SET role = ? WHERE id = ?', ['auditor', g1]),
      'role_grants is append-only',
    );
    await assert.rejects(store.execute('DELETE FROM role_grant_ends'), 'role_grant_ends is append-only');
    assert.deepEqual(await activeSecurityAdmins(store, at(1)), ['sec']);

    // tokens
    const t = issueToken();
    await createToken(store, {
      id: t.id,
      user: 'ana',
      secretSha256: t.secretSha256,
      actions: ['ledger.read'],
      at: iso,
      by: 'ana',
      expiresAt: at(60).toISOString(),
    });
    const ok = await resolveToken(store, t.token, at(5));
    assert.equal(ok.principal?.subject, 'ana');
    assert.deepEqual([...(ok.principal?.allowedActions ?? [])], ['ledger.read']);
    assert.equal((await listTokens(store, 'ana'))[0]?.lastUsedAt, at(5).toISOString(), 'use is recorded');
    const raw = await store.query('SELECT * FROM api_tokens');
    assert.equal(JSON.stringify(raw).includes(t.token.slice(17)), false, 'the secret is not stored');
    assert.equal((await resolveToken(store, t.token, at(60))).problem, 'the token has expired');
    assert.equal(
      (await resolveToken(store, `${t.token.slice(0, -2)}xx`, at(5))).problem,
      'the token is unknown',
    );
    assert.equal((await resolveToken(store, 'cwt_nonsense', at(5))).problem, 'the token is malformed');
    assert.equal(await revokeToken(store, t.id, 'sec', at(6).toISOString()), true);
    assert.equal((await resolveToken(store, t.token, at(7))).problem, 'the token has been revoked');

    // sessions: idle timeout, absolute expiry, end, disabled user
    const s = issueSessionId();
    await createSession(store, {
      idSha256: s.idSha256,
      user: 'sec',
      at: iso,
      expiresAt: at(120).toISOString(),
    });
    const idle = 15 * 60_000;
    assert.equal((await resolveSession(store, s.id, at(10), idle)).principal?.subject, 'sec');
    assert.equal(
      (await resolveSession(store, s.id, at(24), idle)).principal?.subject,
      'sec',
      'last_seen_at moved at minute 10',
    );
    assert.equal((await resolveSession(store, s.id, at(40), idle)).problem, 'the session was idle too long');
    const s2 = issueSessionId();
    await createSession(store, {
      idSha256: s2.idSha256,
      user: 'sec',
      at: iso,
      expiresAt: at(20).toISOString(),
    });
    assert.equal((await resolveSession(store, s2.id, at(20), idle)).problem, 'the session has expired');
    const s3 = issueSessionId();
    await createSession(store, {
      idSha256: s3.idSha256,
      user: 'sec',
      at: iso,
      expiresAt: at(120).toISOString(),
    });
    assert.equal(await endSession(store, s3.idSha256, at(1).toISOString()), true);
    assert.equal((await resolveSession(store, s3.id, at(2), idle)).problem, 'the session has ended');
    const s4 = issueSessionId();
    await createSession(store, {
      idSha256: s4.idSha256,
      user: 'sec',
      at: iso,
      expiresAt: at(120).toISOString(),
    });
    assert.equal(await disableUser(store, 'sec', 'other', at(1).toISOString()), true);
    assert.equal((await resolveSession(store, s4.id, at(2), idle)).problem, 'the user is disabled');
    assert.deepEqual(await activeSecurityAdmins(store, at(2)), [], 'a disabled admin does not count');
  });
});
