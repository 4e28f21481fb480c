import type { CanonicalEvent, EventOf } from '../canonical/index.ts';
import { CrosswalkError, isCrosswalkError } from '../errors/index.ts';
import { interpretFhir, isFhirMessage } from '../fhir/index.ts';
import { type MasterKind, type OwnershipRegistry, ownerOf, systemOf } from '../governance/index.ts';
import { parseMessage } from '../hl7v2/index.ts';
import { interpretHl7 } from '../interpret/index.ts';
import {
  type InventoryCommand,
  type InventoryFlag,
  type InventoryState,
  type ItemCatalog,
  type Movement,
  postAll,
} from '../inventory/index.ts';
import {
  type FiscalPeriod,
  type JournalEntry,
  journalize,
  type LedgerContext,
  type RuleTable,
} from '../ledger/index.ts';
import type { MappingRelease } from '../mapping/index.ts';
import type { OutboundRequisition } from '../outbox/documents.ts';
import { POSTING_TYPE } from './rules.ts';

/** A stored inbound message as the apply stage reads it. */
export interface StoredMessage {
  readonly id: bigint;
  readonly orderingKey: string;
  readonly sender: string;
  readonly controlId: string;
  readonly receivedAt: string;
  readonly raw: Buffer;
  /** The inbound interface it arrived on (MLLP interface name, `fhir`); absent where a reader did not load it. */
  readonly interfaceName?: string;
}

export interface ItemFacts {
  readonly category: string;
  readonly vendorCode: string;
  readonly unitCost: bigint;
  readonly currency: string;
  readonly billOnly: boolean;
}

/** Everything a batch is applied with; built once per release and master-data version. */
export interface ApplyContext {
  readonly release: MappingRelease;
  readonly tokenKey: Uint8Array;
  /** Earlier keys of the token ring, newest first: encounters they tokenised stay linked (token-link.ts). */
  readonly earlierTokenKeys?: readonly Uint8Array[];
  readonly ledger: LedgerContext;
  readonly rules: RuleTable;
  readonly periods: readonly FiscalPeriod[];
  readonly catalog: ItemCatalog;
  readonly items: ReadonlyMap<string, ItemFacts>;
  /** Par location → its cost center (the stock side of a supply entry). */
  readonly parCostCenters: ReadonlyMap<string, string>;
  /** When this batch posts (injected clock). */
  readonly postedAt: string;
  /** Which system owns each kind of master data, and which system each source is (principle 5). */
  readonly ownership: OwnershipRegistry;
}

/**
 * A master-data change held back because its sender is not the system of record of its kind: it is not
 * applied (no event, nothing published) and becomes a stewardship exception instead.
 */
export interface StewardshipHold {
  readonly kind: MasterKind;
  /** What the change is about: the item, CDM line, practitioner, location or encounter token. */
  readonly key: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly action: string | null;
  /** The event's payload: the change that was proposed. */
  readonly proposed: unknown;
  readonly sender: string;
  readonly senderSystem: string;
  readonly owner: string;
}

/** A bill-only requisition the apply stage raises: the document shape the ERP receives, kind fixed. */
export interface Requisition extends OutboundRequisition {
  readonly kind: 'bill-only';
}

export interface EncounterState {
  readonly token: string;
  readonly entity: string;
  readonly status: 'active' | 'ended' | 'cancelled';
  readonly patientClass: string | null;
  readonly careLocationCode: string | null;
  readonly departmentCode: string | null;
  readonly costCenterCode: string | null;
  readonly admittedAt: string | null;
  readonly dischargedAt: string | null;
  readonly lastEventId: string;
  readonly updatedAt: string;
}

export type MessagePlan =
  | {
      readonly kind: 'applied';
      readonly message: StoredMessage;
      readonly messageType: string;
      readonly events: readonly CanonicalEvent[];
      readonly movements: readonly (Movement & { readonly sourceEventId: string })[];
      readonly flags: readonly (InventoryFlag & { readonly sourceEventId: string })[];
      readonly entries: readonly JournalEntry[];
      readonly requisitions: readonly Requisition[];
      readonly encounters: readonly EncounterState[];
      /** Master-data changes from a system that does not own their kind: not applied, raised to stewards. */
      readonly held: readonly StewardshipHold[];
    }
  | {
      readonly kind: 'skipped';
      readonly message: StoredMessage;
      readonly messageType: string;
      readonly code: string;
      readonly reason: string;
    }
  | {
      readonly kind: 'failed';
      readonly message: StoredMessage;
      readonly messageType: string;
      readonly error: CrosswalkError;
    };

const SUPPLY_COMMAND = { SupplyUsed: 'issue', SupplyWasted: 'waste', SupplyReturned: 'return' } as const;

