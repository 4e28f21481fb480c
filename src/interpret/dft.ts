import type { DeviceTrace, ProviderRef, SupplyPayload } from '../canonical/index.ts';
import { CrosswalkError } from '../errors/index.ts';
import type { Segment } from '../hl7v2/index.ts';
import {
  type CareLocationRow,
  type DepartmentRow,
  type FieldRules,
  type Ft1Meaning,
  findCareLocation,
  type MappingRelease,
  resolveCareLocation,
  resolveCharge,
  resolveDepartment,
  resolveItem,
  resolveUomFactor,
} from '../mapping/index.ts';
import type { Emitter } from './context.ts';
import { caseToken, flag, missing, money, orNull, provider, quantity, text } from './fields.ts';
import type { Hl7Instant } from './time.ts';

/**
 * DFT^P03 / DFT^P11: one event per FT1, its meaning from the release's field rules (FT1-6). The FT1
 * layout is the one src/demo/traffic-segments.ts documents; implant traceability comes from the ZIM whose
 * ZIM-1 is the FT1's set id (or FT1 fields the release names). A message is interpreted whole or not at
 * all: the first line that cannot be mapped throws, naming the line, so a fix-and-replay redoes it all.
 */

const REVERSED: Readonly<Partial<Record<Ft1Meaning, Ft1Meaning>>> = {
  usage: 'return',
  return: 'usage',
  charge: 'credit',
  credit: 'charge',
};

/**
 * The lines of one message mostly repeat their time, case, performer, place and department field for
 * field. What follows from such a field's text alone (with the message, the release and the line's date)
 * is kept from the line before while the text is the same: a string comparison instead of the reads,
 * look-ups and hashing. Only successes are kept, so an error still names its own line.
 */
class Repeats {
  timeText: string | undefined;
  time: Hl7Instant | null = null;
  caseField: string | undefined;
  caseToken: string | null = null;
  performerField: string | undefined;
  performerDate = '';
  performer: ProviderRef | null = null;
  placeField: string | undefined;
  placeDate = '';
  placeRequired = false;
  place: CareLocationRow | null = null;
  departmentCode: string | undefined;
  departmentDate = '';
  department: DepartmentRow | null = null;
}

interface Line {
  readonly repeats: Repeats;
  readonly seg: Segment;
  readonly occurrence: number;
  readonly pos: string;
  readonly at: Hl7Instant;
  readonly meaning: Ft1Meaning;
  readonly reversal: boolean;
  /** Absolute value as sent, before unit conversion; null when FT1-10 is empty. */
  readonly quantity: number | null;
}

export function interpretDft(em: Emitter): void {
  const msg = em.msg;
  const rules = em.release.content.fieldRules;
  const messageTime = em.firstTime(['EVN-2', msg.get('EVN-2')], ['MSH-7', msg.get('MSH-7')]);
  const zims = new Map<string, Segment>();
  for (const z of msg.segmentsNamed('ZIM')) zims.set(text(z, 1), z);
  const ft1s = msg.segmentsNamed('FT1');
  const repeats = new Repeats();
  for (let i = 0; i < ft1s.length; i++) interpretLine(em, rules, ft1s[i]!, i, messageTime, zims, repeats);
}

