import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { type InboundCandidate, InboxRepository } from './inbox-repository.ts';
import { eachEngine } from './test-engines.ts';

function candidate(controlId: string, body = `body-${controlId}`, sender = 'EHR|HOSP'): InboundCandidate {
  const raw = Buffer.from(`MSH|^~\\&|${sender}|||20261124||DFT^P03|${controlId}|P|2.5\r${body}`);
  return {
    interfaceName: 'test',
    orderingKey: 'test',
    sender,
    controlId,
    messageType: 'DFT^P03',
    receivedAt: '2026-11-24T10:00:00.000Z',
    contentSha256: createHash('sha256').update(raw).digest('hex'),
    raw,
    ack: Buffer.from(`ACK for ${controlId}`),
    ackCode: 'AA',
  };
}

eachEngine('inbox repository', (engine) => {
  test('stores a batch in arrival order; a resend gets the stored ACK; different content is a conflict', async () => {
    const { store } = await engine.freshStore({ migrated: true });
    const inbox = new InboxRepository(store);
    const first = await inbox.storeBatch([candidate('1'), candidate('2'), candidate('3')]);
    assert.deepEqual(
      first.map((o) => o.kind),
      ['stored', 'stored', 'stored'],
    );
    const ids = first.map((o) => (o.kind === 'stored' ? o.id : -1n));
    assert.ok(ids[0]! < ids[1]! && ids[1]! < ids[2]!, 'ids follow arrival');

    const resend = { ...candidate('2'), ack: Buffer.from('a different ACK we would have built now') };
    const second = await inbox.storeBatch([resend, candidate('2', 'changed body'), candidate('4')]);
    assert.equal(second[0]!.kind, 'duplicate');
    assert.equal(second[0]!.kind === 'duplicate' && second[0]!.ack.toString(), 'ACK for 2');
    assert.deepEqual(second[1], { kind: 'conflict', existingId: ids[1] });
    assert.equal(second[2]!.kind, 'stored');

    // The same key twice inside one batch: the first is stored, the second repeats it.
    const third = await inbox.storeBatch([candidate('5'), candidate('5'), candidate('5', 'other')]);
    assert.deepEqual(
      third.map((o) => o.kind),
      ['stored', 'duplicate', 'conflict'],
    );
    assert.deepEqual(await inbox.counts(), { messages: 5, rejections: 0 });

    const stored = await inbox.get(ids[0]!);
    assert.ok(stored);
    assert.deepEqual(stored.raw, candidate('1').raw, 'raw bytes come back byte-exact');
    assert.equal((await inbox.list({ limit: 2 })).length, 2);
  });

  test('the same control id from another sender is another message', async () => {
    const { store } = await engine.freshStore({ migrated: true });
    const inbox = new InboxRepository(store);
    const out = await inbox.storeBatch([candidate('1', 'a', 'EHR|A'), candidate('1', 'b', 'EHR|B')]);
    assert.deepEqual(
      out.map((o) => o.kind),
      ['stored', 'stored'],
    );
  });

  test('rejections are kept with their reason and evidence', async () => {
    const { store } = await engine.freshStore({ migrated: true });
    const inbox = new InboxRepository(store);
    const c = candidate('9');
    await inbox.recordRejections([
      {
        interfaceName: 'test',
        sender: null,
        controlId: null,
        messageType: null,
        receivedAt: c.receivedAt,
        contentSha256: c.contentSha256,
        raw: c.raw,
        reasonCode: 'CW_ERR_HL7_NO_MSH',
        reason: 'no MSH',
        ack: Buffer.from('AR'),
        ackCode: 'AR',
        existingMessageId: null,
      },
    ]);
    const [r] = await inbox.listRejections();
    assert.equal(r?.reasonCode, 'CW_ERR_HL7_NO_MSH');
    assert.deepEqual(await inbox.counts(), { messages: 0, rejections: 1 });
  });
});
