import { type CanonicalEvent, eventFromJson, eventsToJson } from '../canonical/index.ts';
import { type FiscalPeriod, type JournalEntry, journalize } from '../ledger/index.ts';
import { type ApplyContext, amountOf, interpretStored, postingInput, type StoredMessage } from './plan.ts';
import { POSTING_TYPE } from './rules.ts';

/** An event as stored: its id, type and release, and its JSON text (parsed only when it must be). */
export interface PostedEvent {
  readonly id: string;
  readonly type: string;
  readonly mappingReleaseId: string;
  /** The text `eventsToJson` wrote (PostgreSQL's jsonb may give it back with keys reordered). */
  readonly text: string;
}

/** What was posted for the messages of a replay window, as the diff needs it. */
export interface PostedFacts {
  /** Events stored per inbound message id. */
  readonly eventsByMessage: ReadonlyMap<bigint, readonly PostedEvent[]>;
  /** Posted entries (with lines) per source event id. */
  readonly entriesByEvent: ReadonlyMap<string, readonly JournalEntry[]>;
  /** Σ value of the stock movements posted per event (negative for issues). */
  readonly movementValueByEvent: ReadonlyMap<string, bigint>;
}

export interface LineKey {
  readonly entity: string;
  readonly currency: string;
  readonly account: string;
  readonly costCenter: string | null;
}

export interface AccountDelta extends LineKey {
  /** Net (debit − credit) as posted, under the candidate, and the difference; minor units. */
  readonly posted: bigint;
  readonly candidate: bigint;
  readonly delta: bigint;
}

export interface Difference {
  readonly messageId: bigint;
  readonly controlId: string;
  readonly what: string;
}

export interface ReplayReport {
  readonly candidateReleaseId: string;
  readonly messages: number;
  readonly events: {
    readonly added: number;
    readonly removed: number;
    readonly changed: number;
    readonly same: number;
  };
  readonly entries: {
    readonly added: number;
    readonly removed: number;
    readonly changed: number;
    readonly same: number;
  };
  readonly lines: { readonly added: number; readonly removed: number; readonly changed: number };
  /** Only the account × cost center pairs whose net differs. */
  readonly byAccount: readonly AccountDelta[];
  /** Every account × cost center pair the window touched, differing or not (what reports merge on). */
  readonly accounts: readonly AccountDelta[];
  readonly firstDifferences: readonly Difference[];
  /** Events whose stock value had no posted movement to reuse (the message had failed before). */
  readonly estimated: number;
  /** The candidate entries that differ from what was posted (added or changed), for --apply. */
  readonly candidateEntries: readonly JournalEntry[];
  /** The posted entries that the candidate changes or drops, for --apply. */
  readonly supersededEntries: readonly JournalEntry[];
}

