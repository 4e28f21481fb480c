/**
 * `crosswalk exceptions …` and `crosswalk verify` through the real binary, per engine, after a served
 * demo day (which plants messages with unmapped supply codes and unknown departments): the queue lists
 * them with owners and due dates; show gives evidence, message and history; a plain replay still fails
 * (exit 1); a corrected supply code waits for a second person and then applies; ignore needs a reason;
 * verify is clean (exit 0), seals, and names a tampered message (exit 1). Bad input is one line.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { tokenKeyFolder } from '../apply/testing.ts';
import { generateDemoHealthSystem } from '../demo/index.ts';
import { demoRelease } from '../mapping/index.ts';
import { openStore } from '../store/index.ts';
import { eachEngine } from '../store/test-engines.ts';
import { authedCli, demoDay, killChildren } from './test-process.ts';

const oneLine = (s: string) => s.trim().split('\n').length === 1;
const noStack = (s: string) => !/\n\s+at /.test(s);
const KNOWN_CODE = demoRelease(generateDemoHealthSystem()).items[0]!.ehrSupplyCode;

interface Row {
  id: string;
  status: string;
  team: string;
  reasonCode: string;
  due: string;
  overdue: boolean;
  evidence: { params?: { position?: string } };
  failedMessage: { id: string; state: string } | null;
}

after(killChildren);

eachEngine('crosswalk exceptions and verify', (engine) => {
  const keys = tokenKeyFolder();
  after(() => keys.remove());

  test('the demo day queue: list, show, assign, replay, correct with a second person, ignore, verify', {
    timeout: 300_000,
  }, async () => {
    const url = await engine.freshUrl({ migrated: true });
    const env = { CROSSWALK_DATABASE_URL: url, CROSSWALK_TOKEN_KEY_FILE: keys.keyFile };
    await demoDay(env);
    const cli = authedCli(() => env);
    const run = async (args: string[], code = 0) => {
      const r = await cli(args);
      assert.equal(r.code, code, `${args.join(' ')} exits ${code}: ${r.stdout}${r.stderr}`);
      return r;
    };
    const json = async <T>(args: string[], code = 0): Promise<T> =>
      JSON.parse((await run([...args, '--json'], code)).stdout) as T;
    const refused = async (args: string[], code: number, pattern: RegExp) => {
      const r = await cli(args);
      assert.equal(r.code, code, `${args.join(' ')} exits ${code}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, pattern);
      assert.ok(oneLine(r.stderr), `one line: ${r.stderr}`);
      assert.ok(noStack(r.stderr), 'no stack trace');
    };

    const unmapped = await json<Row[]>(['exceptions', 'list', '--reason-code', 'CW_ERR_MAP_UNMAPPED_ITEM']);
    const departments = await json<Row[]>([
      'exceptions',
      'list',
      '--team',
      'data-stewardship',
      '--replayable',
    ]);
    assert.ok(unmapped.length >= 1, 'the demo day has unmapped supply codes');
    assert.ok(departments.length >= 1, 'and unknown departments, owned by data stewardship');
    for (const x of unmapped) {
      assert.equal(x.team, 'supply-chain');
      assert.equal(x.status, 'open');
      assert.equal(x.failedMessage?.state, 'failed');
    }
    const text = (await run(['exceptions', 'list'])).stdout;
    assert.match(text, /^ID\s+STATUS\s+TEAM\s+REASON/m);
    assert.match(
      text,
      new RegExp(`^${unmapped[0]!.id}\\s+open\\s+supply-chain\\s+CW_ERR_MAP_UNMAPPED_ITEM`, 'm'),
    );
    assert.deepEqual(await json<Row[]>(['exceptions', 'list', '--status', 'resolved']), []);

    const x = unmapped[0]!;
    const shown = (await run(['exceptions', 'show', x.id])).stdout;
    assert.match(shown, /owned by supply-chain, SLA 24 h/);
    assert.match(shown, new RegExp(`message\\s+${x.failedMessage!.id} DFT\\^P03`));
    assert.match(shown, /history:\n\s+\S+\s+raised/);

    await run(['exceptions', 'assign', x.id, '--to', 'sam', '--as', 'lead', '--due', '2030-01-01T00:00:00Z']);
    await run(['exceptions', 'comment', x.id, '--text', 'looking at the item master', '--as', 'sam']);
    const still = await json<{ result: string; code: string }>(
      ['exceptions', 'replay', x.id, '--as', 'sam'],
      1,
    );
    assert.equal(still.result, 'failed', 'nothing fixed the cause yet');
    assert.equal(still.code, 'CW_ERR_MAP_UNMAPPED_ITEM');

    // The position of the unmapped code is in the evidence; correct it to a mapped code.
    const position = x.evidence.params?.position;
    assert.match(String(position), /^FT1(\[\d+\])?-7/, 'the evidence names the field');
    const edit = await json<{ needsApproval: boolean; replay: unknown }>([
      'exceptions',
      'replay',
      x.id,
      '--as',
      'sam',
      '--set',
      `${String(position).replace(/\.\d+$/, '')}.1=${KNOWN_CODE}`,
      '--edit-reason',
      'code typed wrong at the point of care',
    ]);
    assert.equal(edit.needsApproval, true);
    assert.equal(edit.replay, null);
    await refused(
      ['exceptions', 'approve', x.id, '--as', 'Sam'],
      1,
      /someone else must approve it \[CW_ERR_EXCEPTION_SELF_APPROVAL\]/,
    );
    const approved = await json<{ replay: { result: string } }>([
      'exceptions',
      'approve',
      x.id,
      '--as',
      'kim',
    ]);
    assert.equal(approved.replay.result, 'applied');
    const after = await json<
      Row & { history: { kind: string; actor: string }[]; revisions: { status: string }[] }
    >(['exceptions', 'show', x.id]);
    assert.equal(after.status, 'resolved');
    assert.equal(after.due, '2030-01-01T00:00:00.000Z');
    assert.deepEqual(
      after.history.map((h) => `${h.kind}:${h.actor}`),
      [
        'assigned:lead',
        'commented:sam',
        'replay-failed:sam',
        'edit-proposed:sam',
        'edit-approved:kim',
        'replayed:kim',
      ],
    );
    assert.deepEqual(
      after.revisions.map((r) => r.status),
      ['approved'],
    );
    const again = await json<{ result: string }>(['exceptions', 'replay', x.id, '--as', 'sam']);
    assert.equal(again.result, 'already-applied', 'a second replay does nothing');

    const d = departments[0]!;
    await refused(
      ['exceptions', 'ignore', d.id, '--as', 'sam', '--reason', ' '],
      1,
      /a reason for ignoring it is required/,
    );
    await run([
      'exceptions',
      'ignore',
      d.id,
      '--as',
      'sam',
      '--reason',
      'department closed, charges moved by hand',
    ]);
    await refused(
      ['exceptions', 'resolve', d.id, '--as', 'sam'],
      1,
      /is ignored; it cannot be resolved \[CW_ERR_EXCEPTION_BAD_TRANSITION\]/,
    );

    const bulk = await json<{ replayed: number; failed: number }>(
      ['exceptions', 'replay', '--reason-code', 'CW_ERR_MAP_UNMAPPED_ITEM', '--as', 'sam'],
      unmapped.length > 1 ? 1 : 0,
    );
    assert.equal(bulk.replayed, unmapped.length - 1, 'the others, still unmapped');
    assert.equal(bulk.failed, unmapped.length - 1);

    await refused(['exceptions', 'show', 'abc'], 2, /an exception id is a number/);
    await refused(['exceptions', 'show', '99999'], 1, /no exception with id 99999/);
    await refused(['exceptions', 'replay', '--as', 'sam'], 2, /name what to replay/);
    await refused(
      ['exceptions', 'replay', x.id, '--as', 'sam', '--set', 'MSH-10=X'],
      1,
      /MSH identifies the message/,
    );
    await refused(['exceptions', 'list', '--status', 'later'], 2, /--status: .*status later/);

    // verify: clean, sealed, then a stored message rewritten behind its back is named.
    const clean = await json<{ ok: boolean; violations: unknown[] }>(['verify']);
    assert.deepEqual(clean.violations, []);
    assert.match(
      (await run(['verify', '--seal', '--as', 'auditor'])).stdout,
      /no invariant violated; sealed by auditor/,
    );
    const store = await openStore(url);
    try {
      await store.execute("UPDATE inbound_messages SET control_id = control_id || 'X' WHERE id = ?", [
        BigInt(x.failedMessage!.id),
      ]);
    } finally {
      await store.close();
    }
    const broken = await run(['verify'], 1);
    assert.match(
      broken.stdout,
      /^1 violation\(s\):\n\s+immutable-changed\s+table inbound_messages: rows up to id \d+ changed/,
    );
  });
});
