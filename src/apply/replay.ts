import { type CanonicalEvent, eventFromJson, eventsToJson } from '../canonical/index.ts';
import { type FiscalPeriod, type JournalEntry, journalize } from '../ledger/index.ts';
import { type ApplyContext, amountOf, interpretStored, postingInput, type StoredMessage } from './plan.ts';
import { jsonbText, type LineFacts, linesTextIs, parseLinesText } from './replay-compare.ts';
import { POSTING_TYPE } from './rules.ts';

/** An event as stored: its id, type and release, and its JSON text (parsed only when it must be). */
export interface PostedEvent {
  readonly id: string;
  readonly type: string;
  readonly mappingReleaseId: string;
  /** The text `eventsToJson` wrote (PostgreSQL's jsonb may give it back with keys reordered). */
  readonly text: string;
}

/**
 * A posted entry as the diff compares it: which posting it is, and its lines as one JSON text
 * `[[side, account, costCenter, "amount"], …]` in line order (`linesText`, replay-compare.ts). The
 * whole entry is read only for the entries a correction reverses (`postedEntriesById`).
 */
export interface PostedEntry {
  readonly id: string;
  readonly sourceEventId: string;
  readonly ruleId: string;
  readonly entity: string;
  readonly currency: string;
  readonly reverses: string | null;
  readonly lines: string;
}

