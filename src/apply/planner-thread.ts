/**
 * The apply stage's planner on a thread of its own (SQLite). better-sqlite3 holds the thread for the whole
 * write transaction, so on one thread reading, interpreting and planning batch n+1 waits for batch n's
 * writes; here a second thread does it meanwhile, from a connection of its own, and hands the plan over.
 * The plan is only a proposal: the writing thread's transaction checks the cursor and the state it was
 * planned on, and plans again if they moved (Applier.writeBatch), so a wrong or late plan costs time,
 * never books.
 *
 * What crosses the threads is the batch as recorded statements and work items (Applier.recordBatch),
 * structured-cloned: cloning the plans themselves (events, entries, movements as objects) cost more
 * than making them. Stored message bodies do not cross (only interpretation reads them).
 */
import type { Worker } from 'node:worker_threads';
import { CrosswalkError } from '../errors/index.ts';
import type { Applier, BatchPlanner, StaticContext } from './applier.ts';
import { keptForFollowing, type PreparedBatch, type RecordedBatch } from './batch-plan.ts';
import { startThread } from './thread-start.ts';

/** What the planner thread is started with (structured-cloneable). */
export interface PlannerThreadData {
  readonly databaseUrl: string;
  readonly rawKeyRingFile?: string;
  readonly tokenKey: Uint8Array;
  readonly earlierTokenKeys?: readonly Uint8Array[];
  readonly batchSize: number;
}

/** Plan the key's next batch, to be posted `at` (the writing thread's clock decides when books post). */
export type ToPlanner = {
  readonly type: 'plan';
  readonly id: number;
  readonly key: string;
  readonly after: boolean;
  readonly at: string;
  /**
   * The writing thread reloaded its release and master data since the last question (a release was
   * activated, or master data changed: Applier.invalidate): the planner drops what it cached too.
   */
  readonly reload: boolean;
};

export type FromPlanner =
  | { readonly type: 'ready' }
  | { readonly type: 'failed-to-start'; readonly message: string }
  | { readonly type: 'planned'; readonly id: number; readonly batch: SentBatch | null }
  | { readonly type: 'error'; readonly id: number; readonly code: string | null; readonly message: string };

/** A RecordedBatch as it travels: its release by id, its start on the wall clock, bodies left behind. */
export interface SentBatch extends Omit<RecordedBatch, 'base' | 'started'> {
  readonly releaseId: string;
  /** When planning started, as epoch milliseconds (each thread's performance.now() has its own origin). */
  readonly startedAtEpochMs: number;
}

const NO_BODY = Buffer.alloc(0);

export function toSent(p: RecordedBatch): SentBatch {
  const { base, started, messages, ...rest } = p;
  return {
    ...rest,
    releaseId: base.release.id,
    startedAtEpochMs: performance.timeOrigin + started,
    messages: messages.map((m) => ({ ...m, raw: NO_BODY })),
  };
}

/** The batch as the writing thread's own, or 'other-release' when it was planned under another release. */
export function fromSent(s: SentBatch, base: StaticContext): RecordedBatch | 'other-release' {
  if (s.releaseId !== base.release.id) return 'other-release';
  const { releaseId: _, startedAtEpochMs, ...rest } = s;
  return { ...rest, base, started: startedAtEpochMs - performance.timeOrigin };
}

/**
 * Plans batches one after another and hands each over recorded (Applier.recordBatch), remembering of
 * the last only what planning the next one reads (`keptForFollowing`), so "plan after" needs nothing
 * but the question. What the planner thread runs; after a failure the next batch is planned afresh.
 */
export class SuccessivePlanner {
  private last: PreparedBatch | null = null;

  constructor(private readonly applier: Applier) {}

  /**
   * The key's next batch, after the last one handed over when `after` (and it was the same key's); null
   * when there is nothing to plan, or no release (`base` null) to plan under.
   */
  async next(
    key: string,
    after: boolean,
    base: StaticContext | null,
    at: string,
  ): Promise<RecordedBatch | null> {
    const previous = after && this.last?.key === key ? this.last : undefined;
    this.last = null;
    if (base === null) return null;
    // Forgotten above: a batch that fails to plan or record leaves none to follow.
    const planned = await this.applier.prepareBatch(key, base, previous, at);
    const recorded = planned ? await this.applier.recordBatch(planned) : null;
    this.last = planned ? keptForFollowing(planned) : null;
    return recorded;
  }

  /** After a failure outside `next`: the next batch is planned afresh. */
  forget(): void {
    this.last = null;
  }
}

/** A young generation that lets a batch's plans die young, as on the apply thread (see thread.ts). */
const PLANNER_YOUNG_GENERATION_MB = 96;

/** The planner thread, as the writing Applier's BatchPlanner. */
export class PlannerThread implements BatchPlanner {
  private readonly waiting = new Map<
    number,
    { resolve: (b: SentBatch | null) => void; reject: (e: Error) => void }
  >();
  private next = 1;
  private gone: Error | null = null;
  /** The writing Applier's context at the last question: another one means it was reloaded. */
  private lastBase: StaticContext | null = null;

  private constructor(private readonly worker: Worker) {}

  static async start(data: PlannerThreadData): Promise<PlannerThread> {
    let thread: PlannerThread | undefined;
    const worker = await startThread<FromPlanner>({
      name: 'planner thread',
      entry: './planner-main.ts',
      workerData: data,
      youngGenerationMb: PLANNER_YOUNG_GENERATION_MB,
      onMessage: (m) => thread?.receive(m),
      onExit: (code) => thread?.fail(`planner thread exited with ${code}`),
      onError: (e) => thread?.fail(`planner thread: ${e.message}`),
    });
    thread = new PlannerThread(worker);
    return thread;
  }

  private receive(m: FromPlanner): void {
    if (m.type !== 'planned' && m.type !== 'error') return;
    const w = this.waiting.get(m.id);
    this.waiting.delete(m.id);
    if (m.type === 'planned') w?.resolve(m.batch);
    else w?.reject(new CrosswalkError('CW_ERR_APPLY_INTERNAL', { reason: `planner thread: ${m.message}` }));
  }

  private fail(reason: string): void {
    this.gone ??= new CrosswalkError('CW_ERR_APPLY_INTERNAL', { reason });
    for (const w of this.waiting.values()) w.reject(this.gone);
    this.waiting.clear();
  }

  async plan(
    key: string,
    after: boolean,
    base: StaticContext,
    at: string,
  ): Promise<RecordedBatch | null | 'other-release'> {
    if (this.gone) throw this.gone;
    const id = this.next++;
    const reload = this.lastBase !== null && this.lastBase !== base;
    this.lastBase = base;
    const sent = await new Promise<SentBatch | null>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ type: 'plan', id, key, after, at, reload } satisfies ToPlanner);
    });
    return sent === null ? null : fromSent(sent, base);
  }

  async stop(): Promise<void> {
    this.fail('planner thread stopped');
    await this.worker.terminate();
  }
}