function interpretLine(
  em: Emitter,
  rules: FieldRules,
  seg: Segment,
  i: number,
  messageTime: Hl7Instant,
  zims: ReadonlyMap<string, Segment>,
  repeats: Repeats,
): void {
  const pos = `FT1[${i + 1}]`;
  const type = text(seg, 6, 1);
  if (type === '') throw missing(`${pos}-6`, 'the transaction type');
  const sent = Object.hasOwn(rules.transactionTypes, type) ? rules.transactionTypes[type] : undefined;
  if (sent === undefined) {
    throw new CrosswalkError('CW_ERR_MAP_UNKNOWN_TRANSACTION_TYPE', {
      value: type.slice(0, 20),
      position: `${pos}-6`,
    });
  }
  // Empty times read as null without a look at the position, which only an error names.
  const usedAt = text(seg, 4, 1);
  const postedAt = usedAt === '' ? text(seg, 5) : '';
  let usedTime: Hl7Instant | null = null;
  if (usedAt !== '') {
    if (usedAt !== repeats.timeText) {
      repeats.time = em.time(usedAt, `${pos}-4`);
      repeats.timeText = usedAt;
    }
    usedTime = repeats.time;
  }
  const at = usedTime ?? (postedAt === '' ? null : em.time(postedAt, `${pos}-5`)) ?? messageTime;
  const sentQuantity = text(seg, 10);
  const q = sentQuantity === '' ? null : quantity(sentQuantity, `${pos}-10`);
  if (q === 0) throw badQuantity(`${pos}-10`, sentQuantity, 'a line must move at least one unit');
  // A reversal is sent as a negative quantity, or (charges) a negative extended amount.
  const isCharge = sent === 'charge' || sent === 'credit';
  const extended = isCharge ? money(seg, 11, `${pos}-11`, 'USD') : null;
  const reversal = (q !== null && q < 0) || (extended !== null && extended.amount < 0n);
  let meaning = sent;
  if (reversal) {
    const opposite = REVERSED[sent];
    if (rules.negativeQuantity === 'reject' || opposite === undefined) {
      throw badQuantity(
        `${pos}-10`,
        sentQuantity || text(seg, 11, 1, 1),
        opposite === undefined
          ? `a negative ${sent} line cannot be reversed`
          : 'the release rejects negative quantities',
      );
    }
    meaning = opposite;
  }
  const line: Line = {
    repeats,
    seg,
    occurrence: i + 1,
    pos,
    at,
    meaning,
    reversal,
    quantity: q === null ? null : Math.abs(q),
  };
  if (meaning === 'charge' || meaning === 'credit') charge(em, line);
  else supply(em, line, zims.size === 0 ? undefined : zims.get(text(seg, 1)));
}

function badQuantity(position: string, value: string, reason: string): CrosswalkError {
  return new CrosswalkError('CW_ERR_INTERPRET_BAD_QUANTITY', { value, position, reason });
}

/** FT1-16, else PV1-3: the care location and (through it) the par location and department. */
function location(em: Emitter, line: Line, required: boolean): CareLocationRow | null {
  const r = line.repeats;
  const field16 = line.seg.getRaw(16);
  if (field16 === r.placeField && line.at.date === r.placeDate && required === r.placeRequired)
    return r.place;
  const place = findLocation(em, line, required);
  r.placeField = field16;
  r.placeDate = line.at.date;
  r.placeRequired = required;
  r.place = place;
  return place;
}

function findLocation(em: Emitter, line: Line, required: boolean): CareLocationRow | null {
  // PL-1 and PL-4 of a place (fields.ts place), the message's sending facility when PL-4 is empty.
  let seg: Segment | undefined = line.seg;
  let field = 16;
  let pointOfCare = text(seg, 16, 1, 1);
  if (pointOfCare === '') {
    seg = em.msg.segment('PV1');
    field = 3;
    pointOfCare = text(seg, 3, 1, 1);
  }
  if (pointOfCare === '') {
    if (required) throw missing(`${line.pos}-16`, 'the care location supplies are issued at');
    return null;
  }
  const facility = text(seg, field, 4, 1) || em.sendingFacility();
  return required
    ? resolveCareLocation(
        em.release,
        facility,
        pointOfCare,
        line.at.date,
        field === 16 ? `${line.pos}-16` : 'PV1-3',
      )
    : (findCareLocation(em.release, facility, pointOfCare, line.at.date) ?? null);
}

function department(em: Emitter, line: Line, loc: CareLocationRow | null): DepartmentRow | null {
  const code = text(line.seg, 13, 1);
  if (code !== '') {
    const r = line.repeats;
    if (code !== r.departmentCode || line.at.date !== r.departmentDate) {
      r.department = resolveDepartment(em.release, code, line.at.date, `${line.pos}-13`);
      r.departmentCode = code;
      r.departmentDate = line.at.date;
    }
    return r.department;
  }
  return loc === null
    ? null
    : {
        ehrDepartmentCode: '',
        departmentCode: loc.departmentCode,
        costCenterCode: loc.costCenterCode,
        entityCode: loc.entityCode,
        effectiveFrom: null,
        effectiveTo: null,
      };
}

