import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CrosswalkError } from '../errors/index.ts';
import { normaliseTerminators } from './lines.ts';
import { parseMessage } from './message.ts';

const MSH = 'MSH|^~\\&|EPIC|MAIN|CROSSWALK|ERP|20240301120000||DFT^P03^DFT_P03|CTRL1|P|2.5.1';
const LINES = [
  MSH,
  'EVN|P03|20240301120000',
  'PID|1||111^^^MAIN^MR~222^^^SSA^SS||DOE^JANE^Q||19800101|F|||1 MAIN ST^^TOWN^MN^55001&55002',
  'FT1|1|A1||20240301|20240301|CG|1001^Gauze^CDM|||2|10.50^USD',
  'FT1|2|A2||20240301|20240301|CG|1002^Suture \\T\\ needle^CDM|||1|""',
  'ZCW|1|BILL-ONLY|LOT-7',
];
const bytes = (lines: string[], sep = '\r', tail = sep): Buffer =>
  Buffer.from(lines.join(sep) + tail, 'latin1');

function isCode(code: string, position?: RegExp): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof CrosswalkError, `expected CrosswalkError, got ${String(e)}`);
    assert.equal(e.code, code);
    if (position !== undefined) assert.match(String(e.params['position']), position);
    return true;
  };
}

test('reads fields, components, subcomponents, repetitions and occurrences by spec position', () => {
  const msg = parseMessage(bytes(LINES));
  assert.equal(msg.get('MSH-1'), '|');
  assert.equal(msg.get('MSH-2'), '^~\\&');
  assert.equal(msg.get('MSH-3'), 'EPIC');
  assert.equal(msg.get('MSH-9.2'), 'P03');
  assert.equal(msg.getRaw('MSH-9'), 'DFT^P03^DFT_P03');
  assert.equal(msg.get('PID-3.1'), '111');
  assert.equal(msg.get('PID-3[2].1'), '222');
  assert.equal(msg.get('PID-3[2].4'), 'SSA');
  assert.equal(msg.get('PID-3[3].1'), '');
  assert.deepEqual(msg.getAll('PID-3.1'), ['111', '222']);
  assert.equal(msg.get('PID-5'), 'DOE', 'a field reads as its first component');
  assert.equal(msg.get('PID-11.5.2'), '55002');
  assert.equal(msg.get('FT1-7.2'), 'Gauze');
  assert.equal(msg.get('FT1-7.2', 2), 'Suture & needle', 'escape decoded');
  assert.equal(msg.get('FT1[2]-10'), '1');
  assert.equal(msg.get('FT1-10', 2), '1');
  assert.equal(msg.getRaw('FT1-7.2', 2), 'Suture \\T\\ needle');
  assert.equal(msg.get('ZCW-2'), 'BILL-ONLY', 'Z-segments read like any other');
  assert.equal(msg.get('PID-99'), '');
  assert.equal(msg.get('OBX-5'), '');
  assert.equal(msg.count('FT1'), 2);
  assert.equal(msg.segmentsNamed('FT1')[1]?.get(2), 'A2');
  assert.equal(msg.segment('PID')?.repetitionCount(3), 2);
});

test('empty and explicit null are told apart', () => {
  const msg = parseMessage(bytes(LINES));
  assert.equal(msg.get('FT1-11', 2), '');
  assert.equal(msg.isNull('FT1-11', 2), true);
  assert.equal(msg.get('FT1-9', 2), '');
  assert.equal(msg.isNull('FT1-9', 2), false);
  assert.equal(msg.getRaw('FT1-11', 2), '""');
});

test('a path naming the occurrence twice, or malformed, is a typed error', () => {
  const msg = parseMessage(bytes(LINES));
  assert.throws(() => msg.get('FT1[2]-10', 1), isCode('CW_ERR_HL7_BAD_PATH'));
  for (const p of ['PID', 'PID.3', 'pid-3', 'PID-0', 'PID-3[0]', 'PID-3.0', 'PID-3.1.2.3', '']) {
    assert.throws(() => msg.get(p), isCode('CW_ERR_HL7_BAD_PATH'), p);
  }
});

