/**
 * `crosswalk audit` through the real binary, per engine: release actions append to the hash chain in
 * the transaction that does them; the chain is listed, checkpointed outside the database and verified;
 * the database refuses to change it; an edit made around the triggers is named by its sequence number,
 * and cutting the chain back below a checkpoint is caught.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generateDemoHealthSystem } from '../demo/index.ts';
import { contentHash, createRelease, demoRelease, releaseToFiles } from '../mapping/index.ts';
import { openStore } from '../store/index.ts';
import { eachEngine } from '../store/test-engines.ts';
import { tokensAt } from '../store/test-identities.ts';
import { killChildren, runCli } from './test-process.ts';

after(killChildren);

eachEngine('crosswalk audit', (engine) => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-audit-'));
  const checkpoints = join(dir, 'checkpoints');
  const demo = demoRelease(generateDemoHealthSystem({ seed: 42 }));
  const edited = { ...demo, name: `${demo.name} (edited)` };
  const editedId = createRelease(edited, 'ann').id;
  let env: Record<string, string>;

  let tokens: Record<string, string> = {};
  const ok = async (args: string[], who = 'aud') => {
    const r = await runCli(args, { ...env, CROSSWALK_TOKEN: tokens[who] ?? '' });
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    return r;
  };
  const verify = async () => {
    const r = await runCli(['audit', 'verify', '--json'], { ...env, CROSSWALK_TOKEN: tokens['aud']! });
    return {
      code: r.code,
      v: JSON.parse(r.stdout) as {
        ok: boolean;
        records: number;
        firstBadSeq: number | null;
        problem: string | null;
      },
    };
  };
  const sql = async (statements: string[]) => {
    const store = await openStore(env['CROSSWALK_DATABASE_URL']!);
    try {
      for (const s of statements) await store.executeScript(s);
    } finally {
      await store.close();
    }
  };

  before(async () => {
    env = {
      CROSSWALK_DATABASE_URL: await engine.freshUrl({ migrated: true }),
      CROSSWALK_TOKEN_KEY_FILE: join(dir, 'token.key'),
      CROSSWALK_AUDIT_KEY_FILE: join(dir, 'audit.key'),
      CROSSWALK_AUDIT_CHECKPOINT_DIR: checkpoints,
    };
    await ok(['demo', '--no-serve']);
    tokens = await tokensAt(env['CROSSWALK_DATABASE_URL']!, {
      ann: ['integration_engineer'],
      bob: ['data_steward'],
      carol: ['integration_engineer'],
      aud: ['auditor'],
    });
    const folder = join(dir, 'edited');
    mkdirSync(folder, { recursive: true });
    for (const [name, text] of Object.entries(releaseToFiles(edited)))
      writeFileSync(join(folder, name), text);
    await ok(['release', 'propose', folder, '--author', 'ann'], 'ann');
    await ok(['release', 'approve', editedId], 'bob');
    await ok(['release', 'activate', editedId, '--as', 'carol'], 'carol');
    await ok(['release', 'rollback'], 'carol');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('release actions are in the chain, in order, with who did them; a checkpoint is written outside the database', async () => {
    const list = JSON.parse((await ok(['audit', 'list', '--json'])).stdout) as {
      seq: number;
      actor: string;
      action: string;
      object: string;
    }[];
    assert.deepEqual(
      list.map((r) => [r.seq, r.actor, r.action, r.object]),
      [
        [1, 'ann', 'release.propose', `release:${editedId}`],
        [2, 'bob', 'release.approve', `release:${editedId}`],
        [3, 'carol', 'release.activate', `release:${editedId}`],
        [4, 'carol', 'release.rollback', `release:${contentHash(demo)}`],
      ],
    );
    await ok(['audit', 'checkpoint']);
    assert.equal(readdirSync(checkpoints).length, 1, 'one signed checkpoint file');
    const { code, v } = await verify();
    assert.deepEqual([code, v.ok, v.records], [0, true, 4]);
  });

  test('the database refuses to change the chain; an edit around the triggers and a cut-back chain are named', async () => {
    await assert.rejects(sql(["UPDATE audit_log SET actor = 'mallory' WHERE seq = 2"]), /append-only/);
    await assert.rejects(sql(['DELETE FROM audit_log WHERE seq = 4']), /append-only/);
    // Someone with the database's own rights drops the triggers and rewrites who approved.
    await sql(
      engine.dialect === 'sqlite'
        ? ['DROP TRIGGER audit_log_no_update', 'DROP TRIGGER audit_log_no_delete']
        : ['DROP TRIGGER audit_log_append_only ON audit_log'],
    );
    await sql(["UPDATE audit_log SET actor = 'mallory' WHERE seq = 2"]);
    let { code, v } = await verify();
    assert.deepEqual([code, v.ok, v.firstBadSeq, v.problem], [1, false, 2, 'modified']);
    const human = await runCli(['audit', 'verify'], { ...env, CROSSWALK_TOKEN: tokens['aud']! });
    assert.match(human.stdout, /audit chain broken at sequence 2 \(modified\)/);
    await sql(["UPDATE audit_log SET actor = 'bob' WHERE seq = 2"]);
    assert.equal((await verify()).v.ok, true, 'put back exactly, it verifies again');
    await sql(['DELETE FROM audit_log WHERE seq = 4']);
    ({ code, v } = await verify());
    assert.deepEqual([code, v.firstBadSeq, v.problem], [1, 4, 'truncated']);
  });
});
