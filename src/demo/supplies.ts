/**
 * Items, units of measure, the charge master, par levels and opening stock. Each item family draws from
 * its own fork of the seed, so a change to one family's table leaves the others' items unchanged.
 *
 * Costs are drawn without transcendental functions (u² skews toward the cheap end of a range): Math.exp
 * and Math.log are not guaranteed to round alike on every platform, and the output must be identical
 * everywhere.
 */

import {
  cardiacDeviceHcpcs,
  DISTRIBUTOR_CODES,
  PHARMACY_WHOLESALER_CODE,
  SERVICE_CHARGES,
  SUPPLY_SPECS,
  type SupplySpec,
  VENDORS,
} from './data-supplies.ts';
import { makeGtin14 } from './identifiers.ts';
import type {
  ChargeMasterEntry,
  Entity,
  IsoDate,
  Item,
  ItemUom,
  Money,
  OpeningStock,
  ParLevel,
  ParLocation,
  ParLocationKind,
  Vendor,
} from './model.ts';
import type { Random } from './random.ts';

export interface Supplies {
  readonly vendors: Vendor[];
  readonly items: Item[];
  readonly itemUoms: ItemUom[];
  readonly chargeMaster: ChargeMasterEntry[];
}

/** Whole-dollar price from a cost and an integer markup in percent, rounded up. */
export function priceFromCost(cost: Money, markupPercent: number): Money {
  const cents = cost * BigInt(markupPercent);
  return ((cents + 9999n) / 10000n) * 100n;
}

function markupRange(spec: SupplySpec): readonly [number, number] {
  if (spec.implant) return [240, 340];
  if (spec.category === 'pharmacy') return [400, 800];
  return [300, 600];
}

function drawCost(rng: Random, spec: SupplySpec, description: string): Money {
  const band = spec.costBands?.find(([pattern]) => pattern.test(description));
  const [min, max] = band === undefined ? spec.unitCostCents : band[1];
  const u = rng.next();
  return BigInt(min + Math.floor((max - min) * u * u));
}

function initials(name: string): string {
  return name
    .split(/[\s&-]+/)
    .filter((w) => w.length > 0)
    .map((w) => w[0])
    .join('')
    .slice(0, 3)
    .toUpperCase();
}

function uniqueDraw(seen: Set<string>, draw: () => string): string {
  for (;;) {
    const v = draw();
    if (!seen.has(v)) {
      seen.add(v);
      return v;
    }
  }
}