test('encode is byte-exact for CR, LF, CRLF and mixed terminators, reporting which was used', () => {
  for (const [sep, name] of [
    ['\r', 'CR'],
    ['\n', 'LF'],
    ['\r\n', 'CRLF'],
  ] as const) {
    const input = bytes(LINES, sep);
    const msg = parseMessage(input);
    assert.equal(msg.terminator, name);
    assert.deepEqual(msg.encode(), normaliseTerminators(input));
    assert.equal(msg.get('ZCW-3'), 'LOT-7');
  }
  const mixed = Buffer.from(`${LINES[0]}\r${LINES[1]}\n${LINES[2]}\r\n${LINES[3]}\r`, 'latin1');
  const msg = parseMessage(mixed);
  assert.equal(msg.terminator, 'mixed');
  assert.equal(msg.encode().toString('latin1'), `${LINES.slice(0, 4).join('\r')}\r`);
});

test('no trailing terminator, blank lines and a BOM survive the round trip', () => {
  const noTail = bytes(LINES, '\r', '');
  assert.deepEqual(parseMessage(noTail).encode(), noTail);
  const blanks = Buffer.from(`${LINES[0]}\r\r${LINES[1]}\n\n\n`, 'latin1');
  const msg = parseMessage(blanks);
  assert.equal(msg.segments.length, 2);
  assert.equal(msg.encode().toString('latin1'), `${LINES[0]}\r\r${LINES[1]}\r\r\r`);
  const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes(LINES)]);
  const withBom = parseMessage(bom);
  assert.equal(withBom.bom, true);
  assert.equal(withBom.get('MSH-3'), 'EPIC');
  assert.deepEqual(withBom.encode(), bom);
  const single = parseMessage(Buffer.from(MSH));
  assert.equal(single.terminator, 'none');
});

test('delimiters come from MSH-1/MSH-2 whatever they are', () => {
  const odd = parseMessage(Buffer.from('MSH!@*/$!APP!FAC!!!!!ADT@A01!C9!P!2.5\rPID!1!!X@Y*Z@W!!A/F/B/S/C\r'));
  assert.equal(odd.delimiters.component, '@');
  assert.equal(odd.get('MSH-9.2'), 'A01');
  assert.equal(odd.get('PID-3[2].1'), 'Z');
  assert.equal(odd.get('PID-5'), 'A!B@C');
  // Swapped: '^' separates fields and '|' components.
  const swapped = parseMessage(Buffer.from('MSH^|~\\&^APP^FAC^^^^^ADT|A01^C1^P^2.5\rPID^1^^A|B\r'));
  assert.equal(swapped.get('MSH-9.2'), 'A01');
  assert.equal(swapped.get('PID-3.2'), 'B');
  // v2.7 fifth encoding character: truncation.
  const v27 = parseMessage(Buffer.from('MSH|^~\\&#|APP|FAC|||||ORU^R01|C2|P|2.7\rNTE|1||cut\\P\\here#\r'));
  assert.equal(v27.delimiters.truncation, '#');
  assert.equal(v27.get('MSH-2'), '^~\\&#');
  assert.equal(v27.get('NTE-3'), 'cut#here#');
  assert.deepEqual(
    v27.encode().toString(),
    'MSH|^~\\&#|APP|FAC|||||ORU^R01|C2|P|2.7\rNTE|1||cut\\P\\here#\r',
  );
  // Short MSH-2: no subcomponent separator, so '&' is plain text.
  const short = parseMessage(Buffer.from('MSH|^~\\|APP\rPID|1||A&B^C\r'));
  assert.equal(short.get('PID-3.1'), 'A&B');
});

