/**
 * Real-world DFT^P03 / DFT^P11 samples (ms-fhir-converter) through the inbox and the apply stage with
 * the demo release, on both engines. The samples are dated 2019-11-22, long before the demo's fiscal
 * calendar: with the demo books alone they fail whole as a finance work item (no period); once the
 * controller opens 2019-11 for the entity they post. Both samples carry the same sender and MSH-10
 * with different content, so the second to arrive on one database is a duplicate conflict: each posting
 * test gets its own database.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { generateDemoHealthSystem } from '../demo/index.ts';
import { parseMessage } from '../hl7v2/index.ts';
import { Inbox } from '../inbox/index.ts';
import { monthlyPeriods } from '../ledger/index.ts';
import { trialBalance } from '../store/books-queries.ts';
import { InboxRepository } from '../store/inbox-repository.ts';
import { asBigInt, asNumber, type Row, type Store } from '../store/index.ts';
import { savePeriods } from '../store/posting-repository.ts';
import { eachEngine } from '../store/test-engines.ts';
import { Applier } from './applier.ts';
import { loadDemo } from './testing.ts';

const CORPUS = fileURLToPath(new URL('../../../shared/data/hl7v2/ms-fhir-converter/', import.meta.url));
const P03 = `${CORPUS}DFT-P03-01.hl7`;
const P11 = `${CORPUS}DFT-P11-01.hl7`;
const SYSTEM = generateDemoHealthSystem();
const TOKEN_KEY = Buffer.alloc(32, 0x42);
const CLOCK = () => new Date('2026-11-24T12:00:00.000Z');
/** Demo chart: charge clearing, and gross revenue for revenue code families 032 and 051. */
const CHARGE_CLEARING = '1210';
const RADIOLOGY = '4045';
const CLINIC = '4085';

const payloadOf = (v: unknown): Record<string, unknown> =>
  (typeof v === 'string' ? JSON.parse(v) : v) as Record<string, unknown>;

test("the demo chart has gross revenue for the samples' revenue code families", () => {
  const account = (code: string) => SYSTEM.accounts.find((a) => a.code === code);
  assert.equal(account(CHARGE_CLEARING)?.role, 'charge-clearing');
  assert.deepEqual(
    [RADIOLOGY, CLINIC].map((c) => [account(c)?.role, account(c)?.revenueCodeFamily]),
    [
      ['gross-revenue', '032'],
      ['gross-revenue', '051'],
    ],
  );
});

