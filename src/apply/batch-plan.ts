/**
 * A batch as planned, between its reads and its transaction: planned message by message on the state
 * the previous messages leave (planBatch), what it carries to the transaction that checks and writes it
 * (PreparedBatch, or RecordedBatch as statements from the planner thread), the checks that tell whether
 * what it was planned on still holds, and what the batch after it needs of it. No I/O.
 */
import { type InventoryState, positionKey, serialKey } from '../inventory/index.ts';
import type { FiscalPeriod } from '../ledger/index.ts';
import type { BatchExceptions } from '../store/batch-writes.ts';
import type { RecordedStatement } from '../store/recording.ts';
import type { BatchStats, StaticContext } from './applier.ts';
import {
  type ApplyContext,
  type EncounterState,
  type Interpretation,
  type MessagePlan,
  planMessage,
  type StoredMessage,
  touchedBy,
} from './plan.ts';

export type BatchCounts = Omit<BatchStats, 'orderingKey' | 'replanned' | 'seconds'>;

export function countsOf(plans: readonly MessagePlan[]): BatchCounts {
  let applied = 0;
  let failed = 0;
  let events = 0;
  let entries = 0;
  for (const x of plans) {
    if (x.kind === 'applied') {
      applied++;
      events += x.events.length;
      entries += x.entries.length;
    } else if (x.kind === 'failed') failed++;
  }
  return {
    messages: plans.length,
    applied,
    failed,
    skipped: plans.length - applied - failed,
    events,
    entries,
  };
}

/** A prepared batch as statements and work items (Applier.recordBatch): what the planner thread hands over. */
export interface RecordedBatch extends Omit<PreparedBatch, 'interpretations' | 'planned'> {
  readonly recorded: {
    readonly effects: readonly RecordedStatement[];
    readonly exceptions: BatchExceptions;
    readonly counts: BatchCounts;
  };
}

/** A batch read, interpreted and planned, waiting for its transaction (Applier.prepareBatch). */
export interface PreparedBatch {
  readonly key: string;
  readonly base: StaticContext;
  readonly at: string;
  readonly started: number;
  /** The key's cursor the plan starts from; the transaction writes only if it still finds it there. */
  readonly cursor: bigint;
  readonly messages: readonly StoredMessage[];
  readonly periods: readonly FiscalPeriod[];
  readonly ownership: ApplyContext['ownership'];
  readonly interpretations: readonly Interpretation[];
  readonly touched: ReturnType<typeof touchedBy>;
  readonly snapshot: InventoryState;
  readonly seenEncounters: ReadonlyMap<string, EncounterState>;
  readonly planned: { plans: MessagePlan[]; state: InventoryState };
}

/**
 * Of a prepared batch, only what planning the batch after it reads (prepareBatch's `after`): its last
 * message, the state it leaves, the encounters it moves. Kept instead of the whole batch by a planner
 * that waits for its next question, so the batch's events, entries and statements die young.
 */
export function keptForFollowing(p: PreparedBatch): PreparedBatch {
  return {
    ...p,
    messages: p.messages.slice(-1),
    interpretations: [],
    planned: {
      state: p.planned.state,
      plans: p.planned.plans.flatMap((x) =>
        x.kind === 'applied' && x.encounters.length > 0
          ? [{ ...x, events: [], movements: [], flags: [], entries: [], requisitions: [], held: [] }]
          : [],
      ),
    },
  };
}

/**
 * The touched stock a batch planned after `before` starts from: what `before` will leave where it
 * touched the same positions and serials, what the database holds elsewhere.
 */
export function leftBy(
  read: InventoryState,
  before: InventoryState,
  touched: ReturnType<typeof touchedBy>,
): InventoryState {
  const positions = new Map(read.positions);
  for (const k of touched.positions) {
    const key = positionKey(k.itemCode, k.parLocationCode);
    const p = before.positions.get(key);
    if (p) positions.set(key, p);
  }
  const serials = new Map(read.serials);
  for (const k of touched.serials) {
    const key = serialKey(k.itemCode, k.serialNumber);
    const s = before.serials.get(key);
    if (s) serials.set(key, s);
  }
  return { positions, serials, applied: new Map(), lines: new Map() };
}

