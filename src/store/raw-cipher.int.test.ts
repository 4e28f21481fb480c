import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadKeyRing, rotateKeyRing } from '../config/key-ring.ts';
import { CrosswalkError } from '../errors/index.ts';
import { type InboundCandidate, InboxRepository } from './inbox-repository.ts';
import type { Store } from './port.ts';
import { RawCipher } from './raw-cipher.ts';
import { reencryptRawBodies } from './reencrypt.ts';
import { eachEngine } from './test-engines.ts';
import { asBytes } from './values.ts';
import { verifyInvariants } from './verify-repository.ts';

const dir = mkdtempSync(join(tmpdir(), 'cw-raw-keys-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let rings = 0;
const freshRing = () => join(dir, `ring-${++rings}.json`);

/** A synthetic MRN no real message carries: found anywhere it must not be, the test fails. */
const MRN = 'ZQX9917734MRN';

function candidate(controlId: string): InboundCandidate {
  const raw = Buffer.from(
    `MSH|^~\\&|EHR|HOSP|||20261124||ADT^A04|${controlId}|P|2.5\rPID|1||${MRN}-${controlId}^^^HOSP^MR||CANARY^ZEPHYRINE||19010203|F`,
  );
  return {
    interfaceName: 'test',
    orderingKey: 'test',
    sender: 'EHR|HOSP',
    controlId,
    messageType: 'ADT^A04',
    receivedAt: '2026-11-24T10:00:00.000Z',
    contentSha256: createHash('sha256').update(raw).digest('hex'),
    raw,
    ack: Buffer.from(`ACK ${controlId}`),
    ackCode: 'AA',
  };
}

async function storedIds(store: Store, ...ids: string[]): Promise<bigint[]> {
  const out = await new InboxRepository(store).storeBatch(ids.map(candidate));
  return out.map((o) => {
    assert.equal(o.kind, 'stored');
    return o.kind === 'stored' ? o.id : -1n;
  });
}

async function rawColumn(store: Store, id: bigint): Promise<{ raw: Buffer; keyId: string | null }> {
  const r = (await store.query('SELECT raw, raw_key_id FROM inbound_messages WHERE id = ?', [id]))[0]!;
  return { raw: asBytes(r['raw']), keyId: r['raw_key_id'] === null ? null : String(r['raw_key_id']) };
}

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.equal(e instanceof CrosswalkError, true, `a CrosswalkError, not ${String(e)}`);
    const err = e as CrosswalkError;
    assert.equal(err.message.includes(MRN), false, 'the error names no PHI');
    return err.code;
  }
  return 'not refused';
}

