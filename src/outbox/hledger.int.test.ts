/**
 * The hledger connector end to end, per engine: the apply stage posts a day of usage on two ordering
 * keys, the deliverer writes every journal batch as an hledger file through the journal-files
 * connector, and the real hledger (Debian package `hledger`) checks all of them together and reports
 * balances equal, to the minor unit, to the trial balance of what the apply stage posted. Skipped with
 * a message when hledger is not installed, unless CI=true.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { formatMinor } from '../ledger/index.ts';
import { eachEngine } from '../store/test-engines.ts';
import { asBigInt } from '../store/values.ts';
import { Deliverer } from './deliverer.ts';
import { journalFilesConnector } from './files-connector.ts';
import { AT, appliedEntryIds, applyUsage, count, demoBooks } from './testing.ts';

const run = promisify(execFile);

async function hledger(args: string[]): Promise<string | null> {
  try {
    return (await run('hledger', args, { timeout: 30_000, maxBuffer: 64 * 1024 * 1024 })).stdout;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

const installed = (await hledger(['--version'])) !== null;
if (!installed && process.env['CI'] === 'true') {
  throw new Error('hledger is not installed and CI=true: apt-get install -y hledger (.ci/run does)');
}

eachEngine('hledger connector', (engine) => {
  test('delivered hledger batches pass hledger check and balance to the trial balance of the apply stage', async (t) => {
    if (!installed) {
      t.skip('hledger is not installed: apt-get update && apt-get install -y hledger');
      return;
    }
    const { store } = await engine.freshStore({ migrated: true });
    const dir = await mkdtemp(join(tmpdir(), 'cw-hledger-'));
    try {
      await demoBooks(store);
      await applyUsage(store, { keys: ['or', 'cath'], perKey: 15, batchSize: 4 });
      const deliverer = new Deliverer({
        store,
        connectors: [journalFilesConnector({ name: 'journal-files', folder: dir, formats: ['hledger'] })],
        retry: { baseMs: 10, maxMs: 10 },
        alertAfterMs: 3_600_000,
        // Documents were written at the apply instant; the deliverer's time starts there.
        clock: () => new Date(AT.getTime() + 1000),
      });
      while ((await deliverer.runOnce('journal-files')) > 0) {
        /* drains page by page */
      }
      assert.equal(
        await count(store, "SELECT COUNT(*) AS n FROM outbox_deliveries WHERE state <> 'delivered'"),
        0,
        'everything delivered',
      );
      const files = (await readdir(join(dir, 'journal-batch'))).filter((f) => f.endsWith('.journal')).sort();
      assert.equal(
        files.length,
        await count(store, "SELECT COUNT(*) AS n FROM outbox_documents WHERE kind = 'journal-batch'"),
      );
      const main = join(dir, 'all.journal');
      await writeFile(main, files.map((f) => `include journal-batch/${f}\n`).join(''));
      await hledger(['-f', main, 'check']);
      await hledger(['-f', main, 'check', 'accounts', 'commodities']);

      // Transactions: one per applied entry, each once.
      const codes = (await hledger(['-f', main, 'print', '-O', 'csv']))!;
      const entryIds = new Set([...codes.matchAll(/je_[0-9a-z_]+/g)].map((m) => m[0]));
      assert.equal(entryIds.size, (await appliedEntryIds(store)).length, 'every applied entry in the files');

      // Balances per entity × account = Σ lines of the entries the apply stage posted.
      const got = (await hledger(['-f', main, 'balance', '--flat', '--no-total', '-O', 'csv']))!
        .trim()
        .split('\n')
        .slice(1)
        .map((line) => line.slice(1, -1).split('","'))
        .map(([name = '', amount = '']) => {
          const [entity = '', , rest = ''] = name.split(':');
          return `${entity} ${rest.split(' ')[0]} ${amount}`;
        })
        .sort();
      const rows = await store.query(
        `SELECT l.entity, l.account, l.currency,
                SUM(CASE WHEN l.side = 'debit' THEN l.amount ELSE 0 END) AS debit,
                SUM(CASE WHEN l.side = 'credit' THEN l.amount ELSE 0 END) AS credit
         FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id
         JOIN canonical_events ev ON ev.id = e.source_event_id
         GROUP BY l.entity, l.account, l.currency`,
      );
      const expected = rows
        .map((r) => ({ r, net: asBigInt(r['debit']) - asBigInt(r['credit']) }))
        .filter(({ net }) => net !== 0n)
        .map(({ r, net }) => `${r['entity']} ${r['account']} ${formatMinor(net, 2)} ${r['currency']}`)
        .sort();
      assert.ok(expected.length > 2, `the day moved several accounts (${expected.length})`);
      assert.deepEqual(got, expected, 'hledger balances = trial balance of the applied entries');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
