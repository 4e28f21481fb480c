import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventFromJson, eventsToJson } from '../canonical/index.ts';
import { generateDemoHealthSystem, generateTraffic } from '../demo/index.ts';
import { Inbox } from '../inbox/index.ts';
import { createRelease } from '../mapping/index.ts';
import { saveEntries } from '../store/batch-writes.ts';
import { netByEntity, trialBalance } from '../store/books-queries.ts';
import { InboxRepository } from '../store/inbox-repository.ts';
import { loadMasterData } from '../store/master-data.ts';
import type { SqlExecutor } from '../store/port.ts';
import { activeReleaseId, listPeriods, loadRelease, saveRelease } from '../store/posting-repository.ts';
import { postedEntriesById, postedFactsFor, processedMessagesBetween } from '../store/replay-repository.ts';
import { eachEngine } from '../store/test-engines.ts';
import { Applier, staticContextFor } from './applier.ts';
import { setUpDemoBooks } from './demo-books.ts';
import { type PostedEntry, type PostedEvent, replayDiff } from './replay.ts';
import { replayCorrections } from './replay-apply.ts';
import { linesText } from './replay-compare.ts';
import { replayPage, runReplay, withSupersededEntries } from './replay-run.ts';

const KEY = Buffer.alloc(32, 7);
const AT = '2026-11-25T12:00:00.000Z';

eachEngine('replay under a candidate release', (engine) => {
  test('reports exactly the lines one account mapping changes, nothing under the active release, and posts the difference', async () => {
    const { store, url } = await engine.freshStore({ migrated: true });
    const system = generateDemoHealthSystem({ seed: 42 });
    await loadMasterData(store, system);
    await setUpDemoBooks(store, system, new Date(AT));
    const inbox = new Inbox({ repository: new InboxRepository(store), clock: () => new Date(AT) });
    const traffic = [...generateTraffic(system, { seed: 3 })].slice(0, 120);
    for (const t of traffic) await inbox.receive(Buffer.from(t.message), { name: 'or' });
    const applier = new Applier({ store, tokenKey: KEY, clock: () => new Date(AT) });
    assert.equal(await applier.drain(), traffic.length, 'every message is taken by the apply stage');

    const active = (await loadRelease(store, (await activeReleaseId(store))!))!;
    const candidate = createRelease(
      {
        ...active.content,
        name: 'charges debit patient AR',
        accountDetermination: active.content.accountDetermination.map((r) =>
          r.eventType === 'ChargePosted' && r.itemCategory === '*' ? { ...r, debitRole: 'patient-ar' } : r,
        ),
      },
      'analyst.a',
    );
    await saveRelease(store, candidate, AT);
    const periods = await listPeriods(store);
    const messages = await processedMessagesBetween(store, '0000', '9999');
    const posted = await postedFactsFor(store, messages[0]!.id, messages.at(-1)!.id);
    const same = replayDiff(
      messages,
      { ...(await staticContextFor(store, active, KEY)), periods, postedAt: AT },
      posted,
      periods,
    );
    assert.deepEqual(
      [same.events.changed, same.events.added, same.events.removed],
      [0, 0, 0],
      'the active release re-derives the same events',
    );
    assert.deepEqual(
      [same.entries.changed, same.entries.added, same.entries.removed],
      [0, 0, 0],
      'and the same entries',
    );

    const ctx = await staticContextFor(store, (await loadRelease(store, candidate.id))!, KEY);
    const report = await withSupersededEntries(
      store,
      replayDiff(messages, { ...ctx, periods, postedAt: AT }, posted, periods),
    );
    const compact = [...posted.entriesByEvent.values()].flat();
    const whole = await postedEntriesById(
      store,
      compact.map((e) => e.id),
    );
    assert.deepEqual(
      compact.map((e) => e.lines),
      whole.map((e) => linesText(e.lines)),
      'the store writes posted lines as the diff writes derived ones (the comparison stays on text)',
    );
    const chargeEntries = whole.filter((e) => e.reasonCode === 'charge-posted');
    const stored = [...posted.eventsByMessage.values()].flat();
    assert.ok(stored.length > 0);
    for (const e of stored) {
      const event = eventFromJson(e.text);
      assert.equal(
        e.text,
        eventsToJson(event),
        'an unchanged event is the same text as the store gives it back (the comparison stays on text)',
      );
    }
    assert.ok(chargeEntries.length > 0, 'the traffic posted charges');
    assert.equal(report.entries.changed, chargeEntries.length, 'every charge entry changes');
    assert.equal(report.entries.added + report.entries.removed, 0, 'and nothing else');
    const accounts = new Set(report.byAccount.map((a) => a.account));
    const clearing = system.accounts.find((a) => a.role === 'charge-clearing')!.code;
    const ar = system.accounts.find((a) => a.role === 'patient-ar')!.code;
    assert.deepEqual([...accounts].sort(), [clearing, ar].sort(), 'only the two accounts move');
    for (const entity of new Set(report.byAccount.map((a) => a.entity))) {
      const sum = report.byAccount.filter((a) => a.entity === entity).reduce((s, a) => s + a.delta, 0n);
      assert.equal(sum, 0n, `the difference balances in ${entity}`);
    }

    // A page read and diffed in windows of 3 ids gives the report of the page diffed at once.
    const ids = { firstId: messages[0]!.id, lastId: messages.at(-1)!.id };
    const candidateCtx = { ...ctx, periods, postedAt: AT };
    assert.deepEqual(
      await replayPage(store, candidateCtx, { from: '0000', to: '9999', ...ids }, true, 3),
      replayDiff(messages, candidateCtx, posted, periods),
      'windows merged give the page diffed at once',
    );

    // The same window cut into pages of 7 messages, on this thread and on two replay threads alone.
    for (const threads of [0, 3]) {
      const paged = await runReplay({
        store,
        databaseUrl: url,
        releaseId: candidate.id,
        tokenKey: KEY,
        from: '0000',
        to: '9999',
        at: AT,
        threads,
        replayHere: threads === 0,
        pageSize: 7,
        keepEntries: true,
      });
      assert.deepEqual(paged, report, `pages merged (${threads} threads) give the one-window report`);
    }
    // Replay threads that cannot replay (their database has no books) fail the run instead of leaving pages.
    await assert.rejects(
      runReplay({
        store,
        databaseUrl: await engine.freshUrl(),
        releaseId: candidate.id,
        tokenKey: KEY,
        from: '0000',
        to: '9999',
        at: AT,
        threads: 2,
        replayHere: false,
        pageSize: 7,
      }),
      /replay thread/,
    );

    assert.throws(
      () => replayCorrections(report, ctx.ledger, periods, { preparedBy: 'ana', approvedBy: 'Ana ', at: AT }),
      /other than the preparer/,
    );
    const corrections = replayCorrections(report, ctx.ledger, periods, {
      preparedBy: 'ana',
      approvedBy: 'bo',
      at: AT,
    });
    await store.transaction((tx) => saveEntries(tx, corrections));
    const tb = await trialBalance(store);
    for (const [k, net] of netByEntity(tb)) assert.equal(net, 0n, `${k} still nets to zero`);
    const arBalance = tb.filter((r) => r.account === ar).reduce((s, r) => s + r.net, 0n);
    const chargeTotal = chargeEntries.reduce(
      (s, e) => s + e.lines.find((l) => l.side === 'debit')!.amount,
      0n,
    );
    assert.equal(arBalance, chargeTotal, 'patient AR now carries the charges');
    await assert.rejects(
      store.transaction((tx) => saveEntries(tx, corrections)),
      'applying the same correction twice collides on ids instead of posting twice',
    );

    // After the correction, the candidate is what the books say; the old release is now the change.
    const after = await postedFactsFor(store, messages[0]!.id, messages.at(-1)!.id);
    const naive = await postedFactsOneByOne(store, messages[0]!.id, messages.at(-1)!.id);
    assert.deepEqual([...after.eventsByMessage], [...naive.eventsByMessage], 'events per message, in order');
    assert.deepEqual(
      new Map([...after.entriesByEvent].sort()),
      new Map([...naive.entriesByEvent].sort()),
      'entries per event, by id (read in one pass with their events)',
    );
    assert.deepEqual(new Map([...after.movementValueByEvent].sort()), naive.movementValueByEvent);
    const counts = [...after.eventsByMessage.values()]
      .flat()
      .map((e) => after.entriesByEvent.get(e.id)?.length ?? 0);
    assert.ok(counts.includes(0) && counts.some((n) => n >= 3), 'events with no entry and with several');
    const again = replayDiff(messages, { ...ctx, periods, postedAt: AT }, after, periods);
    assert.deepEqual(
      [again.entries.changed, again.entries.added, again.entries.removed],
      [0, 0, 0],
      'a replay after the correction finds nothing left to correct',
    );
    const back = replayDiff(
      messages,
      { ...(await staticContextFor(store, active, KEY)), periods, postedAt: AT },
      after,
      periods,
    );
    assert.equal(
      back.entries.changed,
      chargeEntries.length,
      'the previous release would now change the charge entries back',
    );
  });
});

