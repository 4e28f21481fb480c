import assert from 'node:assert/strict';
import { test } from 'node:test';
import { errorOf } from './testing.ts';
import { parseHl7Time } from './time.ts';

const NY = 'America/New_York';

test('HL7 times with an offset are exact; without, they are read in the release zone', () => {
  assert.deepEqual(parseHl7Time('202108181126+0215', NY, 'MSH-7'), {
    iso: '2021-08-18T09:11:00.000Z',
    date: '2021-08-18',
  });
  assert.equal(parseHl7Time('20210817151943.4+0200', NY, 'EVN-6')?.iso, '2021-08-17T13:19:43.400Z');
  // EST in November, EDT in July.
  assert.equal(parseHl7Time('20261124001541', NY, 'x')?.iso, '2026-11-24T05:15:41.000Z');
  assert.equal(parseHl7Time('20260704120000', NY, 'x')?.iso, '2026-07-04T16:00:00.000Z');
  assert.deepEqual(parseHl7Time('20191122', NY, 'x'), {
    iso: '2019-11-22T05:00:00.000Z',
    date: '2019-11-22',
  });
  assert.equal(parseHl7Time('2026', 'UTC', 'x')?.iso, '2026-01-01T00:00:00.000Z');
  assert.equal(parseHl7Time('  ', NY, 'x'), null);
});

test('daylight-saving edges: the repeated hour takes the earlier instant, the skipped hour the old offset', () => {
  // 2026-11-01 01:30 happens twice in New York (EDT, then EST).
  assert.equal(parseHl7Time('202611010130', NY, 'x')?.iso, '2026-11-01T05:30:00.000Z');
  // 2026-03-08 02:30 does not exist in New York; read as EST (UTC-5) it is 03:30 EDT.
  assert.equal(parseHl7Time('202603080230', NY, 'x')?.iso, '2026-03-08T07:30:00.000Z');
  assert.equal(parseHl7Time('202603080500', NY, 'x')?.iso, '2026-03-08T09:00:00.000Z');
  // East of UTC (Berlin springs forward at 02:00 local on 2026-03-29).
  assert.equal(parseHl7Time('202603290230', 'Europe/Berlin', 'x')?.iso, '2026-03-29T01:30:00.000Z');
  assert.equal(parseHl7Time('202603291200', 'Europe/Berlin', 'x')?.iso, '2026-03-29T10:00:00.000Z');
});

test('malformed times are a typed error naming the position', () => {
  for (const bad of [
    '2026-11-24',
    '20261324',
    '20260230',
    '202611242460',
    '20261',
    '20261124.5',
    '1850',
    '20261124+2500',
    'now',
  ]) {
    const e = errorOf(() => parseHl7Time(bad, NY, 'FT1[2]-4'));
    assert.equal(e.code, 'CW_ERR_INTERPRET_BAD_TIMESTAMP', bad);
    assert.match(e.message, /^FT1\[2\]-4 holds /);
  }
});