/** FT1-23 as a case token (fields.ts caseToken). */
function lineCase(em: Emitter, line: Line): string | null {
  const r = line.repeats;
  const field = line.seg.getRaw(23);
  if (field !== r.caseField) {
    r.caseToken = caseToken(line.seg, 23, em.key);
    r.caseField = field;
  }
  return r.caseToken;
}

/** FT1-20 as a provider (fields.ts provider); each event gets its own object. */
function performer(line: Line, release: MappingRelease): ProviderRef | null {
  const r = line.repeats;
  const field = line.seg.getRaw(20);
  if (field !== r.performerField || line.at.date !== r.performerDate) {
    r.performer = provider(line.seg, 20, release, line.at.date);
    r.performerField = field;
    r.performerDate = line.at.date;
  }
  const p = r.performer;
  return p === null ? null : { id: p.id, npi: p.npi, employeeCode: p.employeeCode };
}

function fromFt1(seg: Segment, field: number | null): string | null {
  return field === null ? null : orNull(text(seg, field));
}

function trace(em: Emitter, line: Line, zim: Segment | undefined): DeviceTrace | null {
  const f = em.release.content.fieldRules.ft1TraceFields;
  // Without a ZIM or FT1 trace fields every part is null, and so is the trace.
  if (zim === undefined && f.lotNumber === null && f.serialNumber === null && f.udi === null) return null;
  const expiry = zim === undefined ? null : em.time(text(zim, 5), `ZIM for ${line.pos}-5`);
  const t: DeviceTrace = {
    udiDi: orNull(text(zim, 2)),
    lotNumber: orNull(text(zim, 3)) ?? fromFt1(line.seg, f.lotNumber),
    serialNumber: orNull(text(zim, 4)) ?? fromFt1(line.seg, f.serialNumber),
    expiryDate: expiry?.date ?? null,
    udi: orNull(text(zim, 8)) ?? fromFt1(line.seg, f.udi),
    manufacturerName: orNull(text(zim, 7)),
  };
  return t.udiDi === null &&
    t.lotNumber === null &&
    t.serialNumber === null &&
    t.expiryDate === null &&
    t.udi === null &&
    t.manufacturerName === null
    ? null
    : t;
}

function supply(em: Emitter, line: Line, zim: Segment | undefined): void {
  const { seg, pos, at } = line;
  const release = em.release;
  const code = text(seg, 7, 1);
  if (code === '') throw missing(`${pos}-7`, 'the supply item');
  const item = resolveItem(release, code, at.date, `${pos}-7`);
  if (line.quantity === null) throw missing(`${pos}-10`, 'the quantity of a supply line');
  const uomPath = release.content.fieldRules.quantityUomPath;
  const uom = uomPath === null ? '' : em.msg.get(uomPath, line.occurrence).trim();
  const factor = uom === '' ? 1 : resolveUomFactor(release, item, uom, at.date, uomPath ?? pos);
  // 0.1 BX × 30 is 3.0000000000000004 in binary floating point; a hair off a whole number is that number.
  const exact = line.quantity * factor;
  const base = Math.abs(exact - Math.round(exact)) < 1e-9 ? Math.round(exact) : exact;
  if (!Number.isSafeInteger(base)) {
    throw badQuantity(`${pos}-10`, String(line.quantity), `not a whole number of ${item.baseUom}`);
  }
  const loc = location(em, line, true)!;
  const dept = department(em, line, loc)!;
  const cost = money(seg, 22, `${pos}-22`, 'USD');
  const traced = trace(em, line, zim);
  const billOnlyFlag = flag(zim, 6);
  const billOnly = line.meaning === 'usage' && (billOnlyFlag ?? item.billOnly);
  const payload: SupplyPayload = {
    itemCode: item.itemCode,
    ehrSupplyCode: code,
    itemCategory: item.category,
    quantity: base,
    uom: item.baseUom,
    parLocationCode: loc.parLocationCode,
    careLocationCode: loc.careLocationCode,
    departmentCode: dept.departmentCode,
    costCenterCode: dept.costCenterCode,
    encounterToken: em.encounterToken(),
    caseToken: lineCase(em, line),
    performer: performer(line, release),
    // FT1-22 is per unit as sent; a converted line's cost per base unit is only exact when it divides.
    unitCost: cost === null ? null : factor === 1 ? cost.amount : perBaseUnit(cost.amount, factor),
    currency: cost === null ? null : (cost.currency ?? 'USD'),
    implant: item.implant,
    trace: traced,
    sourceTransactionId: orNull(text(seg, 2)),
    reversal: line.reversal,
  };
  if (billOnly) {
    if (traced === null) throw missing(`ZIM for ${pos}`, 'the lot/serial of a bill-only implant');
    em.emit('ImplantUsed', pos, at, loc.entityCode, { ...payload, trace: traced, billOnly: true });
    return;
  }
  const type =
    line.meaning === 'usage' ? 'SupplyUsed' : line.meaning === 'waste' ? 'SupplyWasted' : 'SupplyReturned';
  em.emit(type, pos, at, loc.entityCode, payload);
}

