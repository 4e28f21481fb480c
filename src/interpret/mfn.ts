import type { ItemPackage, MasterFileAction } from '../canonical/index.ts';
import { CrosswalkError } from '../errors/index.ts';
import type { Segment } from '../hl7v2/index.ts';
import { findCareLocation, findPractitioner, resolveFacility } from '../mapping/index.ts';
import type { Emitter } from './context.ts';
import { flag, missing, money, orNull, place, quantity, sendingFacility, text } from './fields.ts';
import type { Hl7Instant } from './time.ts';

/**
 * Master files: MFN^M02 (staff/practitioner: STF, PRA), M04 (charge description master: CDM, PRC), M05
 * (patient locations: LOC, LDP), M16 (materials items, v2.6: ITM, VND, PKG). One event per MFE record,
 * the record being the MFE and the segments up to the next MFE. The entity is the sending facility's.
 */

const ACTIONS: Readonly<Record<string, MasterFileAction>> = {
  MAD: 'add',
  MUP: 'update',
  MDL: 'delete',
  MDC: 'deactivate',
  MAC: 'reactivate',
};

export const MFN_TRIGGERS: ReadonlySet<string> = new Set(['M02', 'M04', 'M05', 'M16']);

interface MfnRecord {
  readonly pos: string;
  readonly mfe: Segment;
  readonly action: MasterFileAction;
  readonly at: Hl7Instant;
  /** The first segment of each name after the MFE, and all of them for repeating ones. */
  first(name: string): Segment | undefined;
  all(name: string): readonly Segment[];
}

function records(em: Emitter, fallback: Hl7Instant): MfnRecord[] {
  const out: MfnRecord[] = [];
  let current: { mfe: Segment; index: number; body: Segment[] } | null = null;
  let n = 0;
  const close = () => {
    if (current === null) return;
    const { mfe, body } = current;
    const pos = `MFE[${current.index}]`;
    const code = text(mfe, 1, 1);
    const action = ACTIONS[code];
    if (action === undefined) {
      throw new CrosswalkError('CW_ERR_INTERPRET_BAD_VALUE', {
        position: `${pos}-1`,
        value: code.slice(0, 10) || '(empty)',
        reason: 'not a record-level event code of HL7 table 0180 (MAD, MUP, MDL, MDC, MAC)',
      });
    }
    out.push({
      pos,
      mfe,
      action,
      at: em.time(text(mfe, 3, 1), `${pos}-3`) ?? fallback,
      first: (name) => body.find((s) => s.name === name),
      all: (name) => body.filter((s) => s.name === name),
    });
  };
  for (const seg of em.msg.segments) {
    if (seg.name === 'MFE') {
      close();
      n++;
      current = { mfe: seg, index: n, body: [] };
    } else if (current !== null) current.body.push(seg);
  }
  close();
  return out;
}

const alive = (action: MasterFileAction) => action !== 'delete' && action !== 'deactivate';

export function interpretMfn(em: Emitter, trigger: string): void {
  const msg = em.msg;
  const fallback = em.firstTime(
    ['MFI-5', msg.get('MFI-5')],
    ['MFI-4', msg.get('MFI-4')],
    ['MSH-7', msg.get('MSH-7')],
  );
  const facility = sendingFacility(msg);
  for (const r of records(em, fallback)) {
    const entity = resolveFacility(em.release, facility, r.at.date, 'MSH-4').entityCode;
    if (trigger === 'M02') practitioner(em, r, entity);
    else if (trigger === 'M04') chargeMaster(em, r, entity);
    else if (trigger === 'M05') location(em, r, entity, facility);
    else item(em, r, entity);
  }
}

function practitioner(em: Emitter, r: MfnRecord, entity: string): void {
  const stf = r.first('STF');
  const pra = r.first('PRA');
  const id = text(r.mfe, 4, 1) || text(stf, 1, 1) || text(stf, 2, 1);
  if (id === '') throw missing(`${r.pos}-4`, 'the practitioner a staff record is about');
  let npi: string | null = null;
  for (let rep = 1; rep <= Math.max(pra?.repetitionCount(6) ?? 0, 1) && npi === null; rep++) {
    if (text(pra, 6, 2, 1, rep) === 'NPI') npi = text(pra, 6, 1, 1, rep);
  }
  for (let rep = 1; rep <= Math.max(stf?.repetitionCount(2) ?? 0, 1) && npi === null; rep++) {
    if (text(stf, 2, 5, 1, rep) === 'NPI' || text(stf, 2, 4, 1, rep) === 'NPI') npi = text(stf, 2, 1, 1, rep);
  }
  if (npi !== null && !/^\d{10}$/.test(npi)) npi = null;
  em.emit('PractitionerChanged', r.pos, r.at, entity, {
    action: r.action,
    practitionerId: id,
    npi,
    employeeCode: npi === null ? null : (findPractitioner(em.release, npi, r.at.date)?.employeeCode ?? null),
    familyName: orNull(text(stf, 3, 1, 1)),
    givenName: orNull(text(stf, 3, 2)),
    credential: orNull(text(stf, 3, 6)),
    specialty: orNull(text(pra, 5, 1)),
    active: alive(r.action) && text(stf, 7, 1) !== 'I',
  });
}

