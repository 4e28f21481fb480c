/**
 * Break-glass access and the segregation-of-duties report: the rules, without I/O.
 *
 * Invariants:
 * - Break glass is personal, reasoned and short: the acting user takes one role for 1..max minutes,
 *   with a reason, and someone else reviews it afterwards.
 * - It never joins security administration and business work in one person (access.ts's invariant):
 *   a security_admin cannot break glass into a business role, nor a business-role holder into
 *   security_admin. `service` is a system client's role, not a person's.
 * - People are compared as the database's own checks compare them: trimmed and case-folded, so
 *   "Ann " approving what "ann" wrote is the same person.
 */
import { CrosswalkError } from '../errors/index.ts';
import { BUSINESS_ROLES, isRole, type Role } from './access.ts';

export const samePerson = (a: string, b: string): boolean =>
  a.trim().toLowerCase() === b.trim().toLowerCase();

export interface BreakGlassRequest {
  readonly user: string;
  readonly role: string;
  readonly reason: string;
  readonly minutes: number;
  readonly maxMinutes: number;
  /** The roles the user holds now (active grants). */
  readonly held: readonly Role[];
}

/** Throws the refusal's CrosswalkError, or returns the role to grant. */
export function checkBreakGlass(r: BreakGlassRequest): Role {
  if (r.reason.trim() === '') throw new CrosswalkError('CW_ERR_BREAKGLASS_NO_REASON');
  if (!Number.isInteger(r.minutes) || r.minutes < 1 || r.minutes > r.maxMinutes) {
    throw new CrosswalkError('CW_ERR_BREAKGLASS_TOO_LONG', { max: r.maxMinutes, minutes: String(r.minutes) });
  }
  if (!isRole(r.role)) {
    throw new CrosswalkError('CW_ERR_BREAKGLASS_BAD_ROLE', {
      role: r.role.slice(0, 40),
      reason: 'no such role',
    });
  }
  if (r.role === 'service') {
    throw new CrosswalkError('CW_ERR_BREAKGLASS_BAD_ROLE', {
      role: r.role,
      reason: 'it is the role of system clients, not of people',
    });
  }
  const business = (role: Role) => BUSINESS_ROLES.includes(role);
  const clash =
    (business(r.role) && r.held.includes('security_admin')) ||
    (r.role === 'security_admin' && r.held.some(business));
  if (clash) {
    throw new CrosswalkError('CW_ERR_BREAKGLASS_SOD', {
      user: r.user,
      held: [...new Set(r.held)].sort().join(', '),
      role: r.role,
    });
  }
  return r.role;
}

// --- the segregation-of-duties report ------------------------------------------------------------------

export type ConflictKind =
  | 'security_admin_with_business_role'
  | 'break_glass_unreviewed'
  | 'release_authored_and_approved'
  | 'revision_edited_and_approved'
  | 'journal_prepared_and_approved'
  | 'adjustment_prepared_and_approved';

export interface SodConflict {
  readonly kind: ConflictKind;
  readonly person: string;
  /** What it is about: `user:ann`, `release:3f2a…`, `role_grant:12` … */
  readonly object: string;
  readonly detail: string;
}

export interface ActiveGrant {
  readonly grantId: string;
  readonly user: string;
  readonly role: Role;
  readonly kind: 'standing' | 'break_glass';
}

/** Users whose active grants join security_admin with a business role. */
export function roleConflicts(grants: readonly ActiveGrant[]): SodConflict[] {
  const byUser = new Map<string, ActiveGrant[]>();
  for (const g of grants) byUser.set(g.user, [...(byUser.get(g.user) ?? []), g]);
  const out: SodConflict[] = [];
  for (const [user, gs] of [...byUser].sort(([a], [b]) => a.localeCompare(b))) {
    const admin = gs.filter((g) => g.role === 'security_admin');
    const business = gs.filter((g) => BUSINESS_ROLES.includes(g.role));
    if (admin.length === 0 || business.length === 0) continue;
    const show = (g: ActiveGrant) =>
      `${g.role} (grant ${g.grantId}${g.kind === 'break_glass' ? ', break-glass' : ''})`;
    out.push({
      kind: 'security_admin_with_business_role',
      person: user,
      object: `user:${user}`,
      detail: `holds ${[...admin, ...business].map(show).join(' and ')}`,
    });
  }
  return out;
}
