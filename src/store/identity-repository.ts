import {
  type Action,
  type Grant,
  isAction,
  isActiveGrant,
  type Principal,
  parseSessionId,
  parseToken,
  type Role,
  type Scope,
} from '../governance/index.ts';
import type { SqlExecutor } from './port.ts';
import { asNumber, asOptionalString } from './values.ts';

/**
 * Users, their role grants, API tokens and web sessions (migration 0010). Grants are append-only: a
 * revocation is a row in role_grant_ends. Times are ISO-8601 UTC strings; whether something is still
 * active is decided here against the `now` passed in, never against the database's clock, so tests and
 * replays control time.
 */

export interface UserRecord {
  readonly name: string;
  readonly displayName: string | null;
  readonly passwordHash: string | null;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly disabledAt: string | null;
  readonly disabledBy: string | null;
}

export interface GrantRecord extends Grant {
  readonly id: number;
  readonly user: string;
  readonly kind: 'standing' | 'break_glass';
  readonly reason: string | null;
  readonly grantedBy: string;
  readonly grantedAt: string;
  readonly expiresAt: string | null;
  readonly endedAt: string | null;
  readonly endedBy: string | null;
}

export interface TokenRecord {
  readonly id: string;
  readonly user: string;
  readonly label: string | null;
  readonly actions: readonly Action[] | null;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly expiresAt: string;
  readonly revokedAt: string | null;
  readonly revokedBy: string | null;
  readonly lastUsedAt: string | null;
}

export interface SessionRecord {
  readonly idSha256: string;
  readonly user: string;
  readonly createdAt: string;
  readonly lastSeenAt: string;
  readonly expiresAt: string;
  readonly endedAt: string | null;
}

const userOf = (r: Record<string, unknown>): UserRecord => ({
  name: String(r['name']),
  displayName: asOptionalString(r['display_name']),
  passwordHash: asOptionalString(r['password_hash']),
  createdAt: String(r['created_at']),
  createdBy: String(r['created_by']),
  disabledAt: asOptionalString(r['disabled_at']),
  disabledBy: asOptionalString(r['disabled_by']),
});

// --- users --------------------------------------------------------------------------------------------

export async function createUser(
  tx: SqlExecutor,
  u: { name: string; displayName?: string | null; passwordHash: string | null; at: string; by: string },
): Promise<void> {
  await tx.execute(
    'INSERT INTO users (name, display_name, password_hash, created_at, created_by) VALUES (?, ?, ?, ?, ?)',
    [u.name, u.displayName ?? null, u.passwordHash, u.at, u.by],
  );
}

export async function findUser(db: SqlExecutor, name: string): Promise<UserRecord | null> {
  const [r] = await db.query('SELECT * FROM users WHERE name = ?', [name]);
  return r ? userOf(r) : null;
}

export async function listUsers(db: SqlExecutor): Promise<UserRecord[]> {
  return (await db.query('SELECT * FROM users ORDER BY name')).map(userOf);
}

/** Disables a user (their row stays for the audit trail); false when already disabled or unknown. */
export async function disableUser(tx: SqlExecutor, name: string, by: string, at: string): Promise<boolean> {
  const r = await tx.execute(
    'UPDATE users SET disabled_at = ?, disabled_by = ? WHERE name = ? AND disabled_at IS NULL',
    [at, by, name],
  );
  return r.rowsAffected > 0;
}

export async function setPasswordHash(tx: SqlExecutor, name: string, hash: string): Promise<void> {
  await tx.execute('UPDATE users SET password_hash = ? WHERE name = ?', [hash, name]);
}

// --- grants ------------------------------------------------------------------------------------------

const grantOf = (r: Record<string, unknown>): GrantRecord => ({
  id: asNumber(r['id']),
  user: String(r['user_name']),
  role: String(r['role']) as Role,
  scope: String(r['scope']) as Scope,
  kind: String(r['kind']) as GrantRecord['kind'],
  reason: asOptionalString(r['reason']),
  grantedBy: String(r['granted_by']),
  grantedAt: String(r['granted_at']),
  expiresAt: asOptionalString(r['expires_at']),
  endedAt: asOptionalString(r['ended_at']),
  endedBy: asOptionalString(r['ended_by']),
});

