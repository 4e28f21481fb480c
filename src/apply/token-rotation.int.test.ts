/**
 * Token key rotation keeps history linkable (issue 6, item 6.2), on both engines: an encounter admitted
 * under key k0 is discharged and charged after the ring rotated to k1, and its events still carry the
 * encounter's one token; a new encounter after the rotation gets a current-key token.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { generateDemoHealthSystem, generateTraffic, type TrafficMessage } from '../demo/index.ts';
import { parseMessage } from '../hl7v2/index.ts';
import { Inbox } from '../inbox/index.ts';
import { encounterToken } from '../interpret/fields.ts';
import { InboxRepository } from '../store/inbox-repository.ts';
import type { Store } from '../store/index.ts';
import { eachEngine } from '../store/test-engines.ts';
import { Applier } from './applier.ts';
import { loadDemo } from './testing.ts';
import { loadTokenKeys, rotateTokenKeys } from './token-key.ts';

const SYSTEM = generateDemoHealthSystem();
const TRAFFIC = [...generateTraffic(SYSTEM, { seed: 7 })];
const AT = new Date('2026-11-25T12:00:00.000Z');
const dir = mkdtempSync(join(tmpdir(), 'cw-token-ring-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const visitOf = (t: TrafficMessage) => parseMessage(Buffer.from(t.message)).getAll('PV1-19.1')[0] ?? '';

/** An admission, and a charge (DFT^P03) and a discharge for the same visit number, from the traffic. */
function episode(): { admit: TrafficMessage; charge: TrafficMessage; other: TrafficMessage } {
  const charges = new Map<string, TrafficMessage>();
  for (const t of TRAFFIC) if (t.kind === 'dft-p03' && visitOf(t) !== '') charges.set(visitOf(t), t);
  const admits = TRAFFIC.filter(
    (t) => (t.kind === 'adt-a01' || t.kind === 'adt-a04') && charges.has(visitOf(t)),
  );
  assert.equal(admits.length >= 2, true, 'the traffic has admissions with charges');
  return { admit: admits[0]!, charge: charges.get(visitOf(admits[0]!))!, other: admits[1]! };
}

async function eventTokens(store: Store, controlId: string): Promise<Set<string>> {
  const rows = await store.query(
    `SELECT e.payload FROM canonical_events e JOIN inbound_messages m ON m.id = e.source_message_id
     WHERE m.control_id = ?`,
    [controlId],
  );
  const out = new Set<string>();
  for (const r of rows) {
    const e = (typeof r['payload'] === 'string' ? JSON.parse(r['payload']) : r['payload']) as {
      payload: { encounterToken?: string };
    };
    if (e.payload.encounterToken) out.add(e.payload.encounterToken);
  }
  return out;
}

test('a bare token key file is read as a ring of one key and kept by the first rotation', () => {
  const file = join(dir, 'bare.key');
  writeFileSync(file, Buffer.alloc(32, 0x42), { mode: 0o600 });
  const before = loadTokenKeys(file);
  assert.deepEqual([before.currentId, before.earlier.length], ['k0', 0]);
  assert.equal(rotateTokenKeys(file), 'k1');
  const afterRotation = loadTokenKeys(file);
  assert.equal(afterRotation.currentId, 'k1');
  assert.deepEqual(afterRotation.earlier, [Buffer.alloc(32, 0x42)], 'the old key is kept as an earlier key');
  assert.equal(readFileSync(file, 'utf8').includes('"current": "k1"'), true);
  assert.equal(rotateTokenKeys(file), 'k2');
  assert.equal(loadTokenKeys(file).earlier.length, 2);
});

eachEngine('token key rotation', (engine) => {
  test('an encounter started before a rotation still links the charges after it', async () => {
    const { store } = await engine.freshStore({ migrated: true });
    await loadDemo(store, SYSTEM);
    const file = join(dir, `${engine.dialect}.key`);
    writeFileSync(file, Buffer.alloc(32, 0x11), { mode: 0o600 });
    const inbox = new Inbox({ repository: new InboxRepository(store), clock: () => AT });
    const { admit, charge, other } = episode();
    const receive = (t: TrafficMessage) => inbox.receive(Buffer.from(t.message), { name: 'adt' });

    const k0 = loadTokenKeys(file);
    await receive(admit);
    await new Applier({ store, tokenKey: k0.current, clock: () => AT }).drain();
    const admitted = [...(await eventTokens(store, admit.controlId))];
    assert.equal(admitted.length, 1, 'the admission carries one encounter token');

    rotateTokenKeys(file);
    const k1 = loadTokenKeys(file);
    await receive(charge);
    await receive(other);
    await new Applier({
      store,
      tokenKey: k1.current,
      earlierTokenKeys: k1.earlier,
      clock: () => AT,
    }).drain();
    const outcomes = await store.query("SELECT COUNT(*) AS n FROM message_outcomes WHERE state = 'applied'");
    assert.equal(Number(outcomes[0]!['n']), 3, 'all three messages applied');
    assert.deepEqual(
      [...(await eventTokens(store, charge.controlId))],
      admitted,
      'the charge after the rotation carries the encounter token from before it',
    );
    const fresh = [...(await eventTokens(store, other.controlId))];
    assert.equal(fresh.length, 1);
    assert.notEqual(fresh[0], admitted[0]);
    const rows = await store.query('SELECT token FROM encounters WHERE token IN (?, ?)', [
      admitted[0]!,
      fresh[0]!,
    ]);
    assert.equal(rows.length, 2, 'the old encounter kept its row; the new one has its own');

    // Without the earlier key the visit would have split: its current-key token is another one.
    assert.notEqual(encounterToken(parseMessage(Buffer.from(charge.message)), k1.current), admitted[0]);
  });
});
