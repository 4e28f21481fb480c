import type { Command } from 'commander';
import { CrosswalkError } from '../../errors/index.ts';
import {
  type Action,
  generatePassword,
  grantProblem,
  hashPassword,
  isRole,
  isScope,
  issueToken,
  parseActionList,
  passwordProblem,
  ROLES,
  revokeProblem,
  verifyPassword,
} from '../../governance/index.ts';
import { appendAudit } from '../../store/audit-repository.ts';
import {
  activeGrants,
  activeSecurityAdmins,
  createToken,
  createUser,
  disableUser,
  endGrant,
  findToken,
  findUser,
  grantHistory,
  insertGrant,
  listTokens,
  listUsers,
  revokeToken,
  setPasswordHash,
} from '../../store/identity-repository.ts';
import type { Store } from '../../store/index.ts';
import { actingAs, alsoAllowed, authenticated } from '../acting.ts';
import { cliIo } from '../io.ts';
import { emit, table } from '../output.ts';
import { withSettings } from '../settings-flags.ts';
import { withMigratedStore } from './release.ts';

/**
 * `crosswalk users | roles | tokens`: identities and what they hold. The first administrator is made by
 * whoever runs the host (`users create --admin`, only while no active security_admin exists); after
 * that, users and grants are a security_admin's work (users.manage, roles.grant) under the grant rules
 * in governance/identity.ts, and every change is in the audit log. Passwords and token secrets are
 * printed once and stored only as hashes.
 */

const USER_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

function userName(given: string): string {
  if (!USER_NAME.test(given))
    throw new CrosswalkError('CW_ERR_CLI_USAGE', {
      reason: `user names are 1-64 lower-case letters, digits, ".", "_" or "-"; got "${given}"`,
    });
  return given;
}

async function readStdinLine(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of cliIo().stdin) chunks.push(c as Buffer);
  return (Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '').trim();
}

/** A new password from stdin (checked) or generated; `shown` says whether it must be printed. */
async function newPassword(opts: Record<string, unknown>): Promise<{ password: string; generated: boolean }> {
  if (!opts['passwordStdin']) return { password: generatePassword(), generated: true };
  const password = await readStdinLine();
  const problem = passwordProblem(password);
  if (problem) throw new CrosswalkError('CW_ERR_IDENTITY_PASSWORD', { reason: problem });
  return { password, generated: false };
}

const now = () => new Date();

export function identityCommands(program: Command): void {
  usersCommand(program);
  rolesCommand(program);
  tokensCommand(program);
}