test('garbled delimiters are typed errors', () => {
  for (const text of [
    'MSH',
    'MSH|',
    'MSH||APP',
    'MSH|^~\\&&|X',
    'MSH|^^\\&|X',
    'MSHA^~\\&|',
    'MSH|^~\\&xyz1|',
    'MSH|^~\\&%$|',
  ]) {
    assert.throws(() => parseMessage(Buffer.from(`${text}\r`)), isCode('CW_ERR_HL7_BAD_DELIMITERS'), text);
  }
});

test('missing MSH, empty input and malformed segments are typed errors naming the position', () => {
  assert.throws(() => parseMessage(Buffer.alloc(0)), isCode('CW_ERR_HL7_EMPTY'));
  assert.throws(() => parseMessage(Buffer.from([0xef, 0xbb, 0xbf])), isCode('CW_ERR_HL7_EMPTY'));
  assert.throws(
    () => parseMessage(Buffer.from('PID|1\r')),
    (e: unknown) => {
      assert.ok(e instanceof CrosswalkError && e.code === 'CW_ERR_HL7_NO_MSH');
      assert.equal(e.params['found'], "'PID'");
      return true;
    },
  );
  assert.throws(() => parseMessage(Buffer.from('\rMSH|^~\\&|\r')), isCode('CW_ERR_HL7_NO_MSH'));
  assert.throws(
    () => parseMessage(bytes([MSH, 'EVN|P03', 'continued text of a wrapped line'])),
    isCode('CW_ERR_HL7_BAD_SEGMENT', /^segment 3$/),
  );
  assert.throws(() => parseMessage(bytes([MSH, 'pid|1'])), isCode('CW_ERR_HL7_BAD_SEGMENT', /segment 2/));
  assert.throws(() => parseMessage(bytes([MSH, 'PID1|x'])), isCode('CW_ERR_HL7_BAD_SEGMENT'));
  assert.throws(
    () => parseMessage(bytes([MSH, 'EVN|1', MSH])),
    isCode('CW_ERR_HL7_BAD_SEGMENT', /segment 3 \(MSH\)/),
  );
  assert.throws(() => parseMessage(bytes([MSH, 'BTS|1'])), isCode('CW_ERR_HL7_BAD_SEGMENT', /BTS/));
});

test('hard limits on message, segment, field and segment count give CW_ERR_HL7_TOO_LARGE', () => {
  const input = bytes(LINES);
  assert.throws(
    () => parseMessage(input, { limits: { maxMessageBytes: 100 } }),
    isCode('CW_ERR_HL7_TOO_LARGE'),
  );
  assert.throws(
    () => parseMessage(input, { limits: { maxSegmentChars: 80 } }),
    isCode('CW_ERR_HL7_TOO_LARGE', /^segment 3 \(PID\)$/),
  );
  const big = bytes([MSH, `OBX|1|ED|DOC||${'A'.repeat(500)}|x`]);
  assert.throws(
    () => parseMessage(big, { limits: { maxFieldChars: 100 } }),
    isCode('CW_ERR_HL7_TOO_LARGE', /^segment 2 \(OBX\) field 5$/),
  );
  assert.equal(parseMessage(big, { limits: { maxFieldChars: 500 } }).getRaw('OBX-5').length, 500);
  const mshField = bytes([`MSH|^~\\&|${'B'.repeat(200)}`]);
  assert.throws(
    () => parseMessage(mshField, { limits: { maxFieldChars: 100 } }),
    isCode('CW_ERR_HL7_TOO_LARGE', /field 3$/),
  );
  assert.throws(() => parseMessage(input, { limits: { maxSegments: 3 } }), isCode('CW_ERR_HL7_TOO_LARGE'));
  assert.throws(() => parseMessage(input, { limits: { maxSegments: 0 } }), isCode('CW_ERR_CONFIG_INVALID'));
});

