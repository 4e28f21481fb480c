import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CrosswalkError } from '../errors/index.ts';
import { ackErrorFor, ackPlan, buildAck, buildRejectAck, formatHl7Timestamp } from './ack.ts';
import { readHeader } from './header.ts';
import { parseMessage } from './message.ts';

const inbound = (msh15 = '', msh16 = '', version = '2.5.1', extra = ''): Buffer =>
  Buffer.from(
    `MSH|^~\\&|EPIC^1.2^ISO|MAIN|CROSSWALK|ERP|20240301120000||DFT^P03^DFT_P03|IN-42|P|${version}|||${msh15}|${msh16}||${extra}\rEVN|P03\r`,
  );
const when = '20240301120001+0000';

test('original-mode AA: sender and receiver swapped, version and processing id copied, MSA-2 is the inbound id', () => {
  const ack = buildAck(readHeader(inbound()), { code: 'AA', controlId: 'ACK-1', timestamp: when });
  assert.equal(
    ack.toString(),
    'MSH|^~\\&|CROSSWALK|ERP|EPIC^1.2^ISO|MAIN|20240301120001+0000||ACK^P03^ACK|ACK-1|P|2.5.1\rMSA|AA|IN-42\r',
  );
  assert.equal(ack.count('ERR'), 0);
});

test('the ACK is deterministic: same inputs, same bytes', () => {
  const h = readHeader(inbound());
  const opts = {
    code: 'AE',
    controlId: 'A',
    timestamp: when,
    error: { code: 207, message: 'posting failed' },
  } as const;
  assert.deepEqual(buildAck(h, opts).encode(), buildAck(h, opts).encode());
});

test('AE/AR/CE/CR carry an ERR naming the reason: ERR-2 location, ERR-3 table 0357, ERR-4 severity, ERR-8 text', () => {
  const h = readHeader(inbound());
  const ack = buildAck(h, {
    code: 'AE',
    controlId: 'ACK-2',
    timestamp: when,
    error: { code: 101, location: 'PID-3[2].1', message: 'patient id | missing' },
  });
  assert.equal(ack.get('MSA-1'), 'AE');
  assert.equal(ack.getRaw('ERR-2'), 'PID^1^3^2^1');
  assert.equal(ack.getRaw('ERR-3'), '101^Required field missing^HL70357');
  assert.equal(ack.get('ERR-4'), 'E');
  assert.equal(ack.get('ERR-8'), 'patient id | missing', 'escaped on write, decoded on read');
  assert.equal(ack.getRaw('ERR-8'), 'patient id \\F\\ missing');

  const ar = buildAck(h, {
    code: 'AR',
    controlId: 'ACK-3',
    timestamp: when,
    error: { code: 200, location: 'FT1[2]', severity: 'F' },
  });
  assert.equal(ar.getRaw('ERR-2'), 'FT1^2');
  assert.equal(ar.get('ERR-3.1'), '200');
  assert.equal(ar.get('ERR-4'), 'F');
  const noReason = buildAck(h, { code: 'CR', controlId: 'ACK-4', timestamp: when });
  assert.equal(noReason.get('ERR-3.1'), '207', 'an error ACK always names a reason');
  assert.equal(noReason.get('MSH-15'), 'NE', 'an enhanced-mode ACK asks for no ACK of itself');
});

test('versions before 2.5 get ERR-1 and MSA-3 instead', () => {
  const ack = buildAck(readHeader(inbound('', '', '2.3')), {
    code: 'AE',
    controlId: 'A',
    timestamp: when,
    error: { code: 102, location: 'PV1-3', message: 'bad location' },
  });
  assert.equal(ack.get('MSA-3'), 'bad location');
  assert.equal(ack.getRaw('ERR-1'), 'PV1^1^3^102&Data type error&HL70357');
  assert.equal(ack.get('MSH-9'), 'ACK');
  assert.equal(ack.getRaw('MSH-9'), 'ACK^P03', 'no structure component before 2.3.1');
});

test('the ACK uses the inbound delimiters and charset', () => {
  const raw = Buffer.from(
    'MSH!@*/$!APP!FAC!CW!ERP!20240101!!ADT@A01!X@1!P!2.5!!!!!!UNICODE UTF-8\rPID!1!!Zoë\r',
    'utf8',
  );
  const h = readHeader(raw);
  const ack = buildAck(h, {
    code: 'AE',
    controlId: 'Ω-1',
    timestamp: when,
    error: { code: 207, message: 'a!b@c' },
  });
  const bytes = ack.encode();
  assert.ok(bytes.toString('utf8').startsWith('MSH!@*/$!CW!ERP!APP!FAC!'));
  assert.ok(bytes.includes(Buffer.from('Ω-1', 'utf8')));
  assert.equal(ack.get('MSH-18'), 'UNICODE UTF-8');
  assert.equal(ack.get('MSA-2'), 'X@1');
  assert.equal(ack.getRaw('ERR-8'), 'a/F/b/S/c');
  assert.equal(parseMessage(bytes).get('ERR-8'), 'a!b@c');
});

