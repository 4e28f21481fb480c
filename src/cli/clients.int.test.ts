/**
 * `crosswalk clients` through the real binary, per engine: register a system client by its public JWKS,
 * refuse a duplicate, a JWKS carrying a private key and a scope that is not SMART; list; then a real
 * `serve` (with CROSSWALK_PUBLIC_URL, as behind a proxy) issues that client a token for an assertion
 * addressed to the public token endpoint, /fhir accepts it, and `clients disable` stops it at once.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { tokenKeyFolder } from '../apply/testing.ts';
import { testAssertion, testKeys, tokenForm } from '../server/smart-testing.ts';
import { eachEngine } from '../store/test-engines.ts';
import { tokensAt } from '../store/test-identities.ts';
import { asTokenUser, killChildren, runCli, startServe } from './test-process.ts';

after(killChildren);

const PUBLIC = 'https://crosswalk.example.org';

eachEngine('crosswalk clients', (engine) => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-clients-'));
  const keys = tokenKeyFolder();
  after(() => {
    keys.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  test('register, list, a token from a real serve, disable', async (t) => {
    const env = {
      CROSSWALK_DATABASE_URL: await engine.freshUrl({ migrated: true }),
      CROSSWALK_TOKEN_KEY_FILE: keys.keyFile,
      CROSSWALK_PUBLIC_URL: PUBLIC,
    };
    let tokens: Record<string, string> = {};
    // Commands run with the API token of the person `--as` names (sam, the security admin, by default).
    const run = (given: string[]) => {
      const { args, env: token } = asTokenUser(tokens, 'sam')(given);
      return runCli(args, { ...env, ...token });
    };
    assert.equal((await run(['migrate'])).code, 0);
    tokens = await tokensAt(env.CROSSWALK_DATABASE_URL, { sam: ['security_admin'], fin: ['finance'] });

    const { privateKey, publicJwk } = testKeys('ES384', 'erp-key-2026');
    const jwksFile = join(dir, 'erp.jwks.json');
    writeFileSync(jwksFile, JSON.stringify({ keys: [publicJwk] }));
    const scopes = 'system/*.read system/SupplyDelivery.write';
    const reg = await run([
      'clients',
      'register',
      'erp-sync',
      '--jwks',
      jwksFile,
      '--scopes',
      scopes,
      '--name',
      'ERP sync',
      '--as',
      'sam',
      '--json',
    ]);
    assert.equal(reg.code, 0, reg.stderr);
    const shown = JSON.parse(reg.stdout) as {
      clientId: string;
      roles: string[];
      kids: string[];
      scopes: string;
    };
    assert.deepEqual(
      [shown.clientId, shown.roles, shown.kids, shown.scopes],
      ['erp-sync', ['service'], ['erp-key-2026'], scopes],
    );

    const again = await run([
      'clients',
      'register',
      'erp-sync',
      '--jwks',
      jwksFile,
      '--scopes',
      scopes,
      '--as',
      'sam',
    ]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^crosswalk: .*\[CW_ERR_SMART_CLIENT_EXISTS\]\n$/);
    const privateFile = join(dir, 'private.jwks.json');
    writeFileSync(
      privateFile,
      JSON.stringify({ keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'oops' }] }),
    );
    const leaked = await run([
      'clients',
      'register',
      'leaky',
      '--jwks',
      privateFile,
      '--scopes',
      scopes,
      '--as',
      'sam',
    ]);
    assert.equal(leaked.code, 1);
    assert.match(leaked.stderr, /private .*\[CW_ERR_SMART_BAD_JWKS\]/);
    const badScope = await run([
      'clients',
      'register',
      'odd',
      '--jwks',
      jwksFile,
      '--scopes',
      'user/*.read',
      '--as',
      'sam',
    ]);
    assert.equal(badScope.code, 1);
    assert.match(badScope.stderr, /\[CW_ERR_SMART_BAD_SCOPE\]/);
    const nobody = await runCli(['clients', 'register', 'anon', '--jwks', jwksFile, '--scopes', scopes], env);
    assert.equal(nobody.code, 1, 'a credential is mandatory');
    assert.match(nobody.stderr, /\[CW_ERR_AUTH_REQUIRED\]/);
    const finance = await run([
      'clients',
      'register',
      'anon',
      '--jwks',
      jwksFile,
      '--scopes',
      scopes,
      '--as',
      'fin',
    ]);
    assert.equal(finance.code, 1, "registering clients is a security administrator's");
    assert.match(finance.stderr, /\[CW_ERR_AUTH_FORBIDDEN\]/);

    const list = await run(['clients', 'list']);
    assert.equal(list.code, 0);
    assert.match(
      list.stdout,
      /erp-sync\s+active\s+service\s+erp-key-2026\s+system\/\*\.read system\/SupplyDelivery\.write/,
    );

    const serve = await startServe(env);
    t.after(() => serve.stop());
    const conf = (await (await fetch(`${serve.httpUrl}/fhir/.well-known/smart-configuration`)).json()) as {
      token_endpoint: string;
    };
    assert.equal(conf.token_endpoint, `${PUBLIC}/auth/token`, 'the public URL fixes the token endpoint');
    const client = {
      clientId: 'erp-sync',
      kid: 'erp-key-2026',
      alg: 'ES384' as const,
      privateKey,
      publicJwk,
    };
    const ask = (aud: string) =>
      fetch(`${serve.httpUrl}/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: tokenForm(testAssertion(client, aud), 'system/*.read'),
      });
    const local = await ask(`${serve.httpUrl}/auth/token`);
    assert.equal(local.status, 401, 'an assertion addressed to the Host-derived URL is not for this server');
    assert.equal(((await local.json()) as { code: string }).code, 'CW_ERR_SMART_WRONG_AUDIENCE');
    const res = await ask(conf.token_endpoint);
    assert.equal(res.status, 200);
    const token = ((await res.json()) as { access_token: string }).access_token;
    const read = () =>
      fetch(`${serve.httpUrl}/fhir/Practitioner`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal((await read()).status, 200);

    const off = await run(['clients', 'disable', 'erp-sync', '--as', 'sam']);
    assert.equal(off.code, 0, off.stderr);
    assert.equal((await read()).status, 401, 'a disabled client is refused at once');
    assert.match((await run(['clients', 'list'])).stdout, /erp-sync\s+disabled /);

    const audit = JSON.parse((await run(['audit', 'list', '--json'])).stdout) as {
      actor: string;
      action: string;
    }[];
    const actions = audit.map((r) => `${r.actor} ${r.action}`);
    assert.equal(actions.includes('sam users.manage'), true, actions.join(', '));
    assert.equal(actions.includes('client:erp-sync smart.token'), true, actions.join(', '));
  });
});
