/**
 * Segment builders for the demo traffic (HL7 v2.5.1; MFN^M16 is v2.6, where ITM/VND/PKG appear).
 * Field positions are 1-based as the standard writes them. Only the fields the demo fills are listed.
 *
 * FT1 (Financial Transaction), as used for supply usage and charges in DFT^P03 / DFT^P11:
 *
 * | field  | name                      | demo content                                                    |
 * |--------|---------------------------|-----------------------------------------------------------------|
 * | FT1-1  | Set ID                    | 1, 2, … within the message                                      |
 * | FT1-2  | Transaction ID            | `<MSH-10>-<set id>`, unique per line                            |
 * | FT1-4  | Transaction Date (DR)     | when the supply was used / the service performed                |
 * | FT1-5  | Transaction Posting Date  | the message time                                                |
 * | FT1-6  | Transaction Type (IS 0017)| CG charge, CD credit; local values SU used, SW wasted, SR returned |
 * | FT1-7  | Transaction Code (CE)     | EHR supply code ^ description ^ 99SUP (for charges too, so the  |
 * |        |                           | charge points at the same supply as its usage line)             |
 * | FT1-10 | Transaction Quantity      | base units                                                      |
 * | FT1-11 | Amount - Extended (CP)    | charges only: price × quantity, `1234.00&USD`                   |
 * | FT1-12 | Amount - Unit (CP)        | charges only: CDM price                                         |
 * | FT1-13 | Department Code (CE)      | EHR department id ^ name ^ 99DEP                                |
 * | FT1-16 | Assigned Patient Location | PL: point of care ^ room ^ bed ^ facility                       |
 * | FT1-20 | Performed By Code (XCN)   | NPI ^ family ^ given ^ middle ^^^ degree ^^ NPI&OID&ISO ^ L ^^^ NPI |
 * | FT1-21 | Ordered By Code (XCN)     | as FT1-20                                                       |
 * | FT1-22 | Unit Cost (CP)            | usage lines, when the EHR knows the cost                        |
 * | FT1-23 | Filler Order Number (EI)  | surgical / cath case id ^ scheduling application                |
 * | FT1-25 | Procedure Code (CE)       | charges only: CDM code ^ description ^ 99CDM                    |
 *
 * Implant traceability rides in a local Z-segment right after its FT1 (v2.5.1 has no device segment;
 * PRT arrives in v2.7), tied to the FT1 by set id so the pairing survives re-ordering:
 *
 * | field | demo content                                                                  |
 * |-------|-------------------------------------------------------------------------------|
 * | ZIM-1 | FT1 set id this implant line belongs to                                       |
 * | ZIM-2 | UDI-DI (GTIN-14)                                                              |
 * | ZIM-3 | lot number                                                                    |
 * | ZIM-4 | serial number (empty for lot-only items)                                      |
 * | ZIM-5 | expiration date YYYYMMDD                                                      |
 * | ZIM-6 | bill-only / consignment Y or N                                                |
 * | ZIM-7 | manufacturer name                                                             |
 * | ZIM-8 | UDI in GS1 human-readable form, (01)GTIN(17)YYMMDD(10)LOT(21)SERIAL           |
 */

import { components, type Er7, formatMoney, mshSegment, segment, subcomponents, text } from './er7.ts';
import type { CareLocation, Item, Practitioner, Vendor } from './model.ts';

export const NPI_OID = '2.16.840.1.113883.4.6';
export const RECEIVING_APPLICATION = 'CROSSWALK';
export const RECEIVING_FACILITY = 'HRH';

/** Local FT1-6 values (HL7 table 0017 is user-defined); CG and CD are the standard ones. */
export const FT1_TYPE = {
  charge: 'CG',
  credit: 'CD',
  supplyUsed: 'SU',
  supplyWasted: 'SW',
  supplyReturned: 'SR',
} as const;
export type Ft1Type = (typeof FT1_TYPE)[keyof typeof FT1_TYPE];

export interface SyntheticPatient {
  readonly mrn: string;
  readonly familyName: string;
  readonly givenName: string;
  readonly middleInitial: string | null;
  /** YYYYMMDD */
  readonly birthDate: string;
  readonly sex: 'F' | 'M';
  readonly street: string;
  readonly town: string;
  readonly zip: string;
  readonly phone: string;
}

export interface Visit {
  readonly visitNumber: string;
  readonly patientClass: 'E' | 'I' | 'O';
  readonly admissionType: 'E' | 'R' | 'U' | 'C';
  readonly hospitalService: string;
  readonly location: CareLocation;
  readonly room: string | null;
  readonly bed: string | null;
  readonly attending: Practitioner;
  /** HL7 TS */
  readonly admitAt: string;
  readonly dischargeAt: string | null;
}

