import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CrosswalkError } from '../errors/index.ts';
import { SUPPLY_SPECS } from './data-supplies.ts';
import { generateDemoHealthSystem, summarizeDemo } from './generate.ts';
import { isValidGtin14, isValidNpi } from './identifiers.ts';
import type { AccountRole, DemoHealthSystem } from './model.ts';

const SEEDS = [42, 0, 7, 4294967295];
const systems = new Map(SEEDS.map((s) => [s, generateDemoHealthSystem({ seed: s })]));
const demo = systems.get(42) as DemoHealthSystem;

function index<T extends { code: string }>(rows: readonly T[]): Map<string, T> {
  const m = new Map<string, T>();
  for (const r of rows) {
    assert.equal(m.has(r.code), false, `duplicate code ${r.code}`);
    m.set(r.code, r);
  }
  return m;
}

function get<T>(m: ReadonlyMap<string, T>, key: string | null, what: string): T {
  assert.notEqual(key, null, `${what}: null key`);
  const v = m.get(key as string);
  assert.ok(v !== undefined, `${what}: ${key} does not resolve`);
  return v;
}

/** Every foreign key resolves and the cross-entity rules hold. */
function checkIntegrity(s: DemoHealthSystem): void {
  const entities = index(s.entities);
  const accounts = index(s.accounts);
  const costCenters = index(s.costCenters);
  const departments = index(s.departments);
  const pars = index(s.parLocations);
  const vendors = index(s.vendors);
  const items = index(s.items);
  const cdm = index(s.chargeMaster);
  const jobs = index(s.jobCodes);
  const practitioners = index(s.practitioners);
  const employees = index(s.employees);
  index(s.careLocations);
  index(s.itemUoms);
  index(s.parLevels);
  index(s.openingStock);
  index(s.intercompanyRelationships);
  index(s.identityLinks);

  for (const r of s.intercompanyRelationships) {
    get(entities, r.entityCode, 'intercompany entity');
    get(entities, r.counterpartyEntityCode, 'intercompany counterparty');
    assert.notEqual(r.entityCode, r.counterpartyEntityCode);
    const from = get(accounts, r.dueFromAccountCode, 'due-from');
    const to = get(accounts, r.dueToAccountCode, 'due-to');
    assert.equal(from.role, 'intercompany-due-from');
    assert.equal(to.role, 'intercompany-due-to');
    assert.equal(from.counterpartyEntityCode, r.counterpartyEntityCode);
    assert.equal(to.counterpartyEntityCode, r.counterpartyEntityCode);
    assert.ok(
      s.intercompanyRelationships.some(
        (x) => x.entityCode === r.counterpartyEntityCode && x.counterpartyEntityCode === r.entityCode,
      ),
      'each relationship has its mirror',
    );
  }
  for (const c of s.costCenters) get(entities, c.entityCode, 'cost center entity');
  for (const d of s.departments) {
    const cc = get(costCenters, d.costCenterCode, 'department cost center');
    assert.equal(cc.entityCode, d.entityCode);
    assert.notEqual(d.ehrDepartmentCode, d.code);
  }
  assert.equal(new Set(s.departments.map((d) => d.ehrDepartmentCode)).size, s.departments.length);
  for (const p of s.parLocations) {
    assert.equal(get(costCenters, p.costCenterCode, 'par cost center').entityCode, p.entityCode);
    if (p.replenishedFromCode !== null) {
      const from = get(pars, p.replenishedFromCode, 'par replenished from');
      assert.equal(from.entityCode, p.entityCode);
      assert.equal(from.kind, 'central-stores');
    }
  }
  for (const c of s.careLocations) {
    const entity = get(entities, c.entityCode, 'care location entity');
    const dept = get(departments, c.departmentCode, 'care location department');
    const cc = get(costCenters, dept.costCenterCode, 'care location cost center');
    const par = get(pars, c.parLocationCode, 'care location par');
    assert.equal(dept.entityCode, c.entityCode);
    assert.equal(cc.entityCode, c.entityCode);
    assert.equal(par.entityCode, c.entityCode);
    assert.equal(c.facility, entity.hl7Facility);
  }
  for (const i of s.items) {
    get(vendors, i.vendorCode, 'item vendor');
    assert.equal(typeof i.unitCost, 'bigint');
    assert.ok(i.unitCost > 0n, `${i.code} cost`);
    assert.notEqual(i.ehrSupplyCode, i.code);
    assert.equal(i.chargeable, i.cdmCode !== null);
    if (i.cdmCode !== null) assert.equal(get(cdm, i.cdmCode, 'item cdm').itemCode, i.code);
    if (i.implant) assert.ok(i.gtin !== null && isValidGtin14(i.gtin), `${i.code} gtin`);
    if (i.billOnly) assert.equal(i.implant, true);
  }
  assert.equal(new Set(s.items.map((i) => i.ehrSupplyCode)).size, s.items.length);
  for (const item of s.items) {
    const uoms = s.itemUoms.filter((u) => u.itemCode === item.code);
    assert.equal(uoms.filter((u) => u.isBase && u.baseQuantity === 1 && u.uom === item.baseUom).length, 1);
    assert.equal(uoms.filter((u) => u.isPurchaseUnit).length, 1);
  }
  for (const u of s.itemUoms) get(items, u.itemCode, 'uom item');
  for (const c of s.chargeMaster) {
    assert.match(c.revenueCode, /^0\d{3}$/);
    assert.equal(typeof c.price, 'bigint');
    assert.ok(c.price > 0n);
    if (c.itemCode !== null) {
      const item = get(items, c.itemCode, 'cdm item');
      assert.equal(item.cdmCode, c.code);
      assert.ok(c.price > item.unitCost, `${c.code} priced below cost`);
    }
  }
  for (const p of s.parLevels) {
    get(pars, p.parLocationCode, 'par level location');
    assert.equal(get(items, p.itemCode, 'par level item').billOnly, false);
    assert.ok(p.parQuantity > 0 && p.reorderPoint >= 0 && p.reorderPoint <= p.parQuantity);
  }
  const parLevelKeys = new Set(s.parLevels.map((p) => p.code));
  const serials = new Set<string>();
  for (const o of s.openingStock) {
    const item = get(items, o.itemCode, 'stock item');
    assert.ok(parLevelKeys.has(`${o.parLocationCode}:${o.itemCode}`), `${o.code} has no par level`);
    assert.ok(o.quantity > 0);
    assert.equal(typeof o.unitCost, 'bigint');
    assert.equal(o.expiryDate !== null, item.expires);
    if (item.tracking === 'lot-serial') {
      assert.equal(o.quantity, 1);
      assert.ok(o.lotNumber !== null && o.serialNumber !== null);
      assert.equal(serials.has(o.serialNumber), false, `serial ${o.serialNumber} twice`);
      serials.add(o.serialNumber);
    } else if (item.tracking === 'lot') {
      assert.ok(o.lotNumber !== null && o.serialNumber === null);
    } else {
      assert.ok(o.lotNumber === null && o.serialNumber === null);
    }
  }
  for (const e of s.employees) {
    get(jobs, e.jobCode, 'employee job');
    get(entities, e.entityCode, 'employee entity');
    assert.equal(get(costCenters, e.homeCostCenterCode, 'employee cost center').entityCode, e.entityCode);
    assert.equal(typeof e.hourlyRate, 'bigint');
  }
  for (const p of s.practitioners) {
    assert.ok(isValidNpi(p.npi), `${p.code} npi ${p.npi}`);
    get(entities, p.primaryEntityCode, 'practitioner entity');
  }
  assert.equal(new Set(s.practitioners.map((p) => p.npi)).size, s.practitioners.length);
  for (const e of s.entities) assert.ok(isValidNpi(e.npi));
  for (const l of s.identityLinks) {
    get(practitioners, l.practitionerCode, 'link practitioner');
    const e = get(employees, l.employeeCode, 'link employee');
    assert.ok(l.effectiveFrom >= e.hireDate);
    if (e.terminationDate !== null) assert.ok(l.effectiveTo !== null && l.effectiveTo <= e.terminationDate);
  }
  for (const p of s.practitioners) {
    const links = s.identityLinks
      .filter((l) => l.practitionerCode === p.code)
      .sort((a, b) => (a.effectiveFrom < b.effectiveFrom ? -1 : 1));
    for (let i = 1; i < links.length; i++) {
      const prev = links[i - 1];
      assert.ok(
        prev?.effectiveTo != null && prev.effectiveTo < (links[i]?.effectiveFrom ?? ''),
        'links overlap',
      );
    }
  }
}