/** What was posted for the messages of a replay window, as the diff needs it. */
export interface PostedFacts {
  /** Events stored per inbound message id. */
  readonly eventsByMessage: ReadonlyMap<bigint, readonly PostedEvent[]>;
  /** Posted entries per source event id, by id. */
  readonly entriesByEvent: ReadonlyMap<string, readonly PostedEntry[]>;
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
  /** Ids of the posted entries that the candidate changes or drops, in message order. */
  readonly supersededEntryIds: readonly string[];
  /**
   * Those entries whole, for --apply (what the correction reverses): `replayDiff` names them only, and
   * `withSupersededEntries` (replay-run.ts) reads them from the books.
   */
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

/** Whether a stored event's text is jsonb's (PostgreSQL: `": "` after a key) rather than eventsToJson's. */
function isJsonbText(text: string): boolean {
  const at = text.indexOf('":');
  return at > 0 && text.charCodeAt(at + 2) === 32;
}

/**
 * Whether the candidate's event is the posted one (but for the release that derived it). Fast path:
 * the candidate written as the posted one would have been is the same text (as eventsToJson wrote it
 * on SQLite, as jsonb writes it back on PostgreSQL); a different text is compared by content.
 */
function sameEvent(candidate: CanonicalEvent, posted: PostedEvent): boolean {
  const asPosted =
    candidate.mappingReleaseId === posted.mappingReleaseId
      ? candidate
      : { ...candidate, mappingReleaseId: posted.mappingReleaseId };
  if ((isJsonbText(posted.text) ? jsonbText(asPosted) : eventsToJson(asPosted)) === posted.text) return true;
  return eventShape(candidate) === eventShape(eventFromJson(posted.text));
}

const lineKey = (l: LineFacts) => `${l.side}|${l.account}|${l.costCenter ?? ''}|${l.amount}`;

/** The lines as a multiset: what decides whether an entry changed. */
const lineShape = (lines: readonly LineFacts[]) => lines.map(lineKey).sort().join(';');

/** The rule a correction was re-derived from (`<rule>@replay:<release>`), or the rule itself. */
function baseRule(ruleId: string): string {
  const at = ruleId.indexOf('@replay:');
  return at < 0 ? ruleId : ruleId.slice(0, at);
}

interface Posting {
  readonly sourceEventId: string;
  readonly ruleId: string;
  readonly entity: string;
}

/** Which posting an entry is: the same event, rule and book, whichever replay last re-derived it. */
const sameSlot = (a: Posting, b: Posting) =>
  a.sourceEventId === b.sourceEventId && a.entity === b.entity && baseRule(a.ruleId) === baseRule(b.ruleId);

/** The slot as one key (each part length-prefixed, so no two slots share one), for large messages. */
function slotKey(e: Posting): string {
  const rule = baseRule(e.ruleId);
  return `${e.sourceEventId.length}:${e.sourceEventId}${rule.length}:${rule}${e.entity}`;
}

/**
 * For each of `from`, the last of `to` in the same slot (or undefined). A message posts a handful of
 * entries, which a scan pairs with no key built; one with many is paired through a map.
 */
function lastInSlot<T extends Posting>(from: readonly Posting[], to: readonly T[]): (T | undefined)[] {
  const out: (T | undefined)[] = new Array(from.length);
  if (from.length * to.length <= 64) {
    for (let i = 0; i < from.length; i++) {
      let hit: T | undefined;
      for (let j = to.length - 1; j >= 0 && !hit; j--) if (sameSlot(from[i]!, to[j]!)) hit = to[j];
      out[i] = hit;
    }
    return out;
  }
  const bySlot = new Map(to.map((e) => [slotKey(e), e]));
  for (let i = 0; i < from.length; i++) out[i] = bySlot.get(slotKey(from[i]!));
  return out;
}

/**
 * The entries that stand for their events now: reversals and the entries they reversed cancel out,
 * so after an applied replay its re-derived entries are what a later replay compares with.
 */
function effectiveEntries(entries: readonly PostedEntry[]): readonly PostedEntry[] {
  if (entries.every((e) => e.reverses === null)) return entries;
  const reversed = new Set(entries.flatMap((e) => (e.reverses === null ? [] : [e.reverses])));
  return entries.filter((e) => e.reverses === null && !reversed.has(e.id));
}

/** Net of one account and cost center in one book and currency, debits and credits apart. */
interface Net {
  readonly key: LineKey;
  postedDebit: bigint;
  postedCredit: bigint;
  candidateDebit: bigint;
  candidateCredit: bigint;
}

const NONE: readonly never[] = [];

/**
 * Re-interprets stored messages under a candidate release and derives the entries it would post,
 * without touching the books, then compares with what was posted: events and entries added, removed and
 * changed, net amounts per account and cost center, the first differing messages. Stock is valued at
 * what the posted movements said (the replay must not re-run valuation against today's stock); an event
 * with no posted movement is valued at the candidate's interpretation as of now and counted in
 * `estimated`. Posted entries are compared by their lines' text (`linesTextIs`) and parsed only where it
 * differs; the superseded entries are named (`supersededEntryIds`), read whole only for --apply. Pure.
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
  const net = new Map<string, Net>();
  const first: Difference[] = [];
  const candidateEntries: JournalEntry[] = [];
  const supersededEntryIds: string[] = [];
  let estimated = 0;
  // The net of a line, found by its parts (strings met again and again, their hashes kept) rather than
  // by the key written out per line; a part first met goes through that key, so parts whose keys
  // coincide share one net as before.
  const nets = new Map<string, Map<string, Map<string, Map<string, Net>>>>();
  const netOf = (entity: string, currency: string, l: LineFacts): Net => {
    let byCurrency = nets.get(entity);
    if (!byCurrency) {
      byCurrency = new Map();
      nets.set(entity, byCurrency);
    }
    let byAccount = byCurrency.get(currency);
    if (!byAccount) {
      byAccount = new Map();
      byCurrency.set(currency, byAccount);
    }
    let byCostCenter = byAccount.get(l.account);
    if (!byCostCenter) {
      byCostCenter = new Map();
      byAccount.set(l.account, byCostCenter);
    }
    const costCenter = l.costCenter ?? '';
    let n = byCostCenter.get(costCenter);
    if (n) return n;
    const k = `${entity}|${currency}|${l.account}|${costCenter}`;
    n = net.get(k);
    if (!n) {
      n = {
        key: { entity, currency, account: l.account, costCenter: l.costCenter },
        postedDebit: 0n,
        postedCredit: 0n,
        candidateDebit: 0n,
        candidateCredit: 0n,
      };
      net.set(k, n);
    }
    byCostCenter.set(costCenter, n);
    return n;
  };
  const add = (entity: string, currency: string, ls: readonly LineFacts[], which: 'posted' | 'candidate') => {
    for (const l of ls) {
      const n = netOf(entity, currency, l);
      if (which === 'posted') {
        if (l.side === 'debit') n.postedDebit += l.amount;
        else n.postedCredit += l.amount;
      } else if (l.side === 'debit') n.candidateDebit += l.amount;
      else n.candidateCredit += l.amount;
    }
  };
  const note = (m: StoredMessage, what: string) => {
    if (first.length < firstDifferencesMax && !first.some((d) => d.messageId === m.id))
      first.push({ messageId: m.id, controlId: m.controlId, what });
  };

  for (const m of messages) {
    const before = posted.eventsByMessage.get(m.id) ?? NONE;
    const interpretation = interpretStored(m, candidate);
    const after = interpretation.kind === 'events' ? interpretation.events : NONE;
    if (interpretation.kind === 'failed' && before.length > 0)
      note(m, `no longer interprets: ${interpretation.error.code}`);
    // A message holds a handful of events: paired by scanning (the last of a repeated id, as a map would).
    const postedAll: PostedEntry[] = [];
    for (const e of before) {
      let c: CanonicalEvent | undefined;
      for (let j = after.length - 1; j >= 0 && !c; j--) if (after[j]!.id === e.id) c = after[j];
      if (!c) {
        events.removed++;
        note(m, `event ${e.id} (${e.type}) removed`);
      } else if (!sameEvent(c, e)) {
        events.changed++;
        note(m, `event ${e.id} (${e.type}) changed`);
      } else events.same++;
      const list = posted.entriesByEvent.get(e.id);
      if (list) for (const p of list) postedAll.push(p);
    }
    for (const e of after) {
      if (before.some((b) => b.id === e.id)) continue;
      events.added++;
      note(m, `event ${e.id} (${e.type}) added`);
      const list = posted.entriesByEvent.get(e.id);
      if (list && !postedAll.some((p) => p.sourceEventId === e.id)) for (const p of list) postedAll.push(p);
    }

    const postedEntries = effectiveEntries(postedAll);
    const derived: JournalEntry[] = [];
    for (const e of after) {
      const type = POSTING_TYPE[e.type];
      if (!type) continue;
      if (
        (e.type === 'SupplyUsed' || e.type === 'SupplyWasted' || e.type === 'SupplyReturned') &&
        !posted.movementValueByEvent.has(e.id)
      )
        estimated++;
      const amount = amountOf(e, posted.movementValueByEvent, candidate);
      if (amount > 0n)
        for (const d of journalize(
          postingInput(e, type, amount, candidate),
          candidate.rules,
          candidate.ledger,
          periods,
        ))
          derived.push(d);
    }
    const matched = lastInSlot(postedEntries, derived);
    for (let i = 0; i < postedEntries.length; i++) {
      const p = postedEntries[i]!;
      const c = matched[i];
      if (c && linesTextIs(c.lines, p.lines)) {
        // The same lines in the same order: the posted side nets as the candidate's lines do.
        add(p.entity, p.currency, c.lines, 'posted');
        entries.same++;
        continue;
      }
      const pl = parseLinesText(p.lines);
      add(p.entity, p.currency, pl, 'posted');
      if (!c) {
        entries.removed++;
        lines.removed += pl.length;
        supersededEntryIds.push(p.id);
        note(m, `entry ${p.id} removed`);
      } else if (lineShape(c.lines) !== lineShape(pl)) {
        entries.changed++;
        const a = new Set(pl.map(lineKey));
        lines.changed += c.lines.filter((l) => !a.has(lineKey(l))).length;
        supersededEntryIds.push(p.id);
        candidateEntries.push(c);
        note(m, `entry ${p.id} changed`);
      } else entries.same++;
    }
    const postedFor = lastInSlot(derived, postedEntries);
    for (let i = 0; i < derived.length; i++) {
      const c = derived[i]!;
      add(c.entity, c.currency, c.lines, 'candidate');
      if (!postedFor[i]) {
        entries.added++;
        lines.added += c.lines.length;
        candidateEntries.push(c);
        note(m, `entry ${c.id} added`);
      }
    }
  }
  const accounts = sortAccounts(
    [...net.values()].map((v) => {
      const p = v.postedDebit - v.postedCredit;
      const c = v.candidateDebit - v.candidateCredit;
      return { ...v.key, posted: p, candidate: c, delta: c - p };
    }),
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
    supersededEntryIds,
    supersededEntries: [],
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
    supersededEntryIds: reports.flatMap((r) => r.supersededEntryIds),
    supersededEntries: reports.flatMap((r) => r.supersededEntries),
  };
}
