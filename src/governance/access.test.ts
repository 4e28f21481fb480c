import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ACTIONS,
  type Action,
  authorize,
  BUSINESS_ROLES,
  entitiesInScope,
  type Grant,
  MATRIX,
  type Principal,
  ROLES,
} from './access.ts';

const who = (grants: Grant[], allowedActions: Action[] | null = null): Principal => ({
  kind: 'user',
  subject: 'u',
  via: 'token',
  credentialId: 't1',
  grants,
  allowedActions: allowedActions ? new Set(allowedActions) : null,
});

describe('authorisation matrix', () => {
  it('every action names at least one role, and only known roles', () => {
    for (const a of ACTIONS) {
      const roles: readonly string[] = MATRIX[a].roles;
      assert.notEqual(roles.length, 0, a);
      for (const r of roles) assert.equal((ROLES as readonly string[]).includes(r), true, `${a}: ${r}`);
    }
  });

  it('security_admin is given no business action, and business roles none of user administration', () => {
    for (const a of ACTIONS) {
      const roles: readonly string[] = MATRIX[a].roles;
      if (roles.includes('security_admin')) {
        assert.equal(
          a.startsWith('system.') ||
            a.startsWith('audit.') ||
            ['users.manage', 'roles.grant', 'sod.report', 'breakglass.review', 'breakglass.open'].includes(a),
          true,
          a,
        );
      }
      if (a === 'users.manage' || a === 'roles.grant') {
        for (const r of BUSINESS_ROLES) assert.equal(roles.includes(r), false, `${a}: ${r}`);
      }
    }
  });

  it('the auditor reads and never changes', () => {
    const writes = ACTIONS.filter((a) => (MATRIX[a].roles as readonly string[]).includes('auditor'));
    for (const a of writes) {
      assert.match(a, /\.(read|run|seal|checkpoint|report|review)$/, a);
    }
  });

  it('allows a role the action lists and refuses others, naming the roles needed', () => {
    const d = authorize(who([{ role: 'controller', scope: '*' }]), 'ledger.close', { entity: 'HRMC' });
    assert.equal(d.allowed, true);
    const n = authorize(who([{ role: 'supply_chain', scope: '*' }]), 'ledger.close', { entity: 'HRMC' });
    assert.equal(n.allowed, false);
    assert.match(n.allowed ? '' : n.reason, /needs one of the roles controller/);
  });

  it('limits scoped actions to the grant scope, and ignores scope on unscoped ones', () => {
    const p = who([{ role: 'controller', scope: 'entity:HRMC' }]);
    assert.equal(authorize(p, 'ledger.close', { entity: 'HRMC' }).allowed, true);
    const other = authorize(p, 'ledger.close', { entity: 'WCCH' });
    assert.equal(other.allowed, false);
    assert.match(other.allowed ? '' : other.reason, /entity WCCH is outside the scope/);
    assert.equal(authorize(p, 'release.approve', { entity: 'WCCH' }).allowed, true);
    assert.deepEqual([...(entitiesInScope(p, 'ledger.read') ?? [])], ['HRMC']);
    assert.equal(entitiesInScope(who([{ role: 'auditor', scope: '*' }]), 'ledger.read'), null);
  });

  it('a token narrows what its user may do, and unknown actions are refused', () => {
    const p = who([{ role: 'integration_engineer', scope: '*' }], ['messages.read']);
    assert.equal(authorize(p, 'messages.read').allowed, true);
    const n = authorize(p, 'outbox.operate');
    assert.equal(n.allowed, false);
    assert.match(n.allowed ? '' : n.reason, /not scoped for outbox.operate/);
    assert.equal(authorize(p, 'launch.missiles').allowed, false);
  });
});
