/**
 * The subledger's vocabulary. Every record is flat and uses `null` for absent values so a repository can
 * map it one-to-one onto a row (lines onto a child table, dimensions onto a JSON column).
 *
 * Conventions, after TigerBeetle's model:
 * - Amounts are `bigint` minor units of the entry's currency (scale from `Currency`), always > 0 on a
 *   line; the line's `side` says debit or credit. Two unsigned columns, no signs to get wrong, and the
 *   balance check is Σ debit = Σ credit.
 * - An entry belongs to exactly one legal entity and one currency, so "balanced per entity and currency"
 *   holds for any set of entries once each entry balances. A transaction between entities (a stock
 *   transfer) is a group of entries, one per entity, each balanced through its intercompany account and
 *   linked by `groupId`; cross-currency work would be linked the same way.
 * - `id` is deterministic (source event + rule + leg) and is the idempotency key.
 * - `reasonCode` says why the entry exists. Entries are never changed: corrections are new entries
 *   (`reverses` points at the entry a reversal undoes).
 *
 * The master-data shapes are structural supersets of what the ledger needs, so `src/demo` records (and
 * the rows the store reads back) can be passed in directly.
 */

/** Calendar date `YYYY-MM-DD`. */
export type IsoDate = string;
/** Instant, ISO-8601 with a zone, e.g. `2026-11-03T14:05:00.000Z`. */
export type IsoTimestamp = string;
/** Minor units (cents for USD). */
export type MinorUnits = bigint;

export interface Currency {
  /** ISO 4217 code, e.g. `USD`. */
  readonly code: string;
  /** Decimal places of the minor unit: 2 for USD, 0 for JPY, 3 for KWD. Fixed forever once used. */
  readonly scale: number;
}

export interface LegalEntity {
  readonly code: string;
  readonly name: string;
  /** Functional currency of the entity's books. */
  readonly currency: string;
}

export type AccountType = 'asset' | 'liability' | 'equity' | 'revenue' | 'expense';
export type NormalBalance = 'debit' | 'credit';

/** What posting rules look accounts up by: one role per account kind in the chart, shared by all entities. */
export type AccountRole =
  | 'cash'
  | 'patient-ar'
  | 'charge-clearing'
  | 'inventory'
  | 'pharmacy-inventory'
  | 'intercompany-due-from'
  | 'accounts-payable'
  | 'grni'
  | 'ap-accrual'
  | 'accrued-payroll'
  | 'intercompany-due-to'
  | 'net-assets'
  | 'gross-revenue'
  | 'contractual-allowance'
  | 'labor-expense'
  | 'benefits-expense'
  | 'supply-expense'
  | 'implant-expense'
  | 'drug-expense'
  | 'inventory-variance';

export interface Account {
  /** The account number, e.g. `1300`; intercompany accounts carry the counterparty, `1410-WCCH`. */
  readonly code: string;
  readonly name: string;
  readonly type: AccountType;
  readonly normalBalance: NormalBalance;
  readonly role: AccountRole | null;
  /** For `gross-revenue` accounts: the UB-04 revenue code family (first three digits), e.g. `027`. */
  readonly revenueCodeFamily: string | null;
  /** For intercompany accounts: the other entity. */
  readonly counterpartyEntityCode: string | null;
  /** Summary (header) accounts take no postings; absent means postable. */
  readonly postable?: boolean;
}

export interface CostCenterRef {
  /** `<entity>-<number>`, e.g. `HRMC-6410`. */
  readonly code: string;
  readonly entityCode: string;
}

/** One direction of an intercompany relationship, as in `src/demo/model.ts`. */
export interface IntercompanyRelationship {
  readonly entityCode: string;
  readonly counterpartyEntityCode: string;
  readonly dueFromAccountCode: string;
  readonly dueToAccountCode: string;
}

/**
 * `open` takes postings. `closing` is the cut-off while the close checklist runs: it takes no new
 * postings (events dated in it roll forward like late ones) but may go back to `open`. `closed` is final.
 */
