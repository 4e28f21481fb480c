import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonbText, type LineFacts, linesText, linesTextIs, parseLinesText } from './replay-compare.ts';

const line = (
  side: LineFacts['side'],
  account: string,
  costCenter: string | null,
  amount: bigint,
): LineFacts => ({
  side,
  account,
  costCenter,
  amount,
});

const cases: LineFacts[][] = [
  [],
  [line('debit', '6200', 'WCCH-6410', 824n), line('credit', '1300', 'WCCH-6410', 824n)],
  [
    line('debit', '1300', null, 76754335n),
    line('debit', '1310', null, 9849050n),
    line('credit', '3000', null, 86603385n),
  ],
  // Beyond 2^53, and codes that JSON must escape (quote, backslash, control, lone surrogate) or need not (é, emoji).
  [line('debit', 'a"b', 'c\\d', 2n ** 70n), line('credit', 'tab\there', 'x\ud800', 2n ** 70n)],
  [line('debit', 'café', '🧾', 1n), line('credit', 'café', '🧾', 1n)],
];

test('linesTextIs answers exactly what writing the lines out and comparing answers', () => {
  for (const a of cases) {
    for (const b of cases) {
      const text = linesText(b);
      assert.equal(linesTextIs(a, text), linesText(a) === text, `${linesText(a)} vs ${text}`);
    }
    const text = linesText(a);
    // Near misses: a prefix, a longer text, another amount, another order.
    assert.equal(linesTextIs(a, text.slice(0, -1)), false);
    assert.equal(linesTextIs(a, `${text} `), false);
    if (a.length > 1) {
      assert.equal(linesTextIs(a, linesText([...a].reverse())), false);
      assert.equal(
        linesTextIs(a, linesText([{ ...a[0]!, amount: a[0]!.amount + 1n }, ...a.slice(1)])),
        false,
      );
    }
  }
});

test('parseLinesText gives back the lines, amounts exact', () => {
  for (const a of cases) assert.deepEqual(parseLinesText(linesText(a)), a);
});

test('the text of a quote-bearing account cannot pass for other lines', () => {
  // Written raw, `x","y` would read as two strings; escaped, it is one.
  const a = [line('debit', 'x","1",null,"5"],["credit', 'y', 1n)];
  const b = [line('debit', 'x', '1', 5n), line('credit', 'y', null, 1n)];
  assert.equal(linesTextIs(a, linesText(b)), false);
  assert.equal(linesTextIs(b, linesText(a)), false);
});

test('jsonbText writes a value as PostgreSQL writes a jsonb back as text', () => {
  // What `SELECT '<this value as JSON>'::jsonb::text` gave on PostgreSQL 15.
  const value = {
    id: 'a',
    type: 'X',
    payload: {
      quantity: 2,
      unitCost: 1721n,
      performer: { id: '1', npi: null },
      trace: null,
      implant: false,
      h: [1, 'a"b\\c\u0001\né', {}],
      e: 0,
    },
  };
  assert.equal(
    jsonbText(value),
    '{"id": "a", "type": "X", "payload": {"e": 0, "h": [1, "a\\"b\\\\c\\u0001\\né", {}], "trace": null, "implant": false, "quantity": 2, "unitCost": "1721", "performer": {"id": "1", "npi": null}}}',
  );
  assert.equal(jsonbText({ at: new Date(0) }), null, 'toJSON is left to the caller');
});