/** The inbox key of a message as events carry it (sender = MSH-3|MSH-4, then MSH-10). */
export const sourceMessageKey = (m: Pick<StoredMessage, 'sender' | 'controlId'>) =>
  `${m.sender}|${m.controlId}`;

function asCrosswalkError(e: unknown): CrosswalkError {
  if (isCrosswalkError(e)) return e;
  return new CrosswalkError('CW_ERR_APPLY_INTERNAL', { reason: (e as Error).message ?? String(e) });
}

export type Interpretation =
  | { readonly kind: 'events'; readonly messageType: string; readonly events: readonly CanonicalEvent[] }
  | { readonly kind: 'skipped'; readonly messageType: string; readonly code: string; readonly reason: string }
  | { readonly kind: 'failed'; readonly messageType: string; readonly error: CrosswalkError };

/** Parses and interprets a stored message with the context's release. Pure. */
export function interpretStored(
  message: StoredMessage,
  ctx: Pick<ApplyContext, 'release' | 'tokenKey'>,
): Interpretation {
  // FHIR writes reach the apply stage as inbox rows too (src/fhir/envelope.ts), with their own interpreter.
  if (isFhirMessage(message)) return interpretFhir(message, ctx);
  let messageType = '';
  try {
    const parsed = parseMessage(message.raw);
    messageType = parsed.header.messageType;
    const result = interpretHl7(parsed, {
      release: ctx.release,
      tokenKey: ctx.tokenKey,
      sourceMessageId: sourceMessageKey(message),
      receivedAt: message.receivedAt,
      orderingKey: message.orderingKey,
    });
    if (result.status === 'not-interpreted')
      return { kind: 'skipped', messageType, code: result.code, reason: result.reason };
    return { kind: 'events', messageType, events: result.events };
  } catch (e) {
    return { kind: 'failed', messageType, error: asCrosswalkError(e) };
  }
}

/** What a batch of interpreted messages will read: the stock positions, serials and encounters it touches. */
export function touchedBy(interpretations: readonly Interpretation[]): {
  positions: { itemCode: string; parLocationCode: string }[];
  serials: { itemCode: string; serialNumber: string }[];
  encounterTokens: string[];
} {
  const positions: { itemCode: string; parLocationCode: string }[] = [];
  const serials: { itemCode: string; serialNumber: string }[] = [];
  const encounterTokens = new Set<string>();
  for (const i of interpretations) {
    if (i.kind !== 'events') continue;
    for (const e of i.events) {
      if (e.type === 'SupplyUsed' || e.type === 'SupplyWasted' || e.type === 'SupplyReturned') {
        positions.push({ itemCode: e.payload.itemCode, parLocationCode: e.payload.parLocationCode });
        const serial = e.payload.trace?.serialNumber;
        if (serial) serials.push({ itemCode: e.payload.itemCode, serialNumber: serial });
      } else if (
        'encounterToken' in e.payload &&
        typeof e.payload.encounterToken === 'string' &&
        e.type.startsWith('Encounter')
      ) {
        encounterTokens.add(e.payload.encounterToken);
      } else if (e.type === 'DischargeCancelled') {
        encounterTokens.add(e.payload.encounterToken);
      }
    }
  }
  return { positions, serials, encounterTokens: [...encounterTokens] };
}

/**
 * Plans one interpreted message against the inventory state: stock movements, journal entries,
 * requisitions and encounter context, all or nothing. Pure: the state that comes back is the input
 * state plus this message's movements when it applies, and the input state unchanged when it fails.
 */