export type PeriodStatus = 'open' | 'closing' | 'closed';

export interface FiscalPeriod {
  /** Unique per entity, e.g. `2026-11`. */
  readonly id: string;
  readonly entityCode: string;
  /** First day, inclusive. */
  readonly startDate: IsoDate;
  /** Last day, inclusive. */
  readonly endDate: IsoDate;
  readonly status: PeriodStatus;
}

/** Why an entry exists (TigerBeetle's transfer `code`). Stable: stored and exported. */
export type ReasonCode =
  | 'supply-used'
  | 'supply-wasted'
  | 'supply-returned'
  | 'implant-used-bill-only'
  | 'charge-posted'
  | 'charge-credited'
  | 'stock-received'
  | 'count-variance'
  | 'intercompany-transfer'
  | 'labor-recorded'
  | 'manual-adjustment'
  | 'reversal';

export const REASON_CODES: readonly ReasonCode[] = [
  'supply-used',
  'supply-wasted',
  'supply-returned',
  'implant-used-bill-only',
  'charge-posted',
  'charge-credited',
  'stock-received',
  'count-variance',
  'intercompany-transfer',
  'labor-recorded',
  'manual-adjustment',
  'reversal',
];

/**
 * Analysis dimensions a line may carry. Keys come from this closed list so nothing patient-shaped can
 * slip in under a new name; `case` is the keyed case token, never an encounter or patient id.
 */
export const DIMENSION_KEYS = [
  'item',
  'itemCategory',
  'department',
  'revenueCode',
  'cdm',
  'parLocation',
  'case',
  'employee',
  'jobCode',
  'vendor',
  'lot',
  'transfer',
] as const;
export type DimensionKey = (typeof DIMENSION_KEYS)[number];
export type Dimensions = Readonly<Partial<Record<DimensionKey, string>>>;

export type Side = 'debit' | 'credit';

export interface JournalLine {
  /** 1-based position within the entry. */
  readonly lineNo: number;
  readonly account: string;
  readonly costCenter: string | null;
  readonly side: Side;
  /** Minor units, > 0. */
  readonly amount: MinorUnits;
  readonly memo: string | null;
  readonly dimensions: Dimensions;
}

export interface JournalEntry {
  readonly id: string;
  readonly entity: string;
  readonly currency: string;
  /** The fiscal period the entry is booked in. */
  readonly periodId: string;
  /** Set when the effective date fell in a period that no longer took postings. */
  readonly lateFromPeriod: string | null;
  /** When it happened in the world (the source event's date). */
  readonly effectiveDate: IsoDate;
  /** The date inside `periodId` the entry is booked on: the effective date, or the period's first day if late. */
  readonly accountingDate: IsoDate;
  /** When Crosswalk booked it (injected clock). */
  readonly postedAt: IsoTimestamp;
  readonly sourceEventId: string;
  /** The posting rule that derived it, `reversal`, or `manual:<name>`. */
  readonly ruleId: string;
  readonly reasonCode: ReasonCode;
  /** Built from rule text and codes only: PHI-free. */
  readonly description: string;
  /** Links the entries of one multi-entity transaction (the transfer id); `null` when alone. */
  readonly groupId: string | null;
  /** For a reversal: the id of the entry it undoes. */
  readonly reverses: string | null;
  readonly lines: readonly JournalLine[];
}

/** A reversal is an entry whose `reverses` names the original. */
export type Reversal = JournalEntry & { readonly reverses: string; readonly reasonCode: 'reversal' };

/** One line with its entry's keys: the row shape of a posted-lines table and the trial balance input. */
export interface PostedLine {
  readonly entryId: string;
  readonly entity: string;
  readonly currency: string;
  readonly periodId: string;
  readonly accountingDate: IsoDate;
  readonly account: string;
  readonly costCenter: string | null;
  readonly side: Side;
  readonly amount: MinorUnits;
}
