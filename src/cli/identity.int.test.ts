/**
 * `crosswalk users | roles | tokens` through the real binary, per engine: the first administrator with a
 * generated password, tokens from a password on stdin, grants under the rules, refusals in one line and
 * in the audit log.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { readAuditChain } from '../store/audit-repository.ts';
import { openStore } from '../store/index.ts';
import { eachEngine } from '../store/test-engines.ts';
import { killChildren, runCli } from './test-process.ts';

after(killChildren);

eachEngine('crosswalk users, roles and tokens', (engine) => {
  test('first administrator, tokens, grants and their rules', async () => {
    const env = { CROSSWALK_DATABASE_URL: await engine.freshUrl({ migrated: true }) };
    const cli = (args: string[], token?: string, input?: string) =>
      runCli(args, { ...env, ...(token ? { CROSSWALK_TOKEN: token } : {}) }, 60_000, input);
    assert.equal((await cli(['migrate'])).code, 0);

    const none = await cli(['users', 'list']);
    assert.equal(none.code, 1);
    assert.equal(
      none.stderr,
      'crosswalk: authentication required: set CROSSWALK_TOKEN to an API token (crosswalk tokens create) or pass --token-file PATH [CW_ERR_AUTH_REQUIRED]\n',
    );

    const admin = await cli(['users', 'create', 'sec', '--admin', '--json']);
    assert.equal(admin.code, 0, admin.stderr);
    const { password } = JSON.parse(admin.stdout) as { password: string };
    assert.match(password, /^[A-Za-z0-9_-]{24}$/, 'a generated password, printed once');
    const second = await cli(['users', 'create', 'sec2', '--admin']);
    assert.equal(second.code, 1);
    assert.match(second.stderr, /a security administrator exists/);

    const wrong = await cli(
      ['tokens', 'create', '--user', 'sec', '--expires-in-days', '1', '--password-stdin'],
      undefined,
      'nope\n',
    );
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /sign-in failed: .* \[CW_ERR_AUTH_SIGN_IN\]/);
    const mine = await cli(
      ['tokens', 'create', '--user', 'sec', '--expires-in-days', '1', '--password-stdin', '--json'],
      undefined,
      `${password}\n`,
    );
    assert.equal(mine.code, 0, mine.stderr);
    const secToken = (JSON.parse(mine.stdout) as { token: string }).token;
    assert.match(secToken, /^cwt_[0-9a-f]{12}_/);

    const short = await cli(['users', 'create', 'ana', '--password-stdin'], secToken, 'short\n');
    assert.equal(short.code, 1);
    assert.match(short.stderr, /at least 12 characters/);
    assert.equal(
      (await cli(['users', 'create', 'ana', '--password-stdin'], secToken, 'ana’s long passphrase\n')).code,
      0,
    );
    const grant = await cli(['roles', 'grant', 'ana', 'controller', '--scope', 'entity:HRMC'], secToken);
    assert.equal(grant.code, 0, grant.stderr);
    const self = await cli(['roles', 'grant', 'sec', 'auditor'], secToken);
    assert.match(self.stderr, /nobody grants roles to themself \[CW_ERR_IDENTITY_RULE\]/);
    const mixed = await cli(['roles', 'grant', 'ana', 'security_admin'], secToken);
    assert.match(mixed.stderr, /ana holds business roles \(controller\); a security_admin may hold none/);
    const unknown = await cli(['roles', 'grant', 'ana', 'king'], secToken);
    assert.match(unknown.stderr, /king is not a role/);

    const forAna = await cli(
      ['tokens', 'create', '--user', 'ana', '--expires-in-days', '7', '--actions', 'ledger.read', '--json'],
      secToken,
    );
    assert.equal(forAna.code, 0, forAna.stderr);
    const anaToken = (JSON.parse(forAna.stdout) as { token: string; id: string }).token;
    const anaManages = await cli(['users', 'list'], anaToken);
    assert.equal(anaManages.code, 1);
    assert.match(
      anaManages.stderr,
      /ana may not users.manage: the credential is not scoped for users.manage/,
    );
    const impostor = await cli(['publish', 'items', '--as', 'ana'], secToken);
    assert.match(impostor.stderr, /the claimed actor ana is not the authenticated sec/);

    const list = JSON.parse((await cli(['users', 'list', '--json'], secToken)).stdout) as {
      user: string;
      roles: string[];
    }[];
    assert.deepEqual(
      list.map((u) => `${u.user}: ${u.roles.join(',')}`),
      ['ana: controller@entity:HRMC', 'sec: security_admin'],
    );
    assert.equal((await cli(['roles', 'revoke', 'ana', 'controller'], secToken)).code, 0);
    assert.equal((await cli(['users', 'disable', 'ana'], secToken)).code, 0);
    const disabled = await cli(['ledger', 'periods'], anaToken);
    assert.match(disabled.stderr, /the user is disabled \[CW_ERR_AUTH_INVALID\]/);

    const store = await openStore(env.CROSSWALK_DATABASE_URL);
    try {
      const chain = await readAuditChain(store);
      const actions = chain.map((r) => `${r.actor} ${r.action}`);
      for (const expected of [
        'anonymous auth.refused',
        'host users.create',
        'host roles.grant',
        'sec auth.sign_in_failed',
        'sec tokens.create',
        'sec users.create',
        'sec roles.grant',
        'ana auth.refused',
        'sec auth.refused',
        'sec roles.revoke',
        'sec users.disable',
      ])
        assert.equal(actions.includes(expected), true, `audited: ${expected} (in ${actions.join('; ')})`);
      const text = JSON.stringify(chain);
      assert.equal(
        text.includes(secToken.slice(17)) || text.includes(anaToken.slice(17)),
        false,
        'no secret',
      );
      assert.equal(text.includes(password), false, 'no password');
    } finally {
      await store.close();
    }
  });
});