function chargeMaster(em: Emitter, r: MfnRecord, entity: string): void {
  const cdm = r.first('CDM');
  const prc = r.first('PRC');
  const code = text(cdm, 1, 1) || text(r.mfe, 4, 1);
  if (code === '') throw missing(`${r.pos}-4`, 'the charge code a CDM record is about');
  const price = money(prc, 5, `${r.pos} PRC-5`, 'USD');
  const revenue = text(prc, 14, 1);
  em.emit('ChargeMasterChanged', r.pos, r.at, entity, {
    action: r.action,
    cdmCode: code,
    description: orNull(text(cdm, 3)) ?? orNull(text(cdm, 4)),
    revenueCode: /^\d{4}$/.test(revenue) ? revenue : null,
    hcpcsCode: orNull(text(cdm, 7, 1)),
    price: price?.amount ?? null,
    currency: price === null ? null : (price.currency ?? 'USD'),
    itemCode: orNull(text(cdm, 9, 1)),
    effectiveFrom: em.time(text(prc, 11, 1), `${r.pos} PRC-11`)?.date ?? null,
    active: alive(r.action) && text(cdm, 8, 1) !== 'I' && text(prc, 16, 1) !== 'I',
  });
}

function location(em: Emitter, r: MfnRecord, entity: string, facility: string): void {
  const loc = r.first('LOC');
  const ldp = r.first('LDP');
  const where = place(loc, 1, facility);
  const fromKey = place(r.mfe, 4, facility);
  const pl = where.pointOfCare === '' ? fromKey : where;
  if (pl.pointOfCare === '') throw missing(`${r.pos} LOC-1`, 'the location a location record is about');
  em.emit('LocationChanged', r.pos, r.at, entity, {
    action: r.action,
    facility: pl.facility || '(none)',
    pointOfCare: pl.pointOfCare,
    room: orNull(pl.room),
    bed: orNull(pl.bed),
    description: orNull(text(loc, 2)),
    locationType: orNull(text(loc, 3, 1)),
    ehrDepartmentCode: orNull(text(ldp, 2, 1)),
    careLocationCode:
      findCareLocation(em.release, pl.facility, pl.pointOfCare, r.at.date)?.careLocationCode ?? null,
    active: alive(r.action) && text(ldp, 6, 1) !== 'I',
  });
}

function item(em: Emitter, r: MfnRecord, entity: string): void {
  const itm = r.first('ITM');
  const vnd = r.first('VND');
  const code = text(itm, 1, 1) || text(r.mfe, 4, 1);
  if (code === '') throw missing(`${r.pos}-4`, 'the item an item record is about');
  const chargePrice = money(itm, 13, `${r.pos} ITM-13`, 'USD');
  let currency = chargePrice?.currency ?? null;
  const packages: ItemPackage[] = r.all('PKG').map((pkg, k) => {
    const where = `${r.pos} PKG[${k + 1}]`;
    const q = quantity(text(pkg, 4), `${where}-4`);
    if (q === null || !Number.isSafeInteger(q) || q <= 0) {
      throw new CrosswalkError('CW_ERR_INTERPRET_BAD_QUANTITY', {
        value: text(pkg, 4).slice(0, 20) || '(empty)',
        position: `${where}-4`,
        reason: 'a package holds a positive whole number of base units',
      });
    }
    const uom = text(pkg, 2, 1);
    if (uom === '') throw missing(`${where}-2`, 'the unit of a packaging level');
    const price = money(pkg, 5, `${where}-5`, 'USD');
    currency ??= price?.currency ?? null;
    return { uom, quantity: q, orderUnit: text(pkg, 3, 1) === 'Y', price: price?.amount ?? null };
  });
  em.emit('ItemMasterChanged', r.pos, r.at, entity, {
    action: r.action,
    itemCode: code,
    description: orNull(text(itm, 2)),
    status: orNull(text(itm, 3, 1)),
    itemType: orNull(text(itm, 4, 1)),
    category: orNull(text(itm, 5, 1)),
    expires: flag(itm, 6),
    manufacturerName: orNull(text(itm, 8)),
    manufacturerCatalogNumber: orNull(text(itm, 9)),
    chargeable: flag(itm, 11),
    cdmCode: orNull(text(itm, 12, 1)),
    chargePrice: chargePrice?.amount ?? null,
    stocked: flag(itm, 14),
    vendorCode: orNull(text(vnd, 2, 1)),
    vendorCatalogNumber: orNull(text(vnd, 4, 1)),
    currency: currency ?? (chargePrice !== null || packages.some((p) => p.price !== null) ? 'USD' : null),
    packages,
  });
}
