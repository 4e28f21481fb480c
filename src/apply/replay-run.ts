import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { CrosswalkError } from '../errors/index.ts';
import type { SqlExecutor, Store } from '../store/index.ts';
import { listPeriods, loadRelease } from '../store/posting-repository.ts';
import {
  postedEntriesById,
  postedFactsFor,
  processedIdRange,
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

/**
 * Message ids a page is read and diffed in at a time. A window's messages and posted facts (about 7 KB
 * a message, most of it event text) are alive while it is diffed, and whatever is alive when the young
 * generation fills is copied, once or twice, then promoted: a window of 100 is mostly gone by then
 * where one of 1,000 was copied whole, which had the scavenges cost some 20 µs a message.
 */
export const REPLAY_WINDOW = 100;

/**
 * Replays one page, window by window (`REPLAY_WINDOW`), merged as pages are (the same report as the
 * page diffed at once); the entries a correction would post are kept only when asked (they can be many).
 */
export async function replayPage(
  db: SqlExecutor,
  ctx: ApplyContext,
  page: ReplayPage,
  keepEntries: boolean,
  window = REPLAY_WINDOW,
): Promise<ReplayReport> {
  const windows: ReplayReport[] = [];
  const step = BigInt(Math.max(1, Math.floor(window)));
  for (let firstId = page.firstId; firstId <= page.lastId; firstId += step) {
    const lastId = firstId + step - 1n < page.lastId ? firstId + step - 1n : page.lastId;
    const messages = await processedMessagesIn(db, page.from, page.to, firstId, lastId);
    const posted = await postedFactsFor(db, firstId, lastId);
    const report = replayDiff(messages, ctx, posted, ctx.periods);
    windows.push(keepEntries ? report : { ...report, candidateEntries: [], supersededEntryIds: [] });
  }
  return windows.length === 1 ? windows[0]! : mergeReplayReports(windows, ctx.release.id);
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
  /**
   * Threads that replay, this one included (0 or 1: this one alone). Default: one per core, at most 4.
   */
  readonly threads?: number;
  /** Message ids per page (default 1,000: a thread left without a page waits at most one page at the end). */
  readonly pageSize?: number;
  /** Keep the entries a correction would post (for `--apply`). */
  readonly keepEntries?: boolean;
  /**
   * Whether this thread replays pages too (default true). False leaves every page to the other threads,
   * which a short range otherwise never reaches: this thread is done before they have loaded.
   */
  readonly replayHere?: boolean;
  readonly onProgress?: (messages: number) => void;
}

/**
 * The pages of a replay: the id range of the window's processed messages cut into `pageSize` ids each,
 * numbered from 0, so every thread can tell page k's bounds from k alone.
 */
export interface ReplayPlan {
  readonly from: string;
  readonly to: string;
  readonly firstId: bigint;
  readonly lastId: bigint;
  readonly pageSize: number;
  readonly pages: number;
}

export function pageOf(plan: ReplayPlan, k: number): ReplayPage {
  const firstId = plan.firstId + BigInt(k) * BigInt(plan.pageSize);
  const end = firstId + BigInt(plan.pageSize) - 1n;
  return { from: plan.from, to: plan.to, firstId, lastId: end < plan.lastId ? end : plan.lastId };
}

/**
 * Pages are claimed from a counter shared by every replaying thread (Atomics on a SharedArrayBuffer):
 * a thread takes the next page when it is free, with no round trip through this thread, so no thread
 * waits for work while another holds it and a thread still starting simply claims later.
 */
export async function replayClaimedPages(
  db: SqlExecutor,
  ctx: ApplyContext,
  plan: ReplayPlan,
  next: Int32Array,
  keepEntries: boolean,
  onReport: (page: number, report: ReplayReport) => void,
  between: () => Promise<void> = async () => undefined,
): Promise<void> {
  for (;;) {
    const k = Atomics.add(next, 0, 1);
    if (k >= plan.pages) return;
    onReport(k, await replayPage(db, ctx, pageOf(plan, k), keepEntries));
    await between();
  }
}

/**
 * Replays a range of stored messages under a release and reports the difference against the books,
 * page by page so memory stays bounded however long the range. Pages are independent (stock is valued
 * at what the posted movements said, never re-run), so this thread and `threads − 1` replay threads,
 * each with its own connection, claim them in turn; their reports are merged in message order. This
 * thread starts on the first pages at once while the other threads load (about half a second each).
 */
export async function runReplay(options: ReplayRunOptions): Promise<ReplayReport> {
  const pageSize = Math.max(1, Math.floor(options.pageSize ?? 1000));
  const inMemory = options.databaseUrl === ':memory:' || options.databaseUrl.includes('mode=memory');
  const threads = inMemory ? 1 : (options.threads ?? Math.min(4, availableParallelism()));
  const keepEntries = options.keepEntries ?? false;
  const bounds = await processedIdRange(options.store, options.from, options.to);
  if (bounds === null) return mergeReplayReports([], options.releaseId);
  const plan: ReplayPlan = {
    from: options.from,
    to: options.to,
    firstId: bounds.firstId,
    lastId: bounds.lastId,
    pageSize,
    pages: Number((bounds.lastId - bounds.firstId) / BigInt(pageSize)) + 1,
  };
  const next = new Int32Array(new SharedArrayBuffer(4));
  const reports: ReplayReport[] = new Array(plan.pages);
  let reported = 0;
  let done = 0;
  let allReported: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    allReported = resolve;
  });
  const onReport = (k: number, r: ReplayReport) => {
    reports[k] = r;
    done += r.messages;
    options.onProgress?.(done);
    if (++reported === plan.pages) allReported();
  };
  // One page is this thread's alone: another would still be loading when it is done.
  const helpers =
    threads > 1 && plan.pages > 1
      ? ReplayThreads.start(threads - 1, options, plan, next, keepEntries, onReport)
      : null;
  let mine: Promise<void> = Promise.resolve();
  try {
    const ctx = await replayContext(options.store, options.releaseId, options.tokenKey, options.at);
    // Between pages this thread lets the other threads' reports in (they arrive as events).
    const yieldToEvents = () => new Promise<void>((resolve) => setImmediate(resolve));
    if (helpers === null || options.replayHere !== false)
      mine = replayClaimedPages(
        options.store,
        ctx,
        plan,
        next,
        keepEntries,
        onReport,
        helpers ? yieldToEvents : undefined,
      );
    const failed = helpers?.failed ?? new Promise<never>(() => undefined);
    await Promise.race([mine, failed]);
    // This thread claims no more pages: the others finish the ones they hold.
    await Promise.race([finished, failed]);
  } catch (e) {
    // No thread claims another page; the page this thread holds ends before the failure is passed on.
    Atomics.store(next, 0, plan.pages);
    await mine.catch(() => undefined);
    throw e;
  } finally {
    await helpers?.close();
  }
  const merged = mergeReplayReports(reports, options.releaseId);
  // The superseded entries are named by the pages and read whole once, here, for the correction.
  return keepEntries ? withSupersededEntries(options.store, merged) : merged;
}

