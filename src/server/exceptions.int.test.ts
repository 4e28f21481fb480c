/**
 * /api/exceptions through app.inject on both engines: the queue of a database where messages failed for
 * an unmapped supply code; actions are taken by real users with API tokens (the actor is the token's user); a fix (new release) and a replay
 * resolve one; a corrected version needs a second person; bad input is a 4xx with {code, message}.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { Applier } from '../apply/applier.ts';
import { loadDemo } from '../apply/testing.ts';
import { generateDemoHealthSystem, generateDftP03Batch } from '../demo/index.ts';
import { parseMessage } from '../hl7v2/index.ts';
import { Inbox } from '../inbox/index.ts';
import { approve, createRelease, demoRelease } from '../mapping/index.ts';
import { createLogger, Metrics } from '../observe/index.ts';
import { InboxRepository } from '../store/inbox-repository.ts';
import { recordActivation, saveRelease } from '../store/posting-repository.ts';
import { eachEngine } from '../store/test-engines.ts';
import { userWithToken } from '../store/test-identities.ts';
import { buildApp } from './app.ts';

const SYSTEM = generateDemoHealthSystem({ seed: 42 });
const AT = new Date('2026-11-25T12:00:00.000Z');
const KEY = Buffer.alloc(32, 5);
const [TEMPLATE] = generateDftP03Batch(1, 5, SYSTEM);
const KNOWN = parseMessage(TEMPLATE!).get('FT1-7.1');

function unmapped(controlId: string, code: string): Buffer {
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

const silent = createLogger(
  'warn',
  new Writable({
    write(_c, _e, cb) {
      cb();
    },
  }),
);

eachEngine('/api/exceptions', (engine) => {
  test('list, act, fix and replay, correct with a second person, refuse bad input', async () => {
    const { store } = await engine.freshStore({ migrated: true });
    await loadDemo(store, SYSTEM);
    const inbox = new Inbox({ repository: new InboxRepository(store), clock: () => AT });
    await inbox.receive(unmapped('API1', '9999991'), { name: 'or' });
    await inbox.receive(unmapped('API2', '9999992'), { name: 'or' });
    await new Applier({ store, tokenKey: KEY, clock: () => AT }).drain();
    const who = {
      lead: (await userWithToken(store, 'lead', ['supply_chain'])).headers,
      sam: (await userWithToken(store, 'sam', ['integration_engineer'])).headers,
      ann: (await userWithToken(store, 'ann', ['revenue_integrity'])).headers,
      bob: (await userWithToken(store, 'bob', ['finance'])).headers,
    };
    const app = await buildApp({
      store,
      logger: silent,
      metrics: new Metrics({ defaultMetrics: false }),
      version: 't',
      tokenKey: KEY,
    });
    try {
      const list = await app.inject({
        url: '/api/exceptions?reasonCode=CW_ERR_MAP_UNMAPPED_ITEM&replayable=true',
        headers: who.sam,
      });
      assert.equal(list.statusCode, 200, list.body);
      const rows = list.json() as {
        id: string;
        team: string;
        reason: { slaHours: number };
        allowedActions: string[];
      }[];
      assert.equal(rows.length, 2);
      assert.equal(rows[0]!.team, 'supply-chain');
      assert.equal(rows[0]!.reason.slaHours, 24);
      assert.ok(rows[0]!.allowedActions.includes('replay'), 'replay is allowed while open');
      const [a, b] = rows.map((r) => r.id);
      assert.equal(
        (await app.inject({ url: '/api/exceptions?team=finance', headers: who.sam })).json().length,
        0,
      );

      const assign = await app.inject({
        method: 'POST',
        url: `/api/exceptions/${a}/assign`,
        headers: who.lead,
        payload: { assignee: 'sam', dueAt: '2026-12-01T00:00:00Z' },
      });
      assert.equal(assign.statusCode, 200, assign.body);
      assert.equal(assign.json().exception.status, 'assigned');
      assert.equal(assign.json().exception.due, '2026-12-01T00:00:00.000Z');
      assert.equal(assign.json().entry.actor, 'lead');

      const anonymous = await app.inject({
        method: 'POST',
        url: `/api/exceptions/${a}/comments`,
        payload: { text: 'hi' },
      });
      assert.equal(anonymous.statusCode, 401);
      assert.equal(anonymous.json().code, 'CW_ERR_AUTH_REQUIRED', 'an action needs someone to have done it');
      const impostor = await app.inject({
        method: 'POST',
        url: `/api/exceptions/${a}/comments`,
        headers: who.lead,
        payload: { text: 'hi', actor: 'sam' },
      });
      assert.equal(impostor.statusCode, 403, 'a claimed actor other than the token user is refused');
      assert.equal(impostor.json().code, 'CW_ERR_AUTH_ACTOR_MISMATCH');
      const notAllowed = await app.inject({
        method: 'POST',
        url: `/api/exceptions/${a}/approve`,
        headers: who.lead,
      });
      assert.equal(notAllowed.statusCode, 403, 'supply_chain may not approve edits');
      assert.equal(notAllowed.json().code, 'CW_ERR_AUTH_FORBIDDEN');
      const comment = await app.inject({
        method: 'POST',
        url: `/api/exceptions/${a}/comments`,
        headers: who.sam,
        payload: { text: 'checking', actor: 'sam' },
      });
      assert.equal(comment.statusCode, 200, comment.body);

      // Replay before the fix: 200 with result failed; after a release maps the code: applied.
      const early = await app.inject({
        method: 'POST',
        url: `/api/exceptions/${a}/replay`,
        headers: who.sam,
        payload: { actor: 'sam' },
      });
      assert.equal(early.statusCode, 200, early.body);
      assert.equal(early.json().result, 'failed');
      const base = demoRelease(SYSTEM);
      const row = base.items.find((r) => r.ehrSupplyCode === KNOWN)!;
      const fix = approve(
        createRelease(
          { ...base, name: 'fix', items: [...base.items, { ...row, ehrSupplyCode: '9999991' }] },
          'dana',
        ),
        'eli',
      );
      await store.transaction(async (tx) => {
        await saveRelease(tx, fix, AT.toISOString());
        await recordActivation(tx, fix.id, 'eli', AT.toISOString(), null);
      });
      const bulk = await app.inject({
        method: 'POST',
        url: '/api/exceptions/replay',
        headers: who.sam,
        payload: { reasonCode: 'CW_ERR_MAP_UNMAPPED_ITEM' },
      });
      assert.equal(bulk.statusCode, 200, bulk.body);
      assert.deepEqual(
        (bulk.json().reports as { exceptionId: string; result: string }[]).map(
          (r) => `${r.exceptionId} ${r.result}`,
        ),
        [`${a} applied`, `${b} failed`],
      );
      const shown = (await app.inject({ url: `/api/exceptions/${a}`, headers: who.sam })).json();
      assert.equal(shown.status, 'resolved');
      assert.equal(shown.message.outcome, 'applied');
      assert.deepEqual(
        (shown.history as { kind: string }[]).map((h) => h.kind),
        ['assigned', 'commented', 'replay-failed', 'replayed'],
      );

      // b: correct the code (a financial field) — one person proposes, another approves.
      const edit = await app.inject({
        method: 'POST',
        url: `/api/exceptions/${b}/replay`,
        headers: who.ann,
        payload: { actor: 'ann', edits: [`FT1-7.1=${KNOWN}`], reason: 'typo' },
      });
      assert.equal(edit.statusCode, 200, edit.body);
      assert.equal(edit.json().needsApproval, true);
      const self = await app.inject({
        method: 'POST',
        url: `/api/exceptions/${b}/approve`,
        headers: who.ann,
        payload: { actor: 'ann' },
      });
      assert.equal(self.statusCode, 403);
      assert.equal(self.json().code, 'CW_ERR_EXCEPTION_SELF_APPROVAL');
      const ok = await app.inject({
        method: 'POST',
        url: `/api/exceptions/${b}/approve`,
        headers: who.bob,
        payload: { actor: 'bob' },
      });
      assert.equal(ok.statusCode, 200, ok.body);
      assert.equal(ok.json().replay.result, 'applied');
      assert.deepEqual(
        (
          (await app.inject({ url: '/api/exceptions', headers: who.sam })).json() as { reasonCode: string }[]
        ).map((x) => x.reasonCode),
        ['CW_ERR_INVENTORY_NEGATIVE_ON_HAND'],
        'what is left open is the stock flag the replays raised (they issued beyond on-hand), not the failures',
      );
      assert.equal(
        (await app.inject({ url: '/api/exceptions?status=resolved', headers: who.sam })).json().length,
        2,
      );

      const bad = [
        [await app.inject({ url: '/api/exceptions/abc', headers: who.sam }), 400, 'CW_ERR_API_BAD_REQUEST'],
        [await app.inject({ url: '/api/exceptions/999999', headers: who.sam }), 404, 'CW_ERR_API_NOT_FOUND'],
        [
          await app.inject({ url: '/api/exceptions?status=later', headers: who.sam }),
          400,
          'CW_ERR_API_BAD_REQUEST',
        ],
        [
          await app.inject({
            method: 'POST',
            url: `/api/exceptions/${a}/ignore`,
            headers: who.sam,
            payload: { reason: 'x', actor: 'sam' },
          }),
          409,
          'CW_ERR_EXCEPTION_BAD_TRANSITION',
        ],
        [
          await app.inject({
            method: 'POST',
            url: '/api/exceptions/replay',
            headers: who.sam,
            payload: { actor: 'sam' },
          }),
          400,
          'CW_ERR_API_BAD_REQUEST',
        ],
        [
          await app.inject({
            method: 'POST',
            url: `/api/exceptions/${a}/replay`,
            headers: who.sam,
            payload: { actor: 'sam', edits: ['MSH-10=X'] },
          }),
          400,
          'CW_ERR_EXCEPTION_BAD_EDIT',
        ],
      ] as const;
      for (const [r, status, code] of bad) {
        assert.equal(r.statusCode, status, `${r.body}`);
        assert.equal(r.json().code, code, r.body);
        assert.equal(typeof r.json().message, 'string');
      }
      const openapi = (await app.inject('/api/openapi.json')).json();
      assert.ok(openapi.paths['/api/exceptions/{id}/replay'], 'the routes are in the OpenAPI document');
    } finally {
      await app.close();
    }
  });
});
