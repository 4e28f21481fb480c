import assert from 'node:assert/strict';
import { test } from 'node:test';
import { entryId, reversalId } from './ids.ts';

// Entry ids are stored in the books and re-derived by replay: these values were produced by the first
// implementation, so a faster one must give them byte for byte.
test('entry and reversal ids are the ones already in the books', () => {
  const cases: [string, string, number, string][] = [
    [
      'ev_20261125060000_74f47042566ba2a845f21165',
      'supply-used/default',
      0,
      'je_20261125060000_2ecf52044cddb6f1413dc308',
    ],
    [
      'ev_20261125060000_74f47042566ba2a845f21165',
      'transfer',
      1,
      'je_20261125060000_2a99180a6243cb85a417be86',
    ],
    ['opening:HRMC', 'manual:opening-balance', 0, 'je_14a08368e4f03333b370c74fc22735d5'],
    // Not `<letters>_<14 digits>_`: no sort prefix is kept.
    ['ev_2026112506000_short', 'r', 0, 'je_d7d0a657ebe30162f4af8ae9ff3833d6'],
    ['Ev_20261125060000_x', 'r', 0, 'je_2816d6acb34915d9c17f43025542aac9'],
    ['je_20261125060000_abc', 'r', 2, 'je_20261125060000_0e72534ccd6214fe7c8cbacd'],
  ];
  for (const [source, rule, leg, id] of cases) assert.equal(entryId(source, rule, leg), id);
  assert.equal(
    reversalId('je_20261125060000_0123456789abcdef01234567'),
    'je_20261125060000_378c7079ae65a29a6f5323be',
  );
  assert.equal(reversalId('je_0123'), 'je_dc2121fd442b6fc8af02edbd4ca1552d');
});