function usersCommand(program: Command): void {
  const users = program.command('users').description('people who sign in: create, list, disable, passwd');

  withSettings(
    users
      .command('create')
      .description(
        'create a user with a password (generated and printed once, or --password-stdin); --admin makes the first security administrator, only while none exists',
      )
      .argument('<name>', 'user name (lower case)')
      .option('--display-name <text>', 'the person’s name as shown')
      .option(
        '--admin',
        'first administrator: grants security_admin; needs no credential while no admin exists',
      )
      .option('--password-stdin', 'read the password from the first line of stdin')
      .option('--json', 'print JSON'),
  ).action(async (given: string, opts: Record<string, unknown>) => {
    const name = userName(given);
    await withMigratedStore(opts, async (store) => {
      let by: string;
      if (opts['admin']) {
        if ((await activeSecurityAdmins(store, now())).length > 0) {
          throw new CrosswalkError('CW_ERR_IDENTITY_RULE', {
            reason:
              'a security administrator exists: ask one to run crosswalk users create and crosswalk roles grant',
          });
        }
        by = 'host';
      } else {
        by = (await actingAs(store, opts, 'users.manage')).subject;
      }
      if (await findUser(store, name))
        throw new CrosswalkError('CW_ERR_IDENTITY_EXISTS', { what: 'user', name });
      const { password, generated } = await newPassword(opts);
      const at = now().toISOString();
      await store.transaction(async (tx) => {
        const displayName = typeof opts['displayName'] === 'string' ? opts['displayName'] : null;
        await createUser(tx, { name, displayName, passwordHash: hashPassword(password), at, by });
        await appendAudit(tx, {
          at,
          actor: by,
          action: 'users.create',
          object: `user:${name}`,
          after: { displayName },
        });
        if (opts['admin']) {
          await insertGrant(tx, { user: name, role: 'security_admin', scope: '*', by, at });
          await appendAudit(tx, {
            at,
            actor: by,
            action: 'roles.grant',
            object: `user:${name}`,
            after: { role: 'security_admin', scope: '*' },
          });
        }
      });
      emit(
        Boolean(opts['json']),
        { user: name, admin: Boolean(opts['admin']), ...(generated ? { password } : {}) },
        () =>
          [
            `created user ${name}${opts['admin'] ? ' (security_admin)' : ''}`,
            ...(generated ? [`password (shown once, store it now): ${password}`] : []),
          ].join('\n'),
      );
    });
  });

  withSettings(
    users
      .command('list')
      .description('every user, whether disabled, and the roles they hold now')
      .option('--json', 'print JSON'),
  ).action(async (opts: Record<string, unknown>) => {
    await withMigratedStore(opts, async (store) => {
      await actingAs(store, opts, 'users.manage');
      const rows: {
        user: string;
        displayName: string | null;
        createdAt: string;
        disabledAt: string | null;
        roles: string[];
      }[] = [];
      for (const u of await listUsers(store)) {
        const grants = await activeGrants(store, u.name, now());
        rows.push({
          user: u.name,
          displayName: u.displayName,
          createdAt: u.createdAt,
          disabledAt: u.disabledAt,
          roles: grants.map((g) => (g.scope === '*' ? g.role : `${g.role}@${g.scope}`)),
        });
      }
      emit(Boolean(opts['json']), rows, () =>
        table([
          ['USER', 'NAME', 'CREATED', 'DISABLED', 'ROLES'],
          ...rows.map((r) => [
            r.user,
            r.displayName ?? '',
            r.createdAt,
            r.disabledAt ?? '',
            r.roles.join(', '),
          ]),
        ]),
      );
    });
  });

  withSettings(
    users
      .command('disable')
      .description('disable a user: their tokens and sessions stop working; the row stays for the record')
      .argument('<name>')
      .option('--json', 'print JSON'),
  ).action(async (name: string, opts: Record<string, unknown>) => {
    await withMigratedStore(opts, async (store) => {
      const by = (await actingAs(store, opts, 'users.manage')).subject;
      if (by === name)
        throw new CrosswalkError('CW_ERR_IDENTITY_RULE', { reason: 'nobody disables themself' });
      if (!(await findUser(store, name)))
        throw new CrosswalkError('CW_ERR_IDENTITY_UNKNOWN', { what: 'user', name });
      const at = now().toISOString();
      const changed = await store.transaction(async (tx) => {
        const changed = await disableUser(tx, name, by, at);
        if (changed)
          await appendAudit(tx, { at, actor: by, action: 'users.disable', object: `user:${name}` });
        return changed;
      });
      emit(Boolean(opts['json']), { user: name, changed }, () =>
        changed ? `disabled ${name}` : `${name} was already disabled`,
      );
    });
  });

  withSettings(
    users
      .command('passwd')
      .description(
        'set a password from the first line of stdin: your own, or another user’s with users.manage',
      )
      .argument('[name]', 'whose (default: the token’s user)')
      .requiredOption('--password-stdin', 'read the new password from stdin')
      .option('--json', 'print JSON'),
  ).action(async (given: string | undefined, opts: Record<string, unknown>) => {
    await withMigratedStore(opts, async (store) => {
      const me = await authenticated(store, opts, 'users.passwd');
      const name = given ?? me.subject;
      if (name !== me.subject) await alsoAllowed(store, me, 'users.manage');
      if (!(await findUser(store, name)))
        throw new CrosswalkError('CW_ERR_IDENTITY_UNKNOWN', { what: 'user', name });
      const { password } = await newPassword(opts);
      const at = now().toISOString();
      await store.transaction(async (tx) => {
        await setPasswordHash(tx, name, hashPassword(password));
        await appendAudit(tx, { at, actor: me.subject, action: 'users.passwd', object: `user:${name}` });
      });
      emit(Boolean(opts['json']), { user: name }, () => `password of ${name} changed`);
    });
  });
}

