import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { CrosswalkError } from '../errors/index.ts';
import type { SqlExecutor, Store } from '../store/index.ts';
import { listPeriods, loadRelease } from '../store/posting-repository.ts';
import {
  postedEntriesById,
  postedFactsFor,
  processedMessageIds,
  processedMessagesIn,
} from '../store/replay-repository.ts';
import { staticContextFor } from './applier.ts';
import type { ApplyContext } from './plan.ts';
import { mergeReplayReports, type ReplayReport, replayDiff } from './replay.ts';

/** One page of a replay: the processed messages received in [from, to) with ids in [firstId, lastId]. */
export interface ReplayPage {
  readonly from: string;
  readonly to: string;
  readonly firstId: bigint;
  readonly lastId: bigint;
}

/** The context a replay under `releaseId` derives with, read from the store. */
export async function replayContext(
  db: Store,
  releaseId: string,
  tokenKey: Uint8Array,
  at: string,
): Promise<ApplyContext> {
  const release = await loadRelease(db, releaseId);
  if (!release) throw new CrosswalkError('CW_ERR_CLI_USAGE', { reason: `no release ${releaseId}` });
  const periods = await listPeriods(db);
  return { ...(await staticContextFor(db, release, tokenKey)), periods, postedAt: at };
}

/** Replays one page; the entries a correction would post are kept only when asked (they can be many). */
export async function replayPage(
  db: SqlExecutor,
  ctx: ApplyContext,
  page: ReplayPage,
  keepEntries: boolean,
): Promise<ReplayReport> {
  const messages = await processedMessagesIn(db, page.from, page.to, page.firstId, page.lastId);
  const posted = await postedFactsFor(db, page.firstId, page.lastId);
  const report = replayDiff(messages, ctx, posted, ctx.periods);
  return keepEntries ? report : { ...report, candidateEntries: [], supersededEntryIds: [] };
}

/** The report with the posted entries it supersedes read whole from the books (what --apply reverses). */
export async function withSupersededEntries(db: SqlExecutor, report: ReplayReport): Promise<ReplayReport> {
  return { ...report, supersededEntries: await postedEntriesById(db, report.supersededEntryIds) };
}

export interface ReplayRunOptions {
  readonly store: Store;
  /** The same database, for the replay threads' own connections. */
  readonly databaseUrl: string;
  readonly releaseId: string;
  readonly tokenKey: Uint8Array;
  readonly from: string;
  readonly to: string;
  /** The clock of derived entries (postedAt). */
  readonly at: string;
  /** Replay threads; 0 replays on this thread. Default: one per core, at most 4. */
  readonly threads?: number;
  /** Messages per page (default 2,000). */
  readonly pageSize?: number;
  /** Keep the entries a correction would post (for `--apply`). */
  readonly keepEntries?: boolean;
  readonly onProgress?: (messages: number) => void;
}

/**
 * Replays a range of stored messages under a release and reports the difference against the books,
 * page by page so memory stays bounded however long the range. Pages are independent (stock is valued
 * at what the posted movements said, never re-run), so they are spread over threads, each with its
 * own connection, and their reports merged in message order.
 */
export async function runReplay(options: ReplayRunOptions): Promise<ReplayReport> {
  const pageSize = options.pageSize ?? 2000;
  const inMemory = options.databaseUrl === ':memory:' || options.databaseUrl.includes('mode=memory');
  const threads = inMemory ? 0 : (options.threads ?? Math.min(4, availableParallelism()));
  const keepEntries = options.keepEntries ?? false;
  const pool =
    threads > 0 ? await ReplayPool.start(threads, options) : await InThread.start(options, keepEntries);
  const reports: ReplayReport[] = [];
  let done = 0;
  try {
    const pending = new Map<number, Promise<void>>();
    let afterId = 0n;
    let index = 0;
    for (;;) {
      const ids = await processedMessageIds(options.store, options.from, options.to, afterId, pageSize);
      if (ids.length === 0) break;
      const page: ReplayPage = { from: options.from, to: options.to, firstId: ids[0]!, lastId: ids.at(-1)! };
      afterId = page.lastId;
      const slot = index++;
      pending.set(
        slot,
        pool.replay(page, keepEntries).then((r) => {
          reports[slot] = r;
          done += r.messages;
          options.onProgress?.(done);
          pending.delete(slot);
        }),
      );
      // Two pages per thread in flight: threads never wait for work, and memory stays bounded.
      if (pending.size >= Math.max(2, threads * 2)) await Promise.race(pending.values());
    }
    await Promise.all(pending.values());
  } finally {
    await pool.close();
  }
  const merged = mergeReplayReports(reports, options.releaseId);
  // The superseded entries are named by the pages and read whole once, here, for the correction.
  return keepEntries ? withSupersededEntries(options.store, merged) : merged;
}

