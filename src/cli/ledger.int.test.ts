/**
 * `crosswalk ledger …` through the real binary, per engine: on the loaded demo (opening balances only)
 * and after a served demo day of traffic (which leaves four failed messages as open exceptions). The
 * trial balance nets to zero per entity in exact decimal text, the journal leads from each entry to its
 * event and inbound message, periods list, and the close follows the ledger's checks.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { DEFAULT_OPENING_DATE } from '../demo/index.ts';
import { openStore } from '../store/index.ts';
import { eachEngine } from '../store/test-engines.ts';
import { authedCli, demoDay, killChildren, runCli } from './test-process.ts';

const MONTH = DEFAULT_OPENING_DATE.slice(0, 7);
const NEXT_MONTH = new Date(Date.UTC(Number(MONTH.slice(0, 4)), Number(MONTH.slice(5, 7)), 1))
  .toISOString()
  .slice(0, 7);
const ENTITIES = ['HRMC', 'HRSC', 'WCCH'];
const DECIMAL = /^-?\d+\.\d{2}$/;
const minor = (text: string): bigint => BigInt(text.replace('.', ''));
const oneLine = (s: string) => s.trim().split('\n').length === 1;

interface TrialBalanceJson {
  balanced: boolean;
  rows: { entity: string; currency: string; debit: string; credit: string; net: string }[];
  totals: {
    entity: string;
    currency: string;
    debit: string;
    credit: string;
    net: string;
    balanced: boolean;
  }[];
}

after(killChildren);

/**
 * Runs `crosswalk demo` serving on free ports until it has sent and applied its day of traffic (it
 * prints "Press Ctrl-C"), then stops it with SIGTERM. Bounded: killed after `timeoutMs`.
 */