export interface ImplantTrace {
  readonly gtin: string;
  readonly lotNumber: string;
  readonly serialNumber: string | null;
  /** YYYYMMDD */
  readonly expiryDate: string;
  readonly billOnly: boolean;
  readonly manufacturerName: string;
}

export interface Ft1Line {
  readonly type: Ft1Type;
  readonly supplyCode: string;
  readonly description: string;
  readonly quantity: number;
  readonly unitCost: bigint | null;
  /** Charges and credits: CDM code, description, unit price. */
  readonly charge: { readonly cdmCode: string; readonly description: string; readonly price: bigint } | null;
  readonly departmentCode: string;
  readonly departmentName: string;
  readonly location: CareLocation;
  readonly room: string | null;
  readonly bed: string | null;
  readonly performer: Practitioner;
  readonly orderer: Practitioner | null;
  readonly caseId: string | null;
  /** HL7 TS */
  readonly usedAt: string;
  readonly implant: ImplantTrace | null;
}

export function xcn(p: Practitioner): Er7 {
  return components(
    p.npi,
    p.familyName,
    p.givenName,
    p.middleInitial,
    null,
    null,
    p.credential,
    null,
    subcomponents('NPI', NPI_OID, 'ISO'),
    'L',
    null,
    null,
    'NPI',
  );
}

export function pl(location: CareLocation, room: string | null = null, bed: string | null = null): Er7 {
  return components(location.pointOfCare, room, bed, location.facility);
}

function cp(amount: bigint): Er7 {
  return components(subcomponents(formatMoney(amount), 'USD'));
}

export function msh(
  sendingApplication: string,
  sendingFacility: string,
  at: string,
  type: readonly [string, string, string],
  controlId: string,
  version = '2.5.1',
): string {
  return mshSegment([
    text(sendingApplication),
    text(sendingFacility),
    text(RECEIVING_APPLICATION),
    text(RECEIVING_FACILITY),
    text(at),
    null,
    components(...type),
    text(controlId),
    text('P'),
    text(version),
  ]);
}

export function evn(trigger: string, at: string): string {
  return segment('EVN', [text(trigger), text(at)]);
}

export function pid(p: SyntheticPatient, v: Visit): string {
  const f: (Er7 | null)[] = [];
  f[0] = text('1');
  f[2] = components(p.mrn, null, null, 'HRH', 'MR');
  f[4] = components(p.familyName, p.givenName, p.middleInitial);
  f[6] = text(p.birthDate);
  f[7] = text(p.sex);
  f[10] = components(p.street, null, p.town, 'OH', p.zip, 'USA', 'H');
  f[12] = components(p.phone, 'PRN', 'PH');
  f[17] = components(v.visitNumber, null, null, v.location.facility, 'AN');
  return segment('PID', f);
}

export function pv1(v: Visit): string {
  const f: (Er7 | null)[] = [];
  f[0] = text('1');
  f[1] = text(v.patientClass);
  f[2] = pl(v.location, v.room, v.bed);
  f[3] = text(v.admissionType);
  f[6] = xcn(v.attending);
  f[9] = text(v.hospitalService);
  f[18] = components(v.visitNumber, null, null, v.location.facility, 'VN');
  f[43] = text(v.admitAt);
  f[44] = v.dischargeAt === null ? null : text(v.dischargeAt);
  return segment('PV1', f);
}

export function ft1(setId: number, controlId: string, postedAt: string, line: Ft1Line): string {
  const f: (Er7 | null)[] = [];
  f[0] = text(setId);
  f[1] = text(`${controlId}-${setId}`);
  f[3] = components(line.usedAt);
  f[4] = text(postedAt);
  f[5] = text(line.type);
  f[6] = components(line.supplyCode, line.description, '99SUP');
  f[9] = text(line.quantity);
  if (line.charge !== null) {
    f[10] = cp(line.charge.price * BigInt(line.quantity));
    f[11] = cp(line.charge.price);
  }
  f[12] = components(line.departmentCode, line.departmentName, '99DEP');
  f[15] = pl(line.location, line.room, line.bed);
  f[19] = xcn(line.performer);
  f[20] = line.orderer === null ? null : xcn(line.orderer);
  f[21] = line.unitCost === null ? null : cp(line.unitCost);
  f[22] = line.caseId === null ? null : components(line.caseId, 'ORSCHED');
  f[24] = line.charge === null ? null : components(line.charge.cdmCode, line.charge.description, '99CDM');
  return segment('FT1', f);
}

function udiCarrier(t: ImplantTrace): string {
  return `(01)${t.gtin}(17)${t.expiryDate.slice(2)}(10)${t.lotNumber}${t.serialNumber === null ? '' : `(21)${t.serialNumber}`}`;
}