describe('generateDemoHealthSystem', () => {
  it('is deterministic: the same seed gives a deep-equal system, another seed a different one', () => {
    assert.deepEqual(generateDemoHealthSystem({ seed: 42 }), demo);
    assert.deepEqual(generateDemoHealthSystem(), demo);
    assert.notDeepEqual(systems.get(7)?.items, demo.items);
    assert.notDeepEqual(systems.get(7)?.practitioners, demo.practitioners);
  });

  it('has the promised shape: 3 entities, two hospitals and an ASC, at least 300 items', () => {
    assert.equal(demo.entities.length, 3);
    assert.deepEqual(demo.entities.map((e) => e.kind).sort(), [
      'ambulatory-surgery-center',
      'hospital',
      'hospital',
    ]);
    assert.ok(demo.entities.every((e) => e.currency === 'USD'));
    assert.ok(demo.items.length >= 300, `${demo.items.length} items`);
    assert.ok(demo.vendors.length >= 18);
    assert.ok(demo.items.some((i) => i.tracking === 'lot-serial' && i.implant));
    assert.ok(demo.items.some((i) => i.billOnly));
    assert.ok(demo.careLocations.some((c) => c.pointOfCare === 'CATH1'));
  });

  for (const seed of SEEDS) {
    it(`every foreign key resolves and cross-entity rules hold (seed ${seed})`, () => {
      checkIntegrity(systems.get(seed) as DemoHealthSystem);
    });
  }

  it('has an account for every role the posting rules use, and revenue for every CDM revenue family', () => {
    const roles: AccountRole[] = [
      'inventory',
      'supply-expense',
      'implant-expense',
      'patient-ar',
      'charge-clearing',
      'grni',
      'ap-accrual',
      'inventory-variance',
      'labor-expense',
      'accrued-payroll',
    ];
    for (const role of roles)
      assert.ok(
        demo.accounts.some((a) => a.role === role),
        role,
      );
    for (const a of demo.accounts) {
      const debit = a.type === 'asset' || a.type === 'expense' || a.role === 'contractual-allowance';
      assert.equal(a.normalBalance, debit ? 'debit' : 'credit', a.code);
    }
    const families = new Set(demo.accounts.map((a) => a.revenueCodeFamily));
    for (const c of demo.chargeMaster) assert.ok(families.has(c.revenueCode.slice(0, 3)), c.revenueCode);
    for (const e of demo.entities) {
      for (const other of demo.entities.filter((x) => x !== e)) {
        assert.ok(
          demo.accounts.some(
            (a) => a.role === 'intercompany-due-from' && a.counterpartyEntityCode === other.code,
          ),
        );
        assert.ok(
          demo.accounts.some(
            (a) => a.role === 'intercompany-due-to' && a.counterpartyEntityCode === other.code,
          ),
        );
      }
    }
  });

  it('leaves deliberate identity gaps: community practitioners, a pending link, a rehire, staff without NPI', () => {
    const linked = new Set(demo.identityLinks.map((l) => l.practitionerCode));
    const unlinked = demo.practitioners.filter((p) => !linked.has(p.code));
    assert.ok(unlinked.length >= 3, `${unlinked.length} unlinked practitioners`);
    assert.ok(linked.size > demo.practitioners.length / 2, 'most practitioners are linked');
    const linkedEmployees = new Set(demo.identityLinks.map((l) => l.employeeCode));
    const physiciansWithoutLink = demo.employees.filter(
      (e) => e.jobCode === '1010' && !linkedEmployees.has(e.code),
    );
    assert.equal(physiciansWithoutLink.length, 1, 'one newly hired physician awaits linking');
    const nurses = demo.employees.filter((e) => e.jobCode.startsWith('20'));
    assert.ok(nurses.length > 50 && nurses.every((n) => !linkedEmployees.has(n.code)));
    const twice = demo.practitioners.filter(
      (p) => demo.identityLinks.filter((l) => l.practitionerCode === p.code).length === 2,
    );
    assert.equal(twice.length, 1, 'one rehire');
  });

  it('keeps money in bigint everywhere', () => {
    const moneyFields = new Set(['unitCost', 'price', 'hourlyRate']);
    let seen = 0;
    for (const rows of Object.values(demo)) {
      if (!Array.isArray(rows)) continue;
      for (const row of rows as Record<string, unknown>[]) {
        for (const [k, v] of Object.entries(row)) {
          if (!moneyFields.has(k)) continue;
          assert.equal(typeof v, 'bigint', k);
          seen++;
        }
      }
    }
    assert.ok(seen > 1000);
  });

  it('summarizeDemo counts every table', () => {
    const summary = summarizeDemo(demo) as Record<string, number>;
    const tables = Object.entries(demo).filter(([, v]) => Array.isArray(v));
    assert.equal(Object.keys(summary).length, tables.length);
    for (const [k, v] of tables) assert.equal(summary[k], (v as unknown[]).length, k);
  });

  it('rejects bad options with a typed error', () => {
    for (const options of [
      { seed: -1 },
      { seed: 1.5 },
      { seed: 2 ** 32 },
      { openingDate: '2026-02-30' },
      { openingDate: '2026-13-01' },
      { openingDate: 'soon' },
    ]) {
      assert.throws(
        () => generateDemoHealthSystem(options),
        (e: unknown) => e instanceof CrosswalkError && e.code === 'CW_ERR_DEMO_OPTION',
        JSON.stringify(options),
      );
    }
  });

  it('supply tables are consistent: counts fit the descriptions, descriptions are unique', () => {
    const all = new Set<string>();
    for (const spec of SUPPLY_SPECS) {
      assert.ok(
        spec.count <= new Set(spec.descriptions).size,
        `${spec.family}: ${spec.count} > descriptions`,
      );
      for (const d of spec.descriptions) {
        assert.equal(all.has(`${spec.category}|${d}`), false, d);
        all.add(`${spec.category}|${d}`);
      }
    }
  });
});
