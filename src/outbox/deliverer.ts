/**
 * The deliverer: one loop per destination hands its queued documents to the destination's connector, in
 * order per ordering key, one at a time, and records every outcome.
 *
 * Invariants and trade-offs:
 * - Order: a document is sent only when every earlier document of its ordering key at that destination
 *   is delivered (the repository's `headsOf`); a quarantined or failed one holds its key back until a
 *   person settles it. Other keys and other destinations keep flowing.
 * - One process per destination: each loop holds a lease on the destination row (renewed every pass), so
 *   several PostgreSQL workers never deliver to one destination at once and its order holds.
 * - Durable evidence: a delivery is claimed (state `delivering`, attempt counted) and committed before
 *   the call. A claim found at start, or when a lease is taken over, is a call whose outcome nobody saw:
 *   resent when the destination honours idempotency keys, quarantined (an exception) when it does not.
 * - Bounded memory: keys are read as a list, each key's queue a page at a time without payloads, and a
 *   payload is loaded for the one document being sent.
 * - A destination that is down (retry outcome) holds its whole loop until the next attempt is due, rather
 *   than trying every key's head in turn against a receiver that is not there.
 * - Alerts: one when the oldest waiting document gets older than `alertAfterMs` (a warn log line with
 *   CW_ERR_OUTBOX_QUEUEING and an exception), one when the queue is young again (warn log, exception
 *   resolved). A paused destination raises none (someone paused it on purpose), but its metrics show.
 */
import { randomUUID } from 'node:crypto';
import type { Account } from '../ledger/index.ts';
import { DEFAULT_CURRENCIES } from '../ledger/index.ts';
import { minorDigits } from '../mapping/index.ts';
import { crashPoint } from '../observe/crash-points.ts';
import type { Logger, Metrics } from '../observe/index.ts';
import type { Store } from '../store/index.ts';
import { readMasterData } from '../store/master-data.ts';
import {
  type AttemptRecord,
  claimDelivery,
  type DeliveryRow,
  endAlert,
  getDestination,
  headsOf,
  inFlight,
  loadDocument,
  markDelivered,
  markRetry,
  markStuck,
  openKeys,
  queueFigures,
  releaseLease,
  startAlert,
  takeLease,
} from '../store/outbox-repository.ts';
import { nextDelayMs, type RetryPolicy } from './backoff.ts';
import type { Connector, SendResult } from './connector.ts';
import type { RenderChart } from './render.ts';

export interface DelivererOptions {
  readonly store: Store;
  readonly connectors: readonly Connector[];
  readonly retry: RetryPolicy;
  /** Age of the oldest waiting document at which a destination counts as queueing. */
  readonly alertAfterMs: number;
  /** How often an idle loop looks for work when nobody called notify(). */
  readonly pollMs?: number;
  readonly leaseMs?: number;
  /** Deliveries read per key per page. */
  readonly pageSize?: number;
  readonly clock?: () => Date;
  readonly random?: () => number;
  /** Lease owner id (default: a random one per process). */
  readonly owner?: string;
  readonly logger?: Pick<Logger, 'warn' | 'info' | 'error'>;
  readonly metrics?: Metrics;
}

interface Loop {
  readonly connector: Connector;
  holding: boolean;
  holdUntil: number;
  running: Promise<void> | null;
  wake: (() => void) | null;
}

type Outcome = 'delivered' | 'retry' | 'rejected' | 'unknown' | 'quarantined' | 'not-claimed';

export class Deliverer {
  private readonly o: DelivererOptions;
  private readonly owner: string;
  private readonly loops: Loop[];
  private stopping = false;
  private readonly clock: () => Date;
  private readonly gauges;

