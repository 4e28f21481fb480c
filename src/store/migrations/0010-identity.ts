import { appendOnly, ddlTypes } from '../ddl.ts';
import type { Migration } from '../port.ts';

/**
 * Identities and what they hold (issue 6; the rules live in governance/access.ts and sod.ts).
 *
 * - users: people. Passwords only as scrypt hashes (`scrypt$N$r$p$salt$hash`); null until one is set,
 *   because there is never a default password. Disabled users keep their row for the audit trail.
 * - role_grants: (user, role, scope), append-only history: a grant is ended by a row in
 *   role_grant_ends, never by an update, so who held what and when stays provable. Break-glass grants
 *   carry a reason and an expiry.
 * - api_tokens: stored as the SHA-256 of the secret (the secret is shown once); optional action list
 *   that narrows the user's grants; an expiry is mandatory.
 * - sessions: web sessions by hashed id, with an idle timeout (last_seen_at) and an absolute expiry.
 */
export const m0010: Migration = {
  id: 10,
  name: 'identities, grants, tokens and sessions',
  up: (d) => {
    const t = ddlTypes(d);
    return `
      CREATE TABLE users (
        name ${t.text} PRIMARY KEY,
        display_name ${t.text},
        password_hash ${t.text},
        created_at ${t.text} NOT NULL,
        created_by ${t.text} NOT NULL,
        disabled_at ${t.text},
        disabled_by ${t.text}
      );
      CREATE TABLE role_grants (
        id ${t.serialPk},
        user_name ${t.text} NOT NULL REFERENCES users(name),
        role ${t.text} NOT NULL,
        scope ${t.text} NOT NULL DEFAULT '*',
        kind ${t.text} NOT NULL DEFAULT 'standing' CHECK (kind IN ('standing', 'break_glass')),
        reason ${t.text},
        granted_by ${t.text} NOT NULL,
        granted_at ${t.text} NOT NULL,
        expires_at ${t.text},
        CHECK (kind = 'standing' OR (reason IS NOT NULL AND expires_at IS NOT NULL))
      );
      CREATE INDEX role_grants_user ON role_grants (user_name);
      ${appendOnly(d, 'role_grants')}
      CREATE TABLE role_grant_ends (
        grant_id ${t.bigint} PRIMARY KEY REFERENCES role_grants(id),
        ended_by ${t.text} NOT NULL,
        ended_at ${t.text} NOT NULL,
        reason ${t.text}
      );
      ${appendOnly(d, 'role_grant_ends')}
      CREATE TABLE api_tokens (
        id ${t.text} PRIMARY KEY,
        user_name ${t.text} NOT NULL REFERENCES users(name),
        secret_sha256 ${t.text} NOT NULL UNIQUE,
        label ${t.text},
        actions ${t.text},
        created_at ${t.text} NOT NULL,
        created_by ${t.text} NOT NULL,
        expires_at ${t.text} NOT NULL,
        revoked_at ${t.text},
        revoked_by ${t.text},
        last_used_at ${t.text}
      );
      CREATE INDEX api_tokens_user ON api_tokens (user_name);
      CREATE TABLE sessions (
        id_sha256 ${t.text} PRIMARY KEY,
        user_name ${t.text} NOT NULL REFERENCES users(name),
        created_at ${t.text} NOT NULL,
        last_seen_at ${t.text} NOT NULL,
        expires_at ${t.text} NOT NULL,
        ended_at ${t.text}
      );`;
  },
};
