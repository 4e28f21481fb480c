import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { isCrosswalkError } from '../errors/index.ts';
import {
  createMllpListener,
  FS,
  frame,
  MllpClient,
  type MllpFrameErrorInfo,
  type MllpListener,
  type MllpListenerEvent,
  type MllpListenerOptions,
  VT,
} from './index.ts';
import { RawMllpPeer, until, within } from './test-peer.ts';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const s = (buf: Buffer): string => buf.toString('latin1');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** mulberry32: small seeded generator so "random" handler timings are reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function start(
  t: TestContext,
  options: Partial<MllpListenerOptions> = {},
): Promise<{ listener: MllpListener; port: number; events: MllpListenerEvent[] }> {
  const events: MllpListenerEvent[] = [];
  const listener = createMllpListener({
    onMessage: (p) => b(`ACK:${s(p)}`),
    onEvent: (e) => events.push(e),
    port: 0,
    interfaceName: 'test-feed',
    ...options,
  });
  const { port } = await listener.listen();
  t.after(() => listener.close({ graceful: false }));
  return { listener, port, events };
}

async function client(t: TestContext, port: number, maxInFlight = 1): Promise<MllpClient> {
  const c = new MllpClient({ maxInFlight });
  await c.connect({ host: '127.0.0.1', port });
  t.after(() => c.close());
  return c;
}

test('200 pipelined frames answered in random order come back in arrival order', async (t) => {
  const random = rng(42);
  let active = 0;
  let maxActive = 0;
  const { listener, port } = await start(t, {
    maxInFlightPerConnection: 200,
    onMessage: async (p, ctx) => {
      assert.equal(ctx.interfaceName, 'test-feed');
      assert.ok(ctx.receivedAt instanceof Date, 'receivedAt is a Date');
      active++;
      maxActive = Math.max(maxActive, active);
      await sleep(Math.floor(random() * 20));
      active--;
      return b(`ACK:${s(p)}`);
    },
  });
  const c = await client(t, port, 200);
  const payloads = Array.from({ length: 200 }, (_, i) => b(`MSH|^~\\&|${i}`));
  const replies = await within(
    Promise.all(payloads.map((p) => c.send(p, { timeoutMs: 5000 }))),
    10_000,
    'replies',
  );
  assert.deepEqual(
    replies.map(s),
    payloads.map((p) => `ACK:${s(p)}`),
  );
  assert.ok(maxActive > 20, `handler calls overlapped (max ${maxActive})`);
  const st = listener.stats();
  assert.equal(st.framesReceived, 200);
  assert.equal(st.repliesWritten, 200);
  assert.equal(st.connectionsTotal, 1);
  assert.ok(st.bytesReceived >= payloads.reduce((n, p) => n + p.length + 3, 0), 'bytes counted');
});

test('maxInFlightPerConnection 1 handles one frame at a time even when the client pipelines', async (t) => {
  let active = 0;
  let maxActive = 0;
  const { port } = await start(t, {
    maxInFlightPerConnection: 1,
    onMessage: async (p) => {
      active++;
      maxActive = Math.max(maxActive, active);
      await sleep(1);
      active--;
      return p;
    },
  });
  const c = await client(t, port, 50);
  const replies = await within(
    Promise.all(Array.from({ length: 50 }, (_, i) => c.send(b(`m${i}`), { timeoutMs: 5000 }))),
    10_000,
    'replies',
  );
  assert.equal(replies.map(s).join(','), Array.from({ length: 50 }, (_, i) => `m${i}`).join(','));
  assert.equal(maxActive, 1);
});

test('an oversize frame goes to onFrameError in its place, and the connection serves the next frame', async (t) => {
  const seen: MllpFrameErrorInfo[] = [];
  const { listener, port } = await start(t, {
    maxFrameBytes: 100,
    frameErrorPartialBytes: 8,
    onFrameError: (info) => {
      seen.push(info);
      return b(`AR:${info.reason}`);
    },
  });
  const peer = await RawMllpPeer.connect(port);
  t.after(() => peer.destroy());
  peer.write(Buffer.concat([frame(b('first')), frame(b(`MSH|${'x'.repeat(5000)}`)), frame(b('after'))]));
  const replies = await peer.waitFrames(3);
  assert.deepEqual(replies.map(s), ['ACK:first', 'AR:oversize', 'ACK:after']);
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.bytesSeen, 5004);
  assert.equal(s(seen[0]!.partial!), 'MSH|xxxx');
  assert.equal(seen[0]!.error.code, 'CW_ERR_MLLP_FRAME_TOO_LARGE');
  assert.equal(seen[0]!.ctx.interfaceName, 'test-feed');
  assert.equal(listener.stats().frameErrors.oversize, 1);
});

