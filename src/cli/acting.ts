import { readFileSync } from 'node:fs';
import { CrosswalkError } from '../errors/index.ts';
import { type Action, decide, isAction, MATRIX, type Principal, type Target } from '../governance/index.ts';
import { appendAudit } from '../store/audit-repository.ts';
import { resolveToken } from '../store/identity-repository.ts';
import type { Store } from '../store/index.ts';
import { cliIo } from './io.ts';

/**
 * Who runs a governed command: the user of the API token in CROSSWALK_TOKEN (or in the file named by
 * --token-file), checked against the matrix for the command's action. `--as` (and `--author`) remain
 * accepted but are only a claim: when given they must name the token's user.
 *
 * Every refusal is appended to the audit log (actor: the token's user, or `anonymous`; never the token),
 * and reads of PHI are audited as they happen, as the API does.
 */

export const TOKEN_ENV = 'CROSSWALK_TOKEN';

function credentialOf(opts: Record<string, unknown>): string | null {
  const file = opts['tokenFile'];
  if (typeof file === 'string' && file !== '') {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch (e) {
      throw new CrosswalkError('CW_ERR_CLI_INPUT', {
        path: file,
        reason: (e as NodeJS.ErrnoException).code ?? 'unreadable',
      });
    }
  }
  const env = cliIo().env[TOKEN_ENV];
  return env && env.trim() !== '' ? env.trim() : null;
}

const objectOf = (action: string, target?: Target) =>
  `cli:${action}${target?.entity ? ` entity:${target.entity}` : ''}${target?.facility ? ` facility:${target.facility}` : ''}`;

/** Resolves and authorises the principal running a command; throws (after auditing) when refused. */
export async function actingAs(
  store: Store,
  opts: Record<string, unknown>,
  action: Action,
  target?: Target,
  clock: () => Date = () => new Date(),
): Promise<Principal> {
  return gate(store, opts, action, target, clock);
}

/**
 * Only authenticates (for self-service: your own password, your own tokens). `label` names what was
 * wanted in a refusal's audit record.
 */
export async function authenticated(
  store: Store,
  opts: Record<string, unknown>,
  label: string,
  clock: () => Date = () => new Date(),
): Promise<Principal> {
  return gate(store, opts, label, undefined, clock);
}

async function gate(
  store: Store,
  opts: Record<string, unknown>,
  action: Action | string,
  target: Target | undefined,
  clock: () => Date,
): Promise<Principal> {
  const refuse = async (e: CrosswalkError, actor: string | null): Promise<never> => {
    await store.transaction((tx) =>
      appendAudit(tx, {
        at: clock().toISOString(),
        actor: actor ?? 'anonymous',
        action: 'auth.refused',
        object: objectOf(action, target),
        before: null,
        after: { code: e.code, reason: e.message, wanted: action },
      }),
    );
    throw e;
  };
  const token = credentialOf(opts);
  if (token === null) {
    return refuse(
      new CrosswalkError('CW_ERR_AUTH_REQUIRED', {
        how: `set ${TOKEN_ENV} to an API token (crosswalk tokens create) or pass --token-file PATH`,
      }),
      null,
    );
  }
  const r = await resolveToken(store, token, clock(), 'cli');
  if (r.problem !== undefined) {
    return refuse(new CrosswalkError('CW_ERR_AUTH_INVALID', { reason: r.problem }), r.subject);
  }
  const p = r.principal;
  for (const key of ['as', 'author'] as const) {
    const claimed = opts[key];
    if (typeof claimed === 'string' && claimed.trim() !== p.subject) {
      return refuse(
        new CrosswalkError('CW_ERR_AUTH_ACTOR_MISMATCH', { claimed: claimed.trim(), subject: p.subject }),
        p.subject,
      );
    }
  }
  if (!isAction(action)) return p; // self-service: authenticated is enough
  const d = decide(p, action, target);
  if (!d.allowed) {
    return refuse(
      new CrosswalkError('CW_ERR_AUTH_FORBIDDEN', { subject: p.subject, action, reason: d.reason }),
      p.subject,
    );
  }
  if ((MATRIX[action] as { phi?: boolean }).phi === true) {
    await store.transaction((tx) =>
      appendAudit(tx, {
        at: clock().toISOString(),
        actor: p.subject,
        action,
        object: objectOf(action, target),
        before: null,
        after: null,
      }),
    );
  }
  return p;
}

/** A further check for a principal already authenticated (e.g. each entity a command touches). */
export async function alsoAllowed(
  store: Store,
  principal: Principal,
  action: Action,
  target?: Target,
  clock: () => Date = () => new Date(),
): Promise<void> {
  const d = decide(principal, action, target);
  if (d.allowed) return;
  const e = new CrosswalkError('CW_ERR_AUTH_FORBIDDEN', {
    subject: principal.subject,
    action,
    reason: d.reason,
  });
  await store.transaction((tx) =>
    appendAudit(tx, {
      at: clock().toISOString(),
      actor: principal.subject,
      action: 'auth.refused',
      object: objectOf(action, target),
      before: null,
      after: { code: e.code, reason: e.message, wanted: action },
    }),
  );
  throw e;
}
