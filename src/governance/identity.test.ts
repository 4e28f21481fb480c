import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Grant, Principal } from './access.ts';
import {
  decide,
  grantConflict,
  grantProblem,
  hashPassword,
  isActiveGrant,
  issueSessionId,
  issueToken,
  parseActionList,
  parseSessionId,
  parseToken,
  passwordProblem,
  revokeProblem,
  sha256Hex,
  verifyPassword,
} from './identity.ts';

const principal = (grants: Grant[]): Principal => ({
  kind: 'user',
  subject: 'pat',
  via: 'token',
  credentialId: 't1',
  grants,
  allowedActions: null,
});

test('a password hash verifies its own password only, and carries its parameters', () => {
  const h = hashPassword('correct horse battery');
  assert.match(h, /^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  assert.equal(verifyPassword('correct horse battery', h), true);
  assert.equal(verifyPassword('correct horse batterY', h), false);
  assert.notEqual(hashPassword('correct horse battery'), h, 'a fresh salt each time');
  for (const bad of [null, '', 'plain', 'scrypt$1$2$3', 'bcrypt$x$y$z$a$b', h.replace(/\$8\$/, '$x$')])
    assert.equal(verifyPassword('correct horse battery', bad), false, `refuses ${bad}`);
});

test('passwords shorter than twelve characters are refused', () => {
  assert.match(passwordProblem('elevenchars') ?? '', /at least 12/);
  assert.equal(passwordProblem('twelve chars'), null);
});

test('a token parses back to its id and the hash of its secret; the secret itself is not kept', () => {
  const t = issueToken();
  assert.match(t.token, /^cwt_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
  assert.deepEqual(parseToken(t.token), { id: t.id, secretSha256: t.secretSha256 });
  assert.equal(t.secretSha256.length, 64);
  assert.equal(t.token.includes(t.secretSha256), false);
  for (const bad of ['', 'cwt_', `cwt_${t.id}`, t.token.slice(0, -1), `x${t.token}`, `${t.token}x`])
    assert.equal(parseToken(bad), null, `malformed: ${bad}`);
  const s = issueSessionId();
  assert.deepEqual(parseSessionId(s.id), { idSha256: sha256Hex(s.id) });
  assert.equal(parseSessionId('cws_short'), null);
});

test('grant rules: known roles and scopes, never for oneself, security_admin apart from business roles', () => {
  const ok = { by: 'sec', user: 'ana', role: 'controller', scope: 'entity:HRMC' };
  assert.equal(grantProblem(ok, []), null);
  assert.match(grantProblem({ ...ok, role: 'king' }, []) ?? '', /not a role/);
  assert.match(grantProblem({ ...ok, scope: 'planet:mars' }, []) ?? '', /not a scope/);
  assert.match(grantProblem({ ...ok, by: 'ana' }, []) ?? '', /themself/);
  assert.match(
    grantProblem({ ...ok, role: 'security_admin', scope: '*' }, [{ role: 'finance', scope: '*' }]) ?? '',
    /holds business roles \(finance\)/,
  );
  assert.match(grantProblem(ok, [{ role: 'security_admin', scope: '*' }]) ?? '', /no business role/);
  assert.equal(grantProblem({ ...ok, role: 'auditor' }, [{ role: 'security_admin', scope: '*' }]), null);
  assert.match(grantProblem(ok, [{ role: 'controller', scope: 'entity:HRMC' }]) ?? '', /already holds/);
  assert.match(revokeProblem('ana', 'ana') ?? '', /own roles/);
  assert.equal(revokeProblem('sec', 'ana'), null);
});

test('conflicting grants refuse every business action and name the conflict; security work stays', () => {
  const p = principal([
    { role: 'security_admin', scope: '*' },
    { role: 'controller', scope: '*' },
  ]);
  assert.equal(grantConflict(p.grants), 'security_admin together with controller');
  const close = decide(p, 'ledger.close', { entity: 'HRMC' });
  assert.equal(close.allowed, false);
  assert.match(
    close.allowed ? '' : close.reason,
    /conflicting roles \(security_admin together with controller\)/,
  );
  assert.equal(decide(p, 'system.read').allowed, false, 'system.read is business work too');
  assert.equal(decide(p, 'users.manage').allowed, true, 'security administration is not business work');
  assert.equal(decide(principal([{ role: 'controller', scope: '*' }]), 'ledger.close').allowed, true);
});

test('a grant is active until ended or expired', () => {
  const now = new Date('2026-11-25T12:00:00Z');
  assert.equal(isActiveGrant({ ended: false, expiresAt: null }, now), true);
  assert.equal(isActiveGrant({ ended: true, expiresAt: null }, now), false);
  assert.equal(isActiveGrant({ ended: false, expiresAt: '2026-11-25T12:00:01Z' }, now), true);
  assert.equal(isActiveGrant({ ended: false, expiresAt: '2026-11-25T12:00:00Z' }, now), false);
});

test('an action list names only matrix actions', () => {
  assert.deepEqual(parseActionList('ledger.read, ledger.read,exceptions.read'), {
    actions: ['ledger.read', 'exceptions.read'],
  });
  assert.deepEqual(parseActionList('ledger.read,ledger.burn'), { problem: 'not actions: ledger.burn' });
  assert.deepEqual(parseActionList(' , '), { problem: 'the action list is empty' });
});