eachEngine('crosswalk ledger', (engine) => {
  const setUp = async () => {
    const env = { CROSSWALK_DATABASE_URL: await engine.freshUrl({ migrated: true }) };
    const cli = authedCli(() => env);
    const ok = async (args: string[]) => {
      const r = await cli(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      return r;
    };
    const json = async <T>(args: string[]): Promise<T> =>
      JSON.parse((await ok([...args, '--json'])).stdout) as T;
    const periodStatus = async (entity: string, id: string) =>
      (
        await json<{ entityCode: string; id: string; status: string }[]>([
          'ledger',
          'periods',
          '--entity',
          entity,
        ])
      ).find((p) => p.id === id)?.status;
    return { env, cli, ok, json, periodStatus };
  };

  const assertBalanced = (tb: TrialBalanceJson, entities: readonly string[]) => {
    assert.equal(tb.balanced, true);
    assert.deepEqual(
      tb.totals.map((t) => [t.entity, t.currency, t.net, t.balanced]),
      entities.map((e) => [e, 'USD', '0.00', true]),
    );
    for (const t of tb.totals) {
      const own = tb.rows.filter((r) => r.entity === t.entity && r.currency === t.currency);
      assert.ok(own.length >= 2, `${t.entity} has accounts`);
      for (const r of own) {
        for (const v of [r.debit, r.credit, r.net]) assert.match(v, DECIMAL, 'exact decimal text');
        assert.equal(minor(r.net), minor(r.debit) - minor(r.credit));
      }
      assert.equal(
        own.reduce((a, r) => a + minor(r.debit), 0n),
        minor(t.debit),
        'debits add up',
      );
      assert.equal(
        own.reduce((a, r) => a + minor(r.credit), 0n),
        minor(t.credit),
        'credits add up',
      );
      assert.ok(minor(t.debit) > 0n);
    }
  };

  test('the loaded demo: opening balances net to zero, periods list, the first open month closes in order', async () => {
    const { env, cli, ok, json, periodStatus } = await setUp();
    await ok(['demo', '--no-serve']);

    assertBalanced(await json<TrialBalanceJson>(['ledger', 'trial-balance']), ENTITIES);
    assertBalanced(
      await json<TrialBalanceJson>(['ledger', 'trial-balance', '--entity', 'HRSC', '--period', MONTH]),
      ['HRSC'],
    );
    const human = await ok(['ledger', 'trial-balance']);
    assert.equal(
      human.stdout.match(/^\S+\s+USD\s+total\s+net zero: balanced\s.*\s0\.00$/gm)?.length,
      3,
      human.stdout,
    );

    const periods = await json<{ entityCode: string; id: string; status: string; entries: number }[]>([
      'ledger',
      'periods',
    ]);
    assert.equal(periods.length, ENTITIES.length * 7, 'one closed month before the opening and six open');
    assert.deepEqual(
      periods.filter((p) => p.entityCode === 'HRMC').map((p) => p.status),
      ['closed', 'open', 'open', 'open', 'open', 'open', 'open'],
    );
    assert.equal(
      periods.find((p) => p.entityCode === 'HRMC' && p.id === MONTH)?.entries,
      1,
      'the opening entry',
    );

    const opening = await json<{ sourceEventId: string; sourceMessageId: string | null }[]>([
      'ledger',
      'journal',
      '--entity',
      'WCCH',
    ]);
    assert.deepEqual(
      opening.map((e) => [e.sourceEventId, e.sourceMessageId]),
      [['opening:WCCH', null]],
      'the opening entry has no inbound message',
    );

    // A later month waits for the earlier one, and a refusal for order changes nothing.
    const later = await cli(['ledger', 'close', 'HRMC', NEXT_MONTH, '--as', 'carol']);
    assert.equal(later.code, 1);
    assert.match(later.stdout, new RegExp(`- earlier-period-open \\(1\\): close ${MONTH} first`));
    assert.match(later.stderr, /cannot close: earlier-period-open \(1\) \[CW_ERR_CLI_CLOSE_BLOCKED\]/);
    assert.ok(oneLine(later.stderr));
    assert.equal(await periodStatus('HRMC', NEXT_MONTH), 'open');

    const closed = await ok(['ledger', 'close', 'HRMC', MONTH, '--as', 'carol']);
    assert.match(closed.stdout, /closed by carol \(open → closing → closed\)/);
    assert.equal(await periodStatus('HRMC', MONTH), 'closed');
    assert.equal(await periodStatus('HRSC', MONTH), 'open', 'other entities are untouched');
    const twice = await cli(['ledger', 'close', 'HRMC', MONTH, '--as', 'carol']);
    assert.equal(twice.code, 1);
    assert.match(twice.stderr, /already closed, and closed is final/);
    const abort = await cli(['ledger', 'close', 'HRMC', MONTH, '--as', 'carol', '--abort']);
    assert.equal(abort.code, 1, 'a closed period cannot be reopened');
    assert.match(abort.stderr, /cannot go from closed to open \[CW_ERR_LEDGER_PERIOD_TRANSITION\]/);

    for (const [args, code, pattern] of [
      [
        ['ledger', 'close', 'HRMC', '2031-01', '--as', 'carol'],
        1,
        /no fiscal period of HRMC with id 2031-01/,
      ],
      [['ledger', 'trial-balance', '--entity', 'NOPE'], 1, /legal entity NOPE is not known/],
      [['ledger', 'journal', '--limit', '0'], 2, /--limit must be a whole number/],
    ] as const) {
      const r = await cli([...args]);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, pattern);
    }
    const anonymous = await runCli(['ledger', 'close', 'HRMC', NEXT_MONTH], env);
    assert.equal(anonymous.code, 1, 'closing needs a credential');
    assert.match(anonymous.stderr, /authentication required: .*\[CW_ERR_AUTH_REQUIRED\]/);
  });

  test('after a served demo day: journal leads to events and messages; close is refused while exceptions are open', async () => {
    const { env, cli, ok, json, periodStatus } = await setUp();
    const day = await demoDay(env);
    assert.match(day, /failed 4/, 'the demo day leaves four failed messages');

    assertBalanced(await json<TrialBalanceJson>(['ledger', 'trial-balance']), ENTITIES);

    type Entry = {
      entity: string;
      periodId: string;
      postedAt: string;
      sourceEventId: string;
      eventType: string | null;
      sourceMessageId: string | null;
      lines: { side: string; amount: string; account: string }[];
    };
    const recent = await json<Entry[]>(['ledger', 'journal', '--limit', '5']);
    assert.equal(recent.length, 5);
    for (const [i, e] of recent.entries()) {
      assert.match(e.sourceEventId, /^ev_/, 'posted from a canonical event');
      assert.ok(e.eventType, 'with its type');
      assert.match(e.sourceMessageId ?? '', /^\d+$/, 'and the inbound message it came from');
      const sum = (side: string) =>
        e.lines.filter((l) => l.side === side).reduce((a, l) => a + minor(l.amount), 0n);
      assert.ok(e.lines.length >= 2);
      assert.equal(sum('debit'), sum('credit'), 'each entry balances');
      if (i > 0) assert.ok(recent[i - 1]!.postedAt >= e.postedAt, 'newest first');
    }
    const filtered = await json<Entry[]>([
      'ledger',
      'journal',
      '--entity',
      'WCCH',
      '--period',
      MONTH,
      '--limit',
      '7',
    ]);
    assert.equal(filtered.length, 7);
    assert.ok(filtered.every((e) => e.entity === 'WCCH' && e.periodId === MONTH));

    const text = await ok(['ledger', 'journal', '--limit', '1']);
    const shown = /from message (\d+) \(crosswalk messages show \1\)/.exec(text.stdout);
    assert.ok(shown, text.stdout);
    assert.match(text.stdout, /^\s+(Dr|Cr)\s+\S+\s/m, 'lines follow the entry');
    const message = await ok(['messages', 'show', shown[1]!]);
    assert.match(message.stdout, new RegExp(`^message ${shown[1]} `), 'the message id leads on');

    // Every open exception counts against the entity its message came from, so closing is refused.
    const store = await openStore(env.CROSSWALK_DATABASE_URL);
    const open = await store
      .query<{ id: unknown }>("SELECT id FROM exceptions WHERE status = 'open' ORDER BY id")
      .finally(() => store.close());
    assert.equal(open.length, 4);
    const blocking = new Set<string>();
    for (const entity of ENTITIES) {
      const r = await cli(['ledger', 'close', entity, MONTH, '--as', 'carol', '--json']);
      assert.equal(r.code, 1, `${entity}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /cannot close: open-exceptions \(\d+\) \[CW_ERR_CLI_CLOSE_BLOCKED\]/);
      assert.ok(oneLine(r.stderr));
      const outcome = JSON.parse(r.stdout) as {
        status: string;
        closed: boolean;
        blockers: { code: string; count: number }[];
        blockingExceptions: string[];
      };
      assert.deepEqual(
        [outcome.status, outcome.closed, outcome.blockers.map((b) => b.code)],
        ['closing', false, ['open-exceptions']],
      );
      for (const id of outcome.blockingExceptions) blocking.add(id);
      assert.equal(await periodStatus(entity, MONTH), 'closing', 'cut off while the blockers are cleared');
    }
    assert.deepEqual(
      [...blocking].sort(),
      open.map((r) => String(r.id)).sort(),
      'each open exception blocks somewhere',
    );

    // Once its exceptions are resolved, WCCH's period (cut off above) closes: closing → closed.
    const stillBlocked = await cli(['ledger', 'close', 'WCCH', MONTH, '--as', 'carol', '--json']);
    assert.equal(stillBlocked.code, 1);
    const db = await openStore(env.CROSSWALK_DATABASE_URL);
    try {
      for (const id of (JSON.parse(stillBlocked.stdout) as { blockingExceptions: string[] })
        .blockingExceptions) {
        await db.execute("UPDATE exceptions SET status = 'resolved' WHERE id = ?", [Number(id)]);
      }
    } finally {
      await db.close();
    }
    const finished = await ok(['ledger', 'close', 'WCCH', MONTH, '--as', 'carol']);
    assert.match(finished.stdout, /closed by carol \(closing → closed\)/);
    assert.equal(await periodStatus('WCCH', MONTH), 'closed');

    const human = await cli(['ledger', 'close', 'HRMC', MONTH, '--as', 'carol']);
    assert.match(
      human.stdout,
      /is cut off \(closing: no new postings\) but cannot close yet:\n {2}- open-exceptions \(\d+\): .*exception ids /,
    );
    const reopened = await ok(['ledger', 'close', 'HRMC', MONTH, '--as', 'carol', '--abort']);
    assert.match(reopened.stdout, /is open again/);
    assert.equal(await periodStatus('HRMC', MONTH), 'open');
  });
});