/** A per-unit cost over the base units in that unit, when it divides exactly. */
function perBaseUnit(amount: bigint, factor: number): bigint | null {
  const f = BigInt(factor);
  return amount % f !== 0n ? null : amount / f;
}

function abs(x: bigint): bigint {
  return x < 0n ? -x : x;
}

function charge(em: Emitter, line: Line): void {
  const { seg, pos, at } = line;
  const release = em.release;
  let code = '';
  let codePath: string | undefined;
  for (const path of release.content.fieldRules.chargeCodePaths) {
    code = em.msg.get(path, line.occurrence).trim();
    codePath = path;
    if (code !== '') break;
  }
  const codePos = codePath === undefined ? pos : codePath.replace('FT1', pos);
  if (code === '') throw missing(codePos, 'the charge code');
  const cdm = resolveCharge(release, code, at.date, codePos);
  const hasDepartment = text(seg, 13, 1) !== '';
  const loc = location(em, line, !hasDepartment);
  const dept = department(em, line, loc);
  if (dept === null) throw missing(`${pos}-13`, 'the department a charge belongs to');
  const qty = line.quantity ?? 1;
  if (!Number.isSafeInteger(qty)) throw badQuantity(`${pos}-10`, String(qty), 'a charge counts whole units');
  const extended = money(seg, 11, `${pos}-11`, cdm.currency);
  const unit = money(seg, 12, `${pos}-12`, cdm.currency);
  let amount: bigint;
  let unitPrice: bigint | null;
  if (extended !== null) {
    amount = abs(extended.amount);
    unitPrice = unit !== null ? abs(unit.amount) : amount % BigInt(qty) === 0n ? amount / BigInt(qty) : null;
  } else if (unit !== null) {
    unitPrice = abs(unit.amount);
    amount = unitPrice * BigInt(qty);
  } else {
    unitPrice = cdm.price;
    amount = cdm.price * BigInt(qty);
  }
  em.emit(line.meaning === 'charge' ? 'ChargePosted' : 'ChargeCredited', pos, at, dept.entityCode, {
    cdmCode: cdm.cdmCode,
    revenueCode: cdm.revenueCode,
    hcpcsCode: cdm.hcpcsCode,
    quantity: qty,
    unitPrice,
    amount,
    currency: extended?.currency ?? unit?.currency ?? cdm.currency,
    priceSource: extended !== null || unit !== null ? 'message' : 'charge-master',
    itemCode: cdm.itemCode,
    departmentCode: dept.departmentCode,
    costCenterCode: dept.costCenterCode,
    careLocationCode: loc?.careLocationCode ?? null,
    encounterToken: em.encounterToken(),
    caseToken: lineCase(em, line),
    performer: performer(line, release),
    sourceTransactionId: orNull(text(seg, 2)),
    reversal: line.reversal,
  });
}
