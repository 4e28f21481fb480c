import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CrosswalkError } from '../errors/index.ts';
import { unescapeHl7 } from './er7.ts';
import { generateDemoHealthSystem } from './generate.ts';
import { isValidGtin14, isValidNpi } from './identifiers.ts';
import type { DemoHealthSystem } from './model.ts';
import { generateTraffic, PROBLEM_KINDS, type TrafficMessage } from './traffic.ts';
import { generateDftP03Batch } from './traffic-bench.ts';

const demo = generateDemoHealthSystem({ seed: 42 });
const day = Array.from(generateTraffic(demo, { seed: 7, day: '2026-11-24' }));

/** A deliberately small reader: segments by \r, fields by |. MSH-n is fields[n-1] (MSH-1 is the |). */
function segments(msg: string): string[][] {
  return msg
    .split('\r')
    .filter((s) => s !== '')
    .map((s) => s.split('|'));
}

function field(seg: readonly string[], n: number): string {
  return (seg[0] === 'MSH' ? seg[n - 1] : seg[n]) ?? '';
}

function comp(value: string, n: number): string {
  return value.split('^')[n - 1] ?? '';
}

function indexes(s: DemoHealthSystem) {
  return {
    itemByEhr: new Map(s.items.map((i) => [i.ehrSupplyCode, i])),
    deptByEhr: new Map(s.departments.map((d) => [d.ehrDepartmentCode, d])),
    careByPl: new Map(s.careLocations.map((c) => [`${c.pointOfCare}@${c.facility}`, c])),
    cdm: new Map(s.chargeMaster.map((c) => [c.code, c])),
  };
}

