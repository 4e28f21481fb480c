/**
 * The ERP's nightly item-master update as MFN^M16 (v2.6, the first version with ITM/VND/PKG): a few
 * stocked items get a new cost, sent with their packaging levels priced at the new cost.
 */

import { message } from './er7.ts';
import type { Random } from './random.ts';
import type { TrafficContext } from './traffic-context.ts';
import type { Planned } from './traffic-plan.ts';
import { ERP_NAMESPACE, itm, mfe, mfi, msh, pkg, vnd } from './traffic-segments.ts';

export const ERP_APPLICATION = ERP_NAMESPACE;
export const ERP_FACILITY = 'HRH';

export function planItemMasterUpdate(ctx: TrafficContext, r: Random): Planned | null {
  const candidates = ctx.system.items.filter((i) => !i.implant && i.category !== 'pharmacy');
  if (candidates.length === 0) return null;
  const items = r.sample(candidates, r.int(2, 4)).map((item) => ({
    item,
    newCost: (item.unitCost * BigInt(r.int(95, 112))) / 100n,
  }));
  const vendors = new Map(ctx.system.vendors.map((v) => [v.code, v]));
  const uoms = ctx.system.itemUoms;
  // The ERP's batch job runs in the small hours.
  const at = 2 * 3600 + r.int(0, 1800);
  return {
    at,
    kind: 'mfn-m16',
    application: ERP_APPLICATION,
    facility: ERP_FACILITY,
    render: (id, stamp) => {
      const segments = [
        msh(ERP_APPLICATION, ERP_FACILITY, stamp, ['MFN', 'M16', 'MFN_M16'], id, '2.6'),
        mfi(stamp),
      ];
      items.forEach(({ item, newCost }, i) => {
        const cdm = item.cdmCode === null ? undefined : ctx.cdm.get(item.cdmCode);
        segments.push(mfe('MUP', `${id}-${i + 1}`, stamp, item.code));
        segments.push(itm(item, cdm?.price ?? null, cdm?.description ?? null));
        const vendor = vendors.get(item.vendorCode);
        if (vendor !== undefined) segments.push(vnd(vendor, item));
        uoms
          .filter((u) => u.itemCode === item.code)
          .forEach((u, k) => {
            segments.push(
              pkg(k + 1, u.uom, u.isPurchaseUnit, u.baseQuantity, newCost * BigInt(u.baseQuantity)),
            );
          });
      });
      return message(segments);
    },
  };
}
