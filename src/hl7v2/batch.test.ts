import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertWellFormed, parseBatch } from './batch.ts';
import { normaliseTerminators } from './lines.ts';

const FHS = 'FHS|^~\\&|SEND|FAC|RECV|FAC|20240101||||file-1';
const BHS = 'BHS|^~\\&|SEND|FAC|RECV|FAC|20240101||||batch-1';
const msh = (id: string): string => `MSH|^~\\&|SEND|FAC|RECV|FAC|20240101||ADT^A04|${id}|P|2.5`;
const body = ['EVN|A04|20240101', 'PID|1||123^^^MR||DOE^JOHN'];
const message = (id: string): string[] => [msh(id), ...body];
const input = (lines: string[], sep = '\r'): Buffer => Buffer.from(`${lines.join(sep)}${sep}`, 'latin1');

function roundTrips(buf: Buffer): void {
  assert.deepEqual(parseBatch(buf).encode(), normaliseTerminators(buf));
}

test('a complete file: FHS, two batches, BTS/FTS counts checked', () => {
  const lines = [FHS, BHS, ...message('1'), ...message('2'), 'BTS|2', BHS, ...message('3'), 'BTS|1', 'FTS|2'];
  const b = parseBatch(input(lines));
  assert.deepEqual(b.issues, []);
  assert.equal(b.messages.length, 3);
  assert.deepEqual(
    b.messages.map((m) => m.get('MSH-10')),
    ['1', '2', '3'],
  );
  assert.equal(b.batches.length, 2);
  assert.equal(b.batches[0]?.messages.length, 2);
  assert.equal(b.batches[0]?.header?.get(11), 'batch-1', 'BHS-11 batch control id');
  assert.equal(b.batches[1]?.trailer?.get(1), '1');
  assert.equal(b.fileHeader?.get(3), 'SEND');
  assert.equal(b.fileHeader?.get(1), '|');
  assert.equal(b.fileTrailer?.get(1), '2');
  assert.doesNotThrow(() => assertWellFormed(b));
  roundTrips(input(lines));
  roundTrips(input(lines, '\r\n'));
});

test('messages back to back without any envelope are a plain run, not an error', () => {
  const lines = [...message('1'), ...message('2')];
  const b = parseBatch(input(lines, '\n'));
  assert.deepEqual(b.issues, []);
  assert.equal(b.messages.length, 2);
  assert.equal(b.terminator, 'LF');
  roundTrips(input(lines, '\n'));
});

test('"MSH" inside a field value never starts a message; only a segment boundary does', () => {
  const lines = [
    msh('1'),
    'NTE|1||see MSH|^~\\&|fake header',
    'NTE|2||text MSH^~ more',
    ...message('2').slice(0),
  ];
  const b = parseBatch(input(lines));
  assert.equal(b.messages.length, 2);
  assert.equal(b.messages[0]?.count('NTE'), 2);
  assert.equal(b.messages[0]?.get('NTE-3'), 'see MSH');
});

test('real-world malformed envelopes are reported, not thrown, and still round-trip', () => {
  const cases: [string, string[], string[], number][] = [
    ['missing FHS', [BHS, ...message('1'), 'BTS|1', 'FTS|1'], ['missing-fhs'], 1],
    ['missing BTS', [FHS, BHS, ...message('1'), 'FTS|1'], ['missing-bts'], 1],
    ['missing BHS', [FHS, ...message('1'), 'BTS|1', 'FTS|1'], ['missing-bhs'], 1],
    ['missing FTS', [FHS, BHS, ...message('1'), 'BTS|1'], ['missing-fts'], 1],
    ['missing trailers', [BHS, ...message('1'), ...message('2')], ['missing-bts'], 2],
    [
      'segments without MSH',
      [BHS, ...body, 'BTS|1'],
      ['orphan-segment', 'orphan-segment', 'count-mismatch'],
      0,
    ],
    ['nested BHS', [BHS, ...message('1'), BHS, ...message('2'), 'BTS|1'], ['nested-bhs'], 2],
    ['wrong count', [BHS, ...message('1'), 'BTS|5'], ['count-mismatch'], 1],
    ['after FTS', [FHS, BHS, ...message('1'), 'BTS|1', 'FTS|1', ...message('2')], ['after-fts'], 2],
  ];
  for (const [name, lines, kinds, messages] of cases) {
    const b = parseBatch(input(lines));
    assert.deepEqual(
      b.issues.map((i) => i.kind),
      kinds,
      name,
    );
    assert.equal(b.messages.length, messages, name);
    assert.throws(() => assertWellFormed(b), { code: 'CW_ERR_HL7_BATCH' }, name);
    roundTrips(input(lines));
  }
});

test('an FHS nested inside a message ends it; what follows without MSH is orphaned', () => {
  const lines = [FHS, BHS, msh('1'), 'EVN|A04', FHS, 'PID|1', 'PV1|1', 'BTS|1', 'FTS|1'];
  const b = parseBatch(input(lines));
  assert.equal(b.messages.length, 1);
  assert.equal(b.messages[0]?.segments.length, 2);
  const kinds = b.issues.map((i) => i.kind);
  assert.ok(kinds.includes('nested-fhs'));
  assert.equal(kinds.filter((k) => k === 'orphan-segment').length, 2);
  assert.equal(b.issues.find((i) => i.kind === 'nested-fhs')?.line, 5);
  roundTrips(input(lines));
});

test('a message that fails to parse becomes a failure item; the others survive', () => {
  const lines = [BHS, ...message('1'), 'MSH|^^^^|broken', 'EVN|1', ...message('3'), 'BTS|3'];
  const b = parseBatch(input(lines));
  assert.equal(b.messages.length, 2);
  assert.equal(b.failures.length, 1);
  assert.equal(b.failures[0]?.error.code, 'CW_ERR_HL7_BAD_DELIMITERS');
  assert.equal(b.failures[0]?.line, 5);
  assert.deepEqual(
    b.issues.map((i) => i.kind),
    ['message-failed'],
  );
  roundTrips(input(lines));
});

test('each message is decoded with its own MSH-18; BOM and leading blank lines are kept', () => {
  const utf8 = Buffer.from(`${msh('u')}||||||UNICODE UTF-8\rPID|1||1||Zoë\r`, 'utf8');
  const latin = Buffer.from(`${msh('l')}||||||8859/1\rPID|1||1||Zoë\r`, 'latin1');
  const all = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('\n\n'), utf8, latin]);
  const b = parseBatch(all);
  assert.equal(b.bom, true);
  assert.equal(b.leading, 2);
  assert.deepEqual(
    b.messages.map((m) => m.get('PID-5')),
    ['Zoë', 'Zoë'],
  );
  assert.deepEqual(b.encode(), normaliseTerminators(all));
});

test('empty input is a typed error; size is limited', () => {
  assert.throws(() => parseBatch(Buffer.alloc(0)), { code: 'CW_ERR_HL7_EMPTY' });
  assert.throws(() => parseBatch(Buffer.from('\r\n\r\n')), { code: 'CW_ERR_HL7_EMPTY' });
  assert.throws(() => parseBatch(input(message('1')), { limits: { maxBatchBytes: 10 } }), {
    code: 'CW_ERR_HL7_TOO_LARGE',
  });
});