export function buildSupplies(rng: Random): Supplies {
  const items: Item[] = [];
  const itemUoms: ItemUom[] = [];
  const chargeMaster: ChargeMasterEntry[] = [];
  const itemNumbers = new Set<string>();
  const ehrCodes = new Set<string>();
  const gtins = new Set<string>();
  const cdmSequence = new Map<string, number>();
  const vendorByName = new Map(VENDORS.map((v) => [v.name, v.code]));
  // A manufacturer's GS1 company prefix is fixed per name, independent of which family asks first.
  const companyPrefix = (maker: string): string => rng.fork(`gs1:${maker}`).digits(7);

  for (const spec of SUPPLY_SPECS) {
    const r = rng.fork(`items:${spec.family}`);
    const descriptions = r.sample(spec.descriptions, spec.count).sort();
    for (const description of descriptions) {
      const code = uniqueDraw(itemNumbers, () => String(r.int(100000, 399999)));
      const ehrSupplyCode = uniqueDraw(ehrCodes, () => String(r.int(7000000, 8999999)));
      const maker = r.pick(spec.manufacturers);
      const makerVendor = vendorByName.get(maker);
      let vendorCode: string;
      if (spec.sourcing === 'wholesaler') vendorCode = PHARMACY_WHOLESALER_CODE;
      else if (spec.sourcing === 'direct' && makerVendor !== undefined) vendorCode = makerVendor;
      else if (makerVendor !== undefined && r.chance(0.3)) vendorCode = makerVendor;
      else vendorCode = r.pick(DISTRIBUTOR_CODES);
      const catalog = `${initials(maker)}-${r.digits(4)}-${r.digits(2, true)}`;
      const vendorCatalog =
        vendorCode === makerVendor ? catalog : `${initials(vendorCodeName(vendorCode))}${r.digits(7)}`;
      const unitCost = drawCost(r, spec, description);
      const chargeable = r.chance(spec.chargeableShare);
      const billOnly = spec.implant && r.chance(spec.billOnlyShare);
      const tracked = spec.implant || spec.category === 'cath-lab-device';
      const gtin = tracked
        ? uniqueDraw(gtins, () => makeGtin14(`0${companyPrefix(maker)}${r.digits(5, true)}`))
        : null;

      let cdmCode: string | null = null;
      if (chargeable) {
        const { revenueCode, hcpcsCode } =
          spec.category === 'cardiac-device'
            ? cardiacDeviceHcpcs(description)
            : { revenueCode: spec.revenueCode, hcpcsCode: spec.hcpcsCode };
        const seq = (cdmSequence.get(revenueCode) ?? 0) + 1;
        cdmSequence.set(revenueCode, seq);
        cdmCode = `${revenueCode.slice(1)}${String(seq).padStart(4, '0')}`;
        const [lo, hi] = markupRange(spec);
        chargeMaster.push({
          code: cdmCode,
          description,
          revenueCode,
          hcpcsCode,
          price: priceFromCost(unitCost, r.int(lo, hi)),
          currency: 'USD',
          itemCode: code,
        });
      }

      items.push({
        code,
        ehrSupplyCode,
        description,
        category: spec.category,
        manufacturerName: maker,
        manufacturerCatalogNumber: catalog,
        vendorCode,
        vendorCatalogNumber: vendorCatalog,
        baseUom: spec.baseUom,
        unitCost,
        currency: 'USD',
        chargeable,
        cdmCode,
        implant: spec.implant,
        tracking: spec.tracking,
        gtin,
        billOnly,
        expires: spec.expires,
      });

      const largest = spec.packs.length === 0 ? spec.baseUom : spec.packs[spec.packs.length - 1]?.[0];
      itemUoms.push({
        code: `${code}:${spec.baseUom}`,
        itemCode: code,
        uom: spec.baseUom,
        baseQuantity: 1,
        isBase: true,
        isPurchaseUnit: largest === spec.baseUom,
      });
      for (const [uom, qty] of spec.packs) {
        itemUoms.push({
          code: `${code}:${uom}`,
          itemCode: code,
          uom,
          baseQuantity: qty,
          isBase: false,
          isPurchaseUnit: uom === largest,
        });
      }
    }
  }

  for (const [code, description, revenueCode, cents] of SERVICE_CHARGES) {
    chargeMaster.push({
      code,
      description,
      revenueCode,
      hcpcsCode: null,
      price: BigInt(cents),
      currency: 'USD',
      itemCode: null,
    });
  }
  chargeMaster.sort((a, b) => (a.code < b.code ? -1 : 1));
  return { vendors: VENDORS.slice(), items, itemUoms, chargeMaster };
}

function vendorCodeName(code: string): string {
  return VENDORS.find((v) => v.code === code)?.name ?? code;
}

// --- stocking ----------------------------------------------------------------------------------

const specByCategoryAndDescription = new Map<string, SupplySpec>();
for (const spec of SUPPLY_SPECS) {
  for (const d of spec.descriptions) specByCategoryAndDescription.set(`${spec.category}|${d}`, spec);
}

export function specOf(item: Item): SupplySpec | undefined {
  return specByCategoryAndDescription.get(`${item.category}|${item.description}`);
}

/** Share of the eligible items a par location of each kind actually stocks. */
const STOCKED_SHARE: Readonly<Record<ParLocationKind, number>> = {
  'central-stores': 0.9,
  'or-core': 0.75,
  'cath-stock': 0.85,
  pharmacy: 1,
  'unit-supply-room': 0.35,
};

