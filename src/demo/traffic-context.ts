/**
 * Look-ups and running state the traffic planner needs: the system indexed by code, who practises
 * where, and a stock book so demo usage only draws what a par location holds (lot by lot, serial by
 * serial), which keeps the demo's inventory non-negative and its implant serials real.
 */

import { CrosswalkError } from '../errors/index.ts';
import { STREETS, TOWNS } from './data-people.ts';
import type { Slot } from './data-traffic.ts';
import type { CareLocation, DemoHealthSystem, Department, Entity, Item, Practitioner } from './model.ts';
import type { Random } from './random.ts';
import type { ImplantTrace, SyntheticPatient } from './traffic-segments.ts';
import { drawName } from './workforce.ts';

interface StockRow {
  readonly lotNumber: string | null;
  readonly serialNumber: string | null;
  readonly expiryDate: string | null;
  quantity: number;
}

export interface Drawn {
  readonly item: Item;
  readonly quantity: number;
  readonly implant: ImplantTrace | null;
}

function compact(date: string): string {
  return date.replaceAll('-', '');
}

export function addDaysCompact(yyyymmdd: string, days: number): string {
  const y = Number(yyyymmdd.slice(0, 4));
  const m = Number(yyyymmdd.slice(4, 6));
  const d = Number(yyyymmdd.slice(6, 8));
  return compact(new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10));
}

export class TrafficContext {
  readonly entities: ReadonlyMap<string, Entity>;
  readonly departments: ReadonlyMap<string, Department>;
  readonly items: ReadonlyMap<string, Item>;
  readonly cdm: ReadonlyMap<string, { description: string; price: bigint }>;
  readonly supplyCodes: ReadonlySet<string>;
  readonly departmentCodes: ReadonlySet<string>;
  private readonly stockedAt = new Map<string, Item[]>();
  private readonly stock = new Map<string, StockRow[]>();
  private readonly billOnly: readonly Item[];
  private readonly mrns = new Set<string>();
  private readonly visits = new Set<string>();
  private caseSeq = 0;

  constructor(
    readonly system: DemoHealthSystem,
    readonly day: string,
  ) {
    this.entities = new Map(system.entities.map((e) => [e.code, e]));
    this.departments = new Map(system.departments.map((d) => [d.code, d]));
    this.items = new Map(system.items.map((i) => [i.code, i]));
    this.cdm = new Map(
      system.chargeMaster.map((c) => [c.code, { description: c.description, price: c.price }]),
    );
    this.supplyCodes = new Set(system.items.map((i) => i.ehrSupplyCode));
    this.departmentCodes = new Set(system.departments.map((d) => d.ehrDepartmentCode));
    for (const p of system.parLevels) {
      const item = this.items.get(p.itemCode);
      if (item === undefined) continue;
      const list = this.stockedAt.get(p.parLocationCode) ?? [];
      list.push(item);
      this.stockedAt.set(p.parLocationCode, list);
    }
    for (const s of system.openingStock) {
      const key = `${s.parLocationCode}:${s.itemCode}`;
      const rows = this.stock.get(key) ?? [];
      rows.push({
        lotNumber: s.lotNumber,
        serialNumber: s.serialNumber,
        expiryDate: s.expiryDate === null ? null : compact(s.expiryDate),
        quantity: s.quantity,
      });
      this.stock.set(key, rows);
    }
    this.billOnly = system.items.filter((i) => i.billOnly);
  }

  careLocations(entityCode: string, kinds: readonly CareLocation['kind'][]): CareLocation[] {
    return this.system.careLocations.filter((c) => c.entityCode === entityCode && kinds.includes(c.kind));
  }

  department(location: CareLocation): Department {
    const d = this.departments.get(location.departmentCode);
    if (d === undefined) {
      throw new CrosswalkError('CW_ERR_DEMO_OPTION', {
        option: 'system',
        reason: `care location ${location.code} names unknown department ${location.departmentCode}`,
      });
    }
    return d;
  }

