/**
 * Every message of the shared real-world corpus, sent over a real MLLP socket to the ingest: each gets
 * the reply it is owed, in order, within a bound; the store ends up holding exactly what the replies
 * said; and the listener keeps serving. The corpus repeats keys (sender + MSH-10) across files, the
 * same bytes (a resend: answered from the store) and different bytes (a conflict: refused, recorded).
 *
 * What each message is owed is worked out here from its MSH alone, independently of the inbox: first
 * time a key is seen → stored; same key, same bytes → duplicate; same key, other bytes → conflict; no
 * parse, or MSH-9/MSH-10 empty → refused.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMessage } from '../hl7v2/index.ts';
import { frame, MllpClient } from '../mllp/index.ts';
import { RawMllpPeer, until, within } from '../mllp/test-peer.ts';
import { InboxRepository, openRaw } from '../store/inbox-repository.ts';
import { asNumber } from '../store/index.ts';
import { type EngineUnderTest, eachEngine } from '../store/test-engines.ts';
import { Inbox, type InterfaceSettings } from './inbox.ts';
import { startMllpIngest } from './mllp-ingest.ts';
import { type CorpusMessage, corpusMessages, corpusPresent } from './test-corpus.ts';

type Kind = 'stored' | 'duplicate' | 'conflict' | 'refused';

interface Owed {
  readonly source: string;
  readonly payload: Buffer;
  readonly kind: Kind;
  /** MSH-10 when the header could be read. */
  readonly controlId: string | null;
  /** Enhanced acknowledgment mode (MSH-15 or MSH-16 valued); null when the header could not be read. */
  readonly enhanced: boolean | null;
  readonly acceptAckType: string;
  /** The index of the first message with this key (for duplicates and conflicts). */
  readonly first: number | null;
}

function owed(messages: readonly CorpusMessage[]): Owed[] {
  const firstByKey = new Map<string, number>();
  return messages.map(({ source, payload }, i) => {
    let header: ReturnType<typeof parseMessage>['header'];
    try {
      header = parseMessage(payload).header;
    } catch {
      return {
        source,
        payload,
        kind: 'refused',
        controlId: null,
        enhanced: null,
        acceptAckType: '',
        first: null,
      };
    }
    const enhanced = header.acceptAckType !== '' || header.applicationAckType !== '';
    const base = {
      source,
      payload,
      controlId: header.controlId,
      enhanced,
      acceptAckType: header.acceptAckType,
    };
    if (header.messageCode === '' || header.controlId === '')
      return { ...base, kind: 'refused', first: null };
    const key = `${header.sendingApplication}|${header.sendingFacility}\u0000${header.controlId}`;
    const first = firstByKey.get(key);
    if (first === undefined) {
      firstByKey.set(key, i);
      return { ...base, kind: 'stored', first: null };
    }
    return { ...base, kind: messages[first]!.payload.equals(payload) ? 'duplicate' : 'conflict', first };
  });
}

const count = (list: readonly Owed[], kind: Kind) => list.filter((m) => m.kind === kind).length;

const SENTINEL = Buffer.from(
  'MSH|^~\\&|CORPUS-TEST|CW|CROSSWALK|ERP|20261124101500||ADT^A08^ADT_A01|SENTINEL-1|P|2.5\rEVN|A08|20261124101500\rPID|1||T-1^^^CW^MR||Test^Sentinel\r',
);

async function ingestOn(engine: EngineUnderTest, settings: InterfaceSettings) {
  const { store } = await engine.freshStore({ migrated: true });
  const repository = new InboxRepository(store);
  const ingest = await startMllpIngest({
    inbox: new Inbox({ repository }),
    settings,
    host: '127.0.0.1',
    port: 0,
  });
  return { store, repository, ingest };
}