  constructor(options: DelivererOptions) {
    this.o = options;
    this.owner = options.owner ?? `deliverer-${randomUUID()}`;
    this.clock = options.clock ?? (() => new Date());
    this.loops = options.connectors.map((connector) => ({
      connector,
      holding: false,
      holdUntil: 0,
      running: null,
      wake: null,
    }));
    const m = options.metrics;
    this.gauges = m
      ? {
          depth: m.gauge(
            'crosswalk_outbox_queue_depth',
            'Documents waiting for a destination (not yet delivered).',
            ['destination'],
          ),
          age: m.gauge(
            'crosswalk_outbox_oldest_age_seconds',
            'Age of the oldest document waiting for a destination; 0 when none waits.',
            ['destination'],
          ),
          paused: m.gauge('crosswalk_outbox_paused', '1 when a destination is paused.', ['destination']),
          alerting: m.gauge('crosswalk_outbox_alerting', '1 while a destination is queueing.', [
            'destination',
          ]),
          deliveries: m.counter('crosswalk_outbox_attempts_total', 'Delivery attempts, by outcome.', [
            'destination',
            'outcome',
          ]),
        }
      : null;
  }

  get destinations(): string[] {
    return this.loops.map((l) => l.connector.name);
  }

  start(): void {
    this.stopping = false;
    for (const loop of this.loops) loop.running ??= this.run(loop);
  }

  /** Work may be waiting (an apply batch committed, a destination resumed). */
  notify(): void {
    for (const loop of this.loops) loop.wake?.();
  }

  /** Finishes the call in flight at each destination (bounded by its timeout), then stops. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.notify();
    await Promise.all(this.loops.map((l) => l.running));
    for (const loop of this.loops) {
      loop.running = null;
      if (loop.holding) {
        await releaseLease(this.o.store, loop.connector.name, this.owner).catch(() => undefined);
        loop.holding = false;
      }
    }
  }

  /** One pass over one destination (tests drive this directly); returns how many were delivered. */
  async runOnce(destination: string): Promise<number> {
    const loop = this.loops.find((l) => l.connector.name === destination);
    if (!loop) throw new Error(`no connector for ${destination}`);
    return (await this.pass(loop)).delivered;
  }

