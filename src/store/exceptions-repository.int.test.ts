/**
 * Refusals at the inbox become exceptions by a trigger (migration 0005). Refusals of one reason, interface
 * and sender arriving on several connections at once must end as one open exception counting every one
 * of them — and none may be lost: recording a refusal is best effort, so a deadlock would drop it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type InboundRejection, InboxRepository } from './inbox-repository.ts';
import { eachEngine } from './test-engines.ts';
import { asNumber } from './values.ts';

const refusal = (i: number, sender: string): InboundRejection => ({
  interfaceName: 'mllp',
  sender,
  controlId: `C${i}`,
  messageType: 'ADT^A01',
  receivedAt: new Date(Date.UTC(2026, 10, 25, 12, 0, i)).toISOString(),
  contentSha256: 'f'.repeat(64),
  raw: Buffer.from(`MSH|${i}`),
  reasonCode: 'CW_ERR_INBOX_DUPLICATE_CONFLICT',
  reason: 'message was already received with different content',
  ack: null,
  ackCode: null,
  existingMessageId: null,
});

eachEngine('refusals as exceptions', (engine) => {
  test('concurrent refusals of one sender: one exception counting all, none lost', async () => {
    const { store } = await engine.freshStore({ migrated: true });
    const repo = new InboxRepository(store);
    const n = 10;
    const results = await Promise.allSettled([
      ...Array.from({ length: n }, (_, i) => repo.recordRejections([refusal(i, 'EHR|A')])),
      ...Array.from({ length: n }, (_, i) => repo.recordRejections([refusal(100 + i, 'EHR|B')])),
    ]);
    assert.deepEqual(
      results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason)),
      [],
      'every refusal was recorded',
    );
    const rows = await store.query('SELECT subject, team, occurrences FROM exceptions ORDER BY subject');
    assert.deepEqual(
      rows.map((r) => `${r['subject']} ${r['team']} ${asNumber(r['occurrences'])}`),
      [`inbox:mllp:EHR|A integration ${n}`, `inbox:mllp:EHR|B integration ${n}`],
    );
  });
});
