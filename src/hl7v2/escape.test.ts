import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CrosswalkError } from '../errors/index.ts';
import { codecFor } from './charset.ts';
import { DEFAULT_DELIMITERS, makeDelimiters } from './delimiters.ts';
import { escapeValue, unescapeValue } from './escape.ts';

const d = DEFAULT_DELIMITERS;
const v27 = makeDelimiters('|', '^~\\&#');

test('delimiter escapes decode to the message delimiters', () => {
  assert.equal(unescapeValue('A\\F\\B\\S\\C\\T\\D\\R\\E\\E\\F', d), 'A|B^C&D~E\\F');
  assert.equal(unescapeValue('a\\P\\b', v27), 'a#b');
  // \P\ means nothing when no truncation character was declared: kept literally.
  assert.equal(unescapeValue('a\\P\\b', d), 'a\\P\\b');
});

test('escapes follow unusual delimiters, not the defaults', () => {
  const odd = makeDelimiters('!', '@*/$');
  assert.equal(unescapeValue('x/F/y/S/z/E/', odd), 'x!y@z/');
  assert.equal(escapeValue('x!y@z/w*v$|^', odd), 'x/F/y/S/z/E/w/R/v/T/|^');
});

test('hex escapes decode through the charset', () => {
  assert.equal(unescapeValue('caf\\XE9\\', d, { hex: codecFor('iso-8859-1').hex }), 'café');
  assert.equal(unescapeValue('caf\\XC3A9\\', d, { hex: codecFor('utf-8').hex }), 'café');
  assert.equal(unescapeValue('line1\\X0D0A\\line2', d), 'line1\r\nline2');
  // Odd digit count or non-hex: not a hex escape, kept literally.
  assert.equal(unescapeValue('a\\X0\\b', d), 'a\\X0\\b');
  assert.equal(unescapeValue('a\\XZZ\\b', d), 'a\\XZZ\\b');
});

test('highlighting is removed; formatting and character-set escapes pass through verbatim', () => {
  assert.equal(unescapeValue('\\H\\IMPORTANT\\N\\ note', d), 'IMPORTANT note');
  assert.equal(unescapeValue('a\\C2842\\b\\M2442\\c', d), 'a\\C2842\\b\\M2442\\c');
  assert.equal(unescapeValue('line\\.br\\next\\.sp2\\', d), 'line\\.br\\next\\.sp2\\');
  assert.equal(unescapeValue('\\Zvendor\\', d), '\\Zvendor\\');
});

test('bare or unknown escape characters are literal by default and typed errors when strict', () => {
  assert.equal(unescapeValue('C:\\temp\\file', d), 'C:\\temp\\file');
  assert.equal(unescapeValue('trailing\\', d), 'trailing\\');
  assert.equal(unescapeValue('\\Q\\', d), '\\Q\\');
  assert.throws(
    () => unescapeValue('C:\\temp', d, { strict: true, position: 'segment 3 (NTE) field 3' }),
    (e: unknown) =>
      e instanceof CrosswalkError && e.code === 'CW_ERR_HL7_BAD_ESCAPE' && /NTE/.test(e.message),
  );
});

test('the encoder escapes every delimiter, the escape character, terminators and MLLP framing bytes', () => {
  assert.equal(escapeValue('a|b^c~d&e\\f', d), 'a\\F\\b\\S\\c\\R\\d\\T\\e\\E\\f');
  assert.equal(escapeValue('x\ry\nz', d), 'x\\X0D\\y\\X0A\\z');
  assert.equal(escapeValue('\x0bstart\x1c', d), '\\X0B\\start\\X1C\\');
  assert.equal(escapeValue('tab\tstays', d), 'tab\tstays');
  assert.equal(escapeValue('a#b', v27), 'a\\P\\b');
  assert.equal(escapeValue('plain text 123', d), 'plain text 123');
  // The literal "" would read back as the explicit null: written as hex instead.
  assert.equal(escapeValue('""', d), '\\X2222\\');
  assert.equal(unescapeValue(escapeValue('""', d), d), '""');
});

test('a delimiter cannot be written when the message declares no escape character', () => {
  const noEscape = makeDelimiters('|', '^~');
  assert.equal(escapeValue('plain', noEscape), 'plain');
  assert.throws(() => escapeValue('a^b', noEscape, 'PID-5'), { code: 'CW_ERR_HL7_BAD_VALUE' });
});

const delimiterSets = fc.constantFrom(
  DEFAULT_DELIMITERS,
  v27,
  makeDelimiters('!', '@*/$'),
  makeDelimiters('^', '|\\~&'), // swapped: field/component and repetition/escape exchanged
  makeDelimiters('#', '$%?*'),
);
const tricky = fc.string({
  unit: fc.oneof(
    fc.constantFrom(
      '|',
      '^',
      '~',
      '\\',
      '&',
      '#',
      '!',
      '@',
      '*',
      '/',
      '$',
      '%',
      '?',
      '\r',
      '\n',
      '"',
      'X',
      'F',
      'E',
    ),
    fc.string({ minLength: 1, maxLength: 1 }),
  ),
  maxLength: 40,
});

test('property: escape then unescape is the identity, and escaped text holds no raw delimiter', () => {
  fc.assert(
    fc.property(delimiterSets, tricky, (delims, s) => {
      const er7 = escapeValue(s, delims);
      for (const c of [delims.field, delims.component, delims.repetition, delims.subcomponent, '\r', '\n']) {
        if (c !== '') assert.ok(!er7.includes(c), `raw ${JSON.stringify(c)} in ${JSON.stringify(er7)}`);
      }
      assert.equal(unescapeValue(er7, delims), s);
    }),
    { seed: 7101, numRuns: 2000 },
  );
});
