/**
 * `crosswalk export journal` through the real binary, per engine: on the loaded demo (opening balances)
 * and after a served demo day. The hledger batch is checked by the real hledger (skipped when it is not
 * installed: `apt-get install -y hledger`), whose per-account balances must equal `crosswalk ledger
 * trial-balance --json` to the last minor unit; CSV and JSON agree with it too.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { eachEngine } from '../store/test-engines.ts';
import { authedCli, demoDay, killChildren } from './test-process.ts';

const run = promisify(execFile);
const HLEDGER_TIMEOUT_MS = 20_000;
const ENTITIES = ['HRMC', 'HRSC', 'WCCH'];

after(killChildren);

async function hledger(args: string[]): Promise<string | null> {
  try {
    const { stdout } = await run('hledger', args, {
      timeout: HLEDGER_TIMEOUT_MS,
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** hledger's `-O csv` output: every field quoted, no embedded quotes in our account names. */
function hledgerCsv(text: string): string[][] {
  return text
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.slice(1, -1).split('","'));
}

interface TrialBalanceJson {
  balanced: boolean;
  rows: { entity: string; currency: string; account: string; debit: string; credit: string; net: string }[];
  totals: { entity: string; currency: string; debit: string; credit: string; net: string }[];
}

interface TotalsJson {
  file: string;
  format: string;
  batchId: string;
  entries: number;
  lines: number;
  books: { entity: string; currency: string; debit: string; credit: string; balanced: boolean }[];
}