test('set escapes values, pads positions, writes nulls, and keeps untouched segments byte-exact', () => {
  const input = bytes(LINES, '\n');
  const msg = parseMessage(input);
  msg.set('FT1-7.2', 'Gauze | 4x4 ^ sterile\r\nZZZ|injected', 1);
  msg.set('PID-3[3].1', '333');
  msg.set('ZCW-6.2.3', 'deep');
  msg.set('PID-8', null);
  const out = msg.encode().toString('latin1');
  const again = parseMessage(Buffer.from(out, 'latin1'));
  assert.equal(again.get('FT1-7.2'), 'Gauze | 4x4 ^ sterile\r\nZZZ|injected');
  assert.equal(again.count('ZZZ'), 0, 'no segment injected');
  assert.equal(again.get('FT1-7.1'), '1001', 'neighbouring component kept');
  assert.deepEqual(again.getAll('PID-3.1'), ['111', '222', '333']);
  assert.equal(again.getRaw('ZCW-6'), '^&&deep');
  assert.equal(again.isNull('PID-8'), true);
  assert.equal(out.split('\r')[1], LINES[1], 'untouched segment as it was');
  assert.equal(again.segments.length, LINES.length);
});

test('set and setRaw refuse what cannot be written safely', () => {
  const msg = parseMessage(bytes(LINES));
  assert.throws(() => msg.set('MSH-1', '!'), isCode('CW_ERR_HL7_BAD_PATH'));
  assert.throws(() => msg.set('MSH-2', '@'), isCode('CW_ERR_HL7_BAD_PATH'));
  assert.throws(() => msg.set('OBX-5', 'x'), isCode('CW_ERR_HL7_BAD_PATH'));
  assert.throws(() => msg.setRaw('PID-5', 'A|B'), isCode('CW_ERR_HL7_BAD_VALUE'));
  assert.throws(() => msg.setRaw('PID-5', 'A\rB'), isCode('CW_ERR_HL7_BAD_VALUE'));
  msg.setRaw('PID-5', 'ROE^RICHARD');
  assert.equal(msg.get('PID-5.2'), 'RICHARD');
  assert.throws(() => msg.set('PID-5', 'Ω'), isCode('CW_ERR_HL7_BAD_VALUE'), 'ASCII message cannot carry Ω');
});

test('segments can be added and removed; the header view follows changes', () => {
  const msg = parseMessage(bytes(LINES, '\r', ''));
  const nte = msg.addSegment('NTE', ['1', '', 'note with | bar']);
  assert.equal(nte.get(3), 'note with | bar');
  assert.equal(msg.get('NTE-3'), 'note with | bar');
  assert.ok(msg.toString().endsWith('ZCW|1|BILL-ONLY|LOT-7\rNTE|1||note with \\F\\ bar'));
  msg.addSegment('ZXX', ['a'], 1);
  assert.equal(msg.segments[1]?.name, 'ZXX');
  assert.throws(() => msg.addSegment('MSH'), isCode('CW_ERR_HL7_BAD_PATH'));
  assert.throws(() => msg.addSegment('BHS'), isCode('CW_ERR_HL7_BAD_PATH'));
  assert.throws(() => msg.addSegment('ZZ'), isCode('CW_ERR_HL7_BAD_PATH'));
  assert.throws(() => msg.addSegment('ZXY', [], 0), isCode('CW_ERR_HL7_BAD_PATH'));
  msg.removeSegment(nte);
  assert.ok(msg.toString().endsWith('LOT-7'), 'last segment unterminated again, as parsed');
  assert.throws(() => msg.removeSegment(msg.segments[0]!), isCode('CW_ERR_HL7_BAD_PATH'));
  assert.equal(msg.header.controlId, 'CTRL1');
  msg.set('MSH-10', 'CTRL2');
  assert.equal(msg.header.controlId, 'CTRL2');
});

