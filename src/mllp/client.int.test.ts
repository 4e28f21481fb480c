import assert from 'node:assert/strict';
import net from 'node:net';
import { type TestContext, test } from 'node:test';
import { isCrosswalkError } from '../errors/index.ts';
import { createMllpListener, frame, MllpClient, type MllpListenerOptions } from './index.ts';
import { within } from './test-peer.ts';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const s = (buf: Buffer): string => buf.toString('latin1');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const isCode = (code: string) => (e: unknown) => isCrosswalkError(e) && e.code === code;

async function listen(t: TestContext, options: Partial<MllpListenerOptions> = {}): Promise<number> {
  const listener = createMllpListener({ onMessage: (p) => b(`ACK:${s(p)}`), port: 0, ...options });
  const { port } = await listener.listen();
  t.after(() => listener.close({ graceful: false }));
  return port;
}

async function connect(t: TestContext, port: number, maxInFlight = 1): Promise<MllpClient> {
  const c = new MllpClient({ maxInFlight });
  await c.connect({ host: '127.0.0.1', port, timeoutMs: 2000 });
  t.after(() => c.close());
  return c;
}

test('send before connect, and connect to a closed port, give CW_ERR_MLLP_CONNECTION', async (t) => {
  const c = new MllpClient();
  await assert.rejects(c.send(b('x'), { timeoutMs: 100 }), isCode('CW_ERR_MLLP_CONNECTION'));
  const port = await listen(t);
  const probe = new MllpClient();
  await probe.connect({ host: '127.0.0.1', port });
  await probe.close();
  const closedPort = await new Promise<number>((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(p));
    });
  });
  await assert.rejects(
    c.connect({ host: '127.0.0.1', port: closedPort, timeoutMs: 2000 }),
    (e: unknown) => isCode('CW_ERR_MLLP_CONNECTION')(e) && /ECONNREFUSED/.test((e as Error).message),
  );
});

test('a missing reply rejects with CW_ERR_MLLP_NO_ACK and fails the other sends; reconnecting works', async (t) => {
  const port = await listen(t, {
    maxInFlightPerConnection: 10,
    onMessage: (p) => (s(p) === 'lost' ? new Promise(() => {}) : b(`ACK:${s(p)}`)),
  });
  const c = await connect(t, port, 10);
  const lost = c.send(b('lost'), { timeoutMs: 150, label: 'MSG00042' });
  const behind = c.send(b('behind'), { timeoutMs: 5000 });
  await assert.rejects(
    lost,
    (e: unknown) => isCode('CW_ERR_MLLP_NO_ACK')(e) && /MSG00042 within 150 ms/.test((e as Error).message),
  );
  await assert.rejects(behind, isCode('CW_ERR_MLLP_CONNECTION'));
  assert.equal(c.connected, false);
  await c.connect({ host: '127.0.0.1', port, timeoutMs: 2000 });
  assert.equal(s(await c.send(b('again'), { timeoutMs: 2000 })), 'ACK:again');
});

test('a send that expires while queued behind the window fails alone', async (t) => {
  let release: (() => void) | undefined;
  const port = await listen(t, {
    onMessage: async (p) => {
      if (s(p) === 'slow') await new Promise<void>((r) => (release = r));
      return b(`ACK:${s(p)}`);
    },
  });
  const c = await connect(t, port, 1);
  const slow = c.send(b('slow'), { timeoutMs: 5000 });
  const queued = c.send(b('queued'), { timeoutMs: 100 });
  await assert.rejects(queued, isCode('CW_ERR_MLLP_NO_ACK'));
  assert.equal(c.connected, true);
  await within(
    (async () => {
      while (!release) await sleep(5);
    })(),
    2000,
    'the slow handler',
  );
  release!();
  assert.equal(s(await slow), 'ACK:slow');
  assert.equal(s(await c.send(b('next'), { timeoutMs: 2000 })), 'ACK:next');
});

test('the client never has more than maxInFlight messages outstanding', async (t) => {
  let active = 0;
  let maxActive = 0;
  const port = await listen(t, {
    maxInFlightPerConnection: 100,
    onMessage: async (p) => {
      active++;
      maxActive = Math.max(maxActive, active);
      await sleep(2);
      active--;
      return p;
    },
  });
  const c = await connect(t, port, 7);
  const replies = await Promise.all(
    Array.from({ length: 60 }, (_, i) => c.send(b(`${i}`), { timeoutMs: 5000 })),
  );
  assert.deepEqual(
    replies.map(s),
    Array.from({ length: 60 }, (_, i) => `${i}`),
  );
  assert.equal(maxActive, 7);
});

test('sendAll streams with a window and reports each reply with its index', async (t) => {
  const port = await listen(t, { maxInFlightPerConnection: 64 });
  const c = await connect(t, port, 64);
  async function* source(): AsyncGenerator<Buffer> {
    for (let i = 0; i < 1000; i++) yield b(`MSH|${i}`);
  }
  const seen: string[] = [];
  const result = await within(
    c.sendAll(source(), {
      window: 50,
      timeoutMs: 5000,
      onReply: (reply, index, payload) => {
        assert.equal(s(reply), `ACK:${s(payload)}`);
        seen[index] = s(reply);
      },
    }),
    20_000,
    'sendAll',
  );
  assert.equal(result.sent, 1000);
  assert.equal(seen.length, 1000);
  assert.equal(seen[999], 'ACK:MSH|999');
});

test('sendAll rejects when the connection is lost part-way', async (t) => {
  let n = 0;
  const port = await listen(t, {
    onMessage: (p) => {
      if (++n === 20) throw new Error('stop here');
      return p;
    },
  });
  const c = await connect(t, port, 4);
  const payloads = Array.from({ length: 100 }, (_, i) => b(`${i}`));
  await assert.rejects(
    within(c.sendAll(payloads, { window: 4, timeoutMs: 5000 }), 10_000, 'sendAll'),
    isCode('CW_ERR_MLLP_CONNECTION'),
  );
});

test('an unsolicited reply fails the connection rather than shifting every later match', async (t) => {
  const srv = net.createServer((sock) => {
    sock.on('error', () => {});
    sock.write(frame(b('unsolicited')));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => srv.close(() => r())));
  const port = (srv.address() as net.AddressInfo).port;
  const c = new MllpClient();
  await c.connect({ host: '127.0.0.1', port });
  t.after(() => c.close());
  await within(
    (async () => {
      while (c.connected) await sleep(5);
    })(),
    2000,
    'the client to fail the connection',
  );
  await assert.rejects(
    c.send(b('x'), { timeoutMs: 500 }),
    (e: unknown) => isCode('CW_ERR_MLLP_CONNECTION')(e) && /no message awaiting/.test((e as Error).message),
  );
});