/** JSON with keys in sorted order at every level (PostgreSQL's jsonb does not keep key order). */
function stable(v: unknown): string {
  if (typeof v === 'bigint') return `"${v}"`;
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** An event as comparable: everything but which release interpreted it. */
const eventShape = (e: CanonicalEvent) => stable({ ...e, mappingReleaseId: undefined });

/**
 * Whether the candidate's event is the posted one (but for the release that derived it). Fast path:
 * the candidate written as the posted one would have been is the same text; the keys of a jsonb read
 * back from PostgreSQL may come in another order, so a different text is compared by content.
 */
function sameEvent(candidate: CanonicalEvent, posted: PostedEvent): boolean {
  if (eventsToJson({ ...candidate, mappingReleaseId: posted.mappingReleaseId }) === posted.text) return true;
  return eventShape(candidate) === eventShape(eventFromJson(posted.text));
}

const lineShape = (e: JournalEntry) =>
  e.lines
    .map((l) => `${l.side}|${l.account}|${l.costCenter ?? ''}|${l.amount}`)
    .sort()
    .join(';');

/** The rule a correction was re-derived from (`<rule>@replay:<release>`), or the rule itself. */
const baseRule = (ruleId: string) => ruleId.split('@replay:')[0]!;

/** Which posting an entry is: the same event, rule and book, whichever replay last re-derived it. */
const slotOf = (e: JournalEntry) => `${e.sourceEventId}|${baseRule(e.ruleId)}|${e.entity}`;

/**
 * The entries that stand for their events now: reversals and the entries they reversed cancel out,
 * so after an applied replay its re-derived entries are what a later replay compares with.
 */
function effectiveEntries(entries: readonly JournalEntry[]): JournalEntry[] {
  const reversed = new Set(entries.flatMap((e) => (e.reverses === null ? [] : [e.reverses])));
  return entries.filter((e) => e.reverses === null && !reversed.has(e.id));
}

/**
 * Re-interprets stored messages under a candidate release and derives the entries it would post,
 * without touching the books, then compares with what was posted: events and entries added, removed and
 * changed, net amounts per account and cost center, the first differing messages. Stock is valued at
 * what the posted movements said (the replay must not re-run valuation against today's stock); an event
 * with no posted movement is valued at the candidate's interpretation as of now and counted in
 * `estimated`. Pure.
 */
export function replayDiff(
  messages: readonly StoredMessage[],
  candidate: ApplyContext,
  posted: PostedFacts,
  periods: readonly FiscalPeriod[],
  firstDifferencesMax = 10,
): ReplayReport {
  const events = { added: 0, removed: 0, changed: 0, same: 0 };
  const entries = { added: 0, removed: 0, changed: 0, same: 0 };
  const lines = { added: 0, removed: 0, changed: 0 };
  const net = new Map<string, { key: LineKey; posted: bigint; candidate: bigint }>();
  const first: Difference[] = [];
  const candidateEntries: JournalEntry[] = [];
  const supersededEntries: JournalEntry[] = [];
  let estimated = 0;
  const add = (e: JournalEntry, which: 'posted' | 'candidate') => {
    for (const l of e.lines) {
      const k = `${e.entity}|${e.currency}|${l.account}|${l.costCenter ?? ''}`;
      const slot = net.get(k) ?? {
        key: { entity: e.entity, currency: e.currency, account: l.account, costCenter: l.costCenter },
        posted: 0n,
        candidate: 0n,
      };
      slot[which] += l.side === 'debit' ? l.amount : -l.amount;
      net.set(k, slot);
    }
  };
  const note = (m: StoredMessage, what: string) => {
    if (first.length < firstDifferencesMax && !first.some((d) => d.messageId === m.id))
      first.push({ messageId: m.id, controlId: m.controlId, what });
  };

  for (const m of messages) {
    const before = posted.eventsByMessage.get(m.id) ?? [];
    const interpretation = interpretStored(m, candidate);
    const after = interpretation.kind === 'events' ? interpretation.events : [];
    if (interpretation.kind === 'failed' && before.length > 0)
      note(m, `no longer interprets: ${interpretation.error.code}`);
    const beforeById = new Map(before.map((e) => [e.id, e]));
    const afterById = new Map(after.map((e) => [e.id, e]));
    for (const e of before) {
      const c = afterById.get(e.id);
      if (!c) {
        events.removed++;
        note(m, `event ${e.id} (${e.type}) removed`);
      } else if (!sameEvent(c, e)) {
        events.changed++;
        note(m, `event ${e.id} (${e.type}) changed`);
      } else events.same++;
    }
    for (const e of after) {
      if (!beforeById.has(e.id)) {
        events.added++;
        note(m, `event ${e.id} (${e.type}) added`);
      }
    }

    const postedEntries = effectiveEntries(
      [...new Set([...beforeById.keys(), ...afterById.keys()])].flatMap(
        (id) => posted.entriesByEvent.get(id) ?? [],
      ),
    );
    const postedBySlot = new Map(postedEntries.map((e) => [slotOf(e), e]));
    const derived: JournalEntry[] = [];
    for (const e of after) {
      const type = POSTING_TYPE[e.type];
      if (!type) continue;
      const movement = posted.movementValueByEvent.get(e.id);
      if (
        movement === undefined &&
        (e.type === 'SupplyUsed' || e.type === 'SupplyWasted' || e.type === 'SupplyReturned')
      )
        estimated++;
      const values = new Map(movement === undefined ? [] : [[e.id, movement]]);
      const amount = amountOf(e, values, candidate);
      if (amount > 0n)
        derived.push(
          ...journalize(postingInput(e, type, amount, candidate), candidate.rules, candidate.ledger, periods),
        );
    }
    const derivedBySlot = new Map(derived.map((e) => [slotOf(e), e]));
    for (const p of postedEntries) {
      add(p, 'posted');
      const c = derivedBySlot.get(slotOf(p));
      if (!c) {
        entries.removed++;
        lines.removed += p.lines.length;
        supersededEntries.push(p);
        note(m, `entry ${p.id} removed`);
      } else if (lineShape(c) !== lineShape(p)) {
        entries.changed++;
        const a = new Set(p.lines.map((l) => `${l.side}|${l.account}|${l.costCenter ?? ''}|${l.amount}`));
        lines.changed += c.lines.filter(
          (l) => !a.has(`${l.side}|${l.account}|${l.costCenter ?? ''}|${l.amount}`),
        ).length;
        supersededEntries.push(p);
        candidateEntries.push(c);
        note(m, `entry ${p.id} changed`);
      } else entries.same++;
    }
    for (const c of derived) {
      add(c, 'candidate');
      if (!postedBySlot.has(slotOf(c))) {
        entries.added++;
        lines.added += c.lines.length;
        candidateEntries.push(c);
        note(m, `entry ${c.id} added`);
      }
    }
  }
  const accounts = sortAccounts(
    [...net.values()].map((v) => ({
      ...v.key,
      posted: v.posted,
      candidate: v.candidate,
      delta: v.candidate - v.posted,
    })),
  );
  const byAccount = accounts.filter((a) => a.delta !== 0n);
  return {
    candidateReleaseId: candidate.release.id,
    messages: messages.length,
    events,
    entries,
    lines,
    byAccount,
    accounts,
    firstDifferences: first,
    estimated,
    candidateEntries,
    supersededEntries,
  };
}

const accountKey = (a: LineKey) => `${a.entity}|${a.currency}|${a.account}|${a.costCenter ?? ''}`;

function sortAccounts(list: AccountDelta[]): AccountDelta[] {
  return list.sort((a, b) =>
    `${a.entity}|${a.account}|${a.costCenter}`.localeCompare(`${b.entity}|${b.account}|${b.costCenter}`),
  );
}

/**
 * One report for consecutive windows replayed separately (pages of a long range, in message order):
 * counts add up, nets add per account and cost center, the first differences are the earliest ones.
 */
export function mergeReplayReports(
  reports: readonly ReplayReport[],
  candidateReleaseId: string,
  firstDifferencesMax = 10,
): ReplayReport {
  const sum = <K extends string>(pick: (r: ReplayReport) => Record<K, number>, keys: readonly K[]) =>
    Object.fromEntries(keys.map((k) => [k, reports.reduce((n, r) => n + pick(r)[k], 0)])) as Record<
      K,
      number
    >;
  const nets = new Map<string, AccountDelta>();
  for (const r of reports) {
    for (const a of r.accounts) {
      const k = accountKey(a);
      const had = nets.get(k);
      const posted = (had?.posted ?? 0n) + a.posted;
      const candidate = (had?.candidate ?? 0n) + a.candidate;
      nets.set(k, { ...a, posted, candidate, delta: candidate - posted });
    }
  }
  const accounts = sortAccounts([...nets.values()]);
  return {
    candidateReleaseId,
    messages: reports.reduce((n, r) => n + r.messages, 0),
    events: sum((r) => r.events, ['added', 'removed', 'changed', 'same'] as const),
    entries: sum((r) => r.entries, ['added', 'removed', 'changed', 'same'] as const),
    lines: sum((r) => r.lines, ['added', 'removed', 'changed'] as const),
    byAccount: accounts.filter((a) => a.delta !== 0n),
    accounts,
    firstDifferences: reports.flatMap((r) => r.firstDifferences).slice(0, firstDifferencesMax),
    estimated: reports.reduce((n, r) => n + r.estimated, 0),
    candidateEntries: reports.flatMap((r) => r.candidateEntries),
    supersededEntries: reports.flatMap((r) => r.supersededEntries),
  };
}