export async function insertGrant(
  tx: SqlExecutor,
  g: {
    user: string;
    role: Role;
    scope: Scope;
    by: string;
    at: string;
    kind?: 'standing' | 'break_glass';
    reason?: string | null;
    expiresAt?: string | null;
  },
): Promise<number> {
  const [r] = await tx.query(
    `INSERT INTO role_grants (user_name, role, scope, kind, reason, granted_by, granted_at, expires_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    [g.user, g.role, g.scope, g.kind ?? 'standing', g.reason ?? null, g.by, g.at, g.expiresAt ?? null],
  );
  return asNumber(r!['id']);
}

/** Ends a grant by appending its end; false when it had already ended. */
export async function endGrant(
  tx: SqlExecutor,
  grantId: number,
  by: string,
  at: string,
  reason: string | null = null,
): Promise<boolean> {
  const [ended] = await tx.query('SELECT 1 AS x FROM role_grant_ends WHERE grant_id = ?', [grantId]);
  if (ended) return false;
  await tx.execute('INSERT INTO role_grant_ends (grant_id, ended_by, ended_at, reason) VALUES (?, ?, ?, ?)', [
    grantId,
    by,
    at,
    reason,
  ]);
  return true;
}

/** Every grant row (of one user, or all), with its end if it has one, oldest first. */
export async function grantHistory(db: SqlExecutor, user?: string): Promise<GrantRecord[]> {
  const rows = await db.query(
    `SELECT g.*, e.ended_at, e.ended_by FROM role_grants g LEFT JOIN role_grant_ends e ON e.grant_id = g.id
     ${user === undefined ? '' : 'WHERE g.user_name = ?'} ORDER BY g.id`,
    user === undefined ? [] : [user],
  );
  return rows.map(grantOf);
}

/** The grants in force at `now`: not ended, not expired (break-glass grants expire by design). */
export async function activeGrants(db: SqlExecutor, user: string, now: Date): Promise<GrantRecord[]> {
  return (await grantHistory(db, user)).filter((g) =>
    isActiveGrant({ ended: g.endedAt !== null, expiresAt: g.expiresAt }, now),
  );
}

/** Enabled users holding an active security_admin grant (the first-administrator rule reads this). */
export async function activeSecurityAdmins(db: SqlExecutor, now: Date): Promise<string[]> {
  const rows = await db.query(
    `SELECT DISTINCT g.user_name FROM role_grants g JOIN users u ON u.name = g.user_name
     WHERE g.role = 'security_admin' AND u.disabled_at IS NULL`,
  );
  const out: string[] = [];
  for (const r of rows) {
    const name = String(r['user_name']);
    if ((await activeGrants(db, name, now)).some((g) => g.role === 'security_admin')) out.push(name);
  }
  return out;
}

// --- tokens ------------------------------------------------------------------------------------------

const tokenOf = (r: Record<string, unknown>): TokenRecord => {
  const list = asOptionalString(r['actions']);
  return {
    id: String(r['id']),
    user: String(r['user_name']),
    label: asOptionalString(r['label']),
    actions: list === null ? null : (list.split(',').filter(isAction) as Action[]),
    createdAt: String(r['created_at']),
    createdBy: String(r['created_by']),
    expiresAt: String(r['expires_at']),
    revokedAt: asOptionalString(r['revoked_at']),
    revokedBy: asOptionalString(r['revoked_by']),
    lastUsedAt: asOptionalString(r['last_used_at']),
  };
};

export async function createToken(
  tx: SqlExecutor,
  t: {
    id: string;
    user: string;
    secretSha256: string;
    label?: string | null;
    actions?: readonly Action[] | null;
    at: string;
    by: string;
    expiresAt: string;
  },
): Promise<void> {
  await tx.execute(
    `INSERT INTO api_tokens (id, user_name, secret_sha256, label, actions, created_at, created_by, expires_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      t.id,
      t.user,
      t.secretSha256,
      t.label ?? null,
      t.actions ? t.actions.join(',') : null,
      t.at,
      t.by,
      t.expiresAt,
    ],
  );
}

export async function findTokenBySecretHash(
  db: SqlExecutor,
  secretSha256: string,
): Promise<TokenRecord | null> {
  const [r] = await db.query('SELECT * FROM api_tokens WHERE secret_sha256 = ?', [secretSha256]);
  return r ? tokenOf(r) : null;
}

export async function findToken(db: SqlExecutor, id: string): Promise<TokenRecord | null> {
  const [r] = await db.query('SELECT * FROM api_tokens WHERE id = ?', [id]);
  return r ? tokenOf(r) : null;
}

export async function listTokens(db: SqlExecutor, user?: string): Promise<TokenRecord[]> {
  const rows = await db.query(
    `SELECT * FROM api_tokens ${user === undefined ? '' : 'WHERE user_name = ?'} ORDER BY created_at, id`,
    user === undefined ? [] : [user],
  );
  return rows.map(tokenOf);
}

/** Revokes a token; false when it was already revoked or does not exist. */
export async function revokeToken(tx: SqlExecutor, id: string, by: string, at: string): Promise<boolean> {
  const r = await tx.execute(
    'UPDATE api_tokens SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL',
    [at, by, id],
  );
  return r.rowsAffected > 0;
}

export async function touchToken(db: SqlExecutor, id: string, at: string): Promise<void> {
  await db.execute('UPDATE api_tokens SET last_used_at = ? WHERE id = ?', [at, id]);
}

// --- sessions ----------------------------------------------------------------------------------------

