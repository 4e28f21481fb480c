/**
 * `crosswalk replay` through the real binary, per engine, on a demo day that was sent over MLLP and
 * applied: under the active release nothing differs; under a candidate that debits implant expense for
 * supplies, exactly those entries change and the nets move between the two accounts; replay threads give
 * the same report as one thread; --apply needs two different people and leaves nothing to correct.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generateDemoHealthSystem } from '../demo/index.ts';
import { contentHash, createRelease, demoRelease, releaseToFiles } from '../mapping/index.ts';
import { asNumber, openStore } from '../store/index.ts';
import { eachEngine } from '../store/test-engines.ts';
import { authedCli, demoDay, killChildren } from './test-process.ts';

interface Report {
  messages: number;
  events: { added: number; removed: number; changed: number; same: number };
  entries: { added: number; removed: number; changed: number; same: number };
  byAccount: { entity: string; account: string; costCenter: string | null; delta: string }[];
  firstDifferences: { messageId: string; what: string }[];
  applied: number | null;
}

after(killChildren);

eachEngine('crosswalk replay', (engine) => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-replay-'));
  const demo = demoRelease(generateDemoHealthSystem({ seed: 42 }));
  const demoId = contentHash(demo);
  const edited = {
    ...demo,
    accountDetermination: demo.accountDetermination.map((r) =>
      r.itemCategory === '*' && r.entityCode === '*' && r.eventType === 'SupplyUsed'
        ? { ...r, debitRole: 'implant-expense' }
        : r,
    ),
  };
  const editedId = createRelease(edited, 'ann').id;
  let env: Record<string, string>;

  const cli = authedCli(() => env);
  const ok = async (args: string[]) => {
    const r = await cli(args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    return r;
  };
  const report = async (args: string[]) =>
    JSON.parse((await ok(['replay', ...args, '--json'])).stdout) as Report;
  const refused = async (args: string[], code: number, pattern: RegExp) => {
    const r = await cli(args);
    assert.equal(r.code, code, `${args.join(' ')} exits ${code}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  };

  before(async () => {
    env = {
      CROSSWALK_DATABASE_URL: await engine.freshUrl({ migrated: true }),
      CROSSWALK_TOKEN_KEY_FILE: join(dir, 'token.key'),
    };
    await demoDay(env);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('under the active release nothing differs, on one thread or several', async () => {
    const one = await report(['--release', demoId.slice(0, 12), '--threads', '0']);
    assert.ok(one.messages > 100, `the demo day was replayed (${one.messages} messages)`);
    assert.deepEqual([one.entries.changed, one.entries.added, one.entries.removed], [0, 0, 0]);
    assert.deepEqual([one.events.changed, one.events.added, one.events.removed], [0, 0, 0]);
    assert.deepEqual(one.byAccount, []);
    assert.ok(one.entries.same > 0, 'entries were compared');
    const two = await report(['--release', demoId, '--threads', '2']);
    assert.deepEqual(two, one, 'threads change nothing in the report');
  });

  test('a candidate that re-points supply expense changes exactly those entries; --apply corrects them', async () => {
    const folder = join(dir, 'edited');
    mkdirSync(folder, { recursive: true });
    for (const [name, text] of Object.entries(releaseToFiles(edited)))
      writeFileSync(join(folder, name), text);
    await ok(['release', 'propose', folder, '--author', 'ann']);
    const one = await report(['--release', editedId, '--threads', '0']);
    assert.ok(one.entries.changed > 0, 'supply entries change');
    assert.deepEqual([one.entries.added, one.entries.removed], [0, 0], 'none appear or vanish');
    assert.deepEqual(
      [one.events.changed, one.events.added, one.events.removed],
      [0, 0, 0],
      'events do not change',
    );
    const perEntity = new Map<string, bigint>();
    for (const a of one.byAccount) perEntity.set(a.entity, (perEntity.get(a.entity) ?? 0n) + BigInt(a.delta));
    assert.ok(one.byAccount.length >= 2, 'money moves between accounts');
    for (const [entity, net] of perEntity) assert.equal(net, 0n, `${entity}: the deltas net to zero`);
    assert.ok(one.firstDifferences.length > 0 && one.firstDifferences.length <= 10);
    assert.deepEqual(await report(['--release', editedId, '--threads', '2']), one, 'threads change nothing');

    await refused(
      ['replay', '--release', editedId, '--apply', '--as', 'ann', '--approved-by', 'ann'],
      1,
      /someone other than the preparer/,
    );
    const applied = await report(['--release', editedId, '--apply', '--as', 'ann', '--approved-by', 'bob']);
    assert.equal(applied.applied, applied.entries.changed * 2, 'a reversal and a replacement per change');
    const store = await openStore(env['CROSSWALK_DATABASE_URL']!);
    try {
      const docs = await store.query(
        "SELECT kind, item_count FROM outbox_documents WHERE ordering_key LIKE 'replay:%'",
      );
      assert.ok(docs.length >= 1, 'the corrections are queued for the ERP');
      assert.equal(
        docs.reduce((n, d) => n + asNumber(d['item_count']), 0),
        applied.applied,
        'every correction entry is in a journal document',
      );
      assert.deepEqual([...new Set(docs.map((d) => d['kind']))], ['journal-batch']);
    } finally {
      await store.close();
    }
    const after = await report(['--release', editedId]);
    assert.deepEqual([after.entries.changed, after.entries.added, after.entries.removed], [0, 0, 0]);
    assert.deepEqual(after.byAccount, [], 'nothing left to correct');
  });

  test('bad flags get one line and exit 2', async () => {
    await refused(['replay', '--release', demoId, '--threads', 'many'], 2, /--threads takes 0\.\.64/);
    await refused(['replay', '--release', 'zz'], 2, /--release takes a release id/);
  });
});
