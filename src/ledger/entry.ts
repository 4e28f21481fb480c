/**
 * Building journal entries: the one place an entry comes into existence, so every entry that exists has
 * passed the same checks — at least two lines, amounts in (0, MAX_LINE_AMOUNT], accounts known and
 * postable for the entity, cost centers of the entity, debits equal credits, a period that takes
 * postings. Entries are frozen: correcting one means `reverse` (and, if needed, a new entry).
 */

import { CrosswalkError } from '../errors/index.ts';
import { costCenterOf, currencyOf, entityOf, type LedgerContext, postableAccount } from './context.ts';
import { entryId, reversalId } from './ids.ts';
import {
  DIMENSION_KEYS,
  type DimensionKey,
  type Dimensions,
  type FiscalPeriod,
  type IsoDate,
  type IsoTimestamp,
  type JournalEntry,
  type JournalLine,
  type MinorUnits,
  type PostedLine,
  type ReasonCode,
  type Reversal,
  type Side,
} from './model.ts';
import { formatMinor, MAX_LINE_AMOUNT } from './money.ts';
import { periodFor } from './periods.ts';

export interface LineDraft {
  readonly account: string;
  readonly side: Side;
  readonly amount: MinorUnits;
  readonly costCenter?: string | null;
  readonly memo?: string | null;
  readonly dimensions?: Dimensions;
}

export interface EntryDraft {
  /** The canonical event this entry derives from; with `ruleId` and `leg` it determines the id. */
  readonly sourceEventId: string;
  /** The posting rule's id, or `manual:<name>` for hand-made entries. */
  readonly ruleId: string;
  /** Which entry of a multi-entry derivation (an intercompany transfer has legs 0 and 1); default 0. */
  readonly leg?: number;
  readonly entity: string;
  /** Default: the entity's functional currency. */
  readonly currency?: string | undefined;
  readonly effectiveDate: IsoDate;
  readonly postedAt: IsoTimestamp;
  readonly reasonCode: ReasonCode;
  readonly description: string;
  readonly groupId?: string | null;
  readonly lines: readonly LineDraft[];
}

const MAX_TEXT = 200;
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;
const CONTROL = /[\u0000-\u001f\u007f]/;
const DIMENSION_SET: ReadonlySet<string> = new Set(DIMENSION_KEYS);

/** A batch stamps every entry with one postedAt: the last one that passed is not checked again. */
let lastPostedAt = '';

function isTimestamp(v: unknown): boolean {
  if (typeof v !== 'string' || !ISO_TIMESTAMP.test(v)) return false;
  lastPostedAt = v;
  return true;
}

function bad(entry: string, reason: string): CrosswalkError {
  return new CrosswalkError('CW_ERR_LEDGER_BAD_ENTRY', { entry, reason });
}

function checkText(id: string, what: string, value: string, max = MAX_TEXT): void {
  if (typeof value !== 'string' || value.length === 0) throw bad(id, `${what} is empty`);
  if (value.length > max) throw bad(id, `${what} is longer than ${max} characters`);
  if (CONTROL.test(value)) throw bad(id, `${what} contains control characters`);
}

/**
 * The last dimension object checked, and its checked copy: journalize hands one object to both lines of
 * an entry. A one-entry cache rather than a WeakMap, whose bookkeeping cost more than the check. The
 * object is taken as it is when first checked; callers do not change dimensions after handing them over.
 */
let lastDimensions: { readonly given: Dimensions; readonly checked: Dimensions } | null = null;

function checkDimensions(id: string, lineNo: number, dims: Dimensions): Dimensions {
  if (lastDimensions !== null && lastDimensions.given === dims) return lastDimensions.checked;
  const checked = checkDimensionsOnce(id, lineNo, dims);
  lastDimensions = { given: dims, checked };
  return checked;
}

function checkDimensionsOnce(id: string, lineNo: number, dims: Dimensions): Dimensions {
  const out: Partial<Record<DimensionKey, string>> = {};
  for (const key of Object.keys(dims).sort()) {
    if (!DIMENSION_SET.has(key)) throw bad(id, `line ${lineNo}: unknown dimension ${key}`);
    const value = dims[key as DimensionKey];
    if (value === undefined) continue;
    checkText(id, `line ${lineNo} dimension ${key}`, value, 100);
    out[key as DimensionKey] = value;
  }
  return Object.freeze(out);
}