test('a frame whose end never comes times out, is reported, and later bytes resync', async (t) => {
  const { listener, port, events } = await start(t, {
    frameTimeoutMs: 100,
    onFrameError: (info) => b(`AR:${info.reason}:${s(info.partial ?? Buffer.alloc(0))}`),
  });
  const peer = await RawMllpPeer.connect(port);
  t.after(() => peer.destroy());
  peer.write(Buffer.concat([Buffer.from([VT]), b('MSH|stuck')]));
  const [reply] = await peer.waitFrames(1);
  assert.equal(s(reply!), 'AR:timeout:MSH|stuck');
  assert.ok(
    events.some((e) => e.type === 'frame-error' && e.reason === 'timeout'),
    'frame-error event',
  );
  peer.write(Buffer.concat([b('-late'), Buffer.from([FS, 0x0d]), frame(b('next'))]));
  const replies = await peer.waitFrames(2);
  assert.equal(s(replies[1]!), 'ACK:next');
  assert.equal(listener.stats().garbageBytes, 7);
});

test('an idle connection is closed, a busy one is not', async (t) => {
  const { port, events } = await start(t, {
    idleTimeoutMs: 150,
    onMessage: async (p) => {
      await sleep(400);
      return p;
    },
  });
  const idle = await RawMllpPeer.connect(port);
  t.after(() => idle.destroy());
  const busy = await client(t, port);
  const reply = await busy.send(b('slow'), { timeoutMs: 5000 });
  assert.equal(s(reply), 'slow');
  await idle.waitClosed(3000);
  assert.ok(
    events.some((e) => e.type === 'connection-close' && e.reason === 'idle'),
    'close event says idle',
  );
});

test('connections over maxConnections are refused and counted', async (t) => {
  const { listener, port, events } = await start(t, { maxConnections: 2 });
  const a = await client(t, port);
  const b2 = await client(t, port);
  const extra = await RawMllpPeer.connect(port);
  t.after(() => extra.destroy());
  await extra.waitClosed(3000);
  await until(() => listener.stats().connectionsRefused === 1, 3000, 'refusal count');
  assert.ok(
    events.some((e) => e.type === 'connection-refused' && e.reason === 'max-connections'),
    'refusal event',
  );
  assert.equal(s(await a.send(b('a'), { timeoutMs: 2000 })), 'ACK:a');
  assert.equal(s(await b2.send(b('b'), { timeoutMs: 2000 })), 'ACK:b');
  assert.equal(listener.stats().connectionsOpen, 2);
});

test('a throwing handler is answered by onHandlerError in its place', async (t) => {
  const { listener, port } = await start(t, {
    maxInFlightPerConnection: 10,
    onMessage: (p) => {
      const text = s(p);
      if (text === 'sync-boom') throw new Error('sync');
      if (text === 'async-boom') return Promise.reject(new Error('async'));
      return Promise.resolve(b(`ACK:${text}`));
    },
    onHandlerError: (err, p) => b(`AR:${(err as Error).message}:${s(p)}`),
  });
  const c = await client(t, port, 10);
  const replies = await Promise.all(
    ['ok1', 'sync-boom', 'ok2', 'async-boom', 'ok3'].map((m) => c.send(b(m), { timeoutMs: 3000 })),
  );
  assert.deepEqual(replies.map(s), [
    'ACK:ok1',
    'AR:sync:sync-boom',
    'ACK:ok2',
    'AR:async:async-boom',
    'ACK:ok3',
  ]);
  assert.equal(listener.stats().handlerErrors, 2);
});

test('without an error reply, a handler failure closes that connection after the replies before it', async (t) => {
  const { port, events } = await start(t, {
    closeLingerMs: 200,
    onMessage: (p) => {
      if (s(p) === 'boom') throw new Error('no reply for this');
      return b(`ACK:${s(p)}`);
    },
  });
  const peer = await RawMllpPeer.connect(port);
  t.after(() => peer.destroy());
  peer.write(Buffer.concat([frame(b('one')), frame(b('boom')), frame(b('three'))]));
  await peer.waitClosed(3000);
  assert.deepEqual(peer.frames.map(s), ['ACK:one']);
  await until(
    () => events.some((e) => e.type === 'connection-close' && e.reason === 'handler-error'),
    3000,
    'close event saying handler-error',
  );
  const c = await client(t, port);
  assert.equal(s(await c.send(b('still'), { timeoutMs: 2000 })), 'ACK:still');
});