describe('generateTraffic', () => {
  it('is deterministic per seed, repeatable per iteration, and differs across seeds', () => {
    const again = Array.from(generateTraffic(demo, { seed: 7, day: '2026-11-24' }));
    assert.deepEqual(again, day);
    const iterable = generateTraffic(demo, { seed: 7 });
    assert.deepEqual(Array.from(iterable), Array.from(iterable));
    const other = Array.from(generateTraffic(demo, { seed: 8, day: '2026-11-24' }));
    assert.notDeepEqual(
      other.map((m) => m.message),
      day.map((m) => m.message),
    );
    const ids = new Set(day.map((m) => m.controlId));
    assert.ok(
      other.every((m) => !ids.has(m.controlId)),
      'another seed on the same day reuses no control id',
    );
  });

  it('produces a realistic mix including one item-master update and a few problem messages', () => {
    const count = (k: string) => day.filter((m) => m.kind === k).length;
    for (const k of ['adt-a01', 'adt-a03', 'adt-a04', 'adt-a08', 'siu-s12', 'dft-p03', 'dft-p11']) {
      assert.ok(count(k) > 0, k);
    }
    assert.equal(count('mfn-m16'), 1);
    for (const k of PROBLEM_KINDS) assert.ok(count(k) >= 1, k);
    assert.ok(
      PROBLEM_KINDS.reduce((n, k) => n + count(k), 0) < count('dft-p03') / 5,
      'problems stay a small share',
    );
  });

  it('writes well-formed ER7: MSH first, \\r-separated segments, unique MSH-10, ordered MSH-7 within the day', () => {
    const entities = new Map(demo.entities.map((e) => [e.hl7Facility, e]));
    let previous = '';
    const seen = new Set<string>();
    for (const m of day) {
      assert.ok(m.message.startsWith('MSH|^~\\&|'), m.controlId);
      assert.ok(m.message.endsWith('\r') && !m.message.includes('\n'));
      const segs = segments(m.message);
      for (const s of segs) assert.match(s[0] ?? '', /^[A-Z][A-Z0-9]{2}$/);
      assert.equal(segs.filter((s) => s[0] === 'MSH').length, 1);
      const msh = segs[0] ?? [];
      assert.equal(field(msh, 10), m.controlId);
      assert.ok(m.controlId.length <= 20, 'MSH-10 fits ST(20) of v2.5.1');
      assert.equal(seen.has(m.controlId), false, `duplicate ${m.controlId}`);
      seen.add(m.controlId);
      assert.equal(field(msh, 7), m.sentAt);
      assert.match(m.sentAt, /^20261124\d{6}$/);
      assert.ok(m.sentAt >= previous, 'MSH-7 in order');
      previous = m.sentAt;
      const [type, trigger] = field(msh, 9).split('^');
      assert.equal(`${type}-${trigger}`.toLowerCase(), m.kind.slice(0, 7));
      const entity = entities.get(field(msh, 4));
      if (m.kind === 'mfn-m16') assert.equal(field(msh, 12), '2.6');
      else assert.equal(field(msh, 3), entity?.hl7SendingApplication);
    }
  });

  it('FT1s refer to real items, departments, locations, providers and CDM lines, except the deliberate problems', () => {
    const ix = indexes(demo);
    let checked = 0;
    for (const m of day.filter((x) => x.kind.startsWith('dft'))) {
      const ft1s = segments(m.message).filter((s) => s[0] === 'FT1');
      assert.ok(ft1s.length > 0);
      const unknownItems = ft1s.filter((s) => !ix.itemByEhr.has(comp(field(s, 7), 1)));
      const unknownDepts = ft1s.filter((s) => !ix.deptByEhr.has(comp(field(s, 13), 1)));
      if (m.kind === 'dft-p03-unknown-supply-code') {
        assert.equal(unknownItems.length, 1);
        continue;
      }
      if (m.kind === 'dft-p03-unknown-department') {
        assert.equal(unknownDepts.length, ft1s.length);
        assert.equal(unknownItems.length, 0);
        continue;
      }
      assert.equal(unknownItems.length, 0, m.controlId);
      assert.equal(unknownDepts.length, 0, m.controlId);
      for (const s of ft1s) {
        const item = ix.itemByEhr.get(comp(field(s, 7), 1));
        const pl = field(s, 16);
        const care = ix.careByPl.get(`${comp(pl, 1)}@${comp(pl, 4)}`);
        assert.ok(care !== undefined, `FT1-16 ${pl}`);
        assert.equal(ix.deptByEhr.get(comp(field(s, 13), 1))?.code, care.departmentCode);
        assert.ok(isValidNpi(comp(field(s, 20), 1)));
        assert.ok(Number(field(s, 10)) > 0);
        const type = field(s, 6);
        assert.ok(['SU', 'SW', 'CG', 'CD'].includes(type), type);
        if (type === 'CG' || type === 'CD') {
          const cdm = ix.cdm.get(comp(field(s, 25), 1));
          assert.equal(cdm?.itemCode, item?.code, 'FT1-25 CDM charges for the FT1-7 supply');
          const unit = field(s, 12).split('&')[0];
          assert.equal(
            unit,
            `${(cdm?.price ?? 0n) / 100n}.${String((cdm?.price ?? 0n) % 100n).padStart(2, '0')}`,
          );
        } else {
          assert.equal(field(s, 25), '');
        }
        checked++;
      }
    }
    assert.ok(checked > 300, `${checked} FT1 lines checked`);
  });

  it('implant lines carry a ZIM with a valid UDI-DI, and stocked serials come from opening stock', () => {
    const ix = indexes(demo);
    const stockSerials = new Set(
      demo.openingStock
        .filter((o) => o.serialNumber !== null)
        .map((o) => `${o.parLocationCode}:${o.itemCode}:${o.serialNumber}`),
    );
    const used = new Set<string>();
    let zims = 0;
    for (const m of day.filter((x) => x.kind === 'dft-p03')) {
      const segs = segments(m.message);
      segs.forEach((s, i) => {
        if (s[0] !== 'ZIM') return;
        zims++;
        const ft1 = segs[i - 1] ?? [];
        assert.equal(ft1[0], 'FT1');
        assert.equal(field(s, 1), field(ft1, 1));
        const item = ix.itemByEhr.get(comp(field(ft1, 7), 1));
        assert.equal(item?.implant, true);
        assert.ok(isValidGtin14(field(s, 2)));
        assert.equal(field(s, 2), item?.gtin);
        const serial = field(s, 4);
        if (item?.tracking === 'lot-serial') assert.notEqual(serial, '');
        if (field(s, 6) === 'N' && serial !== '') {
          const care = ix.careByPl.get(`${comp(field(ft1, 16), 1)}@${comp(field(ft1, 16), 4)}`);
          const key = `${care?.parLocationCode}:${item?.code}:${serial}`;
          assert.ok(stockSerials.has(key), `serial ${serial} on hand`);
          assert.equal(used.has(key), false, 'a serial is implanted once');
          used.add(key);
        }
      });
    }
    assert.ok(zims > 5, `${zims} ZIM segments`);
  });

  it('never uses more of an item at a par location than its opening stock', () => {
    const ix = indexes(demo);
    const onHand = new Map<string, number>();
    for (const o of demo.openingStock)
      onHand.set(
        `${o.parLocationCode}:${o.itemCode}`,
        (onHand.get(`${o.parLocationCode}:${o.itemCode}`) ?? 0) + o.quantity,
      );
    const usedQty = new Map<string, number>();
    for (const m of day.filter((x) => x.kind.startsWith('dft-p03'))) {
      for (const s of segments(m.message).filter(
        (x) => x[0] === 'FT1' && ['SU', 'SW'].includes(field(x, 6)),
      )) {
        const item = ix.itemByEhr.get(comp(field(s, 7), 1));
        if (item === undefined || item.billOnly) continue;
        const care = ix.careByPl.get(`${comp(field(s, 16), 1)}@${comp(field(s, 16), 4)}`);
        const key = `${care?.parLocationCode}:${item.code}`;
        usedQty.set(key, (usedQty.get(key) ?? 0) + Number(field(s, 10)));
      }
    }
    assert.ok(usedQty.size > 50);
    for (const [key, qty] of usedQty) assert.ok(qty <= (onHand.get(key) ?? 0), `${key}: used ${qty}`);
  });

  it('honours volumes and rejects bad options with a typed error', () => {
    const none = {
      edVisits: 0,
      inpatients: 0,
      surgicalCases: 0,
      cathCases: 0,
      chargeCorrections: 0,
      itemMasterUpdates: 0,
    };
    assert.equal(Array.from(generateTraffic(demo, { volumes: none })).length, 0);
    const onlyEd = Array.from(generateTraffic(demo, { volumes: { ...none, edVisits: 5, problemShare: 0 } }));
    const edKinds = new Set(['adt-a03', 'adt-a04', 'adt-a08', 'dft-p03']);
    assert.ok(onlyEd.every((m) => edKinds.has(m.kind)));
    assert.equal(onlyEd.filter((m) => m.kind === 'adt-a04').length, 5);
    const bad = [
      { day: '2026-13-01' },
      { seed: -3 },
      { volumes: { edVisits: -1 } },
      { volumes: { problemShare: 2 } },
      { volumes: { cathCases: 0.5 } },
    ];
    for (const options of bad) {
      assert.throws(
        () => generateTraffic(demo, options),
        (e: unknown) => e instanceof CrosswalkError && e.code === 'CW_ERR_DEMO_OPTION',
        JSON.stringify(options),
      );
    }
  });

  it('escapes delimiter characters that appear in values (property)', () => {
    const nasty = fc.string({
      unit: fc.constantFrom('|', '^', '~', '\\', '&', '\r', '\n', 'x', ' '),
      minLength: 1,
      maxLength: 8,
    });
    const small = {
      edVisits: 3,
      inpatients: 2,
      surgicalCases: 4,
      cathCases: 2,
      chargeCorrections: 1,
      itemMasterUpdates: 1,
    };
    fc.assert(
      fc.property(nasty, nasty, nasty, fc.nat(1000), (itemSuffix, deptSuffix, nameSuffix, seed) => {
        const sys: DemoHealthSystem = {
          ...demo,
          items: demo.items.map((i) => ({ ...i, description: `${i.description} ${itemSuffix}` })),
          departments: demo.departments.map((d) => ({ ...d, name: `${d.name}${deptSuffix}` })),
          practitioners: demo.practitioners.map((p) => ({
            ...p,
            familyName: `${p.familyName}${nameSuffix}`,
          })),
          vendors: demo.vendors.map((v) => ({ ...v, name: `${v.name}${itemSuffix}` })),
        };
        const ix = indexes(sys);
        const families = new Set(sys.practitioners.map((p) => p.familyName));
        const msgs: TrafficMessage[] = Array.from(generateTraffic(sys, { seed, volumes: small }));
        assert.ok(msgs.length > 5);
        for (const m of msgs) {
          assert.ok(!m.message.includes('\n'));
          for (const s of segments(m.message)) {
            assert.match(s[0] ?? '', /^[A-Z][A-Z0-9]{2}$/, 'a raw CR would start a bogus segment');
            if (s[0] === 'FT1') {
              assert.ok(s.length <= 26);
              const code = field(s, 7).split('^');
              assert.equal(code.length, 3);
              const item = ix.itemByEhr.get(code[0] ?? '');
              if (item !== undefined) assert.equal(unescapeHl7(code[1] ?? ''), item.description);
              const dept = field(s, 13).split('^');
              assert.equal(dept.length, 3);
              const d = ix.deptByEhr.get(dept[0] ?? '');
              if (d !== undefined) assert.equal(unescapeHl7(dept[1] ?? ''), d.name);
              const performer = field(s, 20).split('^');
              assert.equal(performer.length, 13);
              assert.ok(families.has(unescapeHl7(performer[1] ?? '')));
            }
            if (s[0] === 'ITM') {
              const item = sys.items.find((i) => i.code === comp(field(s, 1), 1));
              assert.equal(unescapeHl7(field(s, 2)), item?.description);
            }
            if (s[0] === 'VND') {
              const vendor = sys.vendors.find((v) => v.code === comp(field(s, 2), 1));
              assert.equal(unescapeHl7(field(s, 3)), vendor?.name);
            }
          }
        }
      }),
      { numRuns: 25 },
    );
  });
});

describe('generateDftP03Batch', () => {
  it('makes n deterministic DFT^P03s of five FT1s, about 1.7 KB, with unique control ids', () => {
    const batch = generateDftP03Batch(200, 3, demo);
    assert.equal(batch.length, 200);
    assert.deepEqual(generateDftP03Batch(200, 3, demo), batch);
    assert.notDeepEqual(generateDftP03Batch(5, 4, demo), batch.slice(0, 5));
    const ids = new Set<string>();
    let bytes = 0;
    for (const m of batch) {
      const segs = segments(m);
      assert.equal(field(segs[0] ?? [], 9), 'DFT^P03^DFT_P03');
      assert.equal(segs.filter((s) => s[0] === 'FT1').length, 5);
      ids.add(field(segs[0] ?? [], 10));
      bytes += Buffer.byteLength(m);
    }
    assert.equal(ids.size, batch.length);
    const avg = bytes / batch.length;
    assert.ok(avg > 1400 && avg < 2100, `average ${avg} bytes`);
  });

  it('rejects a bad count with a typed error', () => {
    assert.throws(() => generateDftP03Batch(-1), CrosswalkError);
    assert.throws(() => generateDftP03Batch(1.5), CrosswalkError);
  });
});
