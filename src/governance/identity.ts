/**
 * Credentials and the rules on who may hold what (issue 6). Pure: randomness and the clock are
 * passed in or come from node:crypto, nothing is stored here.
 *
 * Invariants:
 * - Passwords are kept only as scrypt hashes `scrypt$N$r$p$salt$hash` (salt and hash base64url); the
 *   parameters travel with the hash, so raising N later leaves old hashes verifiable. Comparison is
 *   constant-time. There is never a default password; a password is at least PASSWORD_MIN_LENGTH long.
 * - An API token is `cwt_<id>_<secret>`; only the SHA-256 of the secret is stored, so a database read
 *   does not yield a usable token. A session id is `cws_<secret>`, stored the same way.
 * - Security administration and business work never meet in one person: a security_admin holds no
 *   business role, and nobody grants or revokes for themself. A principal whose active grants break that
 *   (rows written around the rules) is refused every business action, and the refusal names why.
 */
import { createHash, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import {
  type Action,
  authorize,
  BUSINESS_ROLES,
  type Decision,
  type Grant,
  isAction,
  isRole,
  isScope,
  MATRIX,
  type Principal,
  ROLES,
  type Role,
  type Target,
} from './access.ts';

export const PASSWORD_MIN_LENGTH = 12;

/** scrypt cost: 2^15 with r=8 takes ~32 MiB and tens of milliseconds, the OWASP floor for scrypt. */
const SCRYPT = { N: 1 << 15, r: 8, p: 1, keyLength: 32 } as const;
const maxmem = (N: number, r: number) => 128 * N * r * 2;

/** Why a new password is refused, or null when it is acceptable. */
export function passwordProblem(password: string): string | null {
  if ([...password].length < PASSWORD_MIN_LENGTH)
    return `a password needs at least ${PASSWORD_MIN_LENGTH} characters`;
  return null;
}

export function hashPassword(password: string, salt: Uint8Array = randomBytes(16)): string {
  const { N, r, p, keyLength } = SCRYPT;
  const hash = scryptSync(password, salt, keyLength, { N, r, p, maxmem: maxmem(N, r) });
  return `scrypt$${N}$${r}$${p}$${Buffer.from(salt).toString('base64url')}$${hash.toString('base64url')}`;
}

/** True when `password` matches `encoded`; a malformed or foreign encoding is simply false. */
export function verifyPassword(password: string, encoded: string | null): boolean {
  if (!encoded) return false;
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every((n) => Number.isInteger(n) && n > 0) || N > 1 << 20 || r > 32 || p > 16) return false;
  const salt = Buffer.from(parts[4]!, 'base64url');
  const expected = Buffer.from(parts[5]!, 'base64url');
  if (expected.length < 16) return false;
  const got = scryptSync(password, salt, expected.length, { N, r, p, maxmem: maxmem(N, r) });
  return timingSafeEqual(got, expected);
}

/** A strong password for a first administrator: 24 characters from 192 random bits. */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

export const sha256Hex = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

export interface IssuedToken {
  readonly id: string;
  /** The whole credential, shown once. */
  readonly token: string;
  readonly secretSha256: string;
}

export const TOKEN_PREFIX = 'cwt_';
export const SESSION_PREFIX = 'cws_';

export function issueToken(): IssuedToken {
  const id = randomBytes(6).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { id, token: `${TOKEN_PREFIX}${id}_${secret}`, secretSha256: sha256Hex(secret) };
}

/** `cwt_<id>_<secret>` split, or null when it is not shaped like one of ours. */
export function parseToken(token: string): { id: string; secretSha256: string } | null {
  const m = /^cwt_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/.exec(token);
  return m ? { id: m[1]!, secretSha256: sha256Hex(m[2]!) } : null;
}

export function issueSessionId(): { id: string; idSha256: string } {
  const id = `${SESSION_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { id, idSha256: sha256Hex(id) };
}

export function parseSessionId(id: string): { idSha256: string } | null {
  return /^cws_[A-Za-z0-9_-]{43}$/.test(id) ? { idSha256: sha256Hex(id) } : null;
}

// --- grant rules ------------------------------------------------------------------------------------

export interface GrantRequest {
  /** Who grants or revokes. */
  readonly by: string;
  /** Whose grants change. */
  readonly user: string;
  readonly role: string;
  readonly scope: string;
}

/**
 * Why granting `role` at `scope` to `user` (who holds `held`) is refused, or null. The matrix's
 * `roles.grant` decides whether `by` may grant at all; these are the rules on the grant itself.
 */
export function grantProblem(req: GrantRequest, held: readonly Grant[]): string | null {
  if (!isRole(req.role)) return `${req.role} is not a role (roles: ${ROLES.join(', ')})`;
  if (!isScope(req.scope)) return `${req.scope} is not a scope (*, entity:CODE or facility:CODE)`;
  if (req.by === req.user) return 'nobody grants roles to themself';
  const role: Role = req.role;
  if (role === 'security_admin' && held.some((g) => BUSINESS_ROLES.includes(g.role))) {
    return `${req.user} holds business roles (${businessOf(held)}); a security_admin may hold none`;
  }
  if (BUSINESS_ROLES.includes(role) && held.some((g) => g.role === 'security_admin')) {
    return `${req.user} is a security_admin, who may hold no business role such as ${role}`;
  }
  if (held.some((g) => g.role === role && g.scope === req.scope)) {
    return `${req.user} already holds ${role} at ${req.scope}`;
  }
  return null;
}

/** Why revoking is refused, or null. */
export function revokeProblem(by: string, user: string): string | null {
  return by === user ? 'nobody revokes their own roles' : null;
}

const businessOf = (gs: readonly Grant[]) =>
  [...new Set(gs.filter((g) => BUSINESS_ROLES.includes(g.role)).map((g) => g.role))].join(', ');

/** The conflict in a principal's active grants, or null: security_admin together with a business role. */
export function grantConflict(grants: readonly Grant[]): string | null {
  if (!grants.some((g) => g.role === 'security_admin')) return null;
  const business = businessOf(grants);
  return business === '' ? null : `security_admin together with ${business}`;
}

/** Whether an action is business work (a business role may take it) rather than security administration. */
export function isBusinessAction(action: Action): boolean {
  return (MATRIX[action].roles as readonly Role[]).some((r) => BUSINESS_ROLES.includes(r));
}

/**
 * The matrix applied at action time, with the segregation-of-duties check in front: a principal holding
 * conflicting grants is refused every business action, naming the conflict.
 */
export function decide(principal: Principal, action: string, target?: Target): Decision {
  const conflict = grantConflict(principal.grants);
  if (conflict && (!isAction(action) || isBusinessAction(action))) {
    return {
      allowed: false,
      reason: `${principal.subject} holds conflicting roles (${conflict}); business actions are refused until a security administrator ends one`,
    };
  }
  return authorize(principal, action, target);
}

/** A grant row is active when it has no end and has not expired at `now`. */
export function isActiveGrant(g: { ended: boolean; expiresAt: string | null }, now: Date): boolean {
  return !g.ended && (g.expiresAt === null || Date.parse(g.expiresAt) > now.getTime());
}

/** Parses a `--actions a,b` list: every entry must be an action in the matrix. */
export function parseActionList(list: string): { actions: Action[] } | { problem: string } {
  const actions = list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (actions.length === 0) return { problem: 'the action list is empty' };
  const unknown = actions.filter((a) => !isAction(a));
  if (unknown.length > 0) return { problem: `not actions: ${unknown.join(', ')}` };
  return { actions: [...new Set(actions)] as Action[] };
}
