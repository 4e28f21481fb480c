/**
 * `crosswalk serve` signs audit checkpoints on its own, per engine: with a short
 * CROSSWALK_AUDIT_CHECKPOINT_INTERVAL_MS a checkpoint of the head appears in the folder, a new one
 * follows an audited change made by another process, and `crosswalk audit verify` agrees with them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { tokenKeyFolder } from '../apply/testing.ts';
import { until } from '../mllp/test-peer.ts';
import { testKeys } from '../server/smart-testing.ts';
import { eachEngine } from '../store/test-engines.ts';
import { tokensAt } from '../store/test-identities.ts';
import { killChildren, runCli, startServe } from './test-process.ts';

after(killChildren);

eachEngine('serve writes audit checkpoints', (engine) => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-audit-serve-'));
  const keys = tokenKeyFolder();
  after(() => {
    keys.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a checkpoint per interval when the head moved, verified by audit verify', async (t) => {
    const checkpoints = join(dir, `checkpoints-${engine.dialect}`);
    const env = {
      CROSSWALK_DATABASE_URL: await engine.freshUrl({ migrated: true }),
      CROSSWALK_TOKEN_KEY_FILE: keys.keyFile,
      CROSSWALK_AUDIT_KEY_FILE: join(dir, `audit-${engine.dialect}.key`),
      CROSSWALK_AUDIT_CHECKPOINT_DIR: checkpoints,
      CROSSWALK_AUDIT_CHECKPOINT_INTERVAL_MS: '300',
    };
    const run = async (args: string[]) => {
      const r = await runCli(args, env);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      return r;
    };
    await run(['migrate']);
    const { sam } = await tokensAt(env.CROSSWALK_DATABASE_URL, { sam: ['security_admin'] });
    const asSam = async (args: string[]) => {
      const r = await runCli(args, { ...env, CROSSWALK_TOKEN: sam! });
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      return r;
    };
    const jwks = join(dir, `jwks-${engine.dialect}.json`);
    writeFileSync(jwks, JSON.stringify({ keys: [testKeys('ES384', 'k1').publicJwk] }));
    await asSam(['clients', 'register', 'c1', '--jwks', jwks, '--scopes', 'system/*.read', '--as', 'sam']);

    const files = () => {
      try {
        return readdirSync(checkpoints)
          .filter((n) => /^audit-checkpoint-\d+\.json$/.test(n))
          .sort();
      } catch {
        return [];
      }
    };
    const serve = await startServe(env);
    t.after(() => serve.stop());
    await until(() => files().length >= 1, 30_000, 'the first checkpoint');
    assert.deepEqual(files(), ['audit-checkpoint-000000000001.json']);

    await asSam(['clients', 'disable', 'c1', '--as', 'sam']);
    await until(() => files().length >= 2, 30_000, 'a checkpoint after the change');
    assert.deepEqual(files(), ['audit-checkpoint-000000000001.json', 'audit-checkpoint-000000000002.json']);
    assert.equal(await serve.stop(), 0);

    const v = JSON.parse((await asSam(['audit', 'verify', '--json'])).stdout) as {
      ok: boolean;
      checkpoints: number;
    };
    assert.deepEqual([v.ok, v.checkpoints], [true, 2]);
  });
});