/** The touched encounters as they will be once `before`'s applied messages are written. */
export function encountersLeftBy(
  read: ReadonlyMap<string, EncounterState>,
  before: readonly MessagePlan[],
  tokens: readonly string[],
): Map<string, EncounterState> {
  const wanted = new Set(tokens);
  const out = new Map(read);
  for (const p of before) {
    if (p.kind !== 'applied') continue;
    for (const e of p.encounters) if (wanted.has(e.token)) out.set(e.token, e);
  }
  return out;
}

/**
 * Plans a batch message by message on the state the previous messages left. Each message is planned on a
 * small state holding only what it touches: the engine copies its state per call, and a call per message
 * on the whole batch's state would cost O(batch²).
 */
export function planBatch(
  messages: readonly StoredMessage[],
  interpretations: readonly Interpretation[],
  loaded: InventoryState,
  loadedEncounters: ReadonlyMap<string, EncounterState>,
  ctx: ApplyContext,
): { plans: MessagePlan[]; state: InventoryState } {
  const positions = new Map(loaded.positions);
  const serials = new Map(loaded.serials);
  const encounters = new Map(loadedEncounters);
  const plans: MessagePlan[] = [];
  messages.forEach((m, i) => {
    const interpretation = interpretations[i]!;
    const mine = touchedBy([interpretation]);
    const small: InventoryState = {
      positions: pick(
        positions,
        mine.positions.map((k) => positionKey(k.itemCode, k.parLocationCode)),
      ),
      serials: pick(
        serials,
        mine.serials.map((k) => serialKey(k.itemCode, k.serialNumber)),
      ),
      applied: new Map(),
      lines: new Map(),
    };
    const r = planMessage(m, interpretation, small, ctx, encounters);
    plans.push(r.plan);
    if (r.plan.kind === 'applied') {
      for (const [k, v] of r.state.positions) positions.set(k, v);
      for (const [k, v] of r.state.serials) serials.set(k, v);
      for (const e of r.plan.encounters) encounters.set(e.token, e);
    }
  });
  return { plans, state: { positions, serials, applied: new Map(), lines: new Map() } };
}

export function sameInventory(a: InventoryState, b: InventoryState): boolean {
  if (a.positions.size !== b.positions.size || a.serials.size !== b.serials.size) return false;
  for (const [k, p] of a.positions) {
    const q = b.positions.get(k);
    if (!q || q.quantity !== p.quantity || q.value !== p.value || q.currency !== p.currency) return false;
    if (q.lots.size !== p.lots.size) return false;
    for (const [lot, n] of p.lots) if (q.lots.get(lot) !== n) return false;
  }
  for (const [k, s] of a.serials) {
    const t = b.serials.get(k);
    if (!t || t.status !== s.status || t.parLocationCode !== s.parLocationCode || t.lotNumber !== s.lotNumber)
      return false;
  }
  return true;
}

export function sameEncounters(
  a: ReadonlyMap<string, EncounterState>,
  b: ReadonlyMap<string, EncounterState>,
): boolean {
  if (a.size !== b.size) return false;
  for (const [k, e] of a) if (b.get(k)?.lastEventId !== e.lastEventId) return false;
  return true;
}

export function samePeriods(a: readonly FiscalPeriod[], b: readonly FiscalPeriod[]): boolean {
  return (
    a.length === b.length &&
    a.every((p, i) => {
      const q = b[i]!;
      return (
        p.entityCode === q.entityCode &&
        p.id === q.id &&
        p.status === q.status &&
        p.startDate === q.startDate &&
        p.endDate === q.endDate
      );
    })
  );
}

function pick<V>(from: ReadonlyMap<string, V>, keys: readonly string[]): Map<string, V> {
  const out = new Map<string, V>();
  for (const k of keys) {
    const v = from.get(k);
    if (v !== undefined) out.set(k, v);
  }
  return out;
}