/** The store holds exactly what the replies promised: one row per key, the first bytes sent for it. */
async function assertStoreMatches(
  store: Awaited<ReturnType<typeof ingestOn>>['store'],
  list: readonly Owed[],
  extraStored: number,
): Promise<void> {
  const sent = list.length;
  const stored = count(list, 'stored');
  const duplicates = count(list, 'duplicate');
  const conflicts = count(list, 'conflict');
  const refused = count(list, 'refused');
  const [n] = await store.query<{ m: unknown; r: unknown; c: unknown }>(
    `SELECT (SELECT COUNT(*) FROM inbound_messages) AS m, (SELECT COUNT(*) FROM inbound_rejections) AS r,
       (SELECT COUNT(*) FROM inbound_rejections WHERE reason_code = 'CW_ERR_INBOX_DUPLICATE_CONFLICT'
          AND existing_message_id IS NOT NULL) AS c`,
  );
  const rows = asNumber(n!.m) - extraStored;
  const rejections = asNumber(n!.r);
  assert.equal(rows, stored, `one row per distinct key (${stored})`);
  assert.equal(asNumber(n!.c), conflicts, `one conflict rejection per conflicting resend (${conflicts})`);
  assert.equal(rejections, refused + conflicts, `refused (${refused}) + conflicts (${conflicts}) recorded`);
  assert.equal(rows + rejections, sent - duplicates, 'stored + rejected = sent − exact duplicates');

  const raws = await store.query('SELECT id, content_sha256, raw, raw_key_id FROM inbound_messages');
  const storedRaw = new Set(raws.map((r) => openRaw(store, 'inbound_messages', r).toString('latin1')));
  const missing = list.filter((m) => m.kind === 'stored' && !storedRaw.has(m.payload.toString('latin1')));
  assert.deepEqual(
    missing.map((m) => m.source),
    [],
    'every stored message is kept byte for byte',
  );
}