eachEngine('apply: ms-fhir-converter DFT samples with the demo release', (engine) => {
  async function setup(open2019: boolean) {
    const { store } = await engine.freshStore({ migrated: true });
    await loadDemo(store, SYSTEM);
    if (open2019) await savePeriods(store, monthlyPeriods('HRMC', '2019-11', 1, 'open'));
    const inbox = new Inbox({ repository: new InboxRepository(store), clock: CLOCK });
    const applier = new Applier({ store, tokenKey: TOKEN_KEY, clock: CLOCK });
    return { store, inbox, applier };
  }

  async function receive(inbox: Inbox, file: string, expected: string): Promise<void> {
    const ack = await inbox.receive(readFileSync(file), { name: 'corpus' });
    assert.equal(parseMessage(ack!).get('MSA-1'), expected, `${file} is answered ${expected}`);
  }

  async function events(store: Store) {
    return (
      await store.query(
        'SELECT type, position, entity, occurred_at, payload FROM canonical_events ORDER BY position',
      )
    ).map((r) => {
      const p = payloadOf(r['payload'])['payload'] as Record<string, unknown>;
      return [
        r['type'],
        r['position'],
        r['entity'],
        r['occurred_at'],
        p['cdmCode'],
        p['revenueCode'],
        p['quantity'],
        String(p['amount']),
        p['costCenterCode'],
      ];
    });
  }

  /** The lines of the entries the samples posted (the opening balances excluded). */
  async function postedLines(store: Store) {
    return (
      await store.query(
        `SELECT e.period_id, e.reason_code, l.account, l.side, l.amount, l.cost_center
         FROM journal_entries e JOIN journal_lines l ON l.entry_id = e.id
         WHERE e.source_event_id NOT LIKE 'opening:%'
         ORDER BY e.total_debit, l.line_no`,
      )
    ).map((r: Row) => [
      r['period_id'],
      r['reason_code'],
      r['account'],
      r['side'],
      asBigInt(r['amount']),
      r['cost_center'],
    ]);
  }

  async function outcomes(store: Store) {
    return (await store.query('SELECT state, event_count FROM message_outcomes')).map((r) => [
      r['state'],
      asNumber(r['event_count']),
    ]);
  }

  test('DFT^P03: two charges post to charge clearing and the radiology and clinic revenue families', async (t) => {
    if (!existsSync(P03)) return t.skip(`corpus absent: ${CORPUS}`);
    const { store, inbox, applier } = await setup(true);
    await receive(inbox, P03, 'AA');
    // Same sender + MSH-10 as the P03 with different content: refused and kept, never applied.
    await receive(inbox, P11, 'AE');
    assert.equal(await applier.drain(), 1, 'one stored message applied');
    assert.deepEqual(await outcomes(store), [['applied', 2]]);
    assert.deepEqual(await events(store), [
      [
        'ChargePosted',
        'FT1[1]',
        'HRMC',
        '2019-11-22T05:00:00.000Z',
        '71045',
        '0324',
        2,
        '10000',
        'HRMC-6010',
      ],
      [
        'ChargePosted',
        'FT1[2]',
        'HRMC',
        '2019-11-22T05:00:00.000Z',
        '99011',
        '0510',
        1,
        '12000',
        'HRMC-6010',
      ],
    ]);
    assert.deepEqual(await postedLines(store), [
      ['2019-11', 'charge-posted', CHARGE_CLEARING, 'debit', 10_000n, null],
      ['2019-11', 'charge-posted', RADIOLOGY, 'credit', 10_000n, 'HRMC-6010'],
      ['2019-11', 'charge-posted', CHARGE_CLEARING, 'debit', 12_000n, null],
      ['2019-11', 'charge-posted', CLINIC, 'credit', 12_000n, 'HRMC-6010'],
    ]);
    assert.deepEqual(
      (await trialBalance(store, { entity: 'HRMC', periodId: '2019-11' })).map((r) => [r.account, r.net]),
      [
        [CHARGE_CLEARING, 22_000n],
        [RADIOLOGY, -10_000n],
        [CLINIC, -12_000n],
      ],
    );
    const [rejection] = await store.query('SELECT reason_code, message_type FROM inbound_rejections');
    assert.deepEqual(
      [rejection?.['reason_code'], rejection?.['message_type']],
      ['CW_ERR_INBOX_DUPLICATE_CONFLICT', 'DFT^P11'],
    );
    // The refused resend is a work item (the inbox's refusal); applying the P03 raised none.
    const exceptions = await store.query('SELECT reason_code FROM exceptions');
    assert.deepEqual(
      exceptions.map((r) => r['reason_code']),
      ['CW_ERR_INBOX_DUPLICATE_CONFLICT'],
      'the refusal is the only work item',
    );
    const [moved] = await store.query<{ n: unknown }>(
      "SELECT COUNT(*) AS n FROM inventory_movements WHERE movement_type <> 'opening'",
    );
    assert.equal(asNumber(moved!.n), 0, 'charges move no stock');
    const erpBound = JSON.stringify(
      [
        ...(await store.query('SELECT payload FROM canonical_events')),
        ...(await store.query('SELECT * FROM journal_lines')),
      ],
      (_k, v) => (typeof v === 'bigint' ? v.toString() : v),
    );
    for (const phi of ['PATID1234', 'EVERYMAN', '123456789', '40007716', '19880818'])
      assert.ok(!erpBound.includes(phi), `${phi} (patient identifier) is not ERP-bound`);
  });

  test('DFT^P11: the radiology charge and an ophthalmology visit post as charges', async (t) => {
    if (!existsSync(P11)) return t.skip(`corpus absent: ${CORPUS}`);
    const { store, inbox, applier } = await setup(true);
    await receive(inbox, P11, 'AA');
    assert.equal(await applier.drain(), 1);
    assert.deepEqual(await outcomes(store), [['applied', 2]]);
    assert.deepEqual(await events(store), [
      [
        'ChargePosted',
        'FT1[1]',
        'HRMC',
        '2019-11-22T05:00:00.000Z',
        '71045',
        '0324',
        2,
        '10000',
        'HRMC-6010',
      ],
      ['ChargePosted', 'FT1[2]', 'HRMC', '2019-11-22T05:00:00.000Z', '92002', '0510', 1, '7000', 'HRMC-6010'],
    ]);
    assert.deepEqual(await postedLines(store), [
      ['2019-11', 'charge-posted', CHARGE_CLEARING, 'debit', 7_000n, null],
      ['2019-11', 'charge-posted', CLINIC, 'credit', 7_000n, 'HRMC-6010'],
      ['2019-11', 'charge-posted', CHARGE_CLEARING, 'debit', 10_000n, null],
      ['2019-11', 'charge-posted', RADIOLOGY, 'credit', 10_000n, 'HRMC-6010'],
    ]);
  });

  test('without a fiscal period for 2019-11 the sample fails whole, as an open finance work item', async (t) => {
    if (!existsSync(P03)) return t.skip(`corpus absent: ${CORPUS}`);
    const { store, inbox, applier } = await setup(false);
    await receive(inbox, P03, 'AA');
    assert.equal(await applier.drain(), 1);
    assert.deepEqual(await outcomes(store), [['failed', 0]]);
    const x = await store.query('SELECT reason_code, team, status, summary FROM exceptions');
    assert.deepEqual(x, [
      {
        reason_code: 'CW_ERR_LEDGER_NO_PERIOD',
        team: 'finance',
        status: 'open',
        summary: 'no fiscal period of HRMC covers 2019-11-22',
      },
    ]);
    assert.deepEqual(await events(store), [], 'nothing of a failed message is written');
    assert.deepEqual(await postedLines(store), []);
  });
});
