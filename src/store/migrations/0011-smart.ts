import { appendOnly, ddlTypes } from '../ddl.ts';
import type { Migration } from '../port.ts';

/**
 * SMART Backend Services (issue 6; the rules live in governance/smart.ts).
 *
 * - smart_clients: registered system clients with their public JWKS (never a private key), the scopes
 *   they may ask for and the roles they act with (normally `service`). Disabled clients keep their row
 *   for the audit trail.
 * - smart_used_jtis: every accepted assertion's jti until its exp. The primary key is the replay guard:
 *   of two requests carrying one assertion, only one insert succeeds, whichever process runs it. Rows
 *   past exp can be pruned, because an assertion past exp is refused anyway.
 * - smart_access_tokens: issued bearer tokens as the SHA-256 of their secret, with their scopes and a
 *   short expiry.
 * - breakglass_reviews: a reviewer's sign-off of one break-glass grant (role_grants, kind break_glass):
 *   one per grant, append-only like the grants themselves.
 */
export const m0011: Migration = {
  id: 11,
  name: 'SMART backend-services clients, used assertion ids and access tokens; break-glass reviews',
  up: (d) => {
    const t = ddlTypes(d);
    return `
      CREATE TABLE smart_clients (
        client_id ${t.text} PRIMARY KEY,
        name ${t.text},
        jwks ${t.text} NOT NULL,
        scopes ${t.text} NOT NULL,
        roles ${t.text} NOT NULL,
        registered_by ${t.text} NOT NULL,
        registered_at ${t.text} NOT NULL,
        disabled_at ${t.text},
        disabled_by ${t.text}
      );
      CREATE TABLE smart_used_jtis (
        client_id ${t.text} NOT NULL REFERENCES smart_clients(client_id),
        jti ${t.text} NOT NULL,
        expires_at ${t.text} NOT NULL,
        used_at ${t.text} NOT NULL,
        PRIMARY KEY (client_id, jti)
      );
      CREATE INDEX smart_used_jtis_expiry ON smart_used_jtis (expires_at);
      CREATE TABLE smart_access_tokens (
        id ${t.text} PRIMARY KEY,
        secret_sha256 ${t.text} NOT NULL UNIQUE,
        client_id ${t.text} NOT NULL REFERENCES smart_clients(client_id),
        scopes ${t.text} NOT NULL,
        issued_at ${t.text} NOT NULL,
        expires_at ${t.text} NOT NULL
      );
      CREATE INDEX smart_access_tokens_expiry ON smart_access_tokens (expires_at);
      CREATE TABLE breakglass_reviews (
        grant_id ${t.bigint} PRIMARY KEY REFERENCES role_grants(id),
        reviewed_by ${t.text} NOT NULL,
        reviewed_at ${t.text} NOT NULL,
        note ${t.text} NOT NULL
      );
      ${appendOnly(d, 'breakglass_reviews')}`;
  },
};
