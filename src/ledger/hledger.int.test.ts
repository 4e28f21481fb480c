import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { postedLines, reverse } from './entry.ts';
import { hledgerAccountName, renderHledger } from './hledger.ts';
import { journalize } from './journalize.ts';
import { formatMinor } from './money.ts';
import { ctx, POSTED_AT, periods, rules, sequence } from './test-fixtures.ts';
import { trialBalance } from './trial-balance.ts';

/**
 * The export checked by the real tool: hledger must parse it, find every transaction balanced, accept
 * the declared accounts and commodities, and report the same per-account balances as our trial
 * balance, to the last minor unit (amounts go past 2^53). Skips when hledger is not installed
 * (`apt-get install -y hledger`).
 */

const run = promisify(execFile);
const TIMEOUT_MS = 20_000;

async function hledger(args: string[]): Promise<string | null> {
  try {
    const { stdout } = await run('hledger', args, { timeout: TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** `"a","b"` CSV rows as arrays (hledger quotes every field; no embedded quotes in our names). */
function csvRows(text: string): string[][] {
  return text
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.slice(1, -1).split('","'));
}

test('hledger checks the export and agrees with the trial balance', async (t) => {
  if ((await hledger(['--version'])) === null) {
    t.skip('hledger absent');
    return;
  }
  const events = fc
    .sample(
      sequence(fc.oneof(fc.bigInt({ min: 1n, max: 99_999n }), fc.bigInt({ min: 2n ** 53n, max: 2n ** 60n }))),
      {
        seed: 4242,
        numRuns: 20,
      },
    )
    .flatMap((batch, b) => batch.map((e) => ({ ...e, sourceEventId: `b${b}-${e.sourceEventId}` })));
  const entries = events.flatMap((e) => journalize(e, rules, ctx, periods()));
  const reversals = entries
    .filter((_, i) => i % 3 === 0)
    .map((e) =>
      reverse(e, { reason: 'export check', date: '2026-12-20', postedAt: POSTED_AT }, ctx, periods()),
    );
  const all = [...entries, ...reversals];
  const dir = await mkdtemp(join(tmpdir(), 'crosswalk-ledger-'));
  try {
    const file = join(dir, 'books.journal');
    await writeFile(file, renderHledger(all, ctx.accounts));
    await hledger(['-f', file, 'check']);
    await hledger(['-f', file, 'check', 'accounts', 'commodities', 'ordereddates']);

    const flat = csvRows((await hledger(['-f', file, 'balance', '--flat', '--no-total', '-O', 'csv']))!);
    const rows = trialBalance(postedLines(all)).rows.filter((r) => r.net !== 0n);
    assert.ok(
      rows.some((r) => r.net > 2n ** 53n || r.net < -(2n ** 53n)),
      'balances past 2^53 occur',
    );
    const expected = rows.map((r) => [
      hledgerAccountName(r.entity, ctx.accounts.get(r.account)!),
      `${formatMinor(r.net, 2)} USD`,
    ]);
    assert.deepEqual(
      flat.sort((a, b) => (a[0]! < b[0]! ? -1 : 1)),
      expected.sort((a, b) => (a[0]! < b[0]! ? -1 : 1)),
    );

    const byEntity = csvRows((await hledger(['-f', file, 'balance', '--depth', '1', '-E', '-O', 'csv']))!);
    for (const [name, amount] of byEntity) assert.equal(amount, '0', `${name} nets to zero`);

    const reversed = await hledger(['-f', file, 'print', 'tag:reason=reversal']);
    assert.equal(reversed!.match(/^\d{4}-\d{2}-\d{2} /gm)?.length ?? 0, reversals.length);
    const late = await hledger(['-f', file, 'print', 'tag:late-from=2026-10']);
    assert.equal(
      late!.match(/^\d{4}-\d{2}-\d{2} /gm)?.length ?? 0,
      all.filter((e) => e.lateFromPeriod).length,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