test('MSH-18 decides the decoding; undeclared high bytes are read as UTF-8 when valid', () => {
  const utf8 = Buffer.from(`${MSH}||||||UNICODE UTF-8\rPID|1||1||MÜLLER^Zoë\r`, 'utf8');
  const m1 = parseMessage(utf8);
  assert.deepEqual(m1.charset, { declared: 'UNICODE UTF-8', encoding: 'utf-8' });
  assert.equal(m1.get('PID-5.2'), 'Zoë');
  assert.deepEqual(m1.encode(), utf8);
  m1.set('PID-5.2', 'Zoë 日本');
  assert.equal(parseMessage(m1.encode()).get('PID-5.2'), 'Zoë 日本');

  const latin = Buffer.from(`${MSH}||||||8859/1\rPID|1||1||MÜLLER^Zoë\r`, 'latin1');
  const m2 = parseMessage(latin);
  assert.equal(m2.charset.encoding, 'iso-8859-1');
  assert.equal(m2.get('PID-5.1'), 'MÜLLER');
  assert.deepEqual(m2.encode(), latin);
  assert.throws(() => m2.set('PID-5.1', '日本'), isCode('CW_ERR_HL7_BAD_VALUE'));

  const undeclaredUtf8 = Buffer.from(`${MSH}\rPID|1||1||Zoë\r`, 'utf8');
  assert.equal(parseMessage(undeclaredUtf8).charset.encoding, 'utf-8');
  assert.equal(parseMessage(undeclaredUtf8).get('PID-5'), 'Zoë');
  const undeclaredLatin = Buffer.from(`${MSH}\rPID|1||1||Zoë\r`, 'latin1');
  const m3 = parseMessage(undeclaredLatin);
  assert.equal(m3.charset.encoding, 'iso-8859-1');
  assert.deepEqual(m3.encode(), undeclaredLatin);

  const polish = Buffer.concat([
    Buffer.from(`${MSH}||||||8859/2\rPID|1||1||`),
    Buffer.from([0xa3, 0xb1, 0x6b, 0x61]),
    Buffer.from('\r'),
  ]);
  assert.equal(parseMessage(polish).get('PID-5'), 'Łąka');
  assert.deepEqual(parseMessage(polish).encode(), polish);
});

test('unknown charsets and bytes invalid for the declared one are typed errors', () => {
  assert.throws(() => parseMessage(Buffer.from(`${MSH}||||||ISO IR87\r`)), isCode('CW_ERR_HL7_CHARSET'));
  assert.throws(() => parseMessage(Buffer.from(`${MSH}||||||EBCDIC\r`)), isCode('CW_ERR_HL7_CHARSET'));
  const bad = Buffer.concat([
    Buffer.from(`${MSH}||||||UNICODE UTF-8\rPID|1||`),
    Buffer.from([0xc3, 0x28]),
    Buffer.from('\r'),
  ]);
  assert.throws(
    () => parseMessage(bad),
    (e: unknown) => {
      assert.ok(e instanceof CrosswalkError && e.code === 'CW_ERR_HL7_BAD_BYTES');
      assert.equal(e.params['offset'], bad.indexOf(0xc3));
      return true;
    },
  );
  assert.equal(parseMessage(bad, { encoding: 'iso-8859-1' }).get('PID-3'), 'Ã(');
});

test('a string input is taken as decoded text', () => {
  const msg = parseMessage(`\ufeff${LINES.join('\n')}`);
  assert.equal(msg.bom, true);
  assert.equal(msg.terminator, 'LF');
  assert.equal(msg.get('PID-5.2'), 'JANE');
  assert.throws(() => parseMessage(''), isCode('CW_ERR_HL7_EMPTY'));
  assert.throws(() => parseMessage('EVN|1'), isCode('CW_ERR_HL7_NO_MSH'));
  const text = parseMessage(`${MSH}\rPID|1||1||Zoë\r`);
  assert.equal(text.charset.encoding, 'utf-8');
  assert.equal(parseMessage(text.encode()).get('PID-5'), 'Zoë');
});
