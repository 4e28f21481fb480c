/**
 * Refusals over a real socket: the reply code follows the interface's ACK mode. An interface forced to
 * original mode answers AR (never CR) even when the sender's MSH-15/16 ask for enhanced mode; in auto
 * mode the same refusal is CR. Either way the reason is spelled out and the bytes are kept.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMessage } from '../hl7v2/index.ts';
import { MllpClient } from '../mllp/index.ts';
import { InboxRepository } from '../store/inbox-repository.ts';
import { eachEngine } from '../store/test-engines.ts';
import { Inbox, type InterfaceSettings } from './inbox.ts';
import { startMllpIngest } from './mllp-ingest.ts';

const msh = (controlId: string, msh15: string, msh16: string) =>
  `MSH|^~\\&|LAB|HRMC|CROSSWALK|ERP|20261124101500||ORU^R01^ORU_R01|${controlId}|P|2.5|||${msh15}|${msh16}`;

const CASES = [
  { what: 'MSH-10 empty', payload: `${msh('', 'AL', 'NE')}\rOBR|1\r`, reason: /MSH-10/ },
  {
    what: 'a broken segment',
    payload: `${msh('R-2', 'NE', 'NE')}\rthis is not a segment\r`,
    reason: /malformed segment/,
  },
];

eachEngine('inbox over MLLP: refusals follow the interface ACK mode', (engine) => {
  async function replies(settings: InterfaceSettings) {
    const { store } = await engine.freshStore({ migrated: true });
    const repository = new InboxRepository(store);
    const ingest = await startMllpIngest({
      inbox: new Inbox({ repository }),
      settings,
      host: '127.0.0.1',
      port: 0,
    });
    const client = new MllpClient({ maxInFlight: 4 });
    try {
      await client.connect({ host: ingest.host, port: ingest.port, timeoutMs: 5000 });
      const out = await Promise.all(
        CASES.map((c) => client.send(Buffer.from(c.payload), { timeoutMs: 10_000 })),
      );
      return { acks: out.map((b) => parseMessage(b)), rejections: await repository.listRejections() };
    } finally {
      await client.close();
      await ingest.close();
    }
  }

  test('ackMode original: AR with the reason, whatever MSH-15/16 ask', async () => {
    const { acks, rejections } = await replies({ name: 'lab', ackMode: 'original' });
    acks.forEach((ack, i) => {
      assert.equal(ack.get('MSA-1'), 'AR', `${CASES[i]!.what}: AR in original mode`);
      assert.equal(ack.get('MSH-15'), '', `${CASES[i]!.what}: an original-mode ACK leaves MSH-15 empty`);
      assert.match(ack.get('ERR-8'), CASES[i]!.reason, `${CASES[i]!.what}: ERR-8 names the reason`);
      assert.doesNotMatch(ack.get('ERR-8'), /\{\w+\}/, `${CASES[i]!.what}: no unfilled template slot`);
    });
    assert.equal(rejections.length, CASES.length, 'every refusal is kept');
    assert.deepEqual(
      rejections.map((r) => r.ackCode).sort(),
      ['AR', 'AR'],
      'the kept refusals record the code sent',
    );
  });

  test('ackMode auto: the same refusals are CR, as the sender asked for enhanced mode', async () => {
    const { acks } = await replies({ name: 'lab' });
    acks.forEach((ack, i) => {
      assert.equal(ack.get('MSA-1'), 'CR', `${CASES[i]!.what}: CR in enhanced mode`);
      assert.match(ack.get('ERR-8'), CASES[i]!.reason, `${CASES[i]!.what}: ERR-8 names the reason`);
    });
  });
});