eachEngine('crosswalk export journal', (engine) => {
  const setUp = async () => {
    const env = { CROSSWALK_DATABASE_URL: await engine.freshUrl({ migrated: true }) };
    const dir = await mkdtemp(join(tmpdir(), 'crosswalk-export-'));
    const cli = authedCli(() => env);
    const ok = async (args: string[]) => {
      const r = await cli(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      return r;
    };
    return { env, dir, cli, ok };
  };

  /**
   * Exports every format, checks the hledger file with hledger, and compares each with the trial
   * balance: per account (hledger), per entity × currency (control totals, CSV, JSON).
   */
  async function exportAndCompare(
    ok: (args: string[]) => Promise<{ stdout: string; stderr: string }>,
    dir: string,
    skip: (why: string) => void,
  ): Promise<TotalsJson> {
    const tb = JSON.parse((await ok(['ledger', 'trial-balance', '--json'])).stdout) as TrialBalanceJson;
    assert.equal(tb.balanced, true);
    const file = join(dir, 'batch.journal');
    const totals = JSON.parse(
      (await ok(['export', 'journal', '--format', 'hledger', '--out', file, '--json'])).stdout,
    ) as TotalsJson;
    assert.match(totals.batchId, /^jb_[0-9a-f]{16}$/);
    assert.deepEqual(
      totals.books.map((b) => [b.entity, b.currency, b.debit, b.credit, b.balanced]),
      tb.totals.map((t) => [t.entity, t.currency, t.debit, t.credit, true]),
      'control totals = trial balance totals',
    );

    // CSV: Σ per entity × currency of the decimal cells, read back as minor units.
    const csv = await ok(['export', 'journal', '--format', 'csv']);
    assert.match(csv.stderr, new RegExp(`^batch ${totals.batchId}: ${totals.entries} entries`));
    const sums = new Map<string, { debit: bigint; credit: bigint }>();
    const records = csv.stdout.trimEnd().split('\r\n').slice(1);
    assert.equal(records.length, totals.lines);
    for (const line of records) {
      // Demo names hold no commas or quotes, so a plain split reads these rows.
      const cells = line.split(',');
      assert.equal(cells.length, 14, line);
      const [, , , entity, , , , , , debit, credit, currency] = cells;
      const k = `${entity} ${currency}`;
      const s = sums.get(k) ?? { debit: 0n, credit: 0n };
      if (debit) s.debit += BigInt(debit.replace('.', ''));
      if (credit) s.credit += BigInt(credit.replace('.', ''));
      sums.set(k, s);
    }
    for (const t of tb.totals) {
      const s = sums.get(`${t.entity} ${t.currency}`);
      assert.deepEqual(s, {
        debit: BigInt(t.debit.replace('.', '')),
        credit: BigInt(t.credit.replace('.', '')),
      });
    }
    const jsonDoc = JSON.parse((await ok(['export', 'journal', '--format', 'json'])).stdout) as {
      batchId: string;
      entries: unknown[];
    };
    assert.equal(jsonDoc.batchId, totals.batchId, 'one batch id whatever the format');
    assert.equal(jsonDoc.entries.length, totals.entries);
    const again = await ok(['export', 'journal', '--format', 'csv']);
    assert.equal(again.stdout, csv.stdout, 'a re-export is byte-identical');

    if ((await hledger(['--version'])) === null) {
      skip('hledger absent: apt-get install -y hledger');
      return totals;
    }
    await hledger(['-f', file, 'check']);
    await hledger(['-f', file, 'check', 'accounts', 'commodities']);
    const balances = hledgerCsv(
      (await hledger(['-f', file, 'balance', '--flat', '--no-total', '-O', 'csv']))!,
    ).map(([name = '', amount = '']) => {
      const [entity = '', , rest = ''] = name.split(':');
      return [entity, rest.split(' ')[0] ?? '', amount];
    });
    const expected = tb.rows
      .filter((r) => !/^-?0\.00$/.test(r.net))
      .map((r) => [r.entity, r.account, `${r.net} ${r.currency}`]);
    const order = (a: string[], b: string[]) => (`${a[0]} ${a[1]}` < `${b[0]} ${b[1]}` ? -1 : 1);
    assert.ok(expected.length >= ENTITIES.length * 2);
    assert.deepEqual(balances.sort(order), expected.sort(order), 'hledger balance = trial balance');
    return totals;
  }

  test('the loaded demo: every format agrees with the trial balance, hledger checks the journal', async (t) => {
    const { dir, cli, ok } = await setUp();
    try {
      await ok(['demo', '--no-serve']);
      const totals = await exportAndCompare(ok, dir, (why) => t.skip(why));
      assert.equal(totals.entries, ENTITIES.length, 'one opening entry per entity');

      const one = JSON.parse(
        (
          await ok([
            'export',
            'journal',
            '--format',
            'csv',
            '--entity',
            'HRSC',
            '--period',
            '2026-11',
            '--out',
            join(dir, 'hrsc.csv'),
            '--json',
          ])
        ).stdout,
      ) as TotalsJson;
      assert.deepEqual(
        one.books.map((b) => b.entity),
        ['HRSC'],
      );
      assert.notEqual(one.batchId, totals.batchId);
      const text = await readFile(join(dir, 'hrsc.csv'), 'utf8');
      assert.equal(text.trimEnd().split('\r\n').length, one.lines + 1);

      for (const [args, code, pattern] of [
        [['export', 'journal', '--format', 'xml'], 2, /--format must be one of csv, json, hledger/],
        [['export', 'journal', '--format', 'csv', '--json'], 2, /--json needs --out/],
        [['export', 'journal', '--format', 'csv', '--period', '2026-13'], 2, /--period must be YYYY-MM/],
        [['export', 'journal', '--format', 'csv', '--entity', 'NOPE'], 1, /legal entity NOPE is not known/],
        [['export', 'journal', '--format', 'csv', '--period', '2031-01'], 1, /no fiscal period/],
        [['export', 'journal'], 2, /required option '--format/],
      ] as const) {
        const r = await cli([...args]);
        assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, pattern);
        assert.equal(r.stdout, '', 'nothing half-written to stdout');
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('after a served demo day: hledger balances equal the trial balance exactly', async (t) => {
    const { env, dir, ok } = await setUp();
    try {
      const day = await demoDay(env);
      assert.match(day, /failed 4/);
      const totals = await exportAndCompare(ok, dir, (why) => t.skip(why));
      assert.ok(totals.entries > ENTITIES.length, `the day posted entries (${totals.entries})`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
