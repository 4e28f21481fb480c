import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { type InboundCandidate, InboxRepository } from './inbox-repository.ts';
import { migrate } from './migrate.ts';
import { orderingKeys, pendingCount } from './posting-repository.ts';
import { eachEngine } from './test-engines.ts';

function candidate(key: string, controlId: string): InboundCandidate {
  const raw = Buffer.from(`MSH|^~\\&|EHR|HOSP|||20261124||DFT^P03|${controlId}|P|2.5\r`);
  return {
    interfaceName: key,
    orderingKey: key,
    sender: 'EHR|HOSP',
    controlId,
    messageType: 'DFT^P03',
    receivedAt: '2026-11-24T10:00:00.000Z',
    contentSha256: createHash('sha256').update(raw).digest('hex'),
    raw,
    ack: Buffer.from('ACK'),
    ackCode: 'AA',
  };
}

eachEngine('apply backlog', (engine) => {
  test('ordering keys and the backlog past each key’s cursor are found from the index', async () => {
    const { store } = await engine.freshStore();
    await migrate(store);
    assert.deepEqual(await orderingKeys(store), [], 'an empty inbox has no keys');
    assert.equal(await pendingCount(store), 0);

    // Keys that sort around each other, interleaved in arrival, with different backlogs.
    const inbox = new InboxRepository(store);
    const plan: [string, number][] = [
      ['or', 5],
      ['cath', 3],
      ['ed', 4],
      ['or-2', 2],
    ];
    const stored: { key: string; id: bigint }[] = [];
    for (let i = 0; i < 5; i++) {
      const batch = plan.filter(([, n]) => i < n).map(([k]) => candidate(k, `${k}-${i}`));
      const out = await inbox.storeBatch(batch);
      out.forEach((o, j) => {
        if (o.kind === 'stored') stored.push({ key: batch[j]!.orderingKey, id: o.id });
      });
    }
    assert.deepEqual(await orderingKeys(store), ['cath', 'ed', 'or', 'or-2']);
    assert.equal(await pendingCount(store), 14, 'no cursor yet: every message is pending');

    // Cursors: 'or' past its third message, 'cath' past all of its own; 'ed' and 'or-2' have none.
    const ids = (k: string) => stored.filter((s) => s.key === k).map((s) => s.id);
    await store.execute(
      'INSERT INTO apply_cursors (ordering_key, last_message_id, updated_at) VALUES (?, ?, ?), (?, ?, ?)',
      ['or', ids('or')[2]!, 'T', 'cath', ids('cath')[2]!, 'T'],
    );
    assert.equal(await pendingCount(store), 2 + 0 + 4 + 2);
  });
});
