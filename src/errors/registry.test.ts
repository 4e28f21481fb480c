import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CrosswalkError, ERRORS, errorCodeOf, formatMessage } from './index.ts';

test('every code follows CW_ERR_<AREA>_<WHAT> and has a sensible HTTP status', () => {
  for (const [code, d] of Object.entries(ERRORS)) {
    assert.match(code, /^CW_ERR_[A-Z0-9]+_[A-Z0-9_]+$/, code);
    assert.ok(d.httpStatus >= 400 && d.httpStatus < 600, code);
    assert.ok(d.message.length > 0, code);
  }
});

test('messages are filled from params and keep unknown placeholders visible', () => {
  const e = new CrosswalkError('CW_ERR_CONFIG_INVALID', {
    setting: 'CROSSWALK_HTTP_PORT',
    reason: 'not a number',
  });
  assert.equal(e.message, 'invalid setting CROSSWALK_HTTP_PORT: not a number');
  assert.equal(e.httpStatus, 500);
  assert.equal(formatMessage('{a} and {b}', { a: 1 }), '1 and {b}');
  assert.deepEqual(Object.keys(e.toJSON()).sort(), ['code', 'message', 'retryable', 'team']);
});

test('a thread reports an error by its registry code, else its system code, else nothing', () => {
  assert.equal(
    errorCodeOf(new CrosswalkError('CW_ERR_APPLY_INTERNAL', { reason: 'x' })),
    'CW_ERR_APPLY_INTERNAL',
  );
  assert.equal(errorCodeOf(Object.assign(new Error('gone'), { code: 'ENOENT' })), 'ENOENT');
  assert.equal(errorCodeOf(new Error('plain')), null);
  assert.equal(errorCodeOf(null), null);
});