function rolesCommand(program: Command): void {
  const roles = program
    .command('roles')
    .description('who holds which role at which scope: grant, revoke, list');

  withSettings(
    roles
      .command('grant')
      .description(`grant a role (${ROLES.join(', ')}) at a scope (*, entity:CODE, facility:CODE)`)
      .argument('<user>')
      .argument('<role>')
      .option('--scope <scope>', 'where it applies', '*')
      .option('--json', 'print JSON'),
  ).action(async (user: string, role: string, opts: Record<string, unknown>) => {
    const scope = String(opts['scope']);
    await withMigratedStore(opts, async (store) => {
      const by = (await actingAs(store, opts, 'roles.grant')).subject;
      const u = await findUser(store, user);
      if (!u) throw new CrosswalkError('CW_ERR_IDENTITY_UNKNOWN', { what: 'user', name: user });
      const at = now().toISOString();
      const id = await store.transaction(async (tx) => {
        const problem = grantProblem({ by, user, role, scope }, await activeGrants(tx, user, now()));
        if (problem !== null || !isRole(role) || !isScope(scope)) {
          const reason = problem ?? 'invalid role or scope';
          await appendAudit(tx, {
            at,
            actor: by,
            action: 'auth.refused',
            object: `user:${user}`,
            after: { wanted: 'roles.grant', role, scope, reason },
          });
          return reason;
        }
        const id = await insertGrant(tx, { user, role, scope, by, at });
        await appendAudit(tx, {
          at,
          actor: by,
          action: 'roles.grant',
          object: `user:${user}`,
          after: { grant: id, role, scope },
        });
        return id;
      });
      if (typeof id === 'string') throw new CrosswalkError('CW_ERR_IDENTITY_RULE', { reason: id });
      emit(
        Boolean(opts['json']),
        { grant: id, user, role, scope },
        () => `granted ${role} at ${scope} to ${user} (grant ${id})`,
      );
    });
  });

  withSettings(
    roles
      .command('revoke')
      .description(
        'end a user’s grant of a role (every scope, or --scope one); the grant stays in the history',
      )
      .argument('<user>')
      .argument('<role>')
      .option('--scope <scope>', 'only the grant at this scope')
      .option('--reason <text>', 'why')
      .option('--json', 'print JSON'),
  ).action(async (user: string, role: string, opts: Record<string, unknown>) => {
    await withMigratedStore(opts, async (store) => {
      const by = (await actingAs(store, opts, 'roles.grant')).subject;
      const at = now().toISOString();
      const ended = await store.transaction(async (tx) => {
        const problem = revokeProblem(by, user);
        if (problem) {
          await appendAudit(tx, {
            at,
            actor: by,
            action: 'auth.refused',
            object: `user:${user}`,
            after: { wanted: 'roles.revoke', role, reason: problem },
          });
          return problem;
        }
        const matching = (await activeGrants(tx, user, now())).filter(
          (g) => g.role === role && (opts['scope'] === undefined || g.scope === opts['scope']),
        );
        for (const g of matching) {
          await endGrant(tx, g.id, by, at, (opts['reason'] as string | undefined) ?? null);
          await appendAudit(tx, {
            at,
            actor: by,
            action: 'roles.revoke',
            object: `user:${user}`,
            after: { grant: g.id, role, scope: g.scope },
          });
        }
        return matching.map((g) => g.id);
      });
      if (typeof ended === 'string') throw new CrosswalkError('CW_ERR_IDENTITY_RULE', { reason: ended });
      if (ended.length === 0)
        throw new CrosswalkError('CW_ERR_IDENTITY_UNKNOWN', {
          what: `active ${role} grant of user`,
          name: user,
        });
      emit(
        Boolean(opts['json']),
        { ended },
        () => `ended ${ended.length} grant(s) of ${role} held by ${user}`,
      );
    });
  });

  withSettings(
    roles
      .command('list')
      .description('grants in force (or --all: the whole history, ended and expired too)')
      .argument('[user]')
      .option('--all', 'include ended and expired grants')
      .option('--json', 'print JSON'),
  ).action(async (user: string | undefined, opts: Record<string, unknown>) => {
    await withMigratedStore(opts, async (store) => {
      await actingAs(store, opts, 'roles.grant');
      const t = now();
      const rows = (await grantHistory(store, user)).filter(
        (g) =>
          opts['all'] ||
          (g.endedAt === null && (g.expiresAt === null || Date.parse(g.expiresAt) > t.getTime())),
      );
      emit(Boolean(opts['json']), rows, () =>
        rows.length === 0
          ? 'no grants'
          : table([
              ['ID', 'USER', 'ROLE', 'SCOPE', 'KIND', 'GRANTED BY', 'AT', 'EXPIRES', 'ENDED'],
              ...rows.map((g) => [
                String(g.id),
                g.user,
                g.role,
                g.scope,
                g.kind,
                g.grantedBy,
                g.grantedAt,
                g.expiresAt ?? '',
                g.endedAt ? `${g.endedAt} by ${g.endedBy}` : '',
              ]),
            ]),
      );
    });
  });
}

