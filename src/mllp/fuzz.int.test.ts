import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CR, createMllpListener, FS, frame, VT } from './index.ts';
import { RawMllpPeer, within } from './test-peer.ts';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const MARKER = 'MSH|^~\\&|FUZZ|';

// Bytes biased towards the framing characters, so the streams exercise resyncs, empty frames, FS without
// CR and oversize frames rather than being almost all garbage.
const byteArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 255 }) },
  { weight: 1, arbitrary: fc.constantFrom(VT, FS, CR) },
);
const streamArb = fc.array(fc.array(byteArb, { maxLength: 400 }), { minLength: 1, maxLength: 6 });

test('fuzz: random byte streams never break the listener, and it serves a good frame afterwards', async (t) => {
  let handled = 0;
  const listener = createMllpListener({
    port: 0,
    maxFrameBytes: 256,
    frameTimeoutMs: 2000,
    frameErrorPartialBytes: 32,
    maxInFlightPerConnection: 8,
    onMessage: async (payload) => {
      handled++;
      const text = payload.toString('latin1');
      if (text.startsWith(MARKER)) return b(`ACK:${text}`);
      if (payload.includes(0x21)) throw new Error('handler rejects payloads with "!"');
      if (payload.length % 3 === 0) await new Promise((r) => setTimeout(r, 1));
      return payload.length % 5 === 0 ? null : b(`ACK:${text}`);
    },
    onHandlerError: () => b('AR:handler'),
    onFrameError: (info) => b(`AR:${info.reason}`),
  });
  const { port } = await listener.listen();
  t.after(() => listener.close({ graceful: false }));

  let run = 0;
  await fc.assert(
    fc.asyncProperty(streamArb, async (chunks) => {
      const marker = `${MARKER}${run++}`;
      const peer = await RawMllpPeer.connect(port);
      try {
        for (const c of chunks) peer.write(Buffer.from(c));
        peer.write(frame(b(marker)));
        await within(
          (async () => {
            while (!peer.frames.some((f) => f.toString('latin1') === `ACK:${marker}`)) {
              if (peer.closed) throw new Error('listener closed the connection');
              await new Promise((r) => setTimeout(r, 2));
            }
          })(),
          5000,
          'the reply to the well-formed frame',
        );
        assert.equal(
          peer.frames.at(-1)?.toString('latin1'),
          `ACK:${marker}`,
          'the good frame is answered last',
        );
      } finally {
        peer.destroy();
      }
    }),
    { seed: 20_240_611, numRuns: 60 },
  );
  const st = listener.stats();
  assert.equal(st.connectionsTotal, 60);
  assert.ok(handled >= 60, `handler ran for every good frame (${handled})`);
  assert.ok(st.frameErrors.oversize + st.frameErrors.resync > 0, 'the streams did exercise malformed frames');
});