eachEngine('raw bodies sealed at rest', (engine) => {
  test('the database holds no plaintext; the repository gives the bytes back exactly', async () => {
    const ring = freshRing();
    const { store, url } = await engine.freshStore({ rawCipher: RawCipher.fromFile(ring), migrated: true });
    const [id] = await storedIds(store, '1');
    const column = await rawColumn(store, id!);
    assert.equal(column.keyId, 'k1');
    assert.equal(column.raw.includes(MRN), false, 'the stored column holds no MRN');
    assert.equal(column.raw.length, candidate('1').raw.length + 28, 'nonce and tag, then the ciphertext');
    assert.deepEqual((await new InboxRepository(store).get(id!))?.raw, candidate('1').raw);
    assert.equal(statSync(ring).mode & 0o777, 0o600, 'the key ring is created 0600');
    if (engine.dialect === 'sqlite') {
      await store.close();
      for (const f of [url, `${url}-wal`]) {
        if (existsSync(f)) assert.equal(readFileSync(f).includes(MRN), false, `${f} holds no MRN`);
      }
    } else {
      const hit = await store.query(
        "SELECT COUNT(*) AS n FROM inbound_messages WHERE position(convert_to(?, 'UTF8') in raw) > 0",
        [MRN],
      );
      assert.equal(Number(hit[0]!['n']), 0, 'no PostgreSQL row holds the MRN');
    }
  });

  test('an altered or moved ciphertext is refused with a clear error, and verify reports it', async () => {
    const { store } = await engine.freshStore({ rawCipher: RawCipher.fromFile(freshRing()), migrated: true });
    const [a, b, c] = await storedIds(store, '1', '2', '3');
    const inbox = new InboxRepository(store);
    const tampered = Buffer.from((await rawColumn(store, a!)).raw);
    tampered[tampered.length - 1]! ^= 0x01;
    await store.execute('UPDATE inbound_messages SET raw = ? WHERE id = ?', [tampered, a!]);
    assert.equal(await refusal(inbox.get(a!)), 'CW_ERR_STORE_RAW_UNREADABLE');

    // Row swap: b's ciphertext (valid under the same key) copied into c.
    await store.execute('UPDATE inbound_messages SET raw = ? WHERE id = ?', [
      (await rawColumn(store, b!)).raw,
      c!,
    ]);
    assert.equal(await refusal(inbox.get(c!)), 'CW_ERR_STORE_RAW_UNREADABLE');
    assert.deepEqual((await inbox.get(b!))?.raw, candidate('2').raw, 'the original row still reads');

    const changed = (await verifyInvariants(store)).filter((v) => v.invariant === 'immutable-changed');
    assert.deepEqual(
      changed.map((v) => v.subject).sort(),
      [`inbound_messages ${a}`, `inbound_messages ${c}`].sort(),
      'the invariant checker decrypts and names both rows',
    );
    assert.equal(
      changed.every((v) => v.detail.includes('CW_ERR_STORE_RAW_UNREADABLE')),
      true,
      changed.map((v) => v.detail).join('; '),
    );
  });

  test('a ring without the key is refused by name; a row from before encryption reads as it is', async () => {
    const { store, url } = await engine.freshStore({
      rawCipher: RawCipher.fromFile(freshRing()),
      migrated: true,
    });
    const [id] = await storedIds(store, '1');
    const other = engine.reopen(url, {
      rawCipher: new RawCipher({ current: 'k9', keys: new Map([['k9', Buffer.alloc(32, 7)]]) }),
    });
    assert.equal(await refusal(new InboxRepository(other).get(id!)), 'CW_ERR_STORE_RAW_KEY_UNKNOWN');
    const legacy = candidate('2');
    await store.execute(
      `INSERT INTO inbound_messages (interface_name, ordering_key, sender, control_id, message_type, received_at,
         content_sha256, size_bytes, raw, ack, ack_code, raw_key_id)
       VALUES ('test', 'test', 'EHR|HOSP', '2', 'ADT^A04', '2026-11-24T10:00:00.000Z', ?, ?, ?, ?, 'AA', NULL)`,
      [legacy.contentSha256, legacy.raw.length, legacy.raw, legacy.ack],
    );
    const rows = await store.query<{ id: unknown }>("SELECT id FROM inbound_messages WHERE control_id = '2'");
    const legacyId = BigInt(String(rows[0]!.id));
    assert.deepEqual((await new InboxRepository(store).get(legacyId))?.raw, legacy.raw);
  });

  test('rotation: new writes use the new key, old rows stay readable, reencrypt moves them', async () => {
    const ring = freshRing();
    const { store, url } = await engine.freshStore({ rawCipher: RawCipher.fromFile(ring), migrated: true });
    const [old1, old2] = await storedIds(store, '1', '2');
    assert.equal(rotateKeyRing(ring, 'CROSSWALK_RAW_KEY_RING_FILE'), 'k2');
    assert.deepEqual([...loadKeyRing(ring, 'x').keys.keys()], ['k1', 'k2']);
    const after = engine.reopen(url, { rawCipher: RawCipher.fromFile(ring) });
    const [fresh] = await storedIds(after, '3');
    assert.equal((await rawColumn(after, fresh!)).keyId, 'k2');
    assert.equal((await rawColumn(after, old1!)).keyId, 'k1');
    const inbox = new InboxRepository(after);
    assert.deepEqual((await inbox.get(old1!))?.raw, candidate('1').raw, 'a k1 row reads after rotation');

    const report = await reencryptRawBodies(after, { batchSize: 1 });
    assert.equal(report.currentKeyId, 'k2');
    assert.equal(report.moved['inbound_messages'], 2);
    for (const [id, control] of [
      [old1!, '1'],
      [old2!, '2'],
      [fresh!, '3'],
    ] as const) {
      assert.equal((await rawColumn(after, id)).keyId, 'k2');
      assert.deepEqual((await inbox.get(id))?.raw, candidate(control).raw);
    }
    assert.equal(
      (await reencryptRawBodies(after)).moved['inbound_messages'],
      0,
      'a second run moves nothing',
    );
    assert.deepEqual(
      (await verifyInvariants(after)).filter((v) => v.invariant === 'immutable-changed'),
      [],
      'hashes still match the plaintext',
    );
  });
});
