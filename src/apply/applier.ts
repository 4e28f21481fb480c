import { CrosswalkError } from '../errors/index.ts';
import { sameRegistry } from '../governance/index.ts';
import { buildCatalog } from '../inventory/index.ts';
import { createLedgerContext } from '../ledger/index.ts';
import type { MappingRelease } from '../mapping/index.ts';
import { crashPoint } from '../observe/crash-points.ts';
import {
  batchExceptionsOf,
  saveBatch,
  saveBatchEffects,
  saveBatchExceptions,
} from '../store/batch-writes.ts';
import type { SqlExecutor, Store } from '../store/index.ts';
import { loadInventoryState } from '../store/inventory-repository.ts';
import { readMasterData } from '../store/master-data.ts';
import { loadOwnership } from '../store/ownership-repository.ts';
import {
  activeReleaseId,
  listPeriods,
  loadEncounters,
  loadRelease,
  nextMessages,
  orderingKeys,
  readCursor,
  takeCursor,
} from '../store/posting-repository.ts';
import { recordingExecutor, replayStatements } from '../store/recording.ts';
import {
  countsOf,
  encountersLeftBy,
  leftBy,
  type PreparedBatch,
  planBatch,
  type RecordedBatch,
  sameEncounters,
  sameInventory,
  samePeriods,
} from './batch-plan.ts';
import {
  type ApplyContext,
  type Interpretation,
  interpretStored,
  type StoredMessage,
  touchedBy,
} from './plan.ts';
import { rulesFromRelease } from './rules.ts';
import { encounterTokenAliases, linkToEarlierTokens } from './token-link.ts';

export interface ApplierOptions {
  readonly store: Store;
  /** HMAC key for patient/encounter tokens (at least 16 bytes). */
  readonly tokenKey: Uint8Array;
  /** Earlier keys of the token ring, newest first (see token-link.ts). */
  readonly earlierTokenKeys?: readonly Uint8Array[];
  readonly clock?: () => Date;
  /** Messages applied per transaction. */
  readonly batchSize?: number;
  /** How often to look for work when nobody called notify() (other processes' messages, PostgreSQL). */
  readonly pollMs?: number;
  /** How long a woken loop waits for more messages before it starts a batch (default 50 ms). */
  readonly gatherMs?: number;
  readonly onBatch?: (stats: BatchStats) => void;
  readonly onError?: (error: unknown) => void;
  /**
   * Plans batches on another thread while this one writes (SQLite, where the driver holds the thread
   * for the whole transaction; see planner-thread.ts). Without it, or when it fails, batches are planned
   * and written one after the other here.
   */
  readonly planner?: BatchPlanner;
}

/**
 * Plans a key's batches somewhere else, from a connection of its own: the first from the key's cursor,
 * each later one after the batch it gave before (which the caller is writing meanwhile), as prepareBatch
 * does with `after`. What it returns is checked by the write like any plan: nothing it says is trusted.
 */
export interface BatchPlanner {
  /**
   * Null: nothing to do. 'other-release': planned under a release other than `base`'s (an activation in
   * between). `at` is when the batch posts: the writing side's clock decides.
   */
  plan(
    key: string,
    after: boolean,
    base: StaticContext,
    at: string,
  ): Promise<RecordedBatch | null | 'other-release'>;
}

export interface BatchStats {
  readonly orderingKey: string;
  readonly messages: number;
  readonly applied: number;
  readonly failed: number;
  readonly skipped: number;
  readonly events: number;
  readonly entries: number;
  /**
   * The state the batch was planned on had moved by the time its transaction held it (another key's
   * batch, or the batch it was planned after did not commit as planned): it was planned again inside.
   */
  readonly replanned: boolean;
  readonly seconds: number;
}

/**
 * Links the events of a batch to encounters known under an earlier token key (token-link.ts). Reads
 * outside the write transaction are enough: an earlier token never gets a new encounter row after the
 * rotation (only current-key tokens do), so what it finds cannot change under the batch.
 */
export async function linkEarlierTokens(
  db: SqlExecutor,
  messages: readonly StoredMessage[],
  interpretations: readonly Interpretation[],
  ctx: ApplyContext,
): Promise<Interpretation[]> {
  if ((ctx.earlierTokenKeys?.length ?? 0) === 0) return [...interpretations];
  const aliases = messages.map((m, i) => encounterTokenAliases(m, interpretations[i]!, ctx));
  const tokens = new Set<string>();
  for (const a of aliases)
    for (const [now, then] of a) {
      tokens.add(now);
      for (const t of then) tokens.add(t);
    }
  if (tokens.size === 0) return [...interpretations];
  const known = new Set((await loadEncounters(db, [...tokens])).keys());
  return interpretations.map((x, i) => linkToEarlierTokens(x, aliases[i]!, known));
}