function parQuantityFor(r: Random, item: Item, spec: SupplySpec, kind: ParLocationKind): number {
  if (item.tracking === 'lot-serial') return r.int(1, item.category === 'cardiac-device' ? 2 : 4);
  if (item.implant) return r.int(4, 12);
  const smallest = spec.packs[0]?.[1] ?? 1;
  const largest = spec.packs[spec.packs.length - 1]?.[1] ?? 1;
  if (kind === 'central-stores') return largest * r.int(2, 6);
  if (kind === 'pharmacy') return smallest * r.int(2, 8);
  return Math.max(2, Math.min(smallest * r.int(1, 3), 200));
}

function addDays(date: IsoDate, days: number): IsoDate {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

export interface Stocking {
  readonly parLevels: ParLevel[];
  readonly openingStock: OpeningStock[];
}

export function buildStocking(
  rng: Random,
  entities: readonly Entity[],
  parLocations: readonly ParLocation[],
  items: readonly Item[],
  openingDate: IsoDate,
): Stocking {
  const parLevels: ParLevel[] = [];
  const openingStock: OpeningStock[] = [];
  const kindOf = new Map(entities.map((e) => [e.code, e.kind]));
  const serials = new Set<string>();
  for (const par of parLocations) {
    const r = rng.fork(`stock:${par.code}`);
    const entityKind = kindOf.get(par.entityCode);
    for (const item of items) {
      const spec = specOf(item);
      if (spec === undefined || item.billOnly || !spec.stockedIn.includes(par.kind)) continue;
      if (
        spec.entityKinds !== undefined &&
        (entityKind === undefined || !spec.entityKinds.includes(entityKind))
      ) {
        continue;
      }
      // Implants live at the point of use, not in central stores.
      if (item.implant && par.kind === 'central-stores') continue;
      if (!r.chance(STOCKED_SHARE[par.kind])) continue;
      const parQuantity = parQuantityFor(r, item, spec, par.kind);
      const reorderPoint = Math.floor((parQuantity * r.int(25, 50)) / 100);
      parLevels.push({
        code: `${par.code}:${item.code}`,
        parLocationCode: par.code,
        itemCode: item.code,
        parQuantity,
        reorderPoint,
      });

      const onHand = r.chance(0.06) ? r.int(0, reorderPoint) : r.int(Math.max(reorderPoint, 1), parQuantity);
      if (onHand === 0) continue;
      const unitCost = item.implant ? item.unitCost : (item.unitCost * BigInt(r.int(97, 103))) / 100n;
      const expiry = (): IsoDate | null => (item.expires ? addDays(openingDate, r.int(120, 1100)) : null);
      const rows: {
        quantity: number;
        lot: string | null;
        serial: string | null;
        expiryDate: IsoDate | null;
      }[] = [];
      if (item.tracking === 'lot-serial') {
        const lot = `L${r.alphanumeric(7)}`;
        const expiryDate = expiry();
        for (let i = 0; i < onHand; i++) {
          const serial = uniqueDraw(serials, () => `SN${r.alphanumeric(10)}`);
          rows.push({ quantity: 1, lot, serial, expiryDate });
        }
      } else if (item.tracking === 'lot') {
        const first = onHand > 1 && r.chance(0.4) ? r.int(1, onHand - 1) : onHand;
        rows.push({ quantity: first, lot: r.alphanumeric(8), serial: null, expiryDate: expiry() });
        if (first < onHand) {
          rows.push({ quantity: onHand - first, lot: r.alphanumeric(8), serial: null, expiryDate: expiry() });
        }
      } else {
        rows.push({ quantity: onHand, lot: null, serial: null, expiryDate: expiry() });
      }
      rows.forEach((row, i) => {
        openingStock.push({
          code: `${par.code}:${item.code}:${i + 1}`,
          parLocationCode: par.code,
          itemCode: item.code,
          quantity: row.quantity,
          unitCost,
          currency: 'USD',
          lotNumber: row.lot,
          serialNumber: row.serial,
          expiryDate: row.expiryDate,
        });
      });
    }
  }
  return { parLevels, openingStock };
}
