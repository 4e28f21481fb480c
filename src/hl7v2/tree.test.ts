import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMessage } from './message.ts';
import { fieldLines } from './tree.ts';

test('the tree names every valued position 1-based, down to repetitions and subcomponents', () => {
  const msg = parseMessage(
    'MSH|^~\\&|EPIC|HRMC|||20261124||DFT^P03|C1|P|2.5\rPID|1||MRN1^^^HRMC~ALT9^^^X||DOE^JANE\rFT1|1|||||SU|S-1&A^Gauze \\T\\ tape||""|2\rFT1|2\r',
  );
  const tree = fieldLines(msg);
  assert.deepEqual(
    tree.map((s) => s.segment),
    ['MSH', 'PID', 'FT1', 'FT1[2]'],
  );
  const lines = Object.fromEntries(tree.flatMap((s) => s.fields.map((f) => [f.position, f.value])));
  assert.equal(lines['MSH-9.1'], 'DFT');
  assert.equal(lines['MSH-10'], 'C1');
  assert.equal(lines['PID-3[1].1'], 'MRN1');
  assert.equal(lines['PID-3[2].4'], 'X');
  assert.equal(lines['PID-5.2'], 'JANE');
  assert.equal(lines['FT1-7.1.2'], 'A', 'subcomponent');
  assert.equal(lines['FT1-7.2'], 'Gauze & tape', 'escapes decoded');
  assert.equal(lines['FT1-9'], '""', 'explicit null shown as such');
  assert.equal(lines['FT1-10'], '2');
  assert.equal(lines['FT1[2]-1'], '2');
  assert.ok(!('FT1-8' in lines), 'empty positions are left out');
});

test('a message whose MSH-2 declares only a component separator still reads field by field', () => {
  const m = parseMessage('MSH|^|EPIC|HOSP|||20261124||ADT^A04|C1|P|2.5\rPID|1||123^^^X\r');
  assert.deepEqual(
    [m.get('MSH-3'), m.get('MSH-10'), m.get('MSH-9.2'), m.get('PID-3.1'), m.get('PID-3.4')],
    ['EPIC', 'C1', 'A04', '123', 'X'],
  );
});