export type StaticContext = Omit<ApplyContext, 'postedAt' | 'periods'>;

/** What applying (or replaying) with `release` needs besides the clock and periods: master data, rules. */
export async function staticContextFor(
  store: Store,
  release: MappingRelease,
  tokenKey: Uint8Array,
  earlierTokenKeys: readonly Uint8Array[] = [],
): Promise<StaticContext> {
  const md = await readMasterData(store, [
    'entities',
    'accounts',
    'costCenters',
    'intercompanyRelationships',
    'items',
    'itemUoms',
    'parLocations',
  ]);
  return {
    release,
    tokenKey,
    ...(earlierTokenKeys.length > 0 ? { earlierTokenKeys } : {}),
    ledger: createLedgerContext({
      entities: md.entities,
      accounts: md.accounts,
      costCenters: md.costCenters,
      intercompany: md.intercompanyRelationships,
    }),
    rules: rulesFromRelease(release),
    catalog: buildCatalog(md.items, md.itemUoms),
    items: new Map(
      md.items.map((i) => [
        i.code,
        {
          category: i.category,
          vendorCode: i.vendorCode,
          unitCost: i.unitCost,
          currency: i.currency,
          billOnly: i.billOnly,
        },
      ]),
    ),
    parCostCenters: new Map(md.parLocations.map((p) => [p.code, p.costCenterCode])),
    ownership: await loadOwnership(store),
  };
}

/**
 * The apply stage: takes stored messages of each ordering key in arrival order, interprets them with
 * the active mapping release and applies their events to inventory and the ledger, one transaction per
 * batch that also moves the key's cursor. A process can die anywhere: the transaction either happened
 * (cursor moved, effects written) or did not (nothing written), so nothing is lost or applied twice.
 */
export class Applier {
  private readonly store: Store;
  private readonly clock: () => Date;
  private readonly batchSize: number;
  private readonly pollMs: number;
  private readonly gatherMs: number;
  private context: StaticContext | undefined;
  private contextReleaseId: string | undefined;
  private wakeRequested = false;
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private plannerFailed = false;

  constructor(private readonly options: ApplierOptions) {
    this.store = options.store;
    this.clock = options.clock ?? (() => new Date());
    this.batchSize = options.batchSize ?? 500;
    this.pollMs = options.pollMs ?? 1000;
    this.gatherMs = options.gatherMs ?? 50;
    if (options.tokenKey.length < 16) {
      throw new CrosswalkError('CW_ERR_CONFIG_INVALID', {
        setting: 'CROSSWALK_TOKEN_KEY',
        reason: 'must be at least 16 bytes',
      });
    }
  }

  /** Drops cached master data and release (after a release is activated or master data changes). */
  invalidate(): void {
    this.context = undefined;
    this.contextReleaseId = undefined;
  }

  /** The active release with the master data it is applied with; null before any release is active. */
  async staticContext(): Promise<StaticContext | null> {
    const releaseId = await activeReleaseId(this.store);
    if (releaseId === null) return null;
    if (this.context && this.contextReleaseId === releaseId) return this.context;
    const release = await loadRelease(this.store, releaseId);
    if (!release) return null;
    this.context = await staticContextFor(
      this.store,
      release,
      this.options.tokenKey,
      this.options.earlierTokenKeys,
    );
    this.contextReleaseId = releaseId;
    return this.context;
  }

  /**
   * Applies one batch of one ordering key; returns how many messages it took (0: nothing to do).
   *
   * The work is done before the write lock is taken: the messages, the stock positions and encounters
   * they touch and the periods are read, interpreted and planned outside any transaction. The write
   * transaction then re-reads what the plan depended on (the key's cursor, the active release, the
   * periods, the touched positions, serials and encounters — locked on PostgreSQL) and writes only if
   * nothing moved in between; otherwise it plans again inside the transaction, on what it now holds.
   * Either way the effects are those of planning against the state they are written over, and the lock
   * is held for the writes alone, so the inbox's commits (and their ACKs) do not wait for interpretation.
   */
  async applyBatch(key: string): Promise<number> {
    const base = await this.staticContext();
    if (!base) return 0;
    const prepared = await this.prepareBatch(key, base);
    return prepared ? this.writeBatch(prepared) : 0;
  }

