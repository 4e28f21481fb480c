import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  CR,
  FS,
  frame,
  frameAll,
  frameErrorToCrosswalkError,
  type MalformedFrame,
  MllpDecoder,
  VT,
} from './index.ts';

function collect(options: { maxFrameBytes?: number; partialBytes?: number } = {}) {
  const frames: Buffer[] = [];
  const errors: MalformedFrame[] = [];
  const decoder = new MllpDecoder({
    ...options,
    onFrame: (p) => frames.push(Buffer.from(p)),
    onMalformed: (m) => errors.push(m),
  });
  return { decoder, frames, errors };
}

const msg = (s: string): Buffer => Buffer.from(s, 'latin1');
const text = (bufs: Buffer[]): string[] => bufs.map((b) => b.toString('latin1'));

/** Splits `data` at the given cut points (any order, duplicates and out-of-range values tolerated). */
function splitAt(data: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of [...points, data.length]) {
    if (p > prev) out.push(data.subarray(prev, p));
    prev = Math.max(prev, p);
  }
  return out;
}

test('frame() wraps a payload in VT … FS CR and frameAll() concatenates', () => {
  assert.deepEqual([...frame(msg('AB'))], [VT, 0x41, 0x42, FS, CR]);
  assert.deepEqual([...frame(Buffer.alloc(0))], [VT, FS, CR]);
  assert.deepEqual(frameAll([msg('A'), msg('BC')]), Buffer.concat([frame(msg('A')), frame(msg('BC'))]));
});

test('several frames in one chunk come out in order, as views of the chunk', () => {
  const chunk = frameAll([msg('MSH|1'), msg(''), msg('MSH|3')]);
  const views: Buffer[] = [];
  const d = new MllpDecoder({
    onFrame: (p) => views.push(p),
    onMalformed: () => assert.fail('no error expected'),
  });
  d.push(chunk);
  assert.deepEqual(text(views), ['MSH|1', '', 'MSH|3']);
  assert.equal(views[0]!.buffer, chunk.buffer, 'a frame inside one chunk is not copied');
  assert.equal(d.counters.frames, 3);
  assert.equal(d.inFrame, false);
});

test('a frame split at every byte is reassembled', () => {
  const { decoder, frames } = collect();
  const wire = frameAll([msg('MSH|^~\\&|A'), msg('MSH|^~\\&|B')]);
  for (let i = 0; i < wire.length; i++) decoder.push(wire.subarray(i, i + 1));
  assert.deepEqual(text(frames), ['MSH|^~\\&|A', 'MSH|^~\\&|B']);
});

test('bytes between frames are discarded and counted; FS without CR is tolerated and counted', () => {
  const { decoder, frames } = collect();
  decoder.push(Buffer.concat([msg('\r\nxx'), frame(msg('A')), msg('\n'), Buffer.from([VT]), msg('B')]));
  decoder.push(Buffer.from([FS]));
  decoder.push(Buffer.concat([Buffer.from([VT]), msg('C'), Buffer.from([FS, CR])]));
  assert.deepEqual(text(frames), ['A', 'B', 'C']);
  assert.equal(decoder.counters.garbageBytes, 5);
  assert.equal(decoder.counters.fsWithoutCr, 1);
});

test('a start block inside a frame reports the partial as resync and starts over', () => {
  const { decoder, frames, errors } = collect();
  decoder.push(Buffer.concat([Buffer.from([VT]), msg('MSH|lost')]));
  decoder.push(Buffer.concat([msg('-more'), frame(msg('MSH|kept'))]));
  assert.deepEqual(text(frames), ['MSH|kept']);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.reason, 'resync');
  assert.equal(errors[0]!.bytesSeen, 13);
  assert.equal(errors[0]!.partial.toString('latin1'), 'MSH|lost-more');
  assert.equal(decoder.counters.resync, 1);
});

test('an oversize frame is reported once with its size and a bounded partial, then decoding resumes', () => {
  const { decoder, frames, errors } = collect({ maxFrameBytes: 10, partialBytes: 4 });
  const big = msg('MSH|0123456789abcdef');
  const wire = frameAll([msg('ok1'), big, msg('ok2')]);
  for (let i = 0; i < wire.length; i += 3) decoder.push(wire.subarray(i, i + 3));
  assert.deepEqual(text(frames), ['ok1', 'ok2']);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.reason, 'oversize');
  assert.equal(errors[0]!.bytesSeen, big.length);
  assert.equal(errors[0]!.partial.toString('latin1'), 'MSH|');
  // A frame of exactly the limit is accepted.
  decoder.push(frame(msg('0123456789')));
  assert.equal(frames.length, 3);
});

