import type { DemoHealthSystem } from '../demo/index.ts';
import { ERP_APPLICATION } from '../demo/traffic-mfn.ts';
import {
  buildEntry,
  createLedgerContext,
  type FiscalPeriod,
  type JournalEntry,
  monthlyPeriods,
} from '../ledger/index.ts';
import { approve, createRelease, demoRelease } from '../mapping/index.ts';
import { saveEntries } from '../store/batch-writes.ts';
import type { Store } from '../store/index.ts';
import { addSource } from '../store/ownership-repository.ts';
import { listPeriods, recordActivation, savePeriods, saveRelease } from '../store/posting-repository.ts';

export const DEMO_RELEASE_AUTHOR = 'demo.integration-engineer';
export const DEMO_RELEASE_APPROVER = 'demo.controller';

/**
 * Where the demo's ERP traffic comes from: its item-master feed sends as application HRH_ERP (MSH-3), and
 * an interface named `erp` is the ERP's. Everything else is the EHR's (the registry's default), so the
 * ERP's MFN^M16 item updates apply and an item change from the EHR becomes a stewardship exception.
 */
export const DEMO_SOURCES: readonly { source: string; system: string }[] = [
  { source: `application:${ERP_APPLICATION}`, system: 'ERP' },
  { source: 'interface:erp', system: 'ERP' },
];

/** The demo's fiscal calendar: the month before the opening date closed, the six after it open. */
export function demoPeriods(system: DemoHealthSystem): FiscalPeriod[] {
  const [y, m] = system.openingDate.split('-').map(Number) as [number, number];
  const before = m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
  return system.entities.flatMap((e) => [
    ...monthlyPeriods(e.code, before, 1, 'closed'),
    ...monthlyPeriods(e.code, system.openingDate.slice(0, 7), 6, 'open'),
  ]);
}

/**
 * Opening balances: the value of each entity's opening stock, Dr inventory (pharmacy stock to pharmacy
 * inventory) / Cr net assets, so the general ledger's inventory accounts start equal to the subledger.
 */
export function openingEntries(
  system: DemoHealthSystem,
  periods: readonly FiscalPeriod[],
  postedAt: string,
): JournalEntry[] {
  const ctx = createLedgerContext({
    entities: system.entities,
    accounts: system.accounts,
    costCenters: system.costCenters,
    intercompany: system.intercompanyRelationships,
  });
  const account = (role: string) => system.accounts.find((a) => a.role === role)!.code;
  const items = new Map(system.items.map((i) => [i.code, i]));
  const entityOf = new Map(system.parLocations.map((p) => [p.code, p.entityCode]));
  const totals = new Map<string, bigint>();
  for (const s of system.openingStock) {
    const role = items.get(s.itemCode)?.category === 'pharmacy' ? 'pharmacy-inventory' : 'inventory';
    const key = `${entityOf.get(s.parLocationCode)}|${role}`;
    totals.set(key, (totals.get(key) ?? 0n) + BigInt(s.quantity) * s.unitCost);
  }
  return system.entities.flatMap((e) => {
    const lines = (['inventory', 'pharmacy-inventory'] as const)
      .map((role) => ({ role, amount: totals.get(`${e.code}|${role}`) ?? 0n }))
      .filter((x) => x.amount > 0n);
    if (lines.length === 0) return [];
    const total = lines.reduce((a, x) => a + x.amount, 0n);
    return [
      buildEntry(
        {
          sourceEventId: `opening:${e.code}`,
          ruleId: 'manual:opening-balance',
          entity: e.code,
          effectiveDate: system.openingDate,
          postedAt,
          reasonCode: 'manual-adjustment',
          description: 'Opening balance of stock on hand',
          lines: [
            ...lines.map((x) => ({ account: account(x.role), side: 'debit' as const, amount: x.amount })),
            { account: account('net-assets'), side: 'credit', amount: total },
          ],
        },
        ctx,
        periods,
      ),
    ];
  });
}

/**
 * Sets up the demo's books after its master data is loaded: fiscal periods, the demo mapping release
 * (proposed by one person, approved by another, activated), and opening balances.
 */
export async function setUpDemoBooks(
  store: Store,
  system: DemoHealthSystem,
  now: Date,
): Promise<{ releaseId: string }> {
  const at = now.toISOString();
  const release = approve(createRelease(demoRelease(system), DEMO_RELEASE_AUTHOR), DEMO_RELEASE_APPROVER);
  await store.transaction(async (tx) => {
    await savePeriods(tx, demoPeriods(system));
    await saveRelease(tx, release, at);
    await recordActivation(tx, release.id, DEMO_RELEASE_APPROVER, at, 'demo setup');
    await saveEntries(tx, openingEntries(system, await listPeriods(tx), at));
    for (const s of DEMO_SOURCES) {
      await addSource(tx, {
        ...s,
        effectiveFrom: '1970-01-01T00:00:00.000Z',
        setBy: DEMO_RELEASE_AUTHOR,
        setAt: at,
        note: 'demo setup',
      });
    }
  });
  return { releaseId: release.id };
}
