/**
 * `crosswalk outbox` through the real binary and /api/outbox through the real app, per engine, on a
 * database whose outbox the real apply stage filled: list, show (destination and document), pause and
 * resume, retry refused on a pending delivery, and bad input as one line / a 4xx with a code.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createLogger, Metrics } from '../observe/index.ts';
import { applyUsage, demoBooks } from '../outbox/testing.ts';
import { buildApp } from '../server/app.ts';
import { eachEngine } from '../store/test-engines.ts';
import { userWithToken } from '../store/test-identities.ts';
import { authedCli, killChildren } from './test-process.ts';

after(killChildren);

eachEngine('crosswalk outbox and /api/outbox', (engine) => {
  test('list, show, pause, resume, and refusals', async () => {
    const { store, url } = await engine.freshStore({ migrated: true });
    await demoBooks(store);
    await applyUsage(store, { keys: ['or'], perKey: 2, batchSize: 2 });

    // The API, in process.
    const app = await buildApp({
      store,
      logger: createLogger('silent'),
      metrics: new Metrics({ defaultMetrics: false }),
      version: 't',
    });
    const { headers } = await userWithToken(store, 'ops.anna', ['integration_engineer']);
    const list = await app.inject({ method: 'GET', url: '/api/outbox/destinations', headers });
    assert.equal(list.statusCode, 200);
    const dests = list.json() as { name: string; depth: number; paused: boolean }[];
    assert.deepEqual(
      dests.map((d) => d.name),
      ['journal-files'],
    );
    assert.ok(dests[0]!.depth > 0, 'documents wait for the default destination');
    const paused = await app.inject({
      method: 'POST',
      url: '/api/outbox/destinations/journal-files/pause',
      headers,
      payload: { as: 'ops.anna', reason: 'ERP upgrade' },
    });
    assert.equal(paused.statusCode, 200, paused.body);
    assert.deepEqual(paused.json(), { destination: 'journal-files', paused: true, changed: true });
    const unknown = await app.inject({
      method: 'POST',
      url: '/api/outbox/destinations/nope/pause',
      headers,
      payload: {},
    });
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json().code, 'CW_ERR_OUTBOX_UNKNOWN_DESTINATION');
    const noActor = await app.inject({
      method: 'POST',
      url: '/api/outbox/destinations/journal-files/resume',
      payload: {},
    });
    assert.equal(noActor.statusCode, 401, 'nobody authenticated, nothing resumed');
    const shown = await app.inject({
      method: 'GET',
      url: '/api/outbox/destinations/journal-files?limit=1',
      headers,
    });
    const detail = shown.json() as {
      destination: { paused: boolean; pauseReason: string };
      deliveries: { documentId: string }[];
    };
    assert.equal(detail.destination.paused, true);
    assert.equal(detail.destination.pauseReason, 'ERP upgrade');
    assert.equal(detail.deliveries.length, 1);
    const docId = detail.deliveries[0]!.documentId;
    const doc = await app.inject({ method: 'GET', url: `/api/outbox/documents/${docId}`, headers });
    assert.equal(doc.statusCode, 200);
    assert.equal(doc.json().document.id, docId);
    const retry = await app.inject({
      method: 'POST',
      url: `/api/outbox/destinations/journal-files/documents/${docId}/retry`,
      headers,
      payload: { as: 'ops.anna' },
    });
    assert.equal(retry.statusCode, 409, 'a pending delivery is not stuck');
    assert.equal(retry.json().code, 'CW_ERR_OUTBOX_BAD_STATE');
    await app.close();
    await store.close();

    // The CLI, in child processes.
    const env = { CROSSWALK_DATABASE_URL: url };
    const cli = authedCli(() => env);
    const l = await cli(['outbox', 'list']);
    assert.equal(l.code, 0, l.stderr);
    assert.match(l.stdout, /journal-files\s+journal-files\s+yes\s+paused/);
    const r = await cli(['outbox', 'resume', 'journal-files', '--as', 'ops.anna', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { destination: 'journal-files', paused: false, changed: true });
    const again = await cli(['outbox', 'resume', 'journal-files', '--as', 'ops.anna']);
    assert.match(again.stdout, /already flowing/);
    const s = await cli(['outbox', 'show', docId]);
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stdout, new RegExp(`^${docId}  journal-batch  key or`));
    const bad = await cli(['outbox', 'pause', 'nope', '--as', 'x']);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    assert.match(
      bad.stderr,
      /^crosswalk: no outbox destination named nope \[CW_ERR_OUTBOX_UNKNOWN_DESTINATION\]/,
    );
    const usage = await cli(['outbox', 'show', 'journal-files', '--state', 'lost']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--state must be one of/);
    const notStuck = await cli(['outbox', 'confirm', 'journal-files', docId, '--as', 'x']);
    assert.equal(notStuck.code, 1);
    assert.match(notStuck.stderr, /CW_ERR_OUTBOX_BAD_STATE/);
  });
});