function tokensCommand(program: Command): void {
  const tokens = program
    .command('tokens')
    .description('API tokens: create (secret shown once), list, revoke');

  withSettings(
    tokens
      .command('create')
      .description(
        'a token for yourself (--user NAME --password-stdin) or, with users.manage, for another user; it expires, and --actions narrows it',
      )
      .requiredOption('--user <name>', 'whose token')
      .requiredOption('--expires-in-days <n>', 'lifetime in days (1-366)')
      .option('--actions <list>', 'comma-separated matrix actions it is limited to')
      .option('--label <text>', 'what it is for')
      .option('--password-stdin', 'authenticate as --user with the password on stdin (no token needed)')
      .option('--json', 'print JSON'),
  ).action(async (opts: Record<string, unknown>) => {
    const user = String(opts['user']);
    const days = Number(opts['expiresInDays']);
    if (!Number.isInteger(days) || days < 1 || days > 366)
      throw new CrosswalkError('CW_ERR_CLI_USAGE', {
        reason: '--expires-in-days must be a whole number from 1 to 366',
      });
    let actions: Action[] | null = null;
    if (opts['actions'] !== undefined) {
      const parsed = parseActionList(String(opts['actions']));
      if ('problem' in parsed)
        throw new CrosswalkError('CW_ERR_CLI_USAGE', { reason: `--actions: ${parsed.problem}` });
      actions = parsed.actions;
    }
    await withMigratedStore(opts, async (store) => {
      const by = opts['passwordStdin']
        ? await signIn(store, user)
        : (await actingAs(store, opts, 'users.manage')).subject;
      const u = await findUser(store, user);
      if (!u || u.disabledAt !== null)
        throw new CrosswalkError('CW_ERR_IDENTITY_UNKNOWN', { what: 'enabled user', name: user });
      const t = issueToken();
      const at = now();
      const expiresAt = new Date(at.getTime() + days * 86_400_000).toISOString();
      const label = typeof opts['label'] === 'string' ? opts['label'] : null;
      await store.transaction(async (tx) => {
        await createToken(tx, {
          id: t.id,
          user,
          secretSha256: t.secretSha256,
          label,
          actions,
          at: at.toISOString(),
          by,
          expiresAt,
        });
        await appendAudit(tx, {
          at: at.toISOString(),
          actor: by,
          action: 'tokens.create',
          object: `token:${t.id}`,
          after: { user, expiresAt, actions },
        });
      });
      emit(Boolean(opts['json']), { id: t.id, user, expiresAt, actions, token: t.token }, () =>
        [`token ${t.id} for ${user}, expires ${expiresAt} (shown once, store it now):`, t.token].join('\n'),
      );
    });
  });

  withSettings(
    tokens
      .command('list')
      .description('your tokens (or --user NAME / --all with users.manage); never their secrets')
      .option('--user <name>', 'another user’s tokens')
      .option('--all', 'every user’s tokens')
      .option('--json', 'print JSON'),
  ).action(async (opts: Record<string, unknown>) => {
    await withMigratedStore(opts, async (store) => {
      const me = await authenticated(store, opts, 'tokens.list');
      const user = opts['all'] ? undefined : typeof opts['user'] === 'string' ? opts['user'] : me.subject;
      if (user !== me.subject) await alsoAllowed(store, me, 'users.manage');
      const rows = await listTokens(store, user);
      emit(Boolean(opts['json']), rows, () =>
        rows.length === 0
          ? 'no tokens'
          : table([
              ['ID', 'USER', 'LABEL', 'ACTIONS', 'EXPIRES', 'REVOKED', 'LAST USED'],
              ...rows.map((r) => [
                r.id,
                r.user,
                r.label ?? '',
                r.actions?.join(',') ?? '(all of the user’s)',
                r.expiresAt,
                r.revokedAt ?? '',
                r.lastUsedAt ?? '',
              ]),
            ]),
      );
    });
  });

  withSettings(
    tokens
      .command('revoke')
      .description('revoke a token by id: your own, or anyone’s with users.manage')
      .argument('<id>')
      .option('--json', 'print JSON'),
  ).action(async (id: string, opts: Record<string, unknown>) => {
    await withMigratedStore(opts, async (store) => {
      const me = await authenticated(store, opts, 'tokens.revoke');
      const t = await findToken(store, id);
      if (!t) throw new CrosswalkError('CW_ERR_IDENTITY_UNKNOWN', { what: 'token', name: id });
      if (t.user !== me.subject) await alsoAllowed(store, me, 'users.manage');
      const at = now().toISOString();
      const changed = await store.transaction(async (tx) => {
        const changed = await revokeToken(tx, id, me.subject, at);
        if (changed)
          await appendAudit(tx, { at, actor: me.subject, action: 'tokens.revoke', object: `token:${id}` });
        return changed;
      });
      emit(Boolean(opts['json']), { id, changed }, () =>
        changed ? `revoked token ${id}` : `token ${id} was already revoked`,
      );
    });
  });
}

/** Checks `user`'s password from stdin; a failure is audited and answered like any failed sign-in. */
async function signIn(store: Store, user: string): Promise<string> {
  const password = await readStdinLine();
  const u = await findUser(store, user);
  if (!u || u.disabledAt !== null || !verifyPassword(password, u.passwordHash)) {
    await store.transaction((tx) =>
      appendAudit(tx, {
        at: now().toISOString(),
        actor: u ? u.name : 'anonymous',
        action: 'auth.sign_in_failed',
        object: 'cli:tokens.create',
      }),
    );
    throw new CrosswalkError('CW_ERR_AUTH_SIGN_IN', {});
  }
  return u.name;
}
