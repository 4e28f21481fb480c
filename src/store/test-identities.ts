/**
 * Test support (imported by tests only): a user with roles and an API token, written straight through
 * the identity repository, so a test authenticates as a real user without a CLI round trip.
 */
import {
  type Action,
  type Grant,
  hashPassword,
  issueToken,
  type Role,
  type Scope,
} from '../governance/index.ts';
import { createToken, createUser, findUser, insertGrant } from './identity-repository.ts';
import { openStore } from './open.ts';
import type { SqlExecutor, Store } from './port.ts';

export interface TestIdentity {
  readonly user: string;
  /** `Authorization: Bearer <token>` / CROSSWALK_TOKEN. */
  readonly token: string;
  readonly tokenId: string;
  /** `{ authorization: 'Bearer …' }` for app.inject. */
  readonly headers: { authorization: string };
}

export async function userWithToken(
  db: Store | SqlExecutor,
  user: string,
  roles: readonly (Role | Grant)[],
  options: { actions?: readonly Action[]; expiresAt?: string; password?: string } = {},
): Promise<TestIdentity> {
  const at = new Date().toISOString();
  if (!(await findUser(db, user))) {
    await createUser(db, {
      name: user,
      passwordHash: options.password ? hashPassword(options.password) : null,
      at,
      by: 'test-setup',
    });
  }
  for (const r of roles) {
    const g: Grant = typeof r === 'string' ? { role: r, scope: '*' as Scope } : r;
    await insertGrant(db, { user, role: g.role, scope: g.scope, by: 'test-setup', at });
  }
  const t = issueToken();
  await createToken(db, {
    id: t.id,
    user,
    secretSha256: t.secretSha256,
    actions: options.actions ?? null,
    at,
    by: 'test-setup',
    expiresAt: options.expiresAt ?? new Date(Date.now() + 86_400_000).toISOString(),
  });
  return { user, token: t.token, tokenId: t.id, headers: { authorization: `Bearer ${t.token}` } };
}

/**
 * Users with roles and one token each, in the database at `url` (for tests that run the real binary):
 * answers each user's token, to pass as CROSSWALK_TOKEN.
 */
export async function tokensAt(
  url: string,
  users: Record<string, readonly (Role | Grant)[]>,
): Promise<Record<string, string>> {
  const store = await openStore(url, { poolMax: 1 });
  try {
    const out: Record<string, string> = {};
    for (const [user, roles] of Object.entries(users))
      out[user] = (await userWithToken(store, user, roles)).token;
    return out;
  } finally {
    await store.close();
  }
}

/** Every business role and auditor: for tests of behaviour other than access, whose people may do anything. */
export const EVERY_WORKING_ROLE: readonly Role[] = [
  'integration_engineer',
  'supply_chain',
  'revenue_integrity',
  'finance',
  'controller',
  'data_steward',
  'auditor',
];

/** `tokensAt` for people who hold every working role. */
export function peopleAt(url: string, names: readonly string[]): Promise<Record<string, string>> {
  return tokensAt(url, Object.fromEntries(names.map((n) => [n, EVERY_WORKING_ROLE])));
}
