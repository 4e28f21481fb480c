import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffMs, nextDelayMs, parseRetryAfter } from './backoff.ts';
import { errorInBody } from './http-connector.ts';

const POLICY = { baseMs: 1000, maxMs: 60_000 };

test('backoff doubles per attempt within [step/2, step] and stops at the maximum', () => {
  for (const [attempt, step] of [
    [1, 1000],
    [2, 2000],
    [3, 4000],
    [7, 60_000],
    [400, 60_000],
  ] as const) {
    assert.equal(
      backoffMs(attempt, POLICY, () => 0),
      step / 2,
      `attempt ${attempt}, lowest`,
    );
    assert.equal(
      backoffMs(attempt, POLICY, () => 1),
      step,
      `attempt ${attempt}, highest`,
    );
  }
  let seed = 7;
  const random = () => {
    seed = (seed * 16_807) % 2_147_483_647;
    return (seed - 1) / 2_147_483_646;
  };
  for (let i = 0; i < 1000; i++) {
    const a = 1 + (i % 12);
    const d = backoffMs(a, POLICY, random);
    const step = Math.min(60_000, 1000 * 2 ** (a - 1));
    assert.ok(d >= step / 2 && d <= step, `jittered delay ${d} within [${step / 2}, ${step}]`);
  }
});

test('Retry-After: delta-seconds and HTTP-date; unreadable values are ignored', () => {
  const now = new Date('2026-11-25T12:00:00.000Z');
  assert.equal(parseRetryAfter('120', now), 120_000);
  assert.equal(parseRetryAfter(' 0 ', now), 0);
  assert.equal(parseRetryAfter('Wed, 25 Nov 2026 12:00:30 GMT', now), 30_000);
  assert.equal(parseRetryAfter('Wed, 25 Nov 2026 11:00:00 GMT', now), 0, 'a date in the past means now');
  assert.equal(parseRetryAfter('-5', now), undefined);
  assert.equal(parseRetryAfter('soon', now), undefined);
  assert.equal(parseRetryAfter(undefined, now), undefined);
  assert.equal(nextDelayMs(3, POLICY, 30_000), 30_000, "the receiver's Retry-After wins");
  assert.equal(nextDelayMs(3, { ...POLICY, maxRetryAfterMs: 5000 }, 30_000), 5000, 'bounded');
  assert.equal(
    nextDelayMs(1, POLICY, undefined, () => 1),
    1000,
  );
});

test('a 2xx body that states a refusal is a refusal', () => {
  assert.equal(errorInBody('{"status":"accepted","reference":"A1"}'), null);
  assert.equal(errorInBody('not json'), null);
  assert.equal(errorInBody('[1,2]'), null);
  assert.equal(errorInBody('{"error":null}'), null);
  assert.equal(errorInBody('{"error":"account closed"}'), 'account closed');
  assert.equal(errorInBody('{"error":{"code":42}}'), '{"code":42}');
  assert.equal(errorInBody('{"ok":false,"message":"duplicate journal"}'), 'duplicate journal');
  assert.equal(errorInBody('{"accepted":false}'), '{"accepted":false}');
  assert.equal(errorInBody('{"status":"REJECTED"}'), '{"status":"REJECTED"}');
  assert.equal(errorInBody('{"result":"failed"}'), '{"result":"failed"}');
});
