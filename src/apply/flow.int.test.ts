/**
 * Issue 4 end to end, on both engines: a fresh database gets the demo health system and its books; the
 * real runtime (HTTP, MLLP listener, Applier) takes a generated day of OR, cath lab, ED and floor traffic
 * over MLLP; once nothing is pending, the database is read directly and must keep every promise of the
 * apply stage: one state per message, failures exactly where the generator planted them (each an open
 * exception with its reason code), on-hand = Σ movements, balanced entries and a zero trial balance,
 * provenance from every journal entry back to the raw message, no patient identifier in anything
 * ERP-bound, and the general ledger's inventory accounts equal to the subledger's stock value.
 *
 * The traffic seed is CROSSWALK_TEST_SEED when set (it is printed).
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { sendReliably } from '../cli/sender.ts';
import { loadConfig } from '../config/index.ts';
import { generateDemoHealthSystem, generateTraffic, PROBLEM_KINDS, type TrafficKind } from '../demo/index.ts';
import { parseMessage } from '../hl7v2/index.ts';
import { verifyOnHand } from '../inventory/index.ts';
import { within } from '../mllp/test-peer.ts';
import { startServer } from '../server/runtime.ts';
import { netByEntity, trialBalance } from '../store/books-queries.ts';
import { openRaw } from '../store/inbox-repository.ts';
import { asBigInt, asBytes, asNumber, type Row, type SqlExecutor } from '../store/index.ts';
import { pendingCount } from '../store/posting-repository.ts';
import { eachEngine } from '../store/test-engines.ts';
import { loadDemo, storedMovements, storedPositions, tokenKeyFolder } from './testing.ts';

const SEED = Number(process.env['CROSSWALK_TEST_SEED'] ?? 20_261_124);
const SYSTEM = generateDemoHealthSystem();
const TRAFFIC = [...generateTraffic(SYSTEM, { seed: SEED })];

/** The exception each deliberately broken kind must raise. */
const REASON_OF_PROBLEM: Readonly<Partial<Record<TrafficKind, string>>> = {
  'dft-p03-unknown-supply-code': 'CW_ERR_MAP_UNMAPPED_ITEM',
  'dft-p03-unknown-department': 'CW_ERR_MAP_UNKNOWN_DEPARTMENT',
};
/** Work items that accompany an applied message (its movements went through but need a person). */
const INVENTORY_FLAGS = new Set(['CW_ERR_INVENTORY_NEGATIVE_ON_HAND', 'CW_ERR_INVENTORY_NEGATIVE_REVALUED']);
const ERP_BOUND = ['journal_entries', 'journal_lines', 'requisitions', 'canonical_events', 'exceptions'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A cell as text: bytes as UTF-8, JSON documents (text on SQLite, objects on PostgreSQL) as their values
 * only: a key such as `price` is the schema's word, not data, and would match a patient named Price.
 */
function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  if (typeof v === 'string' && /^\s*[[{]/.test(v)) {
    try {
      return cellText(JSON.parse(v) as unknown);
    } catch {
      return v;
    }
  }
  if (Array.isArray(v)) return v.map(cellText).join('\u0001');
  if (typeof v === 'object') return Object.values(v).map(cellText).join('\u0001');
  return String(v);
}

/**
 * The patient identifiers of the traffic: PID-3.1 (every repetition), PID-5 family and given names,
 * PID-7, PID-19 and PV1-19, as sent.
 */
function patientIdentifiers(): Map<string, string> {
  const out = new Map<string, string>();
  for (const t of TRAFFIC) {
    const msg = parseMessage(t.message);
    const add = (field: string, values: readonly string[]) => {
      for (const v of values) if (v.trim() !== '') out.set(v.trim(), field);
    };
    add('PID-3.1', msg.getAll('PID-3.1'));
    add('PID-5.1', msg.getAll('PID-5.1'));
    add('PID-5.2', msg.getAll('PID-5.2'));
    add('PID-7', msg.getAll('PID-7'));
    add('PID-19', msg.getAll('PID-19'));
    add('PV1-19', msg.getAll('PV1-19.1'));
  }
  return out;
}

/**
 * Which of `values` occur in `text` as whole words (case-insensitive): a family name must not match
 * inside a longer word, nor a record number inside a longer number.
 */
function occurrences(text: string, values: Iterable<string>): string[] {
  const tokens = new Set(text.toLowerCase().split(/[^\p{L}\p{N}]+/u));
  const found: string[] = [];
  for (const v of values) {
    const lower = v.toLowerCase();
    if (/^[\p{L}\p{N}]+$/u.test(lower)) {
      if (tokens.has(lower)) found.push(v);
    } else {
      const escaped = lower.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      if (new RegExp(`(?<![\\p{L}\\p{N}])${escaped}(?![\\p{L}\\p{N}])`, 'u').test(text.toLowerCase()))
        found.push(v);
    }
  }
  return found;
}

async function tableText(db: SqlExecutor, table: string): Promise<string> {
  const rows: Row[] = await db.query(`SELECT * FROM ${table}`);
  return rows.map((r) => Object.values(r).map(cellText).join('\u0001')).join('\n');
}

const payloadOf = (v: unknown): Record<string, unknown> =>
  (typeof v === 'string' ? JSON.parse(v) : v) as Record<string, unknown>;

eachEngine('apply flow: a generated demo day over MLLP, through the real runtime', (engine) => {
  const keys = tokenKeyFolder();
  after(() => keys.remove());

  test('every message ends in one state and the books keep their promises', {
    timeout: 120_000,
  }, async (t) => {
    t.diagnostic(`traffic seed ${SEED}: ${TRAFFIC.length} messages`);
    const problems = TRAFFIC.filter((m) => PROBLEM_KINDS.includes(m.kind));
    for (const kind of PROBLEM_KINDS) {
      assert.ok(REASON_OF_PROBLEM[kind], `the test knows the reason code of problem kind ${kind}`);
      assert.ok(
        problems.some((m) => m.kind === kind),
        `the day has a ${kind} message`,
      );
    }
    for (const kind of ['dft-p03', 'dft-p11', 'adt-a01', 'adt-a03', 'adt-a04', 'siu-s12', 'mfn-m16'])
      assert.ok(
        TRAFFIC.some((m) => m.kind === kind),
        `the day has ${kind} traffic`,
      );

    const { store, url } = await engine.freshStore({ migrated: true });
    await loadDemo(store, SYSTEM);
    const config = loadConfig({
      env: {
        CROSSWALK_DATABASE_URL: url,
        CROSSWALK_HTTP_PORT: '0',
        CROSSWALK_MLLP_PORT: '0',
        CROSSWALK_TOKEN_KEY_FILE: keys.keyFile,
        CROSSWALK_LOG_LEVEL: 'silent',
      },
    });
    const running = await startServer({ config, version: 'test' });
    const ackCodes = new Map<string, number>();
    try {
      const sent = await within(
        sendReliably(
          TRAFFIC.map((m) => Buffer.from(m.message, 'utf8')),
          {
            host: running.mllp[0]!.host,
            port: running.mllp[0]!.port,
            window: 50,
            timeoutMs: 30_000,
            retryForMs: 0,
            onReply: (_i, reply) => {
              const code = parseMessage(reply).get('MSA-1');
              ackCodes.set(code, (ackCodes.get(code) ?? 0) + 1);
            },
          },
        ),
        60_000,
        'the day to be sent',
      );
      assert.equal(sent.replies.filter((r) => r === null).length, 0, 'every message got a reply');
      assert.deepEqual(Object.fromEntries(ackCodes), { AA: TRAFFIC.length }, 'every message was accepted');
      const deadline = Date.now() + 60_000;
      while ((await pendingCount(running.store)) > 0) {
        if (Date.now() > deadline) assert.fail('messages still pending after 60 s');
        running.applier.notify();
        await sleep(25);
      }
      await within(running.applier.idle(), 30_000, 'the applier to be idle');
    } finally {
      await running.stop('test done');
    }

    const types = new Map(
      (await store.query('SELECT type, COUNT(*) AS n FROM canonical_events GROUP BY type ORDER BY type')).map(
        (r) => [String(r['type']), asNumber(r['n'])],
      ),
    );
    t.diagnostic(`events: ${[...types].map(([type, n]) => `${type} ${n}`).join(', ')}`);
    for (const type of ['SupplyUsed', 'ImplantUsed', 'ChargePosted', 'EncounterStarted', 'EncounterEnded'])
      assert.ok(types.has(type), `the day produced ${type} events`);

    // --- one state per message; failures exactly the planted ones, each an open exception ----------
    const messages = await store.query(
      `SELECT m.id, m.control_id, o.state, o.exception_id, x.reason_code, x.status, x.message_id AS x_message
       FROM inbound_messages m
       LEFT JOIN message_outcomes o ON o.message_id = m.id
       LEFT JOIN exceptions x ON x.id = o.exception_id
       ORDER BY m.id`,
    );
    assert.equal(messages.length, TRAFFIC.length, 'every message sent is stored once');
    const [outcomeCount] = await store.query<{ n: unknown }>('SELECT COUNT(*) AS n FROM message_outcomes');
    assert.equal(asNumber(outcomeCount!.n), TRAFFIC.length, 'one outcome per stored message');
    const states = new Map<string, number>();
    for (const m of messages) states.set(String(m['state']), (states.get(String(m['state'])) ?? 0) + 1);
    t.diagnostic(`outcomes: ${[...states].map(([s, n]) => `${s} ${n}`).join(', ')}`);
    assert.deepEqual(
      messages.filter((m) => !['applied', 'failed', 'skipped'].includes(String(m['state']))),
      [],
      'every message is applied, failed or skipped',
    );
    const failed = messages.filter((m) => m['state'] === 'failed');
    assert.deepEqual(
      failed.map((m) => String(m['control_id'])).sort(),
      problems.map((m) => m.controlId).sort(),
      'the failed messages are exactly the deliberately broken ones',
    );
    const kindOf = new Map(TRAFFIC.map((m) => [m.controlId, m.kind]));
    for (const m of failed) {
      const id = String(m['control_id']);
      assert.equal(m['status'], 'open', `${id} has an open exception`);
      assert.equal(m['reason_code'], REASON_OF_PROBLEM[kindOf.get(id)!], `${id} carries the right reason`);
      assert.equal(asBigInt(m['x_message']), asBigInt(m['id']), `${id}'s exception names its message`);
    }
    const others = await store.query(
      `SELECT x.reason_code, x.event_id FROM exceptions x
       LEFT JOIN message_outcomes o ON o.exception_id = x.id WHERE o.message_id IS NULL`,
    );
    assert.deepEqual(
      others.filter((x) => !INVENTORY_FLAGS.has(String(x['reason_code'])) || x['event_id'] === null),
      [],
      'every other exception is an inventory flag on an applied event',
    );

    // --- on-hand = opening stock + Σ movements, per item × par location -------------------------------
    const movements = await storedMovements(store);
    const positions = await storedPositions(store);
    assert.ok(
      movements.some((m) => m.movementType === 'issue'),
      'the day issued stock',
    );
    const sums = new Map<string, { quantity: bigint; value: bigint }>();
    for (const m of movements) {
      const k = `${m.itemCode} @ ${m.parLocationCode}`;
      const s = sums.get(k) ?? { quantity: 0n, value: 0n };
      sums.set(k, { quantity: s.quantity + m.quantity, value: s.value + m.value });
    }
    const onHand = new Map(
      positions.map((p) => [
        `${p.itemCode} @ ${p.parLocationCode}`,
        { quantity: p.quantity, value: p.value },
      ]),
    );
    const differing = [...new Set([...sums.keys(), ...onHand.keys()])].filter((k) => {
      const s = sums.get(k) ?? { quantity: 0n, value: 0n };
      const p = onHand.get(k) ?? { quantity: 0n, value: 0n };
      return s.quantity !== p.quantity || s.value !== p.value;
    });
    assert.deepEqual(differing, [], 'stock_on_hand is Σ inventory_movements (quantity and value)');
    const openingQuantity = new Map<string, bigint>();
    for (const s of SYSTEM.openingStock) {
      const k = `${s.itemCode} @ ${s.parLocationCode}`;
      openingQuantity.set(k, (openingQuantity.get(k) ?? 0n) + BigInt(s.quantity));
    }
    const billOnly = new Set(SYSTEM.items.filter((i) => i.billOnly).map((i) => i.code));
    for (const [k, q] of openingQuantity) {
      if (billOnly.has(k.split(' @ ')[0]!)) continue;
      const opened = movements
        .filter((m) => m.movementType === 'opening' && `${m.itemCode} @ ${m.parLocationCode}` === k)
        .reduce((a, m) => a + m.quantity, 0n);
      assert.equal(opened, q, `opening movements of ${k} are its opening stock`);
    }
    const report = verifyOnHand(movements, positions);
    assert.deepEqual(report.mismatches, [], 'verifyOnHand finds no mismatch');
    assert.ok(report.ok && report.movementsChecked === movements.length);
    const orphanMovements = await store.query(
      `SELECT v.movement_key FROM inventory_movements v LEFT JOIN canonical_events e ON e.id = v.source_event_id
       WHERE v.movement_type <> 'opening' AND e.id IS NULL`,
    );
    assert.deepEqual(orphanMovements, [], 'every movement after opening names its canonical event');

    // --- balanced entries, zero trial balance -----------------------------------------------------------
    const unbalanced = await store.query(
      `SELECT e.id FROM journal_entries e JOIN (
         SELECT entry_id, SUM(CASE WHEN side = 'debit' THEN amount ELSE 0 END) AS dr,
                SUM(CASE WHEN side = 'credit' THEN amount ELSE 0 END) AS cr, COUNT(*) AS n
         FROM journal_lines GROUP BY entry_id) l ON l.entry_id = e.id
       WHERE l.dr <> l.cr OR l.dr <> e.total_debit OR l.cr <> e.total_credit OR l.n <> e.line_count`,
    );
    assert.deepEqual(unbalanced, [], 'Σ debit = Σ credit in every entry, and the header agrees');
    const [entryCount] = await store.query<{ n: unknown }>('SELECT COUNT(*) AS n FROM journal_entries');
    assert.ok(asNumber(entryCount!.n) > TRAFFIC.length, 'the day posted entries');
    const nets = netByEntity(await trialBalance(store));
    assert.deepEqual(
      [...nets].sort(),
      SYSTEM.entities.map((e) => [`${e.code} ${e.currency}`, 0n]).sort(),
      'the trial balance nets to zero per entity and currency',
    );

    // --- provenance: journal entry → canonical event → raw message -----------------------------------
    const provenance = await store.query(
      `SELECT j.id, j.entity, j.source_event_id, e.id AS event_id, e.payload, m.id AS message_id, m.sender, m.control_id
       FROM journal_entries j
       LEFT JOIN canonical_events e ON e.id = j.source_event_id
       LEFT JOIN inbound_messages m ON m.id = e.source_message_id`,
    );
    const broken: string[] = [];
    let opening = 0;
    for (const r of provenance) {
      const source = String(r['source_event_id']);
      if (source.startsWith('opening:')) {
        opening++;
        if (source !== `opening:${r['entity']}` || r['event_id'] !== null)
          broken.push(`${r['id']}: ${source}`);
      } else if (r['event_id'] === null || r['message_id'] === null) {
        broken.push(`${r['id']}: ${source} → ${r['event_id']} → ${r['message_id']}`);
      } else if (payloadOf(r['payload'])['sourceMessageId'] !== `${r['sender']}|${r['control_id']}`) {
        broken.push(`${r['id']}: event ${source} names another message`);
      }
    }
    assert.deepEqual(broken, [], 'every entry leads to its canonical event and raw message');
    assert.equal(opening, SYSTEM.entities.length, 'one opening-balance entry per entity');
    const orphanLines = await store.query(
      'SELECT l.entry_id FROM journal_lines l LEFT JOIN journal_entries e ON e.id = l.entry_id WHERE e.id IS NULL',
    );
    assert.deepEqual(orphanLines, [], 'every line belongs to an entry');

    // --- no patient identifier in anything ERP-bound ---------------------------------------------------
    const identifiers = patientIdentifiers();
    assert.ok(identifiers.size > 200, `${identifiers.size} patient identifiers collected`);
    const rows = await store.query('SELECT id, content_sha256, raw, raw_key_id FROM inbound_messages');
    const sealed = rows.map((r) => asBytes(r['raw']).toString('utf8')).join('\n');
    // Identifiers of six characters or more: a short name (Zoe) turns up in random ciphertext by chance.
    const long = [...identifiers.keys()].filter((v) => v.length >= 6);
    assert.deepEqual(occurrences(sealed, long), [], 'the stored bodies are sealed at rest');
    const raw = rows.map((r) => openRaw(store, 'inbound_messages', r).toString('utf8')).join('\n');
    assert.equal(
      occurrences(raw, identifiers.keys()).length,
      identifiers.size,
      'the detector finds every identifier in the raw messages (it can see them)',
    );
    for (const table of ERP_BOUND) {
      const leaked = occurrences(await tableText(store, table), identifiers.keys());
      assert.deepEqual(
        leaked.map((v) => `${identifiers.get(v)} ${v}`),
        [],
        `${table} holds no patient identifier`,
      );
    }

    // --- the general ledger's inventory accounts = the subledger's stock value ---------------------------
    const subledger = await store.query(
      `SELECT p.entity_code AS entity, a.code AS account, SUM(s.value) AS value
       FROM stock_on_hand s
       JOIN par_locations p ON p.code = s.par_location_code
       JOIN items i ON i.code = s.item_code
       JOIN accounts a ON a.role = CASE WHEN i.category = 'pharmacy' THEN 'pharmacy-inventory' ELSE 'inventory' END
       GROUP BY p.entity_code, a.code ORDER BY p.entity_code, a.code`,
    );
    const ledger = await store.query(
      `SELECT l.entity, l.account, SUM(CASE WHEN l.side = 'debit' THEN l.amount ELSE -l.amount END) AS value
       FROM journal_lines l JOIN accounts a ON a.code = l.account
       WHERE a.role IN ('inventory', 'pharmacy-inventory')
       GROUP BY l.entity, l.account ORDER BY l.entity, l.account`,
    );
    const text = (rows: Row[]) => rows.map((r) => `${r['entity']} ${r['account']} ${asBigInt(r['value'])}`);
    assert.deepEqual(
      text(ledger),
      text(subledger),
      'GL inventory accounts equal the stock value per entity and account',
    );
    t.diagnostic(`inventory per entity and account: ${text(subledger).join(', ')}`);
  });
});