test('ackPlan: original mode when MSH-15 and MSH-16 are empty, enhanced conditions otherwise', () => {
  const original = ackPlan(readHeader(inbound()));
  assert.equal(original.mode, 'original');
  assert.equal(original.sendCommitAck(true), true);
  assert.equal(original.sendCommitAck(false), true);
  assert.equal(original.commitAckCode('accept'), 'AA');
  assert.equal(original.commitAckCode('error'), 'AE');
  assert.equal(original.commitAckCode('reject'), 'AR');

  const table: [string, boolean, boolean][] = [
    ['AL', true, true],
    ['NE', false, false],
    ['ER', false, true],
    ['SU', true, false],
    ['', true, true], // unvalued while MSH-16 is valued: read as AL
  ];
  for (const [msh15, onSuccess, onError] of table) {
    const plan = ackPlan(readHeader(inbound(msh15, 'NE')));
    assert.equal(plan.mode, 'enhanced');
    assert.equal(plan.sendCommitAck(true), onSuccess, `MSH-15 ${msh15} success`);
    assert.equal(plan.sendCommitAck(false), onError, `MSH-15 ${msh15} error`);
    assert.equal(plan.sendApplicationAck(true), false);
    assert.equal(plan.commitAckCode('accept'), 'CA');
    assert.equal(plan.commitAckCode('error'), 'CE');
    assert.equal(plan.commitAckCode('reject'), 'CR');
  }
  assert.equal(ackPlan({ acceptAckType: 'NE', applicationAckType: '' }).mode, 'enhanced');
  assert.equal(ackPlan({ acceptAckType: 'XX', applicationAckType: 'SU' }).sendCommitAck(false), true);
  assert.equal(ackPlan({ acceptAckType: 'NE', applicationAckType: 'SU' }).sendApplicationAck(false), false);
});

test('buildRejectAck answers even when MSH cannot be read', () => {
  const garbage = buildRejectAck(Buffer.from('hello world'), { controlId: 'R1', timestamp: when });
  assert.equal(garbage.get('MSA-1'), 'AR');
  assert.equal(garbage.get('MSA-2'), '');
  assert.equal(garbage.get('MSH-12'), '2.5');
  assert.equal(garbage.delimiters.field, '|');
  assert.equal(garbage.get('ERR-3.1'), '207');

  const e = new CrosswalkError('CW_ERR_HL7_BAD_SEGMENT', { position: 'segment 3', reason: 'x' });
  const partial = buildRejectAck(inbound('AL', 'NE'), { controlId: 'R2', timestamp: when, cause: e });
  assert.equal(partial.get('MSA-1'), 'CR', 'enhanced-mode sender gets a commit reject');
  assert.equal(partial.get('MSA-2'), 'IN-42');
  assert.equal(partial.get('ERR-3.1'), '100');
  assert.equal(partial.get('ERR-8'), e.message);

  const huge = Buffer.concat([inbound(), Buffer.alloc(17 * 1024 * 1024, 0x41)]);
  assert.equal(
    buildRejectAck(huge, { controlId: 'R4', timestamp: when }).get('MSA-2'),
    'IN-42',
    'oversized still answered',
  );

  const charset = buildRejectAck(inbound('', '', '2.5', 'KOI8-R'), { controlId: 'R3', timestamp: when });
  assert.equal(charset.get('MSA-2'), 'IN-42', 'an unknown charset still yields the control id');
  assert.equal(charset.get('MSA-1'), 'AR');
});

test('ackErrorFor maps failures to table 0357', () => {
  assert.equal(ackErrorFor(new CrosswalkError('CW_ERR_HL7_REQUIRED_FIELD', { field: 'MSH-10' })).code, 101);
  assert.equal(ackErrorFor(new CrosswalkError('CW_ERR_HL7_CHARSET', { charset: 'X' })).code, 102);
  assert.equal(ackErrorFor(new CrosswalkError('CW_ERR_HL7_NO_MSH', { found: 'x' })).code, 100);
  assert.equal(ackErrorFor(new CrosswalkError('CW_ERR_STORE_WRITE', { reason: 'x' })).code, 207);
  assert.deepEqual(ackErrorFor(new TypeError('secret detail')), {
    code: 207,
    message: 'internal error while processing the message',
  });
});

test('formatHl7Timestamp is UTC DTM', () => {
  assert.equal(formatHl7Timestamp(new Date(Date.UTC(2024, 0, 2, 3, 4, 5))), '20240102030405+0000');
});

test('property: buildRejectAck never throws and always yields an AR/CR ACK, whatever the bytes', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 300 }),
      fc.constantFrom('', 'MSH|^~\\&|', 'MSH!@*/$!'),
      (tail, head) => {
        const raw = Buffer.concat([Buffer.from(head), tail]);
        const ack = buildRejectAck(raw, { controlId: 'R', timestamp: when });
        assert.ok(['AR', 'CR'].includes(ack.get('MSA-1')));
        assert.equal(parseMessage(ack.encode()).get('MSA-1'), ack.get('MSA-1'));
      },
    ),
    { seed: 99, numRuns: 2000 },
  );
});
