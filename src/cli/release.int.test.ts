/**
 * `crosswalk release …` against a demo database, per engine, through the real binary: a release
 * exported from the active one, edited (one account-determination row) and proposed; reviewed with
 * list/show and its diff; self-approval refused; approved by someone else, activated, rolled back to the
 * demo release. Malformed folders and bad ids give one line and exit 1 (2 for a malformed id).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generateDemoHealthSystem } from '../demo/index.ts';
import {
  contentHash,
  createRelease,
  demoRelease,
  type ReleaseContent,
  releaseToFiles,
} from '../mapping/index.ts';
import { openStore } from '../store/index.ts';
import { saveRelease } from '../store/posting-repository.ts';
import { eachEngine } from '../store/test-engines.ts';
import { peopleAt } from '../store/test-identities.ts';
import { asTokenUser, killChildren, runCli } from './test-process.ts';

const oneLine = (s: string) => s.trim().split('\n').length === 1;
const noStack = (s: string) => !/\n\s+at /.test(s);

/** The demo release with the catch-all SupplyUsed row debiting implant expense instead of supply expense. */
function editedContent(base: ReleaseContent): ReleaseContent {
  let edited = 0;
  const accountDetermination = base.accountDetermination.map((r) => {
    if (r.itemCategory !== '*' || r.entityCode !== '*' || r.eventType !== 'SupplyUsed') return r;
    edited++;
    return { ...r, debitRole: 'implant-expense' };
  });
  assert.equal(edited, 1, 'the demo release has one catch-all SupplyUsed row');
  return { ...base, accountDetermination };
}

