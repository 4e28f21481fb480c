import type { Worker } from 'node:worker_threads';
import { parseDatabaseUrl } from '../store/index.ts';
import { type WriterLock, writerLockFor } from '../store/writer-lock.ts';
import type { BatchStats } from './applier.ts';
import type { ApplyThreadData, FromApplyThread, ToApplyThread } from './thread-protocol.ts';
import { startThread } from './thread-start.ts';

/** See the Worker's resourceLimits below. */
const APPLY_YOUNG_GENERATION_MB = 96;

/** What the runtime needs of the apply stage, whether it runs on the main thread or its own. */
export interface ApplyStage {
  /** New messages were committed: look for work soon. */
  notify(): void;
  /** The active release or master data changed: drop what is cached. */
  invalidate(): void;
  /** Resolves once the loop has nothing in flight. */
  idle(): Promise<void>;
  /** Stops after the batch in flight (its transaction commits or rolls back whole). */
  stop(): Promise<void>;
}

export interface ApplyThreadOptions extends ApplyThreadData {
  readonly onBatch?: (stats: BatchStats) => void;
  readonly onError?: (error: { code: string | null; message: string }) => void;
  /** The thread ended without being asked to (a crash): the caller decides whether to restart. */
  readonly onExit?: (code: number) => void;
}

/**
 * The apply stage on a thread of its own, so interpreting, valuing and posting do not compete with the
 * sockets for the main thread: the inbox keeps acknowledging while a batch is posted. The database is
 * the only thing the two threads share (each has its own connection), and it is also the queue: a thread
 * that dies loses nothing; the next one starts from the cursors.
 */
export class ApplyThread implements ApplyStage {
  private readonly waiting = new Map<number, () => void>();
  private next = 1;
  private exited = false;

  private stopping = false;

  private constructor(
    private readonly worker: Worker,
    private readonly options: ApplyThreadOptions,
    private readonly lock: WriterLock | null,
  ) {}

  static async start(options: ApplyThreadOptions): Promise<ApplyThread> {
    const target = parseDatabaseUrl(options.databaseUrl);
    const lock = target.engine === 'sqlite' ? writerLockFor(target.path) : null;
    const data: ApplyThreadData = {
      databaseUrl: options.databaseUrl,
      poolMax: options.poolMax,
      ...(options.rawKeyRingFile ? { rawKeyRingFile: options.rawKeyRingFile } : {}),
      tokenKey: options.tokenKey,
      ...(options.earlierTokenKeys ? { earlierTokenKeys: options.earlierTokenKeys } : {}),
      batchSize: options.batchSize,
      ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
      ...(options.gatherMs !== undefined ? { gatherMs: options.gatherMs } : {}),
      ...(lock ? { sqliteWriterLock: lock.buffer } : {}),
    };
    let thread: ApplyThread | undefined;
    const worker = await startThread<FromApplyThread>({
      name: 'apply thread',
      entry: './thread-main.ts',
      workerData: data,
      // A batch's plans (hundreds of messages' events, entries, movements) live until its transaction
      // commits; with V8's default 16 MB semi-spaces they survive two scavenges and are copied into the
      // old generation, which made garbage collection about a tenth of the apply stage's CPU. 96 MB of
      // young generation (32 MB semi-spaces) lets a batch die young: ~9% less CPU per message in
      // `node --max-semi-space-size=32` against the default, same run, same machine.
      youngGenerationMb: APPLY_YOUNG_GENERATION_MB,
      onMessage: (m) => thread?.receive(m),
      onExit: (code) => thread?.exit(code),
      onError: (e) => options.onError?.({ code: null, message: e.message }),
    });
    thread = new ApplyThread(worker, options, lock);
    return thread;
  }

  private receive(m: FromApplyThread): void {
    if (m.type === 'batch') this.options.onBatch?.(m.stats);
    else if (m.type === 'error') this.options.onError?.(m);
    else if (m.type === 'done') {
      this.waiting.get(m.id)?.();
      this.waiting.delete(m.id);
    }
  }

  private exit(code: number): void {
    this.exited = true;
    // A thread that died inside a transaction still holds the writer lock; SQLite rolled it back.
    if (!this.stopping) this.lock?.forceRelease();
    for (const done of this.waiting.values()) done();
    this.waiting.clear();
    if (!this.stopping) this.options.onExit?.(code);
  }

  private post(m: ToApplyThread): void {
    if (!this.exited) this.worker.postMessage(m);
  }

  private ask(type: 'idle' | 'stop'): Promise<void> {
    if (this.exited) return Promise.resolve();
    const id = this.next++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.post({ type, id });
    });
  }

  notify(): void {
    this.post({ type: 'notify' });
  }

  invalidate(): void {
    this.post({ type: 'invalidate' });
  }

  idle(): Promise<void> {
    return this.ask('idle');
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.ask('stop');
    if (!this.exited) await this.worker.terminate();
  }
}