export interface ReplayThreadData {
  readonly entry: string;
  readonly databaseUrl: string;
  readonly rawKeyRingFile?: string;
  readonly releaseId: string;
  readonly tokenKey: Uint8Array;
  readonly at: string;
  readonly plan: ReplayPlan;
  /** The page counter (an Int32Array over a SharedArrayBuffer) every replaying thread claims from. */
  readonly next: Int32Array;
  readonly keepEntries: boolean;
}

export type FromReplayThread =
  | { readonly type: 'ready' }
  | { readonly type: 'report'; readonly page: number; readonly report: ReplayReport }
  /** After its last report: a thread that exits without saying so lost pages it had claimed. */
  | { readonly type: 'done' }
  | { readonly type: 'error'; readonly code: string | null; readonly message: string };

/** The replay threads besides this one; `failed` rejects when one of them does. */
class ReplayThreads {
  private readonly ready = new Set<Worker>();
  private readonly done = new Set<Worker>();
  private readonly exits: Promise<void>[];
  readonly failed: Promise<never>;

  private constructor(
    private readonly workers: Worker[],
    onReport: (page: number, report: ReplayReport) => void,
    next: Int32Array,
    pages: number,
  ) {
    this.exits = workers.map((w) => new Promise<void>((resolve) => w.once('exit', () => resolve())));
    this.failed = new Promise<never>((_, reject) => {
      const fail = (e: Error) => {
        // No thread claims another page: the replay has failed.
        Atomics.store(next, 0, pages);
        reject(e);
      };
      for (const w of workers) {
        w.on('message', (m: FromReplayThread) => {
          if (m.type === 'ready') this.ready.add(w);
          else if (m.type === 'report') onReport(m.page, m.report);
          else if (m.type === 'done') this.done.add(w);
          else
            fail(
              new CrosswalkError(m.code && isCode(m.code) ? m.code : 'CW_ERR_APPLY_INTERNAL', {
                reason: `replay thread: ${m.message}`,
              }),
            );
        });
        w.on('error', fail);
        w.on('exit', (code) => {
          if (!this.done.has(w) && !this.closing)
            fail(new CrosswalkError('CW_ERR_APPLY_INTERNAL', { reason: `replay thread exited ${code}` }));
        });
      }
    });
    // Nothing may be left unhandled when this thread finished first or failed on its own.
    this.failed.catch(() => undefined);
  }

  private closing = false;

  static start(
    n: number,
    o: ReplayRunOptions,
    plan: ReplayPlan,
    next: Int32Array,
    keepEntries: boolean,
    onReport: (page: number, report: ReplayReport) => void,
  ): ReplayThreads {
    const data: ReplayThreadData = {
      entry: './replay-thread-main.ts',
      databaseUrl: o.databaseUrl,
      ...(o.store.rawCipher.file ? { rawKeyRingFile: o.store.rawCipher.file } : {}),
      releaseId: o.releaseId,
      tokenKey: o.tokenKey,
      at: o.at,
      plan,
      next,
      keepEntries,
    };
    // A page's messages and posted facts (several MB) stay alive while it is diffed; a young generation
    // of 64 MB semi-spaces copies them in a quarter of the scavenges the default makes.
    const workers = Array.from(
      { length: n },
      () =>
        new Worker(new URL('./thread-entry.mjs', import.meta.url), {
          workerData: data,
          resourceLimits: { maxYoungGenerationSizeMb: 192 },
        }),
    );
    return new ReplayThreads(workers, onReport, next, plan.pages);
  }

  /**
   * Once every page is reported (or the replay failed): a thread that is replaying finds no page left
   * and closes its connection itself; one still loading is stopped, as it holds nothing yet.
   */
  async close(): Promise<void> {
    this.closing = true;
    for (const w of this.workers) if (!this.ready.has(w)) void w.terminate();
    await Promise.all(this.exits);
  }
}

function isCode(code: string): code is ConstructorParameters<typeof CrosswalkError>[0] {
  return code.startsWith('CW_ERR_');
}
