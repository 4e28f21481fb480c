import { resolve } from 'node:path';

/**
 * One writer at a time among the threads of this process that open the same SQLite file.
 *
 * SQLite serialises writers itself, but a connection that finds the database locked sleeps in steps
 * (1, 2, 5, 10 … 100 ms) and, being synchronous, blocks its whole thread meanwhile: the inbox's thread
 * stopped reading sockets for seconds while the apply thread wrote a batch. Threads of one process
 * instead share a lock word in shared memory and wait for it asynchronously, woken the moment it is
 * released. Other processes still meet SQLite's own lock (several processes are for reads and
 * migrations; one process per file is the supported shape).
 */
// In Node since 16 (V8 8.7); ES2024 typings, which this project's ES2023 lib does not include.
const waitAsync = (
  Atomics as unknown as {
    waitAsync(
      a: Int32Array,
      i: number,
      v: number,
      ms: number,
    ): { async: false; value: string } | { async: true; value: Promise<string> };
  }
).waitAsync;

export class WriterLock {
  private readonly word: Int32Array;

  constructor(readonly buffer: SharedArrayBuffer) {
    this.word = new Int32Array(buffer);
  }

  /** Resolves once this thread holds the lock. */
  async acquire(): Promise<void> {
    for (;;) {
      if (Atomics.compareExchange(this.word, 0, 0, 1) === 0) return;
      const w = waitAsync(this.word, 0, 1, 50);
      if (w.async) await w.value;
    }
  }

  release(): void {
    Atomics.store(this.word, 0, 0);
    Atomics.notify(this.word, 0, 1);
  }

  /** Frees a lock whose holder is gone (a thread that died inside a transaction). */
  forceRelease(): void {
    this.release();
  }
}

const locks = new Map<string, WriterLock>();

/** The lock of a database file in this thread, created on first use (the first thread makes it). */
export function writerLockFor(path: string): WriterLock {
  const key = resolve(path);
  let lock = locks.get(key);
  if (!lock) {
    lock = new WriterLock(new SharedArrayBuffer(4));
    locks.set(key, lock);
  }
  return lock;
}

/** Makes another thread's lock for `path` this thread's lock (before opening the file here). */
export function adoptWriterLock(path: string, buffer: SharedArrayBuffer): void {
  locks.set(resolve(path), new WriterLock(buffer));
}