test('graceful close lets in-flight handlers finish and their replies reach the peer', async (t) => {
  let calls = 0;
  const { listener, port } = await start(t, {
    onMessage: async (p) => {
      calls++;
      await sleep(200);
      return b(`ACK:${s(p)}`);
    },
  });
  const c = await client(t, port, 5);
  const pending = [0, 1, 2, 3, 4].map((i) => c.send(b(`m${i}`), { timeoutMs: 5000 }));
  await until(() => calls === 5, 3000, 'handler calls');
  const closed = listener.close({ graceful: true, timeoutMs: 3000 });
  const replies = await within(Promise.all(pending), 5000, 'replies during close');
  assert.deepEqual(replies.map(s), ['ACK:m0', 'ACK:m1', 'ACK:m2', 'ACK:m3', 'ACK:m4']);
  await within(closed, 5000, 'listener close');
  await assert.rejects(
    new MllpClient().connect({ host: '127.0.0.1', port, timeoutMs: 2000 }),
    (e: unknown) => isCrosswalkError(e) && e.code === 'CW_ERR_MLLP_CONNECTION',
  );
});

test('a forced close drops pending work and the client sees a connection error', async (t) => {
  const { listener, port } = await start(t, { onMessage: () => new Promise(() => {}) });
  const c = await client(t, port);
  const pending = c.send(b('never'), { timeoutMs: 5000 });
  await until(() => listener.stats().inFlight === 1, 2000, 'in flight');
  await within(listener.close({ graceful: false }), 2000, 'forced close');
  await assert.rejects(pending, (e: unknown) => isCrosswalkError(e) && e.code === 'CW_ERR_MLLP_CONNECTION');
});

test('a peer that half-closes still gets its replies', async (t) => {
  const { port } = await start(t, {
    onMessage: async (p) => {
      await sleep(50);
      return b(`ACK:${s(p)}`);
    },
  });
  const peer = await RawMllpPeer.connect(port);
  t.after(() => peer.destroy());
  peer.write(Buffer.concat([frame(b('a')), frame(b('b')), frame(b('c'))]));
  peer.end();
  await peer.waitClosed(3000);
  assert.deepEqual(peer.frames.map(s), ['ACK:a', 'ACK:b', 'ACK:c']);
});

test('a peer that disconnects mid-frame is reported and does not disturb the listener', async (t) => {
  const reasons: string[] = [];
  const { listener, port } = await start(t, {
    onFrameError: (info) => {
      reasons.push(info.reason);
      return null;
    },
  });
  const peer = await RawMllpPeer.connect(port);
  peer.write(Buffer.concat([Buffer.from([VT]), b('MSH|half')]));
  await until(() => listener.stats().bytesReceived === 9, 2000, 'bytes to arrive');
  peer.destroy();
  await until(() => reasons.length === 1, 2000, 'disconnect report');
  assert.deepEqual(reasons, ['disconnect']);
  assert.equal(listener.stats().frameErrors.disconnect, 1);
  const c = await client(t, port);
  assert.equal(s(await c.send(b('x'), { timeoutMs: 2000 })), 'ACK:x');
});

test('a peer that never reads its replies is throttled, not buffered without bound', async (t) => {
  const big = Buffer.alloc(64 * 1024, 0x41);
  let calls = 0;
  const { listener, port } = await start(t, {
    maxInFlightPerConnection: 4,
    writeHighWaterBytes: 256 * 1024,
    onMessage: () => {
      calls++;
      return big;
    },
  });
  const peer = await RawMllpPeer.connect(port);
  t.after(() => peer.destroy());
  peer.socketForTests.pause();
  const total = 1000;
  peer.write(Buffer.concat(Array.from({ length: total }, (_, i) => frame(b(`m${i}`)))));
  // Wait for the handler count to stop moving: the listener has stopped reading.
  let last = -1;
  await until(
    () => {
      const settled = calls === last && calls > 0;
      last = calls;
      return settled;
    },
    10_000,
    'the handler count to settle',
  );
  await sleep(200);
  assert.equal(calls, last, 'no more calls while the peer does not read');
  assert.ok(calls < total / 2, `only ${calls} of ${total} frames handled while the peer was not reading`);
  peer.socketForTests.resume();
  await peer.waitFrames(total, 20_000);
  assert.equal(listener.stats().repliesWritten, total);
});

test('bad options and a busy port give typed errors', async (t) => {
  assert.throws(
    () => createMllpListener({ onMessage: () => null, maxFrameBytes: -1 }),
    (e: unknown) => isCrosswalkError(e) && e.code === 'CW_ERR_CONFIG_INVALID',
  );
  assert.throws(
    () =>
      createMllpListener({
        onMessage: () => null,
        tls: { key: '', cert: '', allowedClientFingerprints: ['zz'] },
      }),
    (e: unknown) => isCrosswalkError(e) && e.code === 'CW_ERR_CONFIG_INVALID',
  );
  const { port } = await start(t);
  const second = createMllpListener({ onMessage: () => null, port });
  await assert.rejects(
    second.listen(),
    (e: unknown) => isCrosswalkError(e) && e.code === 'CW_ERR_SERVER_PORT_IN_USE',
  );
});