export function planMessage(
  message: StoredMessage,
  interpretation: Interpretation,
  state: InventoryState,
  ctx: ApplyContext,
  encounters: ReadonlyMap<string, EncounterState>,
): { plan: MessagePlan; state: InventoryState } {
  const messageType = interpretation.messageType;
  if (interpretation.kind === 'skipped') {
    const { code, reason } = interpretation;
    return { plan: { kind: 'skipped', message, messageType, code, reason }, state };
  }
  if (interpretation.kind === 'failed') {
    return { plan: { kind: 'failed', message, messageType, error: interpretation.error }, state };
  }
  try {
    const { events, held } = splitByOwnership(message, interpretation.events, ctx.ownership);
    // Stock first: the entries of supply events are valued by the movements (moving-average cost).
    const commands: InventoryCommand[] = [];
    const commandEvent: CanonicalEvent[] = [];
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      if (e.type === 'SupplyUsed' || e.type === 'SupplyWasted' || e.type === 'SupplyReturned') {
        const p = e.payload;
        const type = SUPPLY_COMMAND[e.type];
        const serial = p.trace?.serialNumber;
        // Usage beyond the books' on-hand is what happened on the floor: post it, flag it for supply chain.
        const command: InventoryCommand = {
          type,
          sourceEventId: e.id,
          line: i + 1,
          itemCode: p.itemCode,
          parLocationCode: p.parLocationCode,
          occurredAt: e.occurredAt,
          quantity: BigInt(p.quantity),
          lotNumber: p.trace?.lotNumber ?? null,
          ...(serial ? { serialNumbers: [serial] } : {}),
          ...(type === 'return' ? {} : { allowNegative: true }),
        };
        commands.push(command);
        commandEvent.push(e);
      }
    }
    const stock = postAll(state, ctx.catalog, commands);
    const movements: (Movement & { sourceEventId: string })[] = [];
    const flags: (InventoryFlag & { sourceEventId: string })[] = [];
    const valueByEvent = new Map<string, bigint>();
    const requisitions: Requisition[] = [];
    stock.outcomes.forEach((o, k) => {
      const e = commandEvent[k]!;
      if (o.kind === 'posted') {
        for (const m of o.movements) {
          movements.push({ ...m, sourceEventId: e.id });
          valueByEvent.set(e.id, (valueByEvent.get(e.id) ?? 0n) + m.value);
        }
        for (const f of o.flags) flags.push({ ...f, sourceEventId: e.id });
      } else if (o.kind === 'not-stocked' && e.type === 'SupplyUsed') {
        requisitions.push(billOnly(e, o.quantity, ctx));
      }
    });

    const entries: JournalEntry[] = [];
    const nextEncounters: EncounterState[] = [];
    const known = new Map(encounters);
    for (const e of events) {
      const postingType = POSTING_TYPE[e.type];
      if (postingType) {
        const amount = amountOf(e, valueByEvent, ctx);
        if (e.type === 'ImplantUsed') requisitions.push(billOnly(e, BigInt(e.payload.quantity), ctx));
        if (amount > 0n)
          entries.push(
            ...journalize(postingInput(e, postingType, amount, ctx), ctx.rules, ctx.ledger, ctx.periods),
          );
      } else if (
        e.type === 'EncounterStarted' ||
        e.type === 'EncounterUpdated' ||
        e.type === 'EncounterEnded' ||
        e.type === 'EncounterCancelled' ||
        e.type === 'DischargeCancelled'
      ) {
        const next = encounterAfter(known.get(e.payload.encounterToken), e);
        known.set(next.token, next);
        nextEncounters.push(next);
      }
    }
    return {
      plan: {
        kind: 'applied',
        message,
        messageType,
        events,
        movements,
        flags,
        entries,
        requisitions,
        encounters: nextEncounters,
        held,
      },
      state: stock.state,
    };
  } catch (e) {
    return { plan: { kind: 'failed', message, messageType, error: asCrosswalkError(e) }, state };
  }
}

/** The kind of master data an event changes, and the key of the record; null for other events. */
export function masterChangeOf(e: CanonicalEvent): { kind: MasterKind; key: string } | null {
  switch (e.type) {
    case 'ItemMasterChanged':
      return { kind: 'item', key: e.payload.itemCode };
    case 'ChargeMasterChanged':
      return { kind: 'charge_master', key: e.payload.cdmCode };
    case 'PractitionerChanged':
      return { kind: 'practitioner', key: e.payload.practitionerId };
    case 'LocationChanged':
      return { kind: 'location', key: `${e.payload.facility}/${e.payload.pointOfCare}` };
    case 'EncounterStarted':
    case 'EncounterUpdated':
    case 'EncounterEnded':
    case 'EncounterCancelled':
    case 'DischargeCancelled':
      return { kind: 'encounter', key: e.payload.encounterToken };
    default:
      return null;
  }
}

/**
 * Principle 5: a master-data change is applied only when its sender is the system of record of its kind,
 * both judged as the registry stood when the message arrived (so a replay decides alike). The rest of the
 * message applies as usual; the held changes become a stewardship exception, never an overwrite.
 */
export function splitByOwnership(
  message: StoredMessage,
  events: readonly CanonicalEvent[],
  registry: OwnershipRegistry,
): { events: readonly CanonicalEvent[]; held: StewardshipHold[] } {
  const held: StewardshipHold[] = [];
  let senderSystem: string | null = null;
  const kept = events.filter((e) => {
    const change = masterChangeOf(e);
    if (change === null) return true;
    senderSystem ??= systemOf(registry, message, message.receivedAt);
    const owner = ownerOf(registry, change.kind, message.receivedAt);
    if (owner === senderSystem) return true;
    held.push({
      kind: change.kind,
      key: change.key,
      eventId: e.id,
      eventType: e.type,
      action: 'action' in e.payload && typeof e.payload.action === 'string' ? e.payload.action : null,
      proposed: e.payload,
      sender: message.sender,
      senderSystem,
      owner,
    });
    return false;
  });
  return { events: held.length === 0 ? events : kept, held };
}