/** The posted facts read one event at a time, each by its own queries: what postedFactsFor must agree with. */
async function postedFactsOneByOne(store: SqlExecutor, firstId: bigint, lastId: bigint) {
  const pg = store.capabilities.dialect === 'postgres';
  const eventsByMessage = new Map<bigint, PostedEvent[]>();
  const entriesByEvent = new Map<string, PostedEntry[]>();
  const movementValueByEvent = new Map<string, bigint>();
  const events = await store.query(
    `SELECT source_message_id, id, type, mapping_release_id, ${pg ? 'payload::text' : 'payload'} AS text
     FROM canonical_events WHERE source_message_id BETWEEN ? AND ? ORDER BY source_message_id, id`,
    [firstId, lastId],
  );
  for (const r of events) {
    const m = BigInt(r['source_message_id'] as bigint);
    const id = String(r['id']);
    const list = eventsByMessage.get(m) ?? [];
    list.push({
      id,
      type: String(r['type']),
      mappingReleaseId: String(r['mapping_release_id']),
      text: String(r['text']),
    });
    eventsByMessage.set(m, list);
    const [moved] = await store.query(
      'SELECT SUM(value) AS v FROM inventory_movements WHERE source_event_id = ?',
      [id],
    );
    if (moved?.['v'] !== null && moved?.['v'] !== undefined)
      movementValueByEvent.set(id, BigInt(moved['v'] as bigint));
    const ids = (await store.query('SELECT id FROM journal_entries WHERE source_event_id = ?', [id])).map(
      (e) => String(e['id']),
    );
    const whole = await postedEntriesById(store, ids.sort());
    if (whole.length > 0)
      entriesByEvent.set(
        id,
        whole.map((e) => ({
          id: e.id,
          sourceEventId: e.sourceEventId,
          ruleId: e.ruleId,
          entity: e.entity,
          currency: e.currency,
          reverses: e.reverses,
          lines: linesText(e.lines),
        })),
      );
  }
  return { eventsByMessage, entriesByEvent, movementValueByEvent };
}
