import type { DeviceTrace, SupplyPayload } from '../canonical/index.ts';
import { CrosswalkError } from '../errors/index.ts';
import type { Segment } from '../hl7v2/index.ts';
import {
  type CareLocationRow,
  type DepartmentRow,
  type Ft1Meaning,
  findCareLocation,
  resolveCareLocation,
  resolveCharge,
  resolveDepartment,
  resolveItem,
  resolveUomFactor,
} from '../mapping/index.ts';
import type { Emitter } from './context.ts';
import {
  caseToken,
  encounterToken,
  flag,
  missing,
  money,
  orNull,
  place,
  provider,
  quantity,
  sendingFacility,
  text,
} from './fields.ts';
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

interface Line {
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
  msg.segmentsNamed('FT1').forEach((seg, i) => {
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
    const at = em.time(text(seg, 4, 1), `${pos}-4`) ?? em.time(text(seg, 5), `${pos}-5`) ?? messageTime;
    const q = quantity(text(seg, 10), `${pos}-10`);
    if (q === 0) throw badQuantity(`${pos}-10`, text(seg, 10), 'a line must move at least one unit');
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
          text(seg, 10) || text(seg, 11, 1, 1),
          opposite === undefined
            ? `a negative ${sent} line cannot be reversed`
            : 'the release rejects negative quantities',
        );
      }
      meaning = opposite;
    }
    const line: Line = {
      seg,
      occurrence: i + 1,
      pos,
      at,
      meaning,
      reversal,
      quantity: q === null ? null : Math.abs(q),
    };
    if (meaning === 'charge' || meaning === 'credit') charge(em, line);
    else supply(em, line, zims.get(text(seg, 1)));
  });
}

function badQuantity(position: string, value: string, reason: string): CrosswalkError {
  return new CrosswalkError('CW_ERR_INTERPRET_BAD_QUANTITY', { value, position, reason });
}

/** FT1-16, else PV1-3: the care location and (through it) the par location and department. */
function location(em: Emitter, line: Line, required: boolean): CareLocationRow | null {
  const facility = sendingFacility(em.msg);
  let where = place(line.seg, 16, facility);
  let position = `${line.pos}-16`;
  if (where.pointOfCare === '') {
    where = place(em.msg.segment('PV1'), 3, facility);
    position = 'PV1-3';
  }
  if (where.pointOfCare === '') {
    if (required) throw missing(`${line.pos}-16`, 'the care location supplies are issued at');
    return null;
  }
  return required
    ? resolveCareLocation(em.release, where.facility, where.pointOfCare, line.at.date, position)
    : (findCareLocation(em.release, where.facility, where.pointOfCare, line.at.date) ?? null);
}

function department(em: Emitter, line: Line, loc: CareLocationRow | null): DepartmentRow | null {
  const code = text(line.seg, 13, 1);
  if (code !== '') return resolveDepartment(em.release, code, line.at.date, `${line.pos}-13`);
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

function trace(em: Emitter, line: Line, zim: Segment | undefined): DeviceTrace | null {
  const f = em.release.content.fieldRules.ft1TraceFields;
  const fromFt1 = (n: number | null) => (n === null ? null : orNull(text(line.seg, n)));
  const expiry = zim === undefined ? null : em.time(text(zim, 5), `ZIM for ${line.pos}-5`);
  const t: DeviceTrace = {
    udiDi: orNull(text(zim, 2)),
    lotNumber: orNull(text(zim, 3)) ?? fromFt1(f.lotNumber),
    serialNumber: orNull(text(zim, 4)) ?? fromFt1(f.serialNumber),
    expiryDate: expiry?.date ?? null,
    udi: orNull(text(zim, 8)) ?? fromFt1(f.udi),
    manufacturerName: orNull(text(zim, 7)),
  };
  return Object.values(t).every((v) => v === null) ? null : t;
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
    encounterToken: encounterToken(em.msg, em.key),
    caseToken: caseToken(seg, 23, em.key),
    performer: provider(seg, 20, release, at.date),
    // FT1-22 is per unit as sent; a converted line's cost per base unit is only exact when it divides.
    unitCost: cost === null || cost.amount % BigInt(factor) !== 0n ? null : cost.amount / BigInt(factor),
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

function charge(em: Emitter, line: Line): void {
  const { seg, pos, at } = line;
  const release = em.release;
  let code = '';
  let codePos = pos;
  for (const path of release.content.fieldRules.chargeCodePaths) {
    code = em.msg.get(path, line.occurrence).trim();
    codePos = path.replace('FT1', pos);
    if (code !== '') break;
  }
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
  const abs = (x: bigint) => (x < 0n ? -x : x);
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
    encounterToken: encounterToken(em.msg, em.key),
    caseToken: caseToken(seg, 23, em.key),
    performer: provider(seg, 20, release, at.date),
    sourceTransactionId: orNull(text(seg, 2)),
    reversal: line.reversal,
  });
}