export function zim(setId: number, t: ImplantTrace): string {
  return segment('ZIM', [
    text(setId),
    text(t.gtin),
    text(t.lotNumber),
    text(t.serialNumber),
    text(t.expiryDate),
    text(t.billOnly ? 'Y' : 'N'),
    text(t.manufacturerName),
    text(udiCarrier(t)),
  ]);
}

export interface SurgicalCase {
  readonly caseId: string;
  readonly procedureCode: string;
  readonly procedureName: string;
  readonly location: CareLocation;
  readonly surgeon: Practitioner;
  readonly anesthesia: Practitioner | null;
  readonly startAt: string;
  readonly endAt: string;
  readonly minutes: number;
}

export function sch(c: SurgicalCase): string {
  const f: (Er7 | null)[] = [];
  f[0] = components(c.caseId, 'ORSCHED');
  f[1] = components(c.caseId, 'ORSCHED');
  f[5] = components('NEW', 'New booking', '99EVR');
  f[6] = components(c.procedureCode, c.procedureName, 'C4');
  f[7] = components('SURG', 'Surgical case', '99APT');
  f[8] = text(c.minutes);
  f[9] = components('min');
  f[10] = components(null, null, null, c.startAt, c.endAt);
  f[15] = xcn(c.surgeon);
  f[19] = xcn(c.surgeon);
  f[24] = components('Booked');
  return segment('SCH', f);
}

export function rgs(): string {
  return segment('RGS', [text('1'), text('A')]);
}

export function ais(c: SurgicalCase): string {
  return segment('AIS', [
    text('1'),
    text('A'),
    components(c.procedureCode, c.procedureName, 'C4'),
    text(c.startAt),
    null,
    null,
    text(c.minutes),
    components('min'),
  ]);
}

export function ail(c: SurgicalCase): string {
  return segment('AIL', [
    text('1'),
    text('A'),
    pl(c.location),
    null,
    null,
    text(c.startAt),
    null,
    null,
    text(c.minutes),
    components('min'),
  ]);
}

export function aip(
  setId: number,
  c: SurgicalCase,
  who: Practitioner,
  role: readonly [string, string],
): string {
  return segment('AIP', [
    text(setId),
    text('A'),
    xcn(who),
    components(role[0], role[1], '99ROL'),
    null,
    text(c.startAt),
    null,
    null,
    text(c.minutes),
    components('min'),
  ]);
}

// --- MFN^M16 (materials item master) ------------------------------------------------------------

export const ERP_NAMESPACE = 'HRH_ERP';

export function mfi(at: string): string {
  return segment('MFI', [
    components('ITM', 'Material item master', '99MFI'),
    null,
    text('UPD'),
    text(at),
    text(at),
    text('NE'),
  ]);
}

export function mfe(event: 'MAD' | 'MUP', mfnControlId: string, at: string, itemCode: string): string {
  return segment('MFE', [
    text(event),
    text(mfnControlId),
    text(at),
    components(itemCode, ERP_NAMESPACE),
    text('EI'),
  ]);
}

export function itm(item: Item, cdmPrice: bigint | null, cdmDescription: string | null): string {
  const f: (Er7 | null)[] = [];
  f[0] = components(item.code, ERP_NAMESPACE);
  f[1] = text(item.description);
  f[2] = components('A', 'Active', '99IST');
  f[3] = components(item.implant ? 'IMP' : 'SUP', item.implant ? 'Implant' : 'Supply', '99ITY');
  f[4] = components(item.category, null, '99CAT');
  f[5] = text(item.expires ? 'Y' : 'N');
  f[7] = text(item.manufacturerName);
  f[8] = text(item.manufacturerCatalogNumber);
  f[10] = text(item.chargeable ? 'Y' : 'N');
  if (item.cdmCode !== null) f[11] = components(item.cdmCode, cdmDescription, '99CDM');
  if (cdmPrice !== null) f[12] = cp(cdmPrice);
  f[13] = text(item.billOnly ? 'N' : 'Y');
  return segment('ITM', f);
}

export function vnd(vendor: Vendor, item: Item): string {
  return segment('VND', [
    text('1'),
    components(vendor.code, ERP_NAMESPACE),
    text(vendor.name),
    components(item.vendorCatalogNumber),
    components('Y'),
  ]);
}

export function pkg(
  setId: number,
  uom: string,
  isOrderUnit: boolean,
  quantity: number,
  packPrice: bigint,
): string {
  return segment('PKG', [
    text(setId),
    components(uom),
    components(isOrderUnit ? 'Y' : 'N'),
    text(quantity),
    cp(packPrice),
  ]);
}