  private async run(loop: Loop): Promise<void> {
    const pollMs = this.o.pollMs ?? 1000;
    while (!this.stopping) {
      let wait = pollMs;
      try {
        const r = await this.pass(loop);
        if (r.delivered > 0 && r.more) continue;
        wait = Math.max(0, Math.min(pollMs, r.nextDueInMs));
      } catch (e) {
        this.o.logger?.error(
          {
            destination: loop.connector.name,
            err: { message: (e as Error).message, code: (e as { code?: string }).code },
          },
          'outbox delivery pass failed; will retry',
        );
      }
      if (this.stopping) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, wait);
        function done() {
          clearTimeout(t);
          loop.wake = null;
          resolve();
        }
        loop.wake = done;
      });
    }
  }

  private async pass(loop: Loop): Promise<{ delivered: number; more: boolean; nextDueInMs: number }> {
    const { store } = this.o;
    const c = loop.connector;
    const pollMs = this.o.pollMs ?? 1000;
    const now = this.clock();
    const idle = { delivered: 0, more: false, nextDueInMs: pollMs };
    const leaseMs = this.o.leaseMs ?? 30_000;
    const held = await takeLease(
      store,
      c.name,
      this.owner,
      now.toISOString(),
      new Date(now.getTime() + leaseMs).toISOString(),
    );
    if (!held) {
      loop.holding = false;
      return idle;
    }
    if (!loop.holding) {
      loop.holding = true;
      await this.recoverInFlight(c);
    }
    const dest = await getDestination(store, c.name);
    if (!dest) return idle;
    await this.observeQueue(c.name, dest.paused, dest.alerting);
    if (dest.paused) return idle;
    if (loop.holdUntil > now.getTime()) return { ...idle, nextDueInMs: loop.holdUntil - now.getTime() };

    let chart: RenderChart | null = null;
    let delivered = 0;
    let nextDue = Number.POSITIVE_INFINITY;
    const page = this.o.pageSize ?? 20;
    for (const key of await openKeys(store, c.name)) {
      const heads = await headsOf(store, c.name, key, page);
      for (const h of heads) {
        if (this.stopping) return { delivered, more: false, nextDueInMs: 0 };
        if (h.state !== 'pending') break;
        const due = Date.parse(h.nextAttemptAt) - this.clock().getTime();
        if (due > 0) {
          nextDue = Math.min(nextDue, due);
          break;
        }
        chart ??= await this.chart();
        const outcome = await this.deliverOne(c, h, chart);
        if (outcome === 'delivered') {
          delivered++;
          continue;
        }
        if (outcome === 'retry') {
          // The destination is down or busy: hold the loop, not just this key.
          const row = (await headsOf(store, c.name, key, 1))[0];
          const until = row ? Date.parse(row.nextAttemptAt) : this.clock().getTime() + pollMs;
          loop.holdUntil = until;
          return { delivered, more: false, nextDueInMs: Math.max(0, until - this.clock().getTime()) };
        }
        break;
      }
      if (heads.length === page && heads.every((h) => h.state === 'pending')) nextDue = 0;
    }
    const more = nextDue === 0;
    return { delivered, more, nextDueInMs: Number.isFinite(nextDue) ? nextDue : pollMs };
  }

  /** The chart's accounts and currency scales the renderers need. */
  private async chart(): Promise<RenderChart> {
    const { accounts } = await readMasterData(this.o.store, ['accounts']);
    return {
      accounts: new Map<string, Account>(accounts.map((a) => [a.code, a])),
      scaleOf: (code) => DEFAULT_CURRENCIES.find((c) => c.code === code)?.scale ?? minorDigits(code),
    };
  }

  private async deliverOne(c: Connector, h: DeliveryRow, chart: RenderChart): Promise<Outcome> {
    const { store } = this.o;
    const startedAt = this.clock().toISOString();
    // Someone settled or claimed it since the page was read: look again next pass.
    if (!(await store.transaction((tx) => claimDelivery(tx, c.name, h.documentId, startedAt))))
      return 'not-claimed';
    const doc = await loadDocument(store, h.documentId);
    if (!doc) throw new Error(`outbox document ${h.documentId} is missing`);
    let result: SendResult;
    try {
      result = await c.send(doc, chart);
    } catch (e) {
      // A connector bug: we do not know what it did.
      result = { outcome: 'unknown', reason: `connector failed: ${(e as Error).message}` };
    }
    crashPoint('erp-answered');
    return this.record(c, h, h.attempts + 1, startedAt, result);
  }

  private async record(
    c: Connector,
    h: DeliveryRow,
    attempt: number,
    startedAt: string,
    result: SendResult,
  ): Promise<Outcome> {
    const now = this.clock();
    const finishedAt = now.toISOString();
    const base = {
      destination: c.name,
      documentId: h.documentId,
      attempt,
      startedAt,
      finishedAt,
      httpStatus: 'httpStatus' in result && result.httpStatus !== undefined ? result.httpStatus : null,
    };
    const evidence = {
      destination: c.name,
      connector: c.type,
      document: h.documentId,
      kind: h.kind,
      orderingKey: h.orderingKey,
      entity: h.entity,
      attempts: attempt,
      honoursIdempotencyKey: c.honoursIdempotencyKey,
    };
    let outcome: Outcome;
    await this.o.store.transaction(async (tx) => {
      switch (result.outcome) {
        case 'delivered':
          outcome = 'delivered';
          await markDelivered(
            tx,
            { ...base, outcome: 'delivered', errorCode: null, detail: null },
            result.response,
          );
          return;
        case 'retry': {
          outcome = 'retry';
          const delay = nextDelayMs(attempt, this.o.retry, result.retryAfterMs, this.o.random);
          const a: AttemptRecord = {
            ...base,
            outcome: 'retry',
            errorCode: 'CW_ERR_OUTBOX_DELIVERY_FAILED',
            detail: result.reason,
          };
          await markRetry(tx, a, new Date(now.getTime() + delay).toISOString());
          return;
        }
        case 'rejected': {
          outcome = 'rejected';
          const id = await markStuck(
            tx,
            { ...base, outcome: 'rejected', errorCode: 'CW_ERR_OUTBOX_REJECTED', detail: result.reason },
            'failed',
            'CW_ERR_OUTBOX_REJECTED',
            `${c.name} refused document ${h.documentId}`,
            { ...evidence, reason: result.reason, httpStatus: base.httpStatus },
          );
          this.o.logger?.warn(
            {
              code: 'CW_ERR_OUTBOX_REJECTED',
              destination: c.name,
              document: h.documentId,
              exception: String(id),
            },
            'destination refused a document',
          );
          return;
        }
        case 'unknown': {
          if (c.honoursIdempotencyKey) {
            outcome = 'unknown';
            const delay = nextDelayMs(attempt, this.o.retry, undefined, this.o.random);
            await markRetry(
              tx,
              {
                ...base,
                outcome: 'unknown-resend',
                errorCode: 'CW_ERR_OUTBOX_DELIVERY_FAILED',
                detail: result.reason,
              },
              new Date(now.getTime() + delay).toISOString(),
            );
            return;
          }
          outcome = 'quarantined';
          const id = await markStuck(
            tx,
            {
              ...base,
              outcome: 'quarantined',
              errorCode: 'CW_ERR_OUTBOX_UNKNOWN_OUTCOME',
              detail: result.reason,
            },
            'quarantined',
            'CW_ERR_OUTBOX_UNKNOWN_OUTCOME',
            `outcome of sending ${h.documentId} to ${c.name} is unknown`,
            { ...evidence, reason: result.reason },
          );
          this.o.logger?.warn(
            {
              code: 'CW_ERR_OUTBOX_UNKNOWN_OUTCOME',
              destination: c.name,
              document: h.documentId,
              exception: String(id),
            },
            'delivery quarantined: outcome unknown and the destination does not honour idempotency keys',
          );
        }
      }
    });
    this.gauges?.deliveries.inc({ destination: c.name, outcome: outcome! });
    // A resend after an unknown outcome is a retry for the loop: the destination did not answer.
    return outcome! === 'unknown' ? 'retry' : outcome!;
  }

  /** Claims nobody saw the end of (a process stopped mid-call, or lost its lease). */
  private async recoverInFlight(c: Connector): Promise<void> {
    for (const h of await inFlight(this.o.store, c.name)) {
      const at = this.clock().toISOString();
      await this.record(c, h, h.attempts, at, {
        outcome: 'unknown',
        reason: 'the delivering process stopped before the outcome was recorded',
      });
    }
  }

  private async observeQueue(destination: string, paused: boolean, alerting: boolean): Promise<void> {
    const { store } = this.o;
    const f = await queueFigures(store, destination);
    const now = this.clock();
    const ageMs = f.oldestCreatedAt === null ? 0 : Math.max(0, now.getTime() - Date.parse(f.oldestCreatedAt));
    const oldestSeconds = Math.round(ageMs / 1000);
    this.gauges?.depth.set({ destination }, f.depth);
    this.gauges?.age.set({ destination }, ageMs / 1000);
    this.gauges?.paused.set({ destination }, paused ? 1 : 0);
    const queueing = f.depth > 0 && ageMs >= this.o.alertAfterMs;
    const at = now.toISOString();
    if (queueing && !alerting && !paused) {
      const id = await store.transaction((tx) =>
        startAlert(tx, destination, at, { depth: f.depth, oldestSeconds }),
      );
      if (id !== null) {
        this.o.logger?.warn(
          {
            code: 'CW_ERR_OUTBOX_QUEUEING',
            destination,
            depth: f.depth,
            oldestSeconds,
            exception: String(id),
          },
          'destination is queueing',
        );
      }
      alerting = id !== null || alerting;
    } else if (!queueing && alerting) {
      if (await store.transaction((tx) => endAlert(tx, destination, at))) {
        this.o.logger?.warn(
          { code: 'CW_ERR_OUTBOX_QUEUEING', destination, recovered: true, depth: f.depth, oldestSeconds },
          'destination recovered',
        );
        alerting = false;
      }
    }
    this.gauges?.alerting.set({ destination }, alerting ? 1 : 0);
  }
}
