import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCrosswalkError } from '../errors/index.ts';
import { type ActiveGrant, checkBreakGlass, roleConflicts, samePerson } from './breakglass.ts';

const codeOf = (f: () => unknown): string => {
  try {
    return `ok ${String(f())}`;
  } catch (e) {
    return isCrosswalkError(e) ? e.code : `untyped: ${String(e)}`;
  }
};
const base = { user: 'ann', role: 'controller', reason: 'close', minutes: 30, maxMinutes: 60, held: [] };

describe('break-glass rules', () => {
  it('bounds the minutes, wants a reason and a person’s role', () => {
    assert.equal(
      codeOf(() => checkBreakGlass(base)),
      'ok controller',
    );
    assert.equal(
      codeOf(() => checkBreakGlass({ ...base, minutes: 60 })),
      'ok controller',
    );
    for (const minutes of [0, 61, 1.5, Number.NaN]) {
      assert.equal(
        codeOf(() => checkBreakGlass({ ...base, minutes })),
        'CW_ERR_BREAKGLASS_TOO_LONG',
        String(minutes),
      );
    }
    assert.equal(
      codeOf(() => checkBreakGlass({ ...base, reason: ' \n' })),
      'CW_ERR_BREAKGLASS_NO_REASON',
    );
    assert.equal(
      codeOf(() => checkBreakGlass({ ...base, role: 'root' })),
      'CW_ERR_BREAKGLASS_BAD_ROLE',
    );
    assert.equal(
      codeOf(() => checkBreakGlass({ ...base, role: 'service' })),
      'CW_ERR_BREAKGLASS_BAD_ROLE',
    );
  });

  it('never joins security administration and business work', () => {
    assert.equal(
      codeOf(() => checkBreakGlass({ ...base, held: ['security_admin'] })),
      'CW_ERR_BREAKGLASS_SOD',
    );
    assert.equal(
      codeOf(() => checkBreakGlass({ ...base, role: 'security_admin', held: ['finance'] })),
      'CW_ERR_BREAKGLASS_SOD',
    );
    assert.equal(
      codeOf(() => checkBreakGlass({ ...base, role: 'auditor', held: ['security_admin'] })),
      'ok auditor',
    );
  });

  it('finds users holding security_admin with a business role, whatever the grant kind', () => {
    const g = (
      grantId: string,
      user: string,
      role: ActiveGrant['role'],
      kind: ActiveGrant['kind'] = 'standing',
    ) => ({
      grantId,
      user,
      role,
      kind,
    });
    const conflicts = roleConflicts([
      g('1', 'sam', 'security_admin'),
      g('2', 'sam', 'auditor'),
      g('3', 'ann', 'finance'),
      g('4', 'bo', 'security_admin'),
      g('5', 'bo', 'controller', 'break_glass'),
    ]);
    assert.deepEqual(
      conflicts.map((c) => [c.person, c.detail]),
      [['bo', 'holds security_admin (grant 4) and controller (grant 5, break-glass)']],
    );
    assert.equal(samePerson(' Ann', 'ann '), true);
    assert.equal(samePerson('ann', 'anne'), false);
  });
});