function writeFolder(dir: string, files: Record<string, string>): string {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

after(killChildren);

eachEngine('crosswalk release', (engine) => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-release-'));
  const demo = demoRelease(generateDemoHealthSystem({ seed: 42 }));
  const demoId = contentHash(demo);
  const edited = editedContent(demo);
  const editedId = createRelease(edited, 'ann').id;
  let env: Record<string, string>;
  let url: string;

  let people: Record<string, string> = {};
  const cli = (given: string[]) => {
    const { args, env: who } = asTokenUser(people, 'reader')(given);
    return runCli(args, { ...env, ...who });
  };
  const ok = async (args: string[]) => {
    const r = await cli(args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    return r;
  };
  const json = async <T = Record<string, unknown>>(args: string[]): Promise<T> =>
    JSON.parse((await ok([...args, '--json'])).stdout) as T;
  const refused = async (args: string[], code: number, pattern: RegExp) => {
    const r = await cli(args);
    assert.equal(r.code, code, `${args.join(' ')} exits ${code}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.ok(oneLine(r.stderr), `one line: ${r.stderr}`);
    assert.ok(noStack(r.stderr), 'no stack trace');
    return r;
  };
  const statuses = async () =>
    Object.fromEntries(
      (await json<{ id: string; status: string; active: boolean }[]>(['release', 'list'])).map((r) => [
        r.id,
        r.status,
      ]),
    );

  before(async () => {
    url = await engine.freshUrl({ migrated: true });
    env = { CROSSWALK_DATABASE_URL: url };
    await ok(['demo', '--no-serve']);
    people = await peopleAt(url, ['ann', 'bob', 'carol', 'dave', 'reader']);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('rolling back with no earlier release is refused', async () => {
    await refused(['release', 'rollback', '--as', 'bob'], 1, /no earlier active release/);
    assert.deepEqual(await statuses(), { [demoId]: 'active' });
  });

  test('export writes the active release in the folder format (CSV byte for byte)', async () => {
    const out = join(dir, 'exported');
    const r = await ok(['release', 'export', 'active', out]);
    assert.match(r.stdout, new RegExp(`wrote release ${demoId.slice(0, 12)}`));
    for (const [name, text] of Object.entries(releaseToFiles(demo))) {
      const written = readFileSync(join(out, name), 'utf8');
      // Stored content is canonical JSON (sorted keys), so release.json may order its keys differently.
      if (name === 'release.json') assert.deepEqual(JSON.parse(written), JSON.parse(text), name);
      else assert.equal(written, text, name);
    }
    await refused(['release', 'export', demoId.slice(0, 8), out], 1, /already holds .*--force/);
    await ok(['release', 'export', demoId.slice(0, 8), out, '--force']);
  });

  test('propose → show → self-approval refused → approve → activate → rollback', async () => {
    const folder = writeFolder(join(dir, 'edited'), releaseToFiles(edited));
    const proposed = await ok(['release', 'propose', folder, '--author', 'ann']);
    assert.match(proposed.stdout, new RegExp(`proposed release ${editedId.slice(0, 12)}`));
    assert.match(proposed.stdout, /^\s+accountDetermination\s+0\s+0\s+1$/m, proposed.stdout);
    assert.doesNotMatch(proposed.stdout, /^\s+items\s/m, 'unchanged tables are not listed');

    const again = await json<{ id: string; stored: boolean; diff: { tables: Record<string, unknown> } }>([
      'release',
      'propose',
      folder,
      '--author',
      'dave',
    ]);
    assert.equal(again.id, editedId, 'the id is the content hash');
    assert.equal(again.stored, false, 'the same content is the same release: nothing new stored');
    assert.deepEqual(await statuses(), { [demoId]: 'active', [editedId]: 'proposed' });
    const listed = await ok(['release', 'list']);
    assert.match(listed.stdout, new RegExp(`^${demoId.slice(0, 12)}\\s.*ACTIVE$`, 'm'));
    assert.match(listed.stdout, new RegExp(`^${editedId.slice(0, 12)}\\s.*proposed\\s+ann\\s`, 'm'));

    const shown = await ok(['release', 'show', editedId.slice(0, 8)]);
    assert.match(shown.stdout, new RegExp(`^release ${editedId}$`, 'm'));
    assert.match(shown.stdout, /^\s+author\s+ann, proposed /m);
    assert.match(
      shown.stdout,
      new RegExp(`^\\s+account-determination\\.csv\\s+${demo.accountDetermination.length}$`, 'm'),
    );
    assert.match(
      shown.stdout,
      /~ account-determination\.csv item_category=\* entity_code=\* event_type=SupplyUsed: debit_role supply-expense → implant-expense/,
    );
    type Diff = {
      tables: Record<
        string,
        { added: unknown[]; removed: unknown[]; changed: { after: Record<string, unknown> }[] }
      >;
    };
    const detail = await json<{ status: string; rowCounts: Record<string, number>; diff: Diff }>([
      'release',
      'show',
      editedId,
    ]);
    assert.equal(detail.status, 'proposed');
    assert.equal(detail.rowCounts['items'], demo.items.length);
    for (const [name, d] of Object.entries(detail.diff.tables)) {
      const n = name === 'accountDetermination' ? 1 : 0;
      assert.deepEqual([d.added.length, d.removed.length, d.changed.length], [0, 0, n], name);
    }
    assert.equal(
      detail.diff.tables['accountDetermination']!.changed[0]!.after['debitRole'],
      'implant-expense',
    );

    await refused(
      ['release', 'approve', editedId.slice(0, 10), '--as', ' ANN '],
      1,
      /proposed by ann; someone else must approve it \[CW_ERR_MAP_SELF_APPROVAL\]/,
    );
    await refused(['release', 'activate', editedId, '--as', 'bob'], 1, /is proposed; it cannot be activated/);
    const approved = await ok(['release', 'approve', editedId.slice(0, 10), '--as', 'bob']);
    assert.match(approved.stdout, /approved by bob \(proposed by ann\)/);
    await refused(
      ['release', 'approve', editedId, '--as', 'carol'],
      1,
      /already approved by bob; it cannot be approved again/,
    );
    assert.deepEqual(await statuses(), { [demoId]: 'active', [editedId]: 'approved' });

    const activated = await json<{ id: string; previous: string }>([
      'release',
      'activate',
      editedId.slice(0, 8),
      '--as',
      'carol',
      '--note',
      'supplies to implants, test',
    ]);
    assert.deepEqual([activated.id, activated.previous], [editedId, demoId]);
    await refused(['release', 'activate', editedId, '--as', 'carol'], 1, /is active; it cannot be activated/);
    assert.deepEqual(await statuses(), { [demoId]: 'superseded', [editedId]: 'active' });

    const back = await json<{ from: string; to: string }>(['release', 'rollback', '--as', 'carol']);
    assert.deepEqual([back.from, back.to], [editedId, demoId]);
    assert.deepEqual(await statuses(), { [demoId]: 'active', [editedId]: 'superseded' });
    const history = await json<{ activations: { activatedBy: string; note: string }[] }>([
      'release',
      'show',
      'active',
    ]);
    assert.deepEqual(
      history.activations.map((a) => a.activatedBy),
      ['demo.controller', 'carol'],
      'the demo setup and the rollback activated the demo release',
    );
  });

  test('a malformed folder is refused in one line naming the file and line, and stores nothing', async () => {
    const before = await statuses();
    const files = releaseToFiles(demo);
    const practitioners = files['practitioners.csv']!;
    const badLine = practitioners.trimEnd().split('\n').length + 1;
    const ragged = writeFolder(join(dir, 'ragged'), {
      ...files,
      'practitioners.csv': `${practitioners}1234567893,EMP-X\n`,
    });
    await refused(
      ['release', 'propose', ragged, '--author', 'ann'],
      1,
      new RegExp(`practitioners\\.csv, line ${badLine}: 2 cells; the header has 4 \\[CW_ERR_MAP_FILE\\]`),
    );
    const items = files['items.csv']!.split('\n');
    items[2] = items[2]!.replace(/,(true|false),(true|false),/, ',perhaps,$2,');
    const badBool = writeFolder(join(dir, 'bad-bool'), { ...files, 'items.csv': items.join('\n') });
    await refused(
      ['release', 'propose', badBool, '--author', 'ann'],
      1,
      /items\.csv, line 3: implant must be true or false/,
    );
    const stray = writeFolder(join(dir, 'stray'), { ...files, 'itemz.csv': 'a,b\n' });
    await refused(
      ['release', 'propose', stray, '--author', 'ann'],
      1,
      /itemz\.csv, line 0: not a crosswalk table/,
    );
    await refused(['release', 'propose', join(dir, 'nowhere'), '--author', 'ann'], 1, /no such folder/);
    const anonymous = await runCli(['release', 'propose', ragged], env);
    assert.equal(anonymous.code, 1, 'without a token: refused in one line');
    assert.match(
      anonymous.stderr,
      /^crosswalk: authentication required: set CROSSWALK_TOKEN .* \[CW_ERR_AUTH_REQUIRED\]\n$/,
    );
    const impostor = await runCli(['release', 'propose', ragged, '--author', 'bob'], {
      ...env,
      CROSSWALK_TOKEN: people['ann']!,
    });
    assert.equal(impostor.code, 1);
    assert.match(
      impostor.stderr,
      /the claimed actor bob is not the authenticated ann \[CW_ERR_AUTH_ACTOR_MISMATCH\]/,
    );
    assert.deepEqual(await statuses(), before);
  });

  test('ids: a malformed id is a usage error; unknown and ambiguous prefixes are one line, exit 1', async () => {
    const store = await openStore(url);
    try {
      // Two stored releases whose ids share a prefix (their content is valid; only the ids are made up).
      const other = createRelease({ ...demo, name: 'prefix twin' }, 'erin');
      for (const tail of ['0', '1']) {
        await saveRelease(store, { ...other, id: `deadbeef${tail.repeat(56)}` }, new Date().toISOString());
      }
    } finally {
      await store.close();
    }
    await refused(
      ['release', 'show', 'deadbeef'],
      1,
      /release id deadbeef is ambiguous: it begins 2 ids .*\[CW_ERR_CLI_AMBIGUOUS_ID\]/,
    );
    assert.equal((await json<{ label: string }>(['release', 'show', 'deadbeef1'])).label, 'prefix twin');
    await refused(
      ['release', 'show', 'abcdef12'],
      1,
      /no mapping release abcdef12 \[CW_ERR_MAP_UNKNOWN_RELEASE\]/,
    );
    await refused(['release', 'approve', 'abc', '--as', 'bob'], 2, /at least 8 hex characters/);
  });
});
