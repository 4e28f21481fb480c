/**
 * The exception work-queue on both engines, through the real inbox, applier and store: a message that
 * fails for an unmapped supply code is fixed by a new release mapping the code and replayed → applied,
 * books balanced, idempotent on a second replay; a correction of a financial field waits for a second
 * person; refusals at the inbox become exceptions; people's actions leave history.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateDemoHealthSystem, generateDftP03Batch } from '../demo/index.ts';
import { isCrosswalkError } from '../errors/index.ts';
import { decide, parseEdit } from '../exceptions/index.ts';
import { parseMessage } from '../hl7v2/index.ts';
import { Inbox } from '../inbox/index.ts';
import { approve, createRelease, demoRelease, type ReleaseContent } from '../mapping/index.ts';
import { netByEntity, trialBalance } from '../store/books-queries.ts';
import {
  actOnException,
  historyOf,
  listExceptions,
  recordDecision,
  requireException,
  revisionsOf,
} from '../store/exceptions-repository.ts';
import { InboxRepository, openRaw } from '../store/inbox-repository.ts';
import { asNumber, type Store } from '../store/index.ts';
import { recordActivation, saveRelease } from '../store/posting-repository.ts';
import { eachEngine } from '../store/test-engines.ts';
import { verifyInvariants } from '../store/verify-repository.ts';
import { Applier } from './applier.ts';
import {
  approveEdit,
  proposeEdit,
  rejectEdit,
  replayException,
  replayExceptions,
} from './exception-replay.ts';
import { loadDemo } from './testing.ts';

const SYSTEM = generateDemoHealthSystem({ seed: 42 });
const AT = new Date('2026-11-25T12:00:00.000Z');
const KEY = Buffer.alloc(32, 7);
const [TEMPLATE] = generateDftP03Batch(1, 5, SYSTEM);
const KNOWN_CODE = parseMessage(TEMPLATE!).get('FT1-7.1');
const UNKNOWN_CODE = '9999991';

/** The template under another control id, its first FT1 naming a supply code no release maps. */
function unmapped(controlId: string, code = UNKNOWN_CODE): Buffer {
  return Buffer.from(
    TEMPLATE!
      .split('\r')
      .map((s) => {
        const f = s.split('|');
        if (f[0] === 'MSH') f[9] = controlId;
        if (f[0] === 'FT1' && f[1] === '1') f[7] = f[7]!.replace(/^[^^]*/, code);
        return f.join('|');
      })
      .join('\r'),
  );
}

const codeOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (e) {
    return isCrosswalkError(e) ? e.code : `not a CrosswalkError: ${(e as Error).message}`;
  }
  return 'no error';
};

async function count(store: Store, sql: string, params: (string | bigint)[] = []): Promise<number> {
  return asNumber((await store.query<{ n: unknown }>(sql, params))[0]!.n);
}

/** A release that maps UNKNOWN_CODE to the item KNOWN_CODE maps to, approved and activated. */
async function activateFix(store: Store): Promise<string> {
  const base = demoRelease(SYSTEM);
  const row = base.items.find((r) => r.ehrSupplyCode === KNOWN_CODE)!;
  const content: ReleaseContent = {
    ...base,
    name: 'demo + unmapped glove',
    items: [...base.items, { ...row, ehrSupplyCode: UNKNOWN_CODE }],
  };
  const release = approve(createRelease(content, 'dana'), 'eli');
  await store.transaction(async (tx) => {
    await saveRelease(tx, release, AT.toISOString());
    await recordActivation(tx, release.id, 'eli', AT.toISOString(), 'maps the unmapped glove');
  });
  return release.id;
}

async function setUp(store: Store) {
  await loadDemo(store, SYSTEM);
  const inbox = new Inbox({ repository: new InboxRepository(store), clock: () => AT });
  const applier = new Applier({ store, tokenKey: KEY, clock: () => AT });
  const deps = { store, tokenKey: KEY, clock: () => AT };
  return { inbox, applier, deps };
}

