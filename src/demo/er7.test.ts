import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  components,
  escapeHl7,
  formatMoney,
  message,
  segment,
  subcomponents,
  text,
  unescapeHl7,
} from './er7.ts';

const delimiterHeavy = fc.string({
  unit: fc.constantFrom('|', '^', '~', '\\', '&', '\r', '\n', 'a', 'Z', ' ', 'é', 'E', 'X'),
});

describe('escapeHl7', () => {
  it('escapes each standard delimiter with its sequence', () => {
    assert.equal(escapeHl7('a|b^c~d\\e&f'), 'a\\F\\b\\S\\c\\R\\d\\E\\e\\T\\f');
    assert.equal(escapeHl7('line1\rline2\n'), 'line1\\X0D\\line2\\X0A\\');
    assert.equal(escapeHl7('plain text 123'), 'plain text 123');
  });

  it('leaves no raw delimiter or line break and round-trips (property)', () => {
    fc.assert(
      fc.property(delimiterHeavy, (value) => {
        const escaped = escapeHl7(value);
        assert.doesNotMatch(escaped, /[|^~&\r\n]/);
        // Every backslash left belongs to an escape sequence.
        assert.equal(escaped.replace(/\\(E|F|S|T|R|X0D|X0A)\\/g, '').includes('\\'), false);
        assert.equal(unescapeHl7(escaped), value);
      }),
    );
  });
});

describe('segment building', () => {
  it('drops trailing empty fields, including holes in sparse arrays', () => {
    const f = [];
    f[0] = text('1');
    f[3] = text('x');
    f[6] = null;
    assert.equal(segment('ZZZ', f), 'ZZZ|1|||x');
    assert.equal(segment('ZZZ', []), 'ZZZ');
  });

  it('escapes inside components and subcomponents', () => {
    assert.equal(components('A&B', 'C^D', null), 'A\\T\\B^C\\S\\D');
    assert.equal(components(subcomponents('12.00', 'USD')), '12.00&USD');
  });

  it('terminates every segment with a carriage return', () => {
    assert.equal(message(['MSH|^~\\&|A', 'EVN|P03']), 'MSH|^~\\&|A\rEVN|P03\r');
  });

  it('formats minor units exactly', () => {
    assert.equal(formatMoney(0n), '0.00');
    assert.equal(formatMoney(5n), '0.05');
    assert.equal(formatMoney(123456n), '1234.56');
    assert.equal(formatMoney(-250n), '-2.50');
    assert.equal(formatMoney(900719925474099312n), '9007199254740993.12');
  });
});
