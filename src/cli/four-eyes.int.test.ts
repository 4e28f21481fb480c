/**
 * Four-eyes postings through the real binary, per engine, on the loaded demo: a manual journal and an
 * inventory adjustment are prepared, refused to their preparer (case and spacing do not help), approved
 * by someone else and posted — balanced, the trial balance zero, on-hand changed by exactly the
 * adjustment, a journal document queued, every step audited, `crosswalk verify` clean. An unbalanced
 * journal and one dated in a closed period are refused at prepare in one line. The database itself
 * refuses a self-approval written straight into the decisions table and any edit of a proposal.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DEFAULT_OPENING_DATE } from '../demo/index.ts';
import { openStore } from '../store/index.ts';
import { eachEngine } from '../store/test-engines.ts';
import { authedCli, killChildren } from './test-process.ts';

after(killChildren);

const MONTH = DEFAULT_OPENING_DATE.slice(0, 7);
const DAY = `${MONTH}-20`;
const PREVIOUS = new Date(Date.UTC(Number(MONTH.slice(0, 4)), Number(MONTH.slice(5, 7)) - 2, 1))
  .toISOString()
  .slice(0, 7);
const ONE_LINE = /^crosswalk: [^\n]+ \[CW_ERR_[A-Z_]+\]\n$/;

interface TrialBalance {
  balanced: boolean;
  totals: { entity: string; currency: string; net: string; debit: string }[];
}

eachEngine('crosswalk four-eyes postings', (engine) => {
  test('manual journal and inventory adjustment: prepare, self-approval refused, approved by another, posted', async (t) => {
    const url = await engine.freshUrl({ migrated: true });
    const env = { CROSSWALK_DATABASE_URL: url };
    const dir = mkdtempSync(join(tmpdir(), 'cw-four-eyes-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    // Each person named by --as runs with their own API token (every working role: the rule under test is
    // four-eyes, which holds whatever roles a person has).
    const cli = authedCli(() => env);
    const ok = async (args: string[]) => {
      const r = await cli(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      return r.stdout;
    };
    const json = async <T>(args: string[]) => JSON.parse(await ok([...args, '--json'])) as T;
    const refused = async (args: string[], code: string) => {
      const r = await cli(args);
      assert.equal(r.code, 1, `${args.join(' ')} should fail: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, ONE_LINE, 'one line, no stack');
      assert.equal(r.stderr.includes(`[${code}]`), true, `${code} expected: ${r.stderr}`);
      return r.stderr;
    };
    await ok(['demo', '--no-serve']);
    const tbBefore = await json<TrialBalance>(['ledger', 'trial-balance', '--entity', 'HRMC']);

    // --- manual journal -------------------------------------------------------------------------
    const good = join(dir, 'accrual.json');
    writeFileSync(
      good,
      JSON.stringify({
        description: 'Accrue supplies received, not yet invoiced',
        date: DAY,
        lines: [
          {
            entity: 'HRMC',
            account: '6200',
            costCenter: 'HRMC-6410',
            debit: '1234.56',
            description: 'supplies',
          },
          { entity: 'HRMC', account: '6200', costCenter: 'HRMC-6430', debit: '0.05' },
          { entity: 'HRMC', account: '2000', credit: '1234.61' },
        ],
      }),
    );
    const unbalanced = join(dir, 'unbalanced.csv');
    writeFileSync(
      unbalanced,
      `# description: off by a cent\nentity,account,cost_center,debit,credit,date\nHRMC,6200,HRMC-6410,10.00,,${DAY}\nHRMC,2000,,,9.99,${DAY}\n`,
    );
    const closed = join(dir, 'closed.csv');
    writeFileSync(
      closed,
      `entity,account,cost_center,debit,credit,period\nHRMC,6200,HRMC-6410,10.00,,${PREVIOUS}\nHRMC,2000,,,10.00,${PREVIOUS}\n`,
    );
    const fraction = join(dir, 'fraction.csv');
    writeFileSync(
      fraction,
      `entity,account,cost_center,debit,credit,date\nHRMC,6200,HRMC-6410,10.001,,${DAY}\nHRMC,2000,,,10.001,${DAY}\n`,
    );
    const msg = await refused(
      ['ledger', 'manual', 'prepare', unbalanced, '--as', 'alice'],
      'CW_ERR_LEDGER_UNBALANCED',
    );
    assert.match(msg, /debits 10\.00, credits 9\.99/, 'amounts in decimal text');
    assert.match(
      await refused(
        ['ledger', 'manual', 'prepare', closed, '--as', 'alice'],
        'CW_ERR_MANUAL_JOURNAL_INVALID',
      ),
      new RegExp(`period ${PREVIOUS} of HRMC takes no postings`),
    );
    await refused(['ledger', 'manual', 'prepare', fraction, '--as', 'alice'], 'CW_ERR_LEDGER_BAD_AMOUNT');
    assert.equal(
      (await json<unknown[]>(['ledger', 'manual', 'list'])).length,
      0,
      'nothing refused was stored',
    );

    const prepared = await json<{ id: string; status: string; lines: { debit: string }[] }>([
      'ledger',
      'manual',
      'prepare',
      good,
      '--as',
      'alice',
    ]);
    assert.equal(prepared.status, 'pending');
    assert.deepEqual(
      prepared.lines.map((l) => l.debit),
      ['1234.56', '0.05', '0.00'],
      'exact minor units back as decimal text',
    );
    assert.match(
      await refused(
        ['ledger', 'manual', 'approve', prepared.id, '--as', ' Alice '],
        'CW_ERR_FOUR_EYES_SELF_APPROVAL',
      ),
      /prepared by alice; the approver \(alice\) must be someone else/,
    );
    const approved = await json<{
      status: string;
      decision: { decidedBy: string; preparedBy: string; entryIds: string[] };
    }>(['ledger', 'manual', 'approve', prepared.id, '--as', 'bob']);
    assert.equal(approved.status, 'approved');
    assert.equal(approved.decision.preparedBy, 'alice', 'the decision records both roles');
    assert.equal(approved.decision.decidedBy, 'bob');
    assert.equal(approved.decision.entryIds.length, 1);
    await refused(['ledger', 'manual', 'approve', prepared.id, '--as', 'carol'], 'CW_ERR_PROPOSAL_DECIDED');
    await refused(['ledger', 'manual', 'reject', prepared.id, '--as', 'carol'], 'CW_ERR_PROPOSAL_DECIDED');

    const tbAfter = await json<TrialBalance>(['ledger', 'trial-balance', '--entity', 'HRMC']);
    assert.equal(tbAfter.balanced, true);
    assert.equal(tbAfter.totals[0]!.net, '0.00', 'the trial balance nets to zero');
    const minor = (s: string) => BigInt(s.replace('.', ''));
    assert.equal(
      minor(tbAfter.totals[0]!.debit) - minor(tbBefore.totals[0]!.debit),
      123461n,
      'exactly the journal was posted',
    );

    // A rejected one posts nothing.
    const other = await json<{ id: string }>(['ledger', 'manual', 'prepare', good, '--as', 'alice']);
    const rejected = await json<{ status: string; decision: { entryIds: string[]; note: string } }>([
      'ledger',
      'manual',
      'reject',
      other.id,
      '--as',
      'bob',
      '--note',
      'duplicate',
    ]);
    assert.deepEqual(
      [rejected.status, rejected.decision.entryIds, rejected.decision.note],
      ['rejected', [], 'duplicate'],
    );

    // --- inventory adjustment -------------------------------------------------------------------
    const store = await openStore(url, { poolMax: 1 });
    t.after(() => store.close());
    const [pos] = await store.query(
      `SELECT s.item_code, s.par_location_code, s.quantity FROM stock_on_hand s JOIN items i ON i.code = s.item_code
       WHERE i.tracking = 'none' AND s.quantity > 10 ORDER BY s.item_code, s.par_location_code LIMIT 1`,
    );
    const item = String(pos!['item_code']);
    const location = String(pos!['par_location_code']);
    const onHand = async () =>
      (
        await json<{ quantity: string; value: string }[]>([
          'inventory',
          'on-hand',
          '--item',
          item,
          '--location',
          location,
        ])
      )[0]!;
    const start = await onHand();
    assert.equal(start.quantity, String(pos!['quantity']));

    const adj = await json<{ id: string; status: string }>([
      'inventory',
      'adjust',
      'prepare',
      '--item',
      item,
      '--location',
      location,
      '--quantity',
      '-3',
      '--reason',
      'damaged in transit',
      '--as',
      'sam',
    ]);
    assert.equal(adj.status, 'pending');
    assert.equal((await onHand()).quantity, start.quantity, 'nothing moves before approval');
    await refused(
      ['inventory', 'adjust', 'approve', adj.id, '--as', 'SAM'],
      'CW_ERR_FOUR_EYES_SELF_APPROVAL',
    );
    const done = await json<{
      status: string;
      decision: { quantityChange: string; valueChange: string; entryIds: string[]; preparedBy: string };
    }>(['inventory', 'adjust', 'approve', adj.id, '--as', 'pat']);
    assert.equal(done.status, 'approved');
    assert.equal(done.decision.quantityChange, '-3');
    assert.equal(done.decision.preparedBy, 'sam');
    assert.equal(done.decision.entryIds.length, 1, 'the shrink is booked');
    const end = await onHand();
    assert.equal(BigInt(end.quantity), BigInt(start.quantity) - 3n, 'on-hand changed by the adjustment');
    assert.equal(
      minor(end.value) - minor(start.value),
      BigInt(done.decision.valueChange),
      'the value moved by what the movement says',
    );
    const lines = await store.query(
      'SELECT account, side, amount FROM journal_lines WHERE entry_id = ? ORDER BY line_no',
      [done.decision.entryIds[0]!],
    );
    assert.deepEqual(
      lines.map((l) => [String(l['account']), String(l['side']), BigInt(String(l['amount']))]),
      [
        ['6290', 'debit', -BigInt(done.decision.valueChange)],
        ['1300', 'credit', -BigInt(done.decision.valueChange)],
      ],
      'Dr inventory variance / Cr inventory, at the moving average',
    );
    // --counted sets on-hand.
    const count = await json<{ id: string }>([
      'inventory',
      'adjust',
      'prepare',
      '--item',
      item,
      '--location',
      location,
      '--counted',
      '7',
      '--reason',
      'cycle count',
      '--as',
      'sam',
    ]);
    await ok(['inventory', 'adjust', 'approve', count.id, '--as', 'pat']);
    assert.equal((await onHand()).quantity, '7', 'a count sets on-hand');

    // --- what was recorded ----------------------------------------------------------------------
    const docs = await store.query(
      "SELECT COUNT(*) AS n FROM outbox_documents WHERE ordering_key = 'manual'",
    );
    assert.equal(Number(docs[0]!['n']), 3, 'each approval that posted queued its journal document');
    const audit = await store.query('SELECT actor, action FROM audit_log ORDER BY seq');
    assert.deepEqual(
      audit.map((a) => `${a['actor']}:${a['action']}`),
      [
        'alice:journal.prepare',
        'alice:journal.approve',
        'bob:journal.approve',
        'alice:journal.prepare',
        'bob:journal.approve',
        'sam:inventory.adjust.prepare',
        'sam:inventory.adjust.approve',
        'pat:inventory.adjust.approve',
        'sam:inventory.adjust.prepare',
        'pat:inventory.adjust.approve',
      ],
      'every prepare, decision and refused self-approval is audited',
    );
    const verify = await cli(['verify']);
    assert.equal(verify.code, 0, `crosswalk verify: ${verify.stdout}${verify.stderr}`);

    // The database holds the rule too: a self-approval written straight into it, or an edit of the
    // stored preparer, is refused whatever code path tries.
    const self = await json<{ id: string }>(['ledger', 'manual', 'prepare', good, '--as', 'alice']);
    await assert.rejects(
      store.execute(
        `INSERT INTO manual_journal_decisions (proposal_id, decision, decided_by, decided_at, prepared_by, note, entry_ids)
         VALUES (?, 'approved', 'ALICE', ?, 'someone-else', NULL, '[]')`,
        [self.id, new Date().toISOString()],
      ),
      /segregation of duties/,
    );
    await assert.rejects(
      store.execute('UPDATE manual_journal_proposals SET prepared_by = ? WHERE id = ?', ['mallory', self.id]),
      /append-only/,
    );
    await assert.rejects(
      store.execute('UPDATE manual_journal_lines SET debit = debit + 1 WHERE proposal_id = ?', [self.id]),
      /append-only/,
    );
  });
});