eachEngine('exception work-queue', (engine) => {
  test('a message failing for an unmapped item is fixed by a new release and replayed: applied once, books balanced', async () => {
    const { store } = await engine.freshStore({ migrated: true });
    const { inbox, applier, deps } = await setUp(store);
    await inbox.receive(unmapped('UNMAP1'), { name: 'or' });
    await inbox.receive(unmapped('FINE1', KNOWN_CODE), { name: 'or' });
    assert.equal(await applier.drain(), 2);

    const [x] = await listExceptions(store, { reasonCode: 'CW_ERR_MAP_UNMAPPED_ITEM' });
    assert.ok(x, 'the failure is an exception');
    assert.equal(x.team, 'supply-chain');
    assert.equal(x.status, 'open');
    assert.equal(x.failedMessage?.state, 'failed');
    assert.equal(x.due, '2026-11-26T12:00:00.000Z', 'due after the 24 h supply-chain SLA');
    assert.deepEqual(
      (await listExceptions(store, { team: 'supply-chain', replayable: true })).map((e) => e.id),
      [x.id],
    );
    assert.equal((await listExceptions(store, { team: 'finance' })).length, 0);
    assert.equal((await listExceptions(store, { overdueAt: new Date('2026-11-26T11:00:00Z') })).length, 0);
    assert.ok(
      (await listExceptions(store, { overdueAt: new Date('2026-11-26T13:00:00Z') })).some(
        (e) => e.id === x.id,
      ),
      'overdue a day later',
    );
    const messageId = x.failedMessage!.id;
    const eventsBefore = await count(store, 'SELECT COUNT(*) AS n FROM canonical_events');
    const entriesBefore = await count(store, 'SELECT COUNT(*) AS n FROM journal_entries');

    // Replayed before the cause is fixed: still failing, nothing written but history.
    const early = await replayException(deps, x.id, 'sam');
    assert.equal(early.result, 'failed');
    assert.equal(early.code, 'CW_ERR_MAP_UNMAPPED_ITEM');
    assert.equal((await requireException(store, x.id)).status, 'open');
    assert.equal(await count(store, 'SELECT COUNT(*) AS n FROM canonical_events'), eventsBefore);
    assert.deepEqual(
      (await historyOf(store, x.id)).map((h) => h.kind),
      ['replay-failed'],
    );

    await actOnException(store, x.id, { kind: 'assign', assignee: 'sam' }, 'lead', AT.toISOString());
    await activateFix(store);
    const replayed = await replayException(deps, x.id, 'sam');
    assert.equal(
      replayed.result,
      'applied',
      JSON.stringify(replayed, (_k, v) => (typeof v === 'bigint' ? String(v) : v)),
    );
    assert.ok(replayed.events > 0 && replayed.entries > 0, 'the replay posted events and entries');
    const after = await requireException(store, x.id);
    assert.equal(after.status, 'resolved');
    assert.equal(after.resolvedBy, 'sam');
    assert.equal(after.assignee, 'sam');
    assert.equal(after.failedMessage?.state, 'applied', 'the outcome flipped from failed to applied');
    assert.deepEqual(
      (await historyOf(store, x.id)).map((h) => `${h.kind} ${h.fromStatus}→${h.toStatus}`),
      ['replay-failed open→open', 'assigned open→assigned', 'replayed assigned→resolved'],
    );
    assert.equal(
      await count(store, 'SELECT COUNT(*) AS n FROM canonical_events WHERE source_message_id = ?', [
        messageId,
      ]),
      replayed.events,
    );
    const eventsAfter = await count(store, 'SELECT COUNT(*) AS n FROM canonical_events');
    const entriesAfter = await count(store, 'SELECT COUNT(*) AS n FROM journal_entries');
    assert.equal(eventsAfter, eventsBefore + replayed.events);
    assert.equal(entriesAfter, entriesBefore + replayed.entries);
    for (const [k, net] of netByEntity(await trialBalance(store))) assert.equal(net, 0n, `${k} nets to zero`);
    // Its journal batch goes to the ERP after what its key already sent, not back in arrival order.
    const docs = (
      await store.query(
        "SELECT seq_message_id, seq_part FROM outbox_documents WHERE kind = 'journal-batch' ORDER BY seq_message_id, seq_part",
      )
    ).map((r) => `${r['seq_message_id']}.${r['seq_part']}`);
    const cursor = (await store.query('SELECT MAX(last_message_id) AS c FROM apply_cursors'))[0]!['c'];
    assert.deepEqual(docs, [`${cursor}.0`, `${cursor}.1`], 'the batch, then the replay right after it');

    // Idempotent: a second replay, single or by reason code, writes nothing.
    const again = await replayException(deps, x.id, 'sam');
    assert.equal(again.result, 'already-applied');
    assert.deepEqual(await replayExceptions(deps, { reasonCode: 'CW_ERR_MAP_UNMAPPED_ITEM' }, 'sam'), []);
    assert.equal(await count(store, 'SELECT COUNT(*) AS n FROM canonical_events'), eventsAfter);
    assert.equal(await count(store, 'SELECT COUNT(*) AS n FROM journal_entries'), entriesAfter);
    assert.equal(
      (await historyOf(store, x.id)).length,
      3,
      'no history for a replay that found nothing to do',
    );

    // A later message with the same code now applies directly, and the invariants hold.
    await inbox.receive(unmapped('UNMAP2'), { name: 'or' });
    assert.equal(await applier.drain(), 1);
    assert.equal(await count(store, "SELECT COUNT(*) AS n FROM message_outcomes WHERE state = 'failed'"), 0);
    assert.deepEqual(await verifyInvariants(store), [], 'no invariant is violated');
  });

  test('replay of all of a reason code goes in arrival order, each on its own', async () => {
    const { store } = await engine.freshStore({ migrated: true });
    const { inbox, applier, deps } = await setUp(store);
    for (const id of ['A1', 'A2', 'A3']) await inbox.receive(unmapped(id), { name: 'or' });
    await inbox.receive(unmapped('B1', '9999992'), { name: 'or' });
    await applier.drain();
    assert.equal((await listExceptions(store, { replayable: true })).length, 4);
    await activateFix(store);
    const reports = await replayExceptions(deps, { reasonCode: 'CW_ERR_MAP_UNMAPPED_ITEM' }, 'sam');
    assert.deepEqual(
      reports.map((r) => r.result),
      ['applied', 'applied', 'applied', 'failed'],
      'the three fixed ones apply; the one still unmapped stays failed',
    );
    const ids = reports.map((r) => r.messageId!);
    assert.deepEqual(
      [...ids].sort((a, b) => (a < b ? -1 : 1)),
      ids,
      'in message order',
    );
    assert.equal((await listExceptions(store, { replayable: true })).length, 1);
    assert.deepEqual(await verifyInvariants(store), []);
  });

  test('an edit of a financial field waits for a second person; the raw message is never overwritten', async () => {
    const { store } = await engine.freshStore({ migrated: true });
    const { inbox, applier, deps } = await setUp(store);
    await inbox.receive(unmapped('EDIT1'), { name: 'or' });
    await applier.drain();
    const [x] = await listExceptions(store, { replayable: true });
    const rawBefore = openRaw(
      store,
      'inbound_messages',
      (
        await store.query('SELECT id, content_sha256, raw, raw_key_id FROM inbound_messages WHERE id = ?', [
          x!.failedMessage!.id,
        ])
      )[0]!,
    );

    const proposed = await proposeEdit(
      deps,
      x!.id,
      [parseEdit(`FT1-7.1=${KNOWN_CODE}`)],
      'ann',
      'typo in the code',
    );
    assert.equal(proposed.needsApproval, true);
    assert.equal(proposed.replay, null, 'nothing is replayed before approval');
    assert.equal((await requireException(store, x!.id)).failedMessage?.state, 'failed');
    assert.equal(
      await codeOf(proposeEdit(deps, x!.id, [parseEdit('FT1-10=2')], 'ann', null)),
      'CW_ERR_EXCEPTION_BAD_TRANSITION',
      'one pending edit at a time',
    );
    assert.equal(await codeOf(approveEdit(deps, x!.id, 'ANN ')), 'CW_ERR_EXCEPTION_SELF_APPROVAL');
    const approved = await approveEdit(deps, x!.id, 'bob');
    assert.equal(approved.replay?.result, 'applied');
    assert.equal(approved.replay?.revisionId, proposed.revisionId);
    const after = await requireException(store, x!.id);
    assert.equal(after.status, 'resolved');
    const rawAfter = openRaw(
      store,
      'inbound_messages',
      (
        await store.query('SELECT id, content_sha256, raw, raw_key_id FROM inbound_messages WHERE id = ?', [
          x!.failedMessage!.id,
        ])
      )[0]!,
    );
    assert.deepEqual(rawAfter, rawBefore, 'the stored raw message is unchanged');
    const [rev] = await revisionsOf(store, x!.id);
    assert.equal(rev!.status, 'approved');
    assert.equal(rev!.editedBy, 'ann');
    assert.equal(rev!.decidedBy, 'bob');
    assert.equal(rev!.basedOn, null, 'made from the raw message');
    assert.deepEqual(
      (await historyOf(store, x!.id)).map((h) => `${h.kind}:${h.actor}`),
      ['edit-proposed:ann', 'edit-approved:bob', 'replayed:bob'],
    );
    await assert.rejects(
      store.execute('UPDATE message_revisions SET raw = ? WHERE id = ?', [Buffer.from('x'), rev!.id]),
      /cannot be changed/,
      'the database refuses to change a revision',
    );
    assert.deepEqual(await verifyInvariants(store), []);
  });

  test('a rejected edit leaves the exception waiting; a non-financial edit replays at once', async () => {
    const { store } = await engine.freshStore({ migrated: true });
    const { inbox, applier, deps } = await setUp(store);
    await inbox.receive(unmapped('REJ1'), { name: 'or' });
    await applier.drain();
    const [x] = await listExceptions(store, { replayable: true });
    await proposeEdit(deps, x!.id, [parseEdit('FT1-10=3')], 'ann', null);
    assert.equal(await codeOf(rejectEdit(deps, x!.id, 'ann', null)), 'CW_ERR_EXCEPTION_SELF_APPROVAL');
    await rejectEdit(deps, x!.id, 'bob', 'the quantity was right');
    assert.equal((await revisionsOf(store, x!.id))[0]!.status, 'rejected');
    const direct = await proposeEdit(deps, x!.id, [parseEdit('PV1-2=I')], 'ann', 'patient class');
    assert.equal(direct.needsApproval, false);
    assert.equal(direct.replay?.result, 'failed', 'still unmapped: the edit did not touch the cause');
    assert.equal((await requireException(store, x!.id)).status, 'open');
  });

  test('people act on exceptions: assign, comment, resolve, ignore with a reason, and stale views are refused', async () => {
    const { store } = await engine.freshStore({ migrated: true });
    const { inbox, applier } = await setUp(store);
    await inbox.receive(unmapped('P1'), { name: 'or' });
    await inbox.receive(unmapped('P2', '9999993'), { name: 'or' });
    await applier.drain();
    const [a, b] = await listExceptions(store, { replayable: true });
    const at = AT.toISOString();
    await actOnException(store, a!.id, { kind: 'assign', assignee: 'sam' }, 'lead', at, {
      dueAt: '2026-11-30T00:00:00.000Z',
    });
    await actOnException(store, a!.id, { kind: 'comment', text: 'asked supply chain' }, 'sam', at);
    const resolved = await actOnException(
      store,
      a!.id,
      { kind: 'resolve', note: 'handled in the ERP' },
      'sam',
      at,
    );
    assert.equal(resolved.exception.status, 'resolved');
    assert.equal(resolved.exception.due, '2026-11-30T00:00:00.000Z');
    assert.equal(resolved.exception.resolution, 'handled in the ERP');
    assert.equal(
      await codeOf(actOnException(store, a!.id, { kind: 'ignore', reason: 'x' }, 'sam', at)),
      'CW_ERR_EXCEPTION_BAD_TRANSITION',
    );
    assert.equal(
      await codeOf(actOnException(store, b!.id, { kind: 'ignore', reason: '' }, 'sam', at)),
      'CW_ERR_EXCEPTION_INPUT',
    );
    await actOnException(store, b!.id, { kind: 'ignore', reason: 'vendor test message' }, 'sam', at);
    assert.equal((await requireException(store, b!.id)).resolution, 'vendor test message');
    assert.deepEqual(
      (await historyOf(store, a!.id)).map((h) => h.kind),
      ['assigned', 'commented', 'resolved'],
    );
    // Two people looked at b while it was open; the first ignored it, the second acts on what it saw.
    const stale = await requireException(store, b!.id);
    const c = (await listExceptions(store, { replayable: true }))[0];
    assert.equal(c, undefined, 'nothing left to replay');
    assert.equal(
      await codeOf(
        store.transaction((tx) =>
          recordDecision(
            tx,
            { ...stale, status: 'open' },
            decide({ ...stale, status: 'open' }, { kind: 'resolve' }, 'tom', at),
          ),
        ),
      ),
      'CW_ERR_EXCEPTION_BAD_TRANSITION',
      'a decision on a stale view is refused',
    );
    assert.equal((await requireException(store, b!.id)).status, 'ignored', 'and changed nothing');
    await assert.rejects(
      store.execute('DELETE FROM exception_history WHERE exception_id = ?', [a!.id]),
      /append-only/,
      'history is append-only',
    );
    assert.equal((await historyOf(store, a!.id)).length, 3);
  });

  test('messages refused at the inbox become one exception per reason, interface and sender', async () => {
    const { store } = await engine.freshStore({ migrated: true });
    const { inbox } = await setUp(store);
    await inbox.receive(unmapped('DUP1'), { name: 'or' });
    const conflicting = Buffer.from(unmapped('DUP1').toString('latin1').replace('|2|||', '|7|||'), 'latin1');
    await inbox.receive(conflicting, { name: 'or' });
    await inbox.receive(conflicting, { name: 'or' });
    const [x, ...rest] = await listExceptions(store, { reasonCode: 'CW_ERR_INBOX_DUPLICATE_CONFLICT' });
    assert.equal(rest.length, 0, 'one exception');
    assert.ok(x, 'the conflicting resend is an exception');
    assert.equal(x.team, 'integration');
    assert.equal(x.occurrences, 2);
    assert.equal(x.evidence['source'], 'inbox-rejection');
    assert.equal(x.evidence['controlId'], 'DUP1');
    assert.equal(x.failedMessage, null);
    assert.equal(x.due, new Date(Date.parse(x.createdAt) + 4 * 3_600_000).toISOString(), '4 h SLA');
    assert.equal(
      await codeOf(replayException({ store, tokenKey: KEY, clock: () => AT }, x.id, 'sam')),
      'CW_ERR_EXCEPTION_NOT_REPLAYABLE',
    );
  });
});