  /**
   * Reads, interprets and plans the key's next batch outside any transaction, to be posted `at`. With
   * `after` (a batch being written right now, not yet committed) it plans the batch that follows it: from
   * its last message on, on the stock and encounters it will leave. Nothing here is trusted by the write: a batch
   * `after` that does not commit as planned is caught by writeBatch's checks (cursor, held state), which
   * refuse or re-plan.
   */
  async prepareBatch(
    key: string,
    base: StaticContext,
    after?: PreparedBatch,
    at = this.clock().toISOString(),
  ): Promise<PreparedBatch | null> {
    const started = performance.now();
    const cursor = after ? after.messages.at(-1)!.id : await readCursor(this.store, key);
    const messages = await nextMessages(this.store, key, cursor, this.batchSize);
    if (messages.length === 0) return null;
    const periods = await listPeriods(this.store);
    // Read every batch, like the periods: a change of ownership takes effect without a restart.
    const ownership = await loadOwnership(this.store);
    const ctx: ApplyContext = { ...base, ownership, periods, postedAt: at };
    const interpretations = await linkEarlierTokens(
      this.store,
      messages,
      messages.map((m) => interpretStored(m, ctx)),
      ctx,
    );
    const touched = touchedBy(interpretations);
    let snapshot = await loadInventoryState(this.store, touched, { forUpdate: false });
    let seenEncounters = await loadEncounters(this.store, touched.encounterTokens);
    if (after) {
      snapshot = leftBy(snapshot, after.planned.state, touched);
      seenEncounters = encountersLeftBy(seenEncounters, after.planned.plans, touched.encounterTokens);
    }
    const planned = planBatch(messages, interpretations, snapshot, seenEncounters, ctx);
    return {
      key,
      base,
      at,
      started,
      cursor,
      messages,
      periods,
      ownership,
      interpretations,
      touched,
      snapshot,
      seenEncounters,
      planned,
    };
  }

  /**
   * The batch's writes built where it was planned: its effects as recorded statements and what its
   * work items need, without the plans themselves (which cost more to hand between threads than to make).
   */
  async recordBatch(p: PreparedBatch): Promise<RecordedBatch> {
    const { interpretations: _, planned, ...rest } = p;
    const { tx, statements } = recordingExecutor(this.store);
    await saveBatchEffects(tx, p.key, planned.plans, planned.state, p.base.release.id, p.at);
    return {
      ...rest,
      recorded: {
        effects: statements,
        exceptions: batchExceptionsOf(planned.plans),
        counts: countsOf(planned.plans),
      },
    };
  }

  /**
   * The transaction of a prepared batch (see applyBatch); the messages it took, 0 if it wrote nothing.
   * A recorded batch whose state moved is not planned again here (it carries no plans): it writes
   * nothing, and the caller plans the key again.
   */
  async writeBatch(p: PreparedBatch | RecordedBatch): Promise<number> {
    const { key, base, at, cursor, messages, touched } = p;
    let planned = 'planned' in p ? p.planned : null;
    let replanned = false;
    let stats: BatchStats | undefined;
    const taken = await this.store.transaction(async (tx) => {
      const now = await takeCursor(tx, key, at);
      // Another process took these messages (PostgreSQL), or holds the key right now, or the batch this one
      // was planned after did not commit: nothing to do here.
      if (now === null || now !== cursor) return 0;
      if ((await activeReleaseId(tx)) !== base.release.id) {
        this.invalidate();
        return 0;
      }
      const held = await loadInventoryState(tx, touched);
      const heldEncounters = await loadEncounters(tx, touched.encounterTokens);
      const heldPeriods = await listPeriods(tx);
      const heldOwnership = await loadOwnership(tx);
      if (
        !sameInventory(p.snapshot, held) ||
        !sameEncounters(p.seenEncounters, heldEncounters) ||
        !samePeriods(p.periods, heldPeriods) ||
        !sameRegistry(p.ownership, heldOwnership)
      ) {
        if (!('interpretations' in p)) return 0;
        const again: ApplyContext = { ...base, ownership: heldOwnership, periods: heldPeriods, postedAt: at };
        planned = planBatch(messages, p.interpretations, held, heldEncounters, again);
        replanned = true;
      }
      if (planned) {
        await saveBatch(tx, key, planned.plans, planned.state, base.release.id, at);
        stats = { orderingKey: key, ...countsOf(planned.plans), replanned, seconds: 0 };
      } else if ('recorded' in p) {
        await replayStatements(tx, p.recorded.effects);
        await saveBatchExceptions(tx, key, p.recorded.exceptions, base.release.id, at);
        stats = { orderingKey: key, ...p.recorded.counts, replanned, seconds: 0 };
      }
      return messages.length;
    });
    if (stats) crashPoint('apply-committed');
    if (stats) this.options.onBatch?.({ ...stats, seconds: (performance.now() - p.started) / 1000 });
    return taken;
  }

