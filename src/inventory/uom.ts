import type { Item, ItemUom } from '../demo/model.ts';
import { CrosswalkError } from '../errors/index.ts';
import { parseExactDecimal, type QuantityInput } from './arith.ts';

/** The fields of the item master that stock keeping needs. */
export type StockItemMaster = Pick<
  Item,
  'code' | 'baseUom' | 'unitCost' | 'currency' | 'tracking' | 'billOnly'
>;

export type StockItemUom = Pick<ItemUom, 'itemCode' | 'uom' | 'baseQuantity' | 'isPurchaseUnit'>;

/** An item with its packaging levels resolved: unit → base units per one of it (the base unit is 1). */
export interface StockItem extends StockItemMaster {
  readonly uoms: ReadonlyMap<string, bigint>;
  /** The unit purchase orders are placed in (the base unit when the master names none). */
  readonly purchaseUom: string;
}

export type ItemCatalog = ReadonlyMap<string, StockItem>;

function masterInvalid(item: string, reason: string): CrosswalkError {
  return new CrosswalkError('CW_ERR_INVENTORY_MASTER_INVALID', { item, reason });
}

/**
 * Joins items with their `ItemUom` rows. Unit rows for items not in `items` are ignored (a catalog may
 * be built for a subset). A unit listed twice, a non-integer or non-positive factor, a base unit whose
 * factor is not 1, or a negative unit cost make the item unusable: better refused here than mis-counted.
 */
export function buildCatalog(
  items: readonly StockItemMaster[],
  itemUoms: readonly StockItemUom[],
): ItemCatalog {
  const rows = new Map<string, StockItemUom[]>();
  for (const u of itemUoms) {
    const list = rows.get(u.itemCode);
    if (list === undefined) rows.set(u.itemCode, [u]);
    else list.push(u);
  }
  const catalog = new Map<string, StockItem>();
  for (const item of items) {
    if (catalog.has(item.code)) throw masterInvalid(item.code, 'listed twice');
    if (item.unitCost < 0n) throw masterInvalid(item.code, `negative unit cost ${item.unitCost}`);
    const uoms = new Map<string, bigint>([[item.baseUom, 1n]]);
    const seen = new Set<string>();
    let purchaseUom: string = item.baseUom;
    for (const u of rows.get(item.code) ?? []) {
      const uom = normaliseUom(u.uom);
      if (seen.has(uom)) throw masterInvalid(item.code, `unit ${uom} listed twice`);
      seen.add(uom);
      if (!Number.isSafeInteger(u.baseQuantity) || u.baseQuantity <= 0) {
        throw masterInvalid(item.code, `unit ${uom} holds ${u.baseQuantity} base units`);
      }
      if (uom === item.baseUom && u.baseQuantity !== 1) {
        throw masterInvalid(item.code, `base unit ${uom} holds ${u.baseQuantity} base units`);
      }
      uoms.set(uom, BigInt(u.baseQuantity));
      if (u.isPurchaseUnit) purchaseUom = uom;
    }
    catalog.set(item.code, { ...item, uoms, purchaseUom });
  }
  return catalog;
}

function normaliseUom(uom: string): string {
  return uom.trim().toUpperCase();
}

/** Base units in one `uom` of the item; units are matched case-insensitively (`ea` is `EA`). */
export function uomFactor(item: StockItem, uom: string): bigint {
  const factor = item.uoms.get(normaliseUom(uom));
  if (factor === undefined) {
    throw new CrosswalkError('CW_ERR_INVENTORY_UNKNOWN_UOM', {
      item: item.code,
      uom,
      known: [...item.uoms.keys()].join(', '),
    });
  }
  return factor;
}

/**
 * `quantity` of `uom` in base units, exactly: 2 BX of 10 is 20 EA, 1.5 BX of 10 is 15 EA, and 0.25 BX of
 * 10 (2.5 EA) is refused, as is anything that is not a plain decimal. The sign is kept; callers decide
 * which signs a command allows.
 */
export function toBaseUnits(item: StockItem, quantity: QuantityInput, uom: string = item.baseUom): bigint {
  const exact = parseExactDecimal(quantity);
  if (exact === null) {
    throw new CrosswalkError('CW_ERR_INVENTORY_BAD_QUANTITY', {
      quantity: String(quantity),
      item: item.code,
      reason: 'not a plain decimal number',
    });
  }
  const scaled = exact.numerator * uomFactor(item, uom);
  if (scaled % exact.denominator !== 0n) {
    throw new CrosswalkError('CW_ERR_INVENTORY_FRACTIONAL_QUANTITY', {
      quantity: String(quantity),
      uom,
      item: item.code,
      baseUom: item.baseUom,
    });
  }
  return scaled / exact.denominator;
}
