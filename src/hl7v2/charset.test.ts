import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CrosswalkError } from '../errors/index.ts';
import { codecFor, encodingForCharset, type Hl7Encoding, resolveCharset } from './charset.ts';

test('MSH-18 names map to encodings, spelling variants included; others are unknown', () => {
  const cases: [string, Hl7Encoding | undefined][] = [
    ['', 'ascii'],
    ['ASCII', 'ascii'],
    ['UNICODE UTF-8', 'utf-8'],
    ['utf-8', 'utf-8'],
    ['UTF8', 'utf-8'],
    ['8859/1', 'iso-8859-1'],
    ['ISO-8859-1', 'iso-8859-1'],
    ['ISO_IR 100', 'iso-8859-1'],
    ['8859/2', 'iso-8859-2'],
    ['8859/15', 'iso-8859-15'],
    ['8859/11', undefined],
    ['ISO IR87', undefined],
    ['UNICODE', undefined],
    ['GB 18030-2000', undefined],
  ];
  for (const [name, enc] of cases) assert.equal(encodingForCharset(name), enc, name);
  assert.throws(
    () => resolveCharset('BIG-5', Buffer.from('x')),
    (e: unknown) => {
      return (
        e instanceof CrosswalkError && e.code === 'CW_ERR_HL7_CHARSET' && e.params['charset'] === 'BIG-5'
      );
    },
  );
});

test('every codec is lossless over the bytes it defines', () => {
  const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  for (const enc of [
    'ascii',
    'iso-8859-1',
    'iso-8859-2',
    'iso-8859-5',
    'iso-8859-7',
    'iso-8859-15',
  ] as const) {
    const codec = codecFor(enc);
    let bytes: Buffer = all;
    try {
      codec.decode(all);
    } catch {
      // Parts with undefined positions: keep only the bytes the part defines.
      bytes = Buffer.from(
        [...all].filter((b) => {
          try {
            codec.decode(Uint8Array.of(b));
            return true;
          } catch {
            return false;
          }
        }),
      );
    }
    const text = codec.decode(bytes);
    assert.ok(codec.canEncode(text), enc);
    assert.deepEqual(codec.encode(text), bytes, enc);
  }
  const utf8 = codecFor('utf-8');
  const sample = Buffer.from('ascii Zoë Łąka 日本 🙂', 'utf8');
  assert.deepEqual(utf8.encode(utf8.decode(sample)), sample);
  assert.equal(utf8.canEncode('\ud800'), false, 'a lone surrogate has no UTF-8 form');
});

test('bytes undefined in the declared part are CW_ERR_HL7_BAD_BYTES', () => {
  assert.throws(
    () => codecFor('iso-8859-3').decode(Uint8Array.of(0x41, 0xa5)),
    (e: unknown) => {
      return e instanceof CrosswalkError && e.code === 'CW_ERR_HL7_BAD_BYTES' && e.params['offset'] === 1;
    },
  );
  for (const [bytes, offset] of [
    [[0x41, 0xc3], 1],
    [[0xe0, 0x80, 0x80], 0],
    [[0x41, 0x42, 0xed, 0xa0, 0x80], 2],
    [[0xf5, 0x80, 0x80, 0x80], 0],
  ] as const) {
    assert.throws(
      () => codecFor('utf-8').decode(Uint8Array.from(bytes)),
      (e: unknown) => {
        return e instanceof CrosswalkError && e.params['offset'] === offset;
      },
    );
  }
});

test('undeclared or ASCII with high bytes: UTF-8 when valid, else ISO 8859-1, and the result says so', () => {
  assert.equal(resolveCharset('', Buffer.from('plain')).encoding, 'ascii');
  assert.equal(resolveCharset('ASCII', Buffer.from('Zoë', 'utf8')).encoding, 'utf-8');
  assert.equal(resolveCharset('', Buffer.from('Zoë', 'latin1')).encoding, 'iso-8859-1');
  assert.deepEqual(resolveCharset('8859/1', Buffer.from('Zoë', 'utf8')), {
    declared: '8859/1',
    encoding: 'iso-8859-1',
  });
});
