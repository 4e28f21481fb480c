/**
 * Test support: a raw TCP peer that writes arbitrary bytes (malformed frames included) and collects the
 * framed replies it receives. Every wait is bounded so a broken listener fails a test instead of hanging.
 */
import net from 'node:net';
import { MllpDecoder } from './framing.ts';

/** Rejects if `promise` has not settled within `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Polls `condition` every few milliseconds, up to `ms`. */
export async function until(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export class RawMllpPeer {
  readonly frames: Buffer[] = [];
  closed = false;
  private readonly socket: net.Socket;
  private readonly closedPromise: Promise<void>;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    const decoder = new MllpDecoder({
      onFrame: (p) => this.frames.push(Buffer.from(p)),
      onMalformed: () => {},
    });
    socket.on('data', (c: Buffer) => decoder.push(c));
    socket.on('error', () => {});
    // The listener's end of input (FIN) counts as closed: this peer is half-open so that it can test
    // a listener answering after the peer's own FIN.
    this.closedPromise = new Promise((resolve) => {
      const done = (): void => {
        this.closed = true;
        resolve();
      };
      socket.once('end', done);
      socket.once('close', done);
    });
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawMllpPeer> {
    return within(
      new Promise<RawMllpPeer>((resolve, reject) => {
        const socket = net.connect({ port, host, allowHalfOpen: true }, () =>
          resolve(new RawMllpPeer(socket)),
        );
        socket.once('error', reject);
      }),
      5000,
      'raw peer connect',
    );
  }

  get socketForTests(): net.Socket {
    return this.socket;
  }

  write(bytes: Buffer | string): void {
    this.socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  }

  /** Half-closes: the listener sees the end of input but may still answer. */
  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  async waitFrames(n: number, ms = 5000): Promise<Buffer[]> {
    await until(() => this.frames.length >= n || this.closed, ms, `${n} reply frames`);
    if (this.frames.length < n) throw new Error(`peer closed after ${this.frames.length} of ${n} frames`);
    return this.frames.slice(0, n);
  }

  waitClosed(ms = 5000): Promise<void> {
    return within(this.closedPromise, ms, 'the listener to close the connection');
  }
}