eachEngine('inbox over MLLP: the shared HL7 v2 corpus', (engine) => {
  test('original mode: every message gets exactly one reply, AA/AE/AR as owed, and the numbers add up', async (t) => {
    if (!corpusPresent()) return t.skip('corpus absent: ../shared/data/hl7v2');
    const list = owed(corpusMessages());
    t.diagnostic(
      `${list.length} messages: ${count(list, 'stored')} new keys, ${count(list, 'duplicate')} exact resends, ` +
        `${count(list, 'conflict')} conflicts, ${count(list, 'refused')} unreadable`,
    );
    assert.ok(count(list, 'conflict') > 0, 'the corpus exercises conflicting control ids');
    const { store, ingest } = await ingestOn(engine, { name: 'corpus', ackMode: 'original' });
    try {
      const replies: (Buffer | null)[] = list.map(() => null);
      const client = new MllpClient({ maxInFlight: 10 });
      await client.connect({ host: ingest.host, port: ingest.port, timeoutMs: 5000 });
      try {
        await within(
          client.sendAll(
            list.map((m) => m.payload),
            {
              window: 10,
              timeoutMs: 10_000,
              onReply: (reply, i) => {
                replies[i] = Buffer.from(reply);
              },
            },
          ),
          60_000,
          'replies to the whole corpus',
        );
      } finally {
        await client.close();
      }

      const wrong: string[] = [];
      for (const [i, m] of list.entries()) {
        const reply = replies[i];
        if (!reply) {
          wrong.push(`${m.source}: no reply`);
          continue;
        }
        const ack = parseMessage(reply);
        const code = ack.get('MSA-1');
        const unfilled = /\{[A-Za-z]+\}/.exec(reply.toString('latin1'));
        if (unfilled) wrong.push(`${m.source}: the reply holds an unfilled template slot ${unfilled[0]}`);
        const want = m.kind === 'conflict' ? 'AE' : m.kind === 'refused' ? 'AR' : 'AA';
        if (code !== want) wrong.push(`${m.source} (${m.kind}): ${code}, expected ${want}`);
        if (m.controlId && ack.get('MSA-2') !== m.controlId)
          wrong.push(`${m.source}: MSA-2 ${ack.get('MSA-2')}, expected ${m.controlId}`);
        if (m.kind === 'duplicate' && !reply.equals(replies[m.first!] ?? Buffer.alloc(0)))
          wrong.push(`${m.source}: a resend must get the stored ACK byte for byte`);
        // The reason is in ERR-8 from v2.5 on, in MSA-3 before.
        const reason = `${ack.get('ERR-8')} ${ack.get('MSA-3')}`;
        if (m.kind === 'conflict' && !/already received with different content/.test(reason))
          wrong.push(`${m.source}: the AE names the conflict (${reason})`);
      }
      assert.deepEqual(wrong, [], 'every reply is the one owed');

      await assertStoreMatches(store, list, 0);

      // Still serving: a fresh connection is answered.
      const after = new MllpClient();
      await after.connect({ host: ingest.host, port: ingest.port, timeoutMs: 5000 });
      try {
        const ack = parseMessage(await after.send(SENTINEL, { timeoutMs: 5000 }));
        assert.equal(ack.get('MSA-1'), 'AA', 'a clean message afterwards is accepted');
      } finally {
        await after.close();
      }
    } finally {
      await ingest.close();
    }
  });

  test('auto mode (what serve runs): replies follow MSH-15, in arrival order, and the store is the same', async (t) => {
    if (!corpusPresent()) return t.skip('corpus absent: ../shared/data/hl7v2');
    const list = owed(corpusMessages());
    const { store, ingest } = await ingestOn(engine, { name: 'corpus' });
    try {
      // The reply expected for each message, if any (enhanced mode: MSH-15 decides; NE and ER on
      // success, NE and SU on an error mean no reply). Refusals of unreadable messages are always sent.
      const expected: { source: string; codes: string[]; controlId: string | null }[] = [];
      for (const m of list) {
        const accept = ['NE', 'ER', 'SU', 'AL'].includes(m.acceptAckType) ? m.acceptAckType : 'AL';
        if (m.kind === 'refused') {
          const codes = m.enhanced === null ? ['AR', 'CR'] : [m.enhanced ? 'CR' : 'AR'];
          expected.push({ source: m.source, codes, controlId: m.controlId });
        } else if (m.kind === 'conflict') {
          if (!m.enhanced || accept === 'AL' || accept === 'ER')
            expected.push({ source: m.source, codes: [m.enhanced ? 'CE' : 'AE'], controlId: m.controlId });
        } else if (!m.enhanced || accept === 'AL' || accept === 'SU') {
          expected.push({ source: m.source, codes: [m.enhanced ? 'CA' : 'AA'], controlId: m.controlId });
        }
      }
      const silent = list.length - expected.length;
      t.diagnostic(`${list.length} messages, ${silent} of which asked for no commit ACK (MSH-15)`);
      assert.ok(silent > 0, 'the corpus holds messages that ask for no ACK');

      // A raw peer, since a pipelining client cannot wait for replies that will never come: write
      // everything, then a sentinel; its reply, last in order, says every earlier reply is in.
      const peer = await RawMllpPeer.connect(ingest.port);
      try {
        for (const m of list) peer.write(frame(m.payload));
        peer.write(frame(SENTINEL));
        await until(
          () => peer.frames.some((f) => parseMessage(f).get('MSA-2') === 'SENTINEL-1') || peer.closed,
          30_000,
          'the reply to the sentinel',
        );
        assert.ok(!peer.closed, 'the listener kept the connection open');
        const replies = peer.frames.map((f) => parseMessage(f));
        assert.equal(replies.at(-1)?.get('MSA-2'), 'SENTINEL-1', 'the sentinel is answered last');
        const got = replies.slice(0, -1);
        assert.equal(got.length, expected.length, 'exactly the replies asked for, no more, no fewer');
        const wrong: string[] = [];
        got.forEach((ack, k) => {
          const e = expected[k]!;
          if (!e.codes.includes(ack.get('MSA-1')))
            wrong.push(`${e.source}: ${ack.get('MSA-1')}, expected ${e.codes.join('|')}`);
          if (e.controlId && ack.get('MSA-2') !== e.controlId)
            wrong.push(`${e.source}: MSA-2 ${ack.get('MSA-2')}, expected ${e.controlId}`);
        });
        assert.deepEqual(wrong, [], 'replies in arrival order, each the one owed');
      } finally {
        peer.destroy();
      }
      await ingest.close();
      await assertStoreMatches(store, list, 1);
    } finally {
      await ingest.close();
    }
  });
});