function assemble(
  id: string,
  draft: EntryDraft,
  reverses: string | null,
  ctx: LedgerContext,
  periods: readonly FiscalPeriod[],
): JournalEntry {
  const entity = entityOf(ctx, draft.entity);
  const currency = currencyOf(ctx, draft.currency ?? entity.currency);
  checkText(id, 'source event id', draft.sourceEventId);
  checkText(id, 'rule id', draft.ruleId);
  checkText(id, 'description', draft.description);
  if (draft.postedAt !== lastPostedAt && !isTimestamp(draft.postedAt)) {
    throw bad(id, `postedAt ${String(draft.postedAt)} is not an ISO-8601 timestamp with a zone`);
  }
  if (draft.groupId != null) checkText(id, 'group id', draft.groupId);
  if (draft.lines.length < 2) throw bad(id, `has ${draft.lines.length} line(s); an entry needs at least two`);

  let debits = 0n;
  let credits = 0n;
  const lines: JournalLine[] = [];
  for (let i = 0; i < draft.lines.length; i++) {
    const l = draft.lines[i]!;
    const lineNo = i + 1;
    if (typeof l.amount !== 'bigint') throw bad(id, `line ${lineNo}: amount must be a bigint of minor units`);
    if (l.amount <= 0n) throw bad(id, `line ${lineNo}: amount ${l.amount} must be greater than zero`);
    if (l.amount > MAX_LINE_AMOUNT) throw bad(id, `line ${lineNo}: amount exceeds the 64-bit limit`);
    if (l.side !== 'debit' && l.side !== 'credit')
      throw bad(id, `line ${lineNo}: side must be debit or credit`);
    const account = postableAccount(ctx, entity.code, l.account);
    const costCenter = l.costCenter ?? null;
    if (costCenter !== null) costCenterOf(ctx, costCenter, entity.code);
    else if (ctx.costCenterRequiredOnPnl && (account.type === 'expense' || account.type === 'revenue')) {
      throw bad(id, `line ${lineNo}: ${account.type} account ${account.code} needs a cost center`);
    }
    const memo = l.memo ?? null;
    if (memo !== null) checkText(id, `line ${lineNo} memo`, memo);
    if (l.side === 'debit') debits += l.amount;
    else credits += l.amount;
    lines.push(
      Object.freeze({
        lineNo,
        account: account.code,
        costCenter,
        side: l.side,
        amount: l.amount,
        memo,
        dimensions: checkDimensions(id, lineNo, l.dimensions ?? {}),
      }),
    );
  }
  if (debits !== credits) {
    throw new CrosswalkError('CW_ERR_LEDGER_UNBALANCED', {
      entry: id,
      currency: currency.code,
      debits: formatMinor(debits, currency.scale),
      credits: formatMinor(credits, currency.scale),
    });
  }
  const where = periodFor(entity.code, draft.effectiveDate, periods);
  return Object.freeze({
    id,
    entity: entity.code,
    currency: currency.code,
    periodId: where.period.id,
    lateFromPeriod: where.lateFromPeriod,
    effectiveDate: draft.effectiveDate,
    accountingDate: where.accountingDate,
    postedAt: draft.postedAt,
    sourceEventId: draft.sourceEventId,
    ruleId: draft.ruleId,
    reasonCode: draft.reasonCode,
    description: draft.description,
    groupId: draft.groupId ?? null,
    reverses,
    lines: Object.freeze(lines),
  });
}

/** Validates a draft against the master data and periods and returns the frozen entry, or throws a typed error. */
export function buildEntry(
  draft: EntryDraft,
  ctx: LedgerContext,
  periods: readonly FiscalPeriod[],
): JournalEntry {
  const leg = draft.leg ?? 0;
  if (!Number.isInteger(leg) || leg < 0) throw bad(draft.sourceEventId, `leg ${leg} must be an integer >= 0`);
  return assemble(entryId(draft.sourceEventId, draft.ruleId, leg), draft, null, ctx, periods);
}

export interface ReverseOptions {
  /** Why, in a few PHI-free words (e.g. `charge entered on wrong account`). */
  readonly reason: string;
  /** The reversal's effective date; it lands by the same period rules as any entry. */
  readonly date: IsoDate;
  readonly postedAt: IsoTimestamp;
}

/**
 * The entry that undoes `entry`: the same lines with debits and credits swapped, id derived from the
 * original's (so reversing twice is one idempotent write), `reverses` pointing back.
 */
export function reverse(
  entry: JournalEntry,
  options: ReverseOptions,
  ctx: LedgerContext,
  periods: readonly FiscalPeriod[],
): Reversal {
  const id = reversalId(entry.id);
  checkText(id, 'reversal reason', options.reason, 100);
  const description = `Reversal (${options.reason}) of: ${entry.description}`.slice(0, MAX_TEXT);
  const draft: EntryDraft = {
    sourceEventId: entry.sourceEventId,
    ruleId: 'reversal',
    entity: entry.entity,
    currency: entry.currency,
    effectiveDate: options.date,
    postedAt: options.postedAt,
    reasonCode: 'reversal',
    description,
    groupId: entry.groupId,
    lines: entry.lines.map((l) => ({ ...l, side: l.side === 'debit' ? 'credit' : 'debit' })),
  };
  return assemble(id, draft, entry.id, ctx, periods) as Reversal;
}

export function entryTotals(entry: JournalEntry): {
  readonly debit: MinorUnits;
  readonly credit: MinorUnits;
} {
  let debit = 0n;
  let credit = 0n;
  for (const l of entry.lines) {
    if (l.side === 'debit') debit += l.amount;
    else credit += l.amount;
  }
  return { debit, credit };
}

/** Whether debits equal credits: true of every entry `buildEntry` made; a check for entries read back. */
export function isBalanced(entry: JournalEntry): boolean {
  const t = entryTotals(entry);
  return t.debit === t.credit;
}

/** The entries' lines flattened with their entry's keys, in entry then line order. */
export function postedLines(entries: Iterable<JournalEntry>): PostedLine[] {
  const out: PostedLine[] = [];
  for (const e of entries) {
    for (const l of e.lines) {
      out.push({
        entryId: e.id,
        entity: e.entity,
        currency: e.currency,
        periodId: e.periodId,
        accountingDate: e.accountingDate,
        account: l.account,
        costCenter: l.costCenter,
        side: l.side,
        amount: l.amount,
      });
    }
  }
  return out;
}
