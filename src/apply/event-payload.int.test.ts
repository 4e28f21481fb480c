/**
 * Event payloads written before migration 0015 (PostgreSQL: jsonb, read back in jsonb's own text) and
 * after it (json: the writer's text) replay alike: the active release re-derives every one of them as
 * the same event, whichever form its row holds.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventFromJson, eventsToJson } from '../canonical/index.ts';
import { generateDemoHealthSystem, generateTraffic } from '../demo/index.ts';
import { Inbox } from '../inbox/index.ts';
import { InboxRepository } from '../store/inbox-repository.ts';
import { migrate } from '../store/index.ts';
import { loadMasterData } from '../store/master-data.ts';
import { MIGRATIONS } from '../store/migrations/index.ts';
import { activeReleaseId, listPeriods, loadRelease } from '../store/posting-repository.ts';
import { postedFactsFor, processedMessagesBetween } from '../store/replay-repository.ts';
import { eachEngine } from '../store/test-engines.ts';
import { Applier, staticContextFor } from './applier.ts';
import { setUpDemoBooks } from './demo-books.ts';
import { replayDiff } from './replay.ts';

const KEY = Buffer.alloc(32, 11);
const AT = '2026-11-25T12:00:00.000Z';

eachEngine('event payloads from before and after migration 0015', (engine) => {
  test('replay under the active release finds every stored event unchanged', async () => {
    const { store } = await engine.freshStore();
    await migrate(store, { migrations: MIGRATIONS.filter((m) => m.id < 15) });
    const system = generateDemoHealthSystem({ seed: 42 });
    await loadMasterData(store, system);
    await setUpDemoBooks(store, system, new Date(AT));
    const inbox = new Inbox({ repository: new InboxRepository(store), clock: () => new Date(AT) });
    const traffic = [...generateTraffic(system, { seed: 8 })].slice(0, 80);
    const applier = new Applier({ store, tokenKey: KEY, clock: () => new Date(AT) });
    for (const t of traffic.slice(0, 40)) await inbox.receive(Buffer.from(t.message), { name: 'or' });
    assert.equal(await applier.drain(), 40);
    assert.deepEqual(
      (await migrate(store)).map((m) => m.id),
      [15],
    );
    for (const t of traffic.slice(40)) await inbox.receive(Buffer.from(t.message), { name: 'or' });
    assert.equal(await applier.drain(), 40);

    const messages = await processedMessagesBetween(store, '0000', '9999');
    const posted = await postedFactsFor(store, messages[0]!.id, messages.at(-1)!.id);
    const texts = [...posted.eventsByMessage.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
    const before = texts.filter(([id]) => id <= messages[39]!.id).flatMap(([, es]) => es);
    const after = texts.filter(([id]) => id > messages[39]!.id).flatMap(([, es]) => es);
    assert.ok(before.length > 0 && after.length > 0, 'events were posted on both sides of the migration');
    for (const e of after) assert.equal(e.text, eventsToJson(eventFromJson(e.text)), 'stored as written');
    if (engine.dialect === 'postgres') {
      for (const e of before)
        assert.notEqual(e.text, eventsToJson(eventFromJson(e.text)), 'jsonb’s own text');
    }

    const periods = await listPeriods(store);
    const active = (await loadRelease(store, (await activeReleaseId(store))!))!;
    const report = replayDiff(
      messages,
      { ...(await staticContextFor(store, active, KEY)), periods, postedAt: AT },
      posted,
      periods,
    );
    assert.deepEqual(
      [report.events.changed, report.events.added, report.events.removed, report.events.same],
      [0, 0, 0, before.length + after.length],
    );
    assert.deepEqual([report.entries.changed, report.entries.added, report.entries.removed], [0, 0, 0]);
  });
});
