import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventsToJson } from '../canonical/index.ts';
import { PROBLEM_KINDS } from '../demo/index.ts';
import { CrosswalkError } from '../errors/index.ts';
import { parseMessage } from '../hl7v2/index.ts';
import { createRelease, demoRelease } from '../mapping/index.ts';
import { type InterpretContext, interpretHl7 } from './index.ts';
import { ctx, RELEASE, SYSTEM, sourceId, traffic } from './testing.ts';

const EXPECTED_ERROR: Readonly<Record<string, string>> = {
  'dft-p03-unknown-supply-code': 'CW_ERR_MAP_UNMAPPED_ITEM',
  'dft-p03-unknown-department': 'CW_ERR_MAP_UNKNOWN_DEPARTMENT',
};

function interpretDay(seed: number, context: (source: string) => InterpretContext = ctx) {
  return traffic({ seed }).map((m) => {
    const msg = parseMessage(m.message);
    try {
      return { m, msg, result: interpretHl7(msg, context(sourceId(m))), error: null };
    } catch (e) {
      if (!(e instanceof CrosswalkError)) throw e;
      return { m, msg, result: null, error: e };
    }
  });
}

test('a demo day interprets completely, except the deliberately broken messages, which name their problem', () => {
  for (const seed of [1, 2]) {
    const day = interpretDay(seed);
    const problems = day.filter((x) => PROBLEM_KINDS.includes(x.m.kind));
    assert.ok(problems.length >= 2, `seed ${seed} has broken messages to check`);
    for (const { m, msg, result, error } of day) {
      const expected = EXPECTED_ERROR[m.kind];
      if (expected !== undefined) {
        assert.equal(error?.code, expected, `${m.kind} ${m.controlId}`);
        const bad = m.kind === 'dft-p03-unknown-supply-code' ? msg.get('FT1-7.1') : msg.get('FT1-13.1');
        assert.ok(error?.message.includes(bad), error?.message);
        continue;
      }
      assert.equal(error, null, `${m.kind} ${m.controlId}: ${error?.message}`);
      assert.equal(result?.status, 'interpreted', m.kind);
      const expectedCount = m.kind.startsWith('dft')
        ? msg.count('FT1')
        : m.kind === 'mfn-m16'
          ? msg.count('MFE')
          : 1;
      assert.equal(result?.events.length, expectedCount, `${m.kind} ${m.controlId}`);
    }
  }
});

function leaves(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'object' && value !== null) for (const v of Object.values(value)) leaves(v, out);
  else if (value !== null && value !== undefined) out.push(String(value));
  return out;
}

test('PHI: no PID-3, PID-5, PID-7 or PID-11 value (nor visit number, phone) appears in any event or error', () => {
  let checked = 0;
  for (const { msg, result, error } of interpretDay(1)) {
    const pid = msg.segment('PID');
    if (pid === undefined) continue;
    const secrets = [
      ...pid.getAll(3, 1),
      pid.get(5, 1),
      pid.get(5, 2),
      pid.get(7),
      pid.get(11, 1),
      pid.get(11, 3),
      pid.get(11, 5),
      pid.get(13, 1),
      pid.get(18, 1),
      msg.get('PV1-19.1'),
    ].filter((s) => s.length >= 3);
    // Every value (not the field names: a patient called Tran is not leaked by `sourceTransactionId`).
    const values =
      result === null ? [error!.message, ...Object.values(error!.params).map(String)] : leaves(result.events);
    for (const s of secrets) {
      assert.ok(
        !values.some((v) => v.includes(s)),
        `a patient value leaked into ${result === null ? 'an error' : 'events'}`,
      );
    }
    checked++;
  }
  assert.ok(checked > 300, `checked ${checked} messages`);
});

test('interpretation is deterministic: same message, same events and ids; ids never repeat', () => {
  const first = interpretDay(1);
  const second = interpretDay(1);
  const json = (d: typeof first) =>
    d.map((x) => (x.result === null ? x.error?.code : eventsToJson(x.result.events)));
  assert.deepEqual(json(second), json(first));
  const ids = first.flatMap((x) => x.result?.events.map((e) => e.id) ?? []);
  assert.ok(ids.length > 1000);
  assert.equal(new Set(ids).size, ids.length);
});

test('ids depend on the message, not on the release or the token key', () => {
  const candidate = createRelease({ ...demoRelease(SYSTEM), description: 'a candidate under review' }, 'ann');
  assert.notEqual(candidate.id, RELEASE.id);
  const base = interpretDay(1);
  const other = interpretDay(1, (source) => ({
    ...ctx(source, candidate),
    tokenKey: Buffer.alloc(32, 0x33),
  }));
  for (const [i, x] of base.entries()) {
    const y = other[i]!;
    if (x.result === null) {
      assert.equal(y.error?.code, x.error?.code);
      continue;
    }
    const a = x.result.events;
    const b = y.result!.events;
    assert.deepEqual(
      b.map((e) => e.id),
      a.map((e) => e.id),
    );
    for (const e of b) assert.equal(e.mappingReleaseId, candidate.id);
    const tokenA = a.map((e) => (e.payload as { encounterToken?: string | null }).encounterToken ?? null);
    const tokenB = b.map((e) => (e.payload as { encounterToken?: string | null }).encounterToken ?? null);
    for (const [k, t] of tokenA.entries())
      assert.ok(t === null || t !== tokenB[k], 'another key, other tokens');
  }
});