interface Pool {
  replay(page: ReplayPage, keepEntries: boolean): Promise<ReplayReport>;
  close(): Promise<void>;
}

class InThread implements Pool {
  private constructor(
    private readonly store: Store,
    private readonly ctx: ApplyContext,
  ) {}

  static async start(o: ReplayRunOptions, _keep: boolean): Promise<InThread> {
    return new InThread(o.store, await replayContext(o.store, o.releaseId, o.tokenKey, o.at));
  }

  replay(page: ReplayPage, keepEntries: boolean): Promise<ReplayReport> {
    return replayPage(this.store, this.ctx, page, keepEntries);
  }

  async close(): Promise<void> {}
}

export interface ReplayThreadData {
  readonly entry: string;
  readonly databaseUrl: string;
  readonly rawKeyRingFile?: string;
  readonly releaseId: string;
  readonly tokenKey: Uint8Array;
  readonly at: string;
}

export type ToReplayThread =
  | { readonly type: 'page'; readonly id: number; readonly page: ReplayPage; readonly keepEntries: boolean }
  | { readonly type: 'stop' };

export type FromReplayThread =
  | { readonly type: 'ready' }
  | { readonly type: 'report'; readonly id: number; readonly report: ReplayReport }
  | {
      readonly type: 'error';
      readonly id: number | null;
      readonly code: string | null;
      readonly message: string;
    };

class ReplayPool implements Pool {
  private readonly waiting = new Map<
    number,
    { resolve: (r: ReplayReport) => void; reject: (e: Error) => void }
  >();
  private readonly load = new Map<Worker, number>();
  private next = 1;

  private constructor(private readonly workers: Worker[]) {
    for (const w of workers) {
      this.load.set(w, 0);
      w.on('message', (m: FromReplayThread) => {
        if (m.type === 'ready') return;
        const id = m.id;
        if (id === null) return;
        this.load.set(w, (this.load.get(w) ?? 1) - 1);
        const waiter = this.waiting.get(id);
        this.waiting.delete(id);
        if (m.type === 'report') waiter?.resolve(m.report);
        else
          waiter?.reject(
            new CrosswalkError(m.code && isCode(m.code) ? m.code : 'CW_ERR_APPLY_INTERNAL', {
              reason: m.message,
            }),
          );
      });
      w.on('error', (e) => this.failAll(e));
    }
  }

  static async start(n: number, o: ReplayRunOptions): Promise<ReplayPool> {
    const data: ReplayThreadData = {
      entry: './replay-thread-main.ts',
      databaseUrl: o.databaseUrl,
      ...(o.store.rawCipher.file ? { rawKeyRingFile: o.store.rawCipher.file } : {}),
      releaseId: o.releaseId,
      tokenKey: o.tokenKey,
      at: o.at,
    };
    const workers = Array.from(
      { length: n },
      () => new Worker(new URL('./thread-entry.mjs', import.meta.url), { workerData: data }),
    );
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            const onMessage = (m: FromReplayThread) => {
              if (m.type === 'ready') {
                w.off('message', onMessage);
                resolve();
              } else if (m.type === 'error') {
                w.off('message', onMessage);
                reject(
                  new CrosswalkError('CW_ERR_APPLY_INTERNAL', { reason: `replay thread: ${m.message}` }),
                );
              }
            };
            w.on('message', onMessage);
            w.once('error', reject);
          }),
      ),
    ).catch(async (e) => {
      await Promise.all(workers.map((w) => w.terminate()));
      throw e;
    });
    return new ReplayPool(workers);
  }

  private failAll(e: Error): void {
    for (const w of this.waiting.values()) w.reject(e);
    this.waiting.clear();
  }

  replay(page: ReplayPage, keepEntries: boolean): Promise<ReplayReport> {
    // The least busy thread takes the page.
    const w = [...this.load].sort((a, b) => a[1] - b[1])[0]![0];
    this.load.set(w, (this.load.get(w) ?? 0) + 1);
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      w.postMessage({ type: 'page', id, page, keepEntries } satisfies ToReplayThread);
    });
  }

  async close(): Promise<void> {
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            w.once('exit', () => resolve());
            w.postMessage({ type: 'stop' } satisfies ToReplayThread);
          }),
      ),
    );
  }
}

function isCode(code: string): code is ConstructorParameters<typeof CrosswalkError>[0] {
  return code.startsWith('CW_ERR_');
}