export function amountOf(
  e: CanonicalEvent,
  valueByEvent: ReadonlyMap<string, bigint>,
  ctx: ApplyContext,
): bigint {
  switch (e.type) {
    case 'SupplyUsed':
    case 'SupplyWasted':
    case 'SupplyReturned': {
      const v = valueByEvent.get(e.id) ?? 0n;
      return v < 0n ? -v : v;
    }
    case 'ImplantUsed':
      return (
        BigInt(e.payload.quantity) * (e.payload.unitCost ?? ctx.items.get(e.payload.itemCode)?.unitCost ?? 0n)
      );
    case 'ChargePosted':
    case 'ChargeCredited':
      return e.payload.amount;
    default:
      return 0n;
  }
}

export function postingInput(
  e: CanonicalEvent,
  eventType: NonNullable<(typeof POSTING_TYPE)[keyof typeof POSTING_TYPE]>,
  amount: bigint,
  ctx: ApplyContext,
) {
  // Object literals in full rather than a spread of shared fields: this runs once per posting event.
  if (e.type === 'ChargePosted' || e.type === 'ChargeCredited') {
    const p = e.payload;
    return {
      sourceEventId: e.id,
      eventType,
      entity: e.entity,
      effectiveDate: e.occurredAt.slice(0, 10),
      postedAt: ctx.postedAt,
      amount,
      itemCategory: p.itemCode ? (ctx.items.get(p.itemCode)?.category ?? null) : null,
      revenueCode: p.revenueCode,
      costCenter: p.costCenterCode,
      currency: p.currency,
      dimensions: p.itemCode
        ? { department: p.departmentCode, item: p.itemCode }
        : { department: p.departmentCode },
    };
  }
  const p = (e as EventOf<'SupplyUsed'>).payload;
  return {
    sourceEventId: e.id,
    eventType,
    entity: e.entity,
    effectiveDate: e.occurredAt.slice(0, 10),
    postedAt: ctx.postedAt,
    amount,
    itemCategory: p.itemCategory,
    costCenter: p.costCenterCode,
    stockCostCenter: ctx.parCostCenters.get(p.parLocationCode) ?? null,
    dimensions: { department: p.departmentCode, item: p.itemCode, parLocation: p.parLocationCode },
  };
}

function billOnly(e: CanonicalEvent, quantity: bigint, ctx: ApplyContext): Requisition {
  const p = (e as EventOf<'ImplantUsed'>).payload;
  const item = ctx.items.get(p.itemCode);
  return {
    id: `req_${e.id.slice(3)}`,
    kind: 'bill-only',
    sourceEventId: e.id,
    entity: e.entity,
    itemCode: p.itemCode,
    vendorCode: item?.vendorCode ?? null,
    quantity,
    unitCost: p.unitCost ?? item?.unitCost ?? 0n,
    currency: p.currency ?? item?.currency ?? 'USD',
    costCenter: p.costCenterCode,
    lotNumber: p.trace?.lotNumber ?? null,
    serialNumber: p.trace?.serialNumber ?? null,
    caseToken: p.caseToken,
    createdAt: ctx.postedAt,
  };
}

function encounterAfter(
  prev: EncounterState | undefined,
  e:
    | EventOf<'EncounterStarted'>
    | EventOf<'EncounterUpdated'>
    | EventOf<'EncounterEnded'>
    | EventOf<'EncounterCancelled'>
    | EventOf<'DischargeCancelled'>,
): EncounterState {
  const p = e.payload;
  const status =
    e.type === 'EncounterEnded'
      ? 'ended'
      : e.type === 'EncounterCancelled'
        ? 'cancelled'
        : e.type === 'DischargeCancelled'
          ? 'active'
          : (prev?.status ?? 'active');
  return {
    token: p.encounterToken,
    entity: e.entity,
    status: e.type === 'EncounterStarted' ? 'active' : status,
    patientClass: p.patientClass ?? prev?.patientClass ?? null,
    careLocationCode: p.careLocationCode ?? prev?.careLocationCode ?? null,
    departmentCode: p.departmentCode ?? prev?.departmentCode ?? null,
    costCenterCode: p.costCenterCode ?? prev?.costCenterCode ?? null,
    admittedAt: p.admittedAt ?? prev?.admittedAt ?? null,
    dischargedAt: e.type === 'DischargeCancelled' ? null : (p.dischargedAt ?? prev?.dischargedAt ?? null),
    lastEventId: e.id,
    updatedAt: e.occurredAt,
  };
}