const sessionOf = (r: Record<string, unknown>): SessionRecord => ({
  idSha256: String(r['id_sha256']),
  user: String(r['user_name']),
  createdAt: String(r['created_at']),
  lastSeenAt: String(r['last_seen_at']),
  expiresAt: String(r['expires_at']),
  endedAt: asOptionalString(r['ended_at']),
});

export async function createSession(
  tx: SqlExecutor,
  s: { idSha256: string; user: string; at: string; expiresAt: string },
): Promise<void> {
  await tx.execute(
    'INSERT INTO sessions (id_sha256, user_name, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?)',
    [s.idSha256, s.user, s.at, s.at, s.expiresAt],
  );
}

export async function findSession(db: SqlExecutor, idSha256: string): Promise<SessionRecord | null> {
  const [r] = await db.query('SELECT * FROM sessions WHERE id_sha256 = ?', [idSha256]);
  return r ? sessionOf(r) : null;
}

export async function touchSession(db: SqlExecutor, idSha256: string, at: string): Promise<void> {
  await db.execute('UPDATE sessions SET last_seen_at = ? WHERE id_sha256 = ? AND ended_at IS NULL', [
    at,
    idSha256,
  ]);
}

export async function endSession(db: SqlExecutor, idSha256: string, at: string): Promise<boolean> {
  const r = await db.execute('UPDATE sessions SET ended_at = ? WHERE id_sha256 = ? AND ended_at IS NULL', [
    at,
    idSha256,
  ]);
  return r.rowsAffected > 0;
}

/** Whether a session is usable at `now`: not ended, before its absolute expiry, seen within the idle limit. */
export function sessionProblem(s: SessionRecord, now: Date, idleTimeoutMs: number): string | null {
  if (s.endedAt !== null) return 'the session has ended';
  if (Date.parse(s.expiresAt) <= now.getTime()) return 'the session has expired';
  if (Date.parse(s.lastSeenAt) + idleTimeoutMs <= now.getTime()) return 'the session was idle too long';
  return null;
}

// --- principals --------------------------------------------------------------------------------------

export type Resolution =
  | { readonly principal: Principal; readonly problem?: undefined }
  | { readonly problem: string; readonly subject: string | null; readonly principal?: undefined };

async function enabledUser(db: SqlExecutor, name: string): Promise<UserRecord | string> {
  const u = await findUser(db, name);
  if (!u) return 'the user does not exist';
  if (u.disabledAt !== null) return 'the user is disabled';
  return u;
}

/** A principal for a user, with the grants active at `now`. */
export async function principalOf(
  db: SqlExecutor,
  user: string,
  via: Principal['via'],
  credentialId: string,
  now: Date,
  allowedActions: readonly Action[] | null = null,
): Promise<Principal> {
  const grants = (await activeGrants(db, user, now)).map((g) => ({ role: g.role, scope: g.scope }));
  return {
    kind: 'user',
    subject: user,
    via,
    credentialId,
    grants,
    allowedActions: allowedActions ? new Set(allowedActions) : null,
  };
}

/**
 * The principal behind an API token (`cwt_<id>_<secret>`), or why there is none. Looked up by the
 * secret's hash; the id in the token must match the row found, so a secret pasted under another id
 * is refused. Use is recorded in last_used_at.
 */
export async function resolveToken(
  db: SqlExecutor,
  token: string,
  now: Date,
  via: Principal['via'] = 'token',
): Promise<Resolution> {
  const parsed = parseToken(token);
  if (!parsed) return { problem: 'the token is malformed', subject: null };
  const t = await findTokenBySecretHash(db, parsed.secretSha256);
  if (!t || t.id !== parsed.id) return { problem: 'the token is unknown', subject: null };
  if (t.revokedAt !== null) return { problem: 'the token has been revoked', subject: t.user };
  if (Date.parse(t.expiresAt) <= now.getTime()) return { problem: 'the token has expired', subject: t.user };
  const u = await enabledUser(db, t.user);
  if (typeof u === 'string') return { problem: u, subject: t.user };
  await touchToken(db, t.id, now.toISOString());
  return { principal: await principalOf(db, t.user, via, t.id, now, t.actions) };
}

/** The principal behind a session cookie's value, or why there is none; a use moves last_seen_at. */
export async function resolveSession(
  db: SqlExecutor,
  sessionId: string,
  now: Date,
  idleTimeoutMs: number,
): Promise<Resolution> {
  const parsed = parseSessionId(sessionId);
  if (!parsed) return { problem: 'the session id is malformed', subject: null };
  const s = await findSession(db, parsed.idSha256);
  if (!s) return { problem: 'the session is unknown', subject: null };
  const p = sessionProblem(s, now, idleTimeoutMs);
  if (p) return { problem: p, subject: s.user };
  const u = await enabledUser(db, s.user);
  if (typeof u === 'string') return { problem: u, subject: s.user };
  await touchSession(db, s.idSha256, now.toISOString());
  return { principal: await principalOf(db, s.user, 'session', s.idSha256.slice(0, 12), now) };
}
