import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseMessage } from '../hl7v2/index.ts';
import { InboxRepository } from '../store/inbox-repository.ts';
import { eachEngine } from '../store/test-engines.ts';
import { Inbox, type InboxOutcome } from './inbox.ts';

const CORPUS = new URL('../../../shared/data/hl7v2/', import.meta.url);
const DFT = new URL('ms-fhir-converter/DFT-P03-01.hl7', CORPUS);
const AT = new Date('2026-11-24T10:15:00.000Z');
const IFACE = { name: 'or-charges' };

function message(controlId: string, opts: { msh15?: string; msh16?: string; body?: string } = {}): Buffer {
  const msh = `MSH|^~\\&|EPIC|HRMC|CROSSWALK|ERP|20261124101500||DFT^P03|${controlId}|P|2.5|||${opts.msh15 ?? ''}|${opts.msh16 ?? ''}`;
  return Buffer.from(
    `${msh}\rEVN|P03|20261124101500\rFT1|1|||20261124||SU|S-1001^Gauze|||2\r${opts.body ?? ''}`,
  );
}

const ackOf = (b: Buffer | null) => (b ? parseMessage(b) : null);

eachEngine('inbox', (engine) => {
  async function setup() {
    const { store } = await engine.freshStore({ migrated: true });
    const repository = new InboxRepository(store);
    const seen: InboxOutcome[] = [];
    const inbox = new Inbox({
      repository,
      clock: () => AT,
      observer: { onMessage: (_i, o) => seen.push(o) },
    });
    return { store, repository, inbox, seen };
  }

  test('a real DFT^P03 is stored byte-exact and acknowledged AA; a resend gets the same bytes back', async (t) => {
    if (!existsSync(DFT)) return t.skip('corpus absent: ../shared/data/hl7v2');
    const { repository, inbox, seen } = await setup();
    const raw = readFileSync(DFT);
    const ack = await inbox.receive(raw, IFACE);
    const parsed = ackOf(ack)!;
    assert.equal(parsed.get('MSA-1'), 'AA');
    assert.equal(parsed.get('MSA-2'), parseMessage(raw).header.controlId);
    const [summary] = await repository.list();
    const stored = await repository.get(summary!.id);
    assert.deepEqual(stored!.raw, raw, 'stored byte for byte');
    assert.deepEqual(stored!.ack, ack, 'the ACK sent is the ACK stored');

    const again = await inbox.receive(raw, IFACE);
    assert.deepEqual(again, ack, 'a resend gets the stored ACK, byte-identical');
    assert.deepEqual(await repository.counts(), { messages: 1, rejections: 0 });
    assert.deepEqual(seen, ['stored', 'duplicate']);
  });

  test('the same key with different content is refused with AE and recorded, never overwritten', async () => {
    const { repository, inbox } = await setup();
    await inbox.receive(message('C1'), IFACE);
    const refusal = ackOf(await inbox.receive(message('C1', { body: 'NTE|1||changed\r' }), IFACE))!;
    assert.equal(refusal.get('MSA-1'), 'AE');
    assert.match(refusal.get('ERR-8'), /already received with different content/);
    const [rejection] = await repository.listRejections();
    assert.equal(rejection!.reasonCode, 'CW_ERR_INBOX_DUPLICATE_CONFLICT');
    const [original] = await repository.list();
    assert.deepEqual((await repository.get(original!.id))!.raw, message('C1'), 'the original is untouched');
  });

  test('unparseable input is refused with AR and an ERR naming the reason, and kept', async () => {
    const { repository, inbox } = await setup();
    const garbage = Buffer.from('this is not HL7 at all');
    const noControlId = Buffer.from('MSH|^~\\&|EPIC|HRMC|||20261124||DFT^P03||P|2.5\rEVN|P03\r');
    const a = ackOf(await inbox.receive(garbage, IFACE))!;
    assert.equal(a.get('MSA-1'), 'AR');
    assert.ok(a.get('ERR-3') !== '', 'ERR-3 carries an HL7 error code');
    const b = ackOf(await inbox.receive(noControlId, IFACE))!;
    assert.equal(b.get('MSA-1'), 'AR');
    assert.match(b.get('ERR-8'), /MSH-10/);
    const rejections = await repository.listRejections();
    assert.deepEqual(rejections.map((r) => r.reasonCode).sort(), [
      'CW_ERR_HL7_NO_MSH',
      'CW_ERR_HL7_REQUIRED_FIELD',
    ]);
    assert.equal((await repository.counts()).messages, 0);
  });

  test('enhanced mode: CA after commit when MSH-15 asks, nothing when it says NE; original mode forced by the interface', async () => {
    const { repository, inbox } = await setup();
    assert.equal(
      ackOf(await inbox.receive(message('E1', { msh15: 'AL', msh16: 'NE' }), IFACE))!.get('MSA-1'),
      'CA',
    );
    assert.equal(await inbox.receive(message('E2', { msh15: 'NE', msh16: 'AL' }), IFACE), null);
    assert.equal(await inbox.receive(message('E3', { msh15: 'ER', msh16: 'AL' }), IFACE), null);
    const forced = await inbox.receive(message('E4', { msh15: 'NE', msh16: 'AL' }), {
      ...IFACE,
      ackMode: 'original',
    });
    assert.equal(ackOf(forced)!.get('MSA-1'), 'AA');
    assert.equal((await repository.counts()).messages, 4, 'all four stored, whatever ACK was asked for');
  });

  test('messages arriving together are committed together and each gets its own ACK', async () => {
    const { repository, inbox } = await setup();
    const acks = await Promise.all(
      Array.from({ length: 200 }, (_, i) => inbox.receive(message(`G${i}`), IFACE)),
    );
    acks.forEach((a, i) => {
      assert.equal(ackOf(a)!.get('MSA-2'), `G${i}`);
    });
    assert.equal((await repository.counts()).messages, 200);
  });

  test('when storage fails the sender gets AR, never a positive ACK', async () => {
    const { store, inbox } = await setup();
    await store.close();
    const ack = ackOf(await inbox.receive(message('F1'), IFACE))!;
    assert.equal(ack.get('MSA-1'), 'AR');
    assert.match(ack.get('ERR-8'), /could not be stored durably/);
  });
});
