import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CrosswalkError } from '../errors/index.ts';
import { readHeader } from './header.ts';
import { parseMessage } from './message.ts';
import { makeDft } from './testing.ts';

const MSH =
  'MSH|^~\\&|EPIC^1.2.3^ISO|MAIN|CROSSWALK|ERP|20240301120000+0100||DFT^P03^DFT_P03|CTRL\\F\\1|P^T|2.5.1^USA|||ER|AL|USA|UNICODE UTF-8';

test('reads MSH without parsing the rest of the message', () => {
  const h = readHeader(Buffer.from(`${MSH}\rPID|1||Zoë\r`, 'utf8'));
  assert.equal(h.sendingApplication, 'EPIC^1.2.3^ISO');
  assert.equal(h.sendingFacility, 'MAIN');
  assert.equal(h.receivingApplication, 'CROSSWALK');
  assert.equal(h.receivingFacility, 'ERP');
  assert.equal(h.dateTime, '20240301120000+0100');
  assert.equal(h.messageType, 'DFT^P03');
  assert.equal(h.messageCode, 'DFT');
  assert.equal(h.triggerEvent, 'P03');
  assert.equal(h.messageStructure, 'DFT_P03');
  assert.equal(h.controlId, 'CTRL|1', 'MSH-10 escape decoded');
  assert.equal(h.processingId, 'P');
  assert.equal(h.processingMode, 'T');
  assert.equal(h.version, '2.5.1');
  assert.equal(h.acceptAckType, 'ER');
  assert.equal(h.applicationAckType, 'AL');
  assert.deepEqual(h.charset, { declared: 'UNICODE UTF-8', encoding: 'utf-8' });
  assert.equal(h.raw.version, '2.5.1^USA');
});

test('the message type is written with ^ whatever the component separator', () => {
  const h = readHeader(Buffer.from('MSH|@~\\&|A|B|C|D|20240101||ADT@A01|X1|P|2.3\r'));
  assert.equal(h.messageType, 'ADT^A01');
  assert.equal(readHeader(Buffer.from('MSH|^~\\&|A|B|C|D|20240101||ACK|X2|P|2.1\r')).messageType, 'ACK');
});

test('agrees with the full parser on generated messages, BOM and LF included', () => {
  for (let seed = 1; seed <= 50; seed++) {
    const text = makeDft(seed);
    for (const input of [Buffer.from(text), Buffer.from(`\ufeff${text.replaceAll('\r', '\n')}`)]) {
      assert.deepEqual(readHeader(input), parseMessage(input).header);
    }
  }
});

test('a missing or garbled MSH is a typed error', () => {
  const cases: [Buffer, string][] = [
    [Buffer.alloc(0), 'CW_ERR_HL7_EMPTY'],
    [Buffer.from('EVN|A01\rMSH|^~\\&|\r'), 'CW_ERR_HL7_NO_MSH'],
    [Buffer.from('MSH'), 'CW_ERR_HL7_BAD_DELIMITERS'],
    [Buffer.from('MSH|\r'), 'CW_ERR_HL7_BAD_DELIMITERS'],
    [Buffer.from('MSH|^~\\&|A|B|C|D|20240101||ADT^A01|X|P|2.5||||||KOI8-R\r'), 'CW_ERR_HL7_CHARSET'],
    [Buffer.from('MSH|^~\\&|A|B|C|D|20240101||ADT^A01||P|2.5\r'), 'CW_ERR_HL7_REQUIRED_FIELD'],
    [Buffer.from('MSH|^~\\&|A|B|C|D|20240101||""|X|P|2.5\r'), 'CW_ERR_HL7_REQUIRED_FIELD'],
  ];
  for (const [input, code] of cases) {
    assert.throws(() => readHeader(input), { code }, input.toString('latin1'));
  }
  const h = readHeader(Buffer.from('MSH|^~\\&|A|B|C|D|20240101||ADT^A01||P|2.5\r'), { requireFields: false });
  assert.equal(h.controlId, '');
  assert.throws(
    () => readHeader(Buffer.from(`${'MSH|^~\\&|'}${'x'.repeat(300)}`), { limits: { maxSegmentChars: 100 } }),
    {
      code: 'CW_ERR_HL7_TOO_LARGE',
    },
  );
});

test('property: any bytes give a header or a CrosswalkError, never anything else', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (tail, withMsh) => {
      const input = withMsh ? Buffer.concat([Buffer.from('MSH'), tail]) : Buffer.from(tail);
      try {
        readHeader(input, { requireFields: false });
      } catch (e) {
        assert.ok(e instanceof CrosswalkError, String(e));
      }
    }),
    { seed: 4242, numRuns: 3000 },
  );
});
