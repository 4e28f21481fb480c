import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatPath, parsePath } from './path.ts';

test('positions parse as the spec writes them, 1-based', () => {
  assert.deepEqual(
    { ...parsePath('PID-3[2].1.4') },
    {
      segment: 'PID',
      occurrence: 1,
      field: 3,
      repetition: 2,
      component: 1,
      subcomponent: 4,
      explicitOccurrence: false,
    },
  );
  assert.equal(parsePath('OBX[12]-5').occurrence, 12);
  assert.equal(parsePath('OBX[12]-5').explicitOccurrence, true);
  assert.equal(parsePath('ZX9-1').segment, 'ZX9');
  assert.equal(parsePath('FT1-10').repetition, 0, 'no repetition named');
  assert.equal(parsePath('FT1-10').component, 0);
});

test('formatPath writes the canonical form back', () => {
  for (const p of ['PID-3', 'PID-3[2].1', 'OBX[2]-5.1.2', 'FT1-10.1'])
    assert.equal(formatPath(parsePath(p)), p);
});

test('malformed positions are CW_ERR_HL7_BAD_PATH', () => {
  for (const p of [
    'PID',
    'PID-',
    'PID-x',
    'PID-3.',
    'PID-3..1',
    '1ID-3',
    'PID-3[0]',
    'PID[0]-3',
    'PID-0',
    `PID-${'9'.repeat(9)}`,
  ]) {
    assert.throws(() => parsePath(p), { code: 'CW_ERR_HL7_BAD_PATH' }, p);
  }
});