test('an oversize frame interrupted by a start block is still reported as oversize', () => {
  const { decoder, frames, errors } = collect({ maxFrameBytes: 5 });
  decoder.push(Buffer.concat([Buffer.from([VT]), msg('0123456789'), frame(msg('next'))]));
  assert.deepEqual(text(frames), ['next']);
  assert.deepEqual(
    errors.map((e) => [e.reason, e.bytesSeen]),
    [['oversize', 10]],
  );
});

test('abandon() reports an open frame; its late bytes are garbage', () => {
  const { decoder, frames, errors } = collect();
  assert.equal(decoder.abandon('timeout'), false);
  decoder.push(Buffer.concat([Buffer.from([VT]), msg('MSH|slow')]));
  assert.equal(decoder.inFrame, true);
  const seq = decoder.frameSeq;
  assert.equal(decoder.abandon('timeout'), true);
  assert.equal(decoder.inFrame, false);
  decoder.push(Buffer.concat([msg('tail'), Buffer.from([FS, CR]), frame(msg('MSH|next'))]));
  assert.deepEqual(text(frames), ['MSH|next']);
  assert.deepEqual(
    errors.map((e) => [e.reason, e.partial.toString('latin1')]),
    [['timeout', 'MSH|slow']],
  );
  assert.equal(decoder.counters.garbageBytes, 6);
  assert.equal(decoder.frameSeq, seq + 1);
});

test('frame errors map to registry codes', () => {
  const limits = { maxFrameBytes: 10, frameTimeoutMs: 5 };
  assert.equal(frameErrorToCrosswalkError('oversize', 11, limits).code, 'CW_ERR_MLLP_FRAME_TOO_LARGE');
  assert.equal(frameErrorToCrosswalkError('timeout', 3, limits).code, 'CW_ERR_MLLP_TIMEOUT');
  assert.equal(frameErrorToCrosswalkError('resync', 3, limits).code, 'CW_ERR_MLLP_FRAME_INCOMPLETE');
  assert.match(frameErrorToCrosswalkError('disconnect', 3, limits).message, /after 3 bytes/);
});

const payloadArb = fc
  .uint8Array({ maxLength: 300 })
  .map((a) => Buffer.from(a.map((b) => (b === VT || b === FS ? 0x41 : b))));
const garbageArb = fc
  .uint8Array({ maxLength: 20 })
  .map((a) => Buffer.from(a.map((b) => (b === VT ? 0x20 : b))));

test('property: framed payloads with garbage between them, split anywhere, come back exactly', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(garbageArb, payloadArb), { maxLength: 20 }),
      garbageArb,
      fc.array(fc.nat(), { maxLength: 40 }),
      (items, trailing, cuts) => {
        const wire = Buffer.concat([...items.flatMap(([g, p]) => [g, frame(p)]), trailing]);
        const { decoder, frames, errors } = collect();
        for (const piece of splitAt(wire, cuts)) decoder.push(piece);
        assert.deepEqual(
          frames,
          items.map(([, p]) => p),
        );
        assert.equal(errors.length, 0);
        const garbage = items.reduce((n, [g]) => n + g.length, trailing.length);
        assert.equal(decoder.counters.garbageBytes, garbage);
      },
    ),
    { seed: 0x4d4c4c50, numRuns: 300 },
  );
});

test('property: oversize payloads are reported, the others delivered, order kept', () => {
  fc.assert(
    fc.property(
      fc.array(payloadArb, { maxLength: 15 }),
      fc.array(fc.nat(), { maxLength: 30 }),
      (payloads, cuts) => {
        const limit = 100;
        const events: string[] = [];
        const decoder = new MllpDecoder({
          maxFrameBytes: limit,
          partialBytes: 16,
          onFrame: (p) => events.push(`ok:${p.length}`),
          onMalformed: (m) => {
            assert.ok(m.partial.length <= 16, 'partial is bounded');
            events.push(`${m.reason}:${m.bytesSeen}`);
          },
        });
        for (const piece of splitAt(frameAll(payloads), cuts)) decoder.push(piece);
        assert.deepEqual(
          events,
          payloads.map((p) => (p.length > limit ? `oversize:${p.length}` : `ok:${p.length}`)),
        );
      },
    ),
    { seed: 7, numRuns: 300 },
  );
});

test('property: arbitrary bytes never throw, and a well-formed frame afterwards is always delivered', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 500 }), fc.array(fc.nat(), { maxLength: 20 }), (junk, cuts) => {
      const frames: Buffer[] = [];
      const decoder = new MllpDecoder({
        maxFrameBytes: 64,
        onFrame: (p) => frames.push(p),
        onMalformed: () => {},
      });
      for (const piece of splitAt(Buffer.from(junk), cuts)) decoder.push(piece);
      decoder.push(frame(msg('MSH|after')));
      assert.equal(frames.at(-1)?.toString('latin1'), 'MSH|after');
    }),
    { seed: 99, numRuns: 500 },
  );
});