  /** Applies everything waiting, key by key, until no key has work. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      let round = 0;
      for (const key of await orderingKeys(this.store)) {
        round +=
          this.options.planner && !this.plannerFailed
            ? await this.drainPlanned(key, this.options.planner)
            : this.store.capabilities.concurrentWriters
              ? await this.drainAhead(key)
              : await this.drainKey(key);
      }
      total += round;
      if (round === 0) return total;
    }
  }

  private async drainKey(key: string): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.applyBatch(key);
      total += n;
      if (n < this.batchSize) return total;
    }
  }

  /**
   * A key's batches with the next one planned while the one before it is written (PostgreSQL): the
   * server executes a batch's statements while this thread interprets and plans the next, where one
   * after the other left each side idle half the time. SQLite's driver blocks the thread for the whole
   * transaction, so there it would gain nothing (drainKey).
   */
  private async drainAhead(key: string): Promise<number> {
    const base = await this.staticContext();
    if (!base) return 0;
    let total = 0;
    let next = await this.prepareBatch(key, base);
    while (next) {
      const current = next;
      const full = current.messages.length === this.batchSize;
      const [written, following] = await Promise.allSettled([
        this.writeBatch(current),
        full ? this.prepareBatch(key, base, current) : Promise.resolve(null),
      ]);
      if (written.status === 'rejected') throw written.reason;
      total += written.value;
      // Planned on a batch that did not commit whole: start again from what the database holds.
      if (written.value < current.messages.length) return total;
      if (following.status === 'rejected') throw following.reason;
      next = following.value;
    }
    return total;
  }

  /**
   * drainAhead's scheme with the planning on another thread (SQLite): the planner works on batch n+1,
   * after batch n, while this thread writes batch n. A planner that fails is reported once and not asked
   * again: this Applier then plans its own batches (drainKey), losing speed, not work.
   */
  private async drainPlanned(key: string, planner: BatchPlanner): Promise<number> {
    const base = await this.staticContext();
    if (!base) return 0;
    const ask = (after: boolean) =>
      planner.plan(key, after, base, this.clock().toISOString()).catch((e: unknown) => {
        this.plannerFailed = true;
        this.options.onError?.(e);
        return null;
      });
    let total = 0;
    let next = await ask(false);
    while (next && next !== 'other-release') {
      const current = next;
      const following = current.messages.length === this.batchSize ? ask(true) : Promise.resolve(null);
      let written: number;
      try {
        written = await this.writeBatch(current);
      } finally {
        // The planner's answer is awaited even when the write failed, so no question is left open.
        next = await following;
      }
      total += written;
      // Planned after a batch that did not commit whole, or on state that moved: plan here from what the
      // database holds, then go on with the planner.
      if (written < current.messages.length) {
        const own = await this.applyBatch(key);
        total += own;
        if (own < this.batchSize) return total;
        next = await ask(false);
      }
    }
    // Without a planner, or with a plan from another release: the rest of the key, planned here.
    return this.plannerFailed || next === 'other-release' ? total + (await this.drainKey(key)) : total;
  }

  /** Runs in the background: after every notify() (new messages committed) and every pollMs. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const tick = () => {
      if (this.stopped) return;
      this.notify();
      this.timer = setTimeout(tick, this.pollMs);
      this.timer.unref();
    };
    tick();
  }

  notify(): void {
    if (this.stopped) return;
    if (this.running) {
      this.wakeRequested = true;
      return;
    }
    this.running = (async () => {
      // A short pause lets the messages of several ingest commits arrive, so a batch carries hundreds
      // of messages rather than one commit's worth: the per-batch work (cursor, periods, state) is
      // then shared, and ingest gets the database between batches.
      if (this.gatherMs > 0) await new Promise((r) => setTimeout(r, this.gatherMs));
      do {
        this.wakeRequested = false;
        try {
          await this.drain();
        } catch (e) {
          this.options.onError?.(e);
        }
      } while (this.wakeRequested && !this.stopped);
    })().finally(() => {
      this.running = undefined;
    });
  }

  /** Stops the loop after the batch in flight (its transaction commits or rolls back whole). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** Resolves once the loop is idle (for tests and graceful shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }
}
