/**
 * `crosswalk keys rotate | reencrypt` and `messages show --raw` over sealed bodies, on both engines, with
 * the real binary: the bytes come back identical before a rotation, after it and after reencrypting; a
 * key ring that lacks the key is refused in one line with its code.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { InboxRepository } from '../store/inbox-repository.ts';
import { migrate } from '../store/migrate.ts';
import { RawCipher } from '../store/raw-cipher.ts';
import { eachEngine } from '../store/test-engines.ts';
import { tokensAt } from '../store/test-identities.ts';
import { runCli } from './test-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'cw-keys-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const RAW = Buffer.from(
  'MSH|^~\\&|EHR|HOSP|||20261124||ADT^A04|K1|P|2.5\rPID|1||ZQX5550001^^^HOSP^MR||CANARY^QUILLON||19020304|M\r',
);

eachEngine('crosswalk keys', (engine) => {
  test('rotate and reencrypt keep messages show --raw byte-identical', async () => {
    const ring = join(dir, `${engine.dialect}-ring.json`);
    const url = await engine.freshUrl({ migrated: true });
    const store = engine.reopen(url, { rawCipher: RawCipher.fromFile(ring) });
    await migrate(store);
    const [stored] = await new InboxRepository(store).storeBatch([
      {
        interfaceName: 'test',
        orderingKey: 'test',
        sender: 'EHR|HOSP',
        controlId: 'K1',
        messageType: 'ADT^A04',
        receivedAt: '2026-11-24T10:00:00.000Z',
        contentSha256: createHash('sha256').update(RAW).digest('hex'),
        raw: RAW,
        ack: Buffer.from('ACK'),
        ackCode: 'AA',
      },
    ]);
    const id = stored?.kind === 'stored' ? String(stored.id) : 'none';
    const { ivy } = await tokensAt(url, { ivy: ['integration_engineer'] });
    const env = { CROSSWALK_DATABASE_URL: url, CROSSWALK_RAW_KEY_RING_FILE: ring, CROSSWALK_TOKEN: ivy! };
    const show = async () => {
      const r = await runCli(['messages', 'show', id, '--raw'], env);
      assert.equal(r.code, 0, r.stderr);
      return r.stdoutBytes;
    };
    assert.deepEqual(await show(), RAW);

    const rotated = await runCli(['keys', 'rotate', '--json'], env);
    assert.equal(rotated.code, 0, rotated.stderr);
    assert.equal(JSON.parse(rotated.stdout).current, 'k2');
    assert.deepEqual(await show(), RAW, 'readable under the old key after rotation');

    const moved = await runCli(['keys', 'reencrypt', '--json'], env);
    assert.equal(moved.code, 0, moved.stderr);
    assert.equal(JSON.parse(moved.stdout).moved.inbound_messages, 1);
    const key = await store.query('SELECT raw_key_id FROM inbound_messages WHERE id = ?', [BigInt(id)]);
    assert.equal(key[0]!['raw_key_id'], 'k2');
    assert.deepEqual(await show(), RAW, 'readable under the new key after reencrypting');

    const stranger = await runCli(['messages', 'show', id, '--raw'], {
      ...env,
      CROSSWALK_RAW_KEY_RING_FILE: join(dir, `${engine.dialect}-other.json`),
    });
    assert.equal(stranger.code, 1);
    assert.match(stranger.stderr, /^crosswalk: .*\[CW_ERR_STORE_RAW_KEY_UNKNOWN\]\n$/);
    assert.equal(stranger.stdout, '', 'nothing of the body is printed');

    const usage = await runCli(['keys', 'rotate', '--ring', 'nope'], env);
    assert.equal(usage.code, 2, usage.stderr);
  });
});
