import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  isValidGtin14,
  isValidNpi,
  luhnCheckDigit,
  makeGtin14,
  makeNpi,
  npiCheckDigit,
} from './identifiers.ts';

describe('NPI', () => {
  it('accepts the CMS worked example 1234567893 and rejects its neighbours', () => {
    assert.equal(npiCheckDigit('123456789'), 3);
    assert.equal(isValidNpi('1234567893'), true);
    for (let d = 0; d <= 9; d++) if (d !== 3) assert.equal(isValidNpi(`123456789${d}`), false);
  });

  it('computes the check digit over the 80840 prefix, not the 9 digits alone', () => {
    // Without the prefix the Luhn digit of 123456789 is 7; the NPI's is 3.
    assert.equal(luhnCheckDigit('123456789'), 7);
    assert.equal(luhnCheckDigit('80840123456789'), 3);
  });

  it('rejects anything that is not exactly ten digits', () => {
    for (const bad of ['', '123456789', '12345678930', '123456789X', ' 1234567893', '12345-6789']) {
      assert.equal(isValidNpi(bad), false, bad);
    }
  });

  it('every minted NPI is valid and any single-digit change makes it invalid', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[12]\d{8}$/),
        fc.nat(9),
        fc.integer({ min: 1, max: 9 }),
        (base, pos, delta) => {
          const npi = makeNpi(base);
          assert.equal(isValidNpi(npi), true);
          const changed = (npi.charCodeAt(pos) - 48 + delta) % 10;
          const mutated = npi.slice(0, pos) + String(changed) + npi.slice(pos + 1);
          assert.equal(isValidNpi(mutated), false);
        },
      ),
    );
  });

  it('npiCheckDigit refuses input that is not 9 digits', () => {
    assert.throws(() => npiCheckDigit('12345678'), RangeError);
  });
});

describe('GTIN-14', () => {
  it('accepts a known GTIN and rejects a wrong check digit', () => {
    // UPC-A 0 12345 67890 5 padded to 14 digits.
    assert.equal(isValidGtin14('00012345678905'), true);
    assert.equal(isValidGtin14('00012345678904'), false);
    assert.equal(makeGtin14('0001234567890'), '00012345678905');
  });

  it('every minted GTIN is valid', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{13}$/), (body) => {
        assert.equal(isValidGtin14(makeGtin14(body)), true);
      }),
    );
  });
});
