import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMessage } from '../hl7v2/index.ts';
import { Inbox, startMllpIngest } from '../inbox/index.ts';
import { InboxRepository } from '../store/inbox-repository.ts';
import { eachEngine } from '../store/test-engines.ts';
import { runsByAckRequest } from './commands/send.ts';
import { sendExpectingNoAck } from './sender.ts';

const msg = (id: string, msh15: string, body = '') =>
  Buffer.from(`MSH|^~\\&|EPIC|HRMC|||20261124||ADT^A04|${id}|P|2.5|||${msh15}|AL\rEVN|A04|20261124\r${body}`);

test('runs keep file order and separate messages that ask for no commit ACK', () => {
  const runs = runsByAckRequest([
    msg('1', ''),
    msg('2', 'AL'),
    msg('3', 'NE'),
    msg('4', 'ER'),
    msg('5', ''),
    Buffer.from('junk'),
  ]);
  assert.deepEqual(
    runs.map((r) => [r.noAck, r.payloads.length]),
    [
      [false, 2],
      [true, 2],
      [false, 2],
    ],
  );
});

eachEngine('sending messages that ask for no ACK', (engine) => {
  test('NE is stored and answered with silence; ER still gets the error reply', async () => {
    const { store } = await engine.freshStore({ migrated: true });
    const repository = new InboxRepository(store);
    const ingest = await startMllpIngest({
      inbox: new Inbox({ repository }),
      settings: { name: 't' },
      host: '127.0.0.1',
      port: 0,
    });
    try {
      const target = { host: '127.0.0.1', port: ingest.port, graceMs: 1500 };
      assert.equal(await sendExpectingNoAck(msg('N1', 'NE'), target), null, 'no reply, as asked');
      assert.equal(
        await sendExpectingNoAck(msg('E1', 'ER'), target),
        null,
        'a stored ER message gets no reply',
      );
      const conflict = await sendExpectingNoAck(msg('E1', 'ER', 'NTE|1||changed\r'), target);
      assert.ok(conflict, 'an error is still answered under ER');
      assert.equal(parseMessage(conflict).get('MSA-1'), 'CE');
      const stored = (await repository.list()).map((m) => m.controlId).sort();
      assert.deepEqual(stored, ['E1', 'N1']);
    } finally {
      await ingest.close();
    }
  });
});