  /** Practitioners of these specialties at the entity; else anywhere; else any physician. */
  practitioners(specialties: readonly string[], entityCode: string): Practitioner[] {
    const all = this.system.practitioners;
    const here = all.filter((p) => specialties.includes(p.specialty) && p.primaryEntityCode === entityCode);
    if (here.length > 0) return here;
    const anywhere = all.filter((p) => specialties.includes(p.specialty));
    if (anywhere.length > 0) return anywhere;
    return all.filter((p) => p.kind === 'physician');
  }

  private onHand(key: string): number {
    let n = 0;
    for (const r of this.stock.get(key) ?? []) n += r.quantity;
    return n;
  }

  /**
   * Draws one slot's supplies at a care location: stocked items with stock left at its par location,
   * plus bill-only implants when `allowBillOnly`. Quantities are capped by what one lot holds.
   */
  draw(r: Random, location: CareLocation, slot: Slot, allowBillOnly: boolean): Drawn[] {
    if (!r.chance(slot.p)) return [];
    const par = location.parLocationCode;
    const stocked = (this.stockedAt.get(par) ?? []).filter(
      (i) => slot.match.test(i.description) && this.onHand(`${par}:${i.code}`) > 0,
    );
    const extra = allowBillOnly ? this.billOnly.filter((i) => slot.match.test(i.description)) : [];
    const candidates = [...stocked, ...extra];
    if (candidates.length === 0) return [];
    const out: Drawn[] = [];
    for (const item of r.sample(candidates, r.int(slot.pick[0], slot.pick[1]))) {
      let quantity = item.tracking === 'lot-serial' ? 1 : r.int(slot.qty[0], slot.qty[1]);
      if (item.billOnly) {
        out.push({ item, quantity, implant: this.freshTrace(r, item) });
        continue;
      }
      const rows = this.stock.get(`${par}:${item.code}`) ?? [];
      const row = rows.find((x) => x.quantity > 0);
      if (row === undefined) continue;
      quantity = Math.min(quantity, row.quantity);
      row.quantity -= quantity;
      const implant =
        item.implant && item.gtin !== null && row.lotNumber !== null
          ? {
              gtin: item.gtin,
              lotNumber: row.lotNumber,
              serialNumber: row.serialNumber,
              expiryDate: row.expiryDate ?? addDaysCompact(compact(this.day), 3650),
              billOnly: false,
              manufacturerName: item.manufacturerName,
            }
          : null;
      out.push({ item, quantity, implant });
    }
    return out;
  }

  private freshTrace(r: Random, item: Item): ImplantTrace | null {
    if (item.gtin === null) return null;
    return {
      gtin: item.gtin,
      lotNumber: `L${r.alphanumeric(7)}`,
      serialNumber: item.tracking === 'lot-serial' ? `SN${r.alphanumeric(10)}` : null,
      expiryDate: addDaysCompact(compact(this.day), r.int(200, 900)),
      billOnly: true,
      manufacturerName: item.manufacturerName,
    };
  }

  newPatient(r: Random, ages: readonly [number, number]): SyntheticPatient {
    const name = drawName(r);
    const age = r.int(ages[0], ages[1]);
    const year = Number(this.day.slice(0, 4)) - age;
    const [town, zip] = r.pick(TOWNS);
    let mrn: string;
    do mrn = r.digits(8);
    while (this.mrns.has(mrn));
    this.mrns.add(mrn);
    return {
      mrn,
      familyName: name.familyName,
      givenName: name.givenName,
      middleInitial: r.chance(0.5) ? String.fromCharCode(65 + r.int(0, 25)) : null,
      birthDate: `${year}${String(r.int(1, 12)).padStart(2, '0')}${String(r.int(1, 28)).padStart(2, '0')}`,
      sex: name.sex,
      street: `${r.int(10, 9899)} ${r.pick(STREETS)}`,
      town,
      zip,
      // 555-0100 to 555-0199 are set aside for fiction.
      phone: `330-555-0${r.int(100, 199)}`,
    };
  }

  newVisitNumber(r: Random): string {
    let v: string;
    do v = r.digits(10);
    while (this.visits.has(v));
    this.visits.add(v);
    return v;
  }

  newCaseId(entityCode: string): string {
    this.caseSeq++;
    return `${entityCode}-${compact(this.day).slice(2)}-${String(this.caseSeq).padStart(4, '0')}`;
  }
}
