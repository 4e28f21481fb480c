/**
 * Benchmark fodder: DFT^P03 messages shaped like a typical OR supply feed (MSH, EVN, PID, PV1 and five
 * FT1s: four usage lines and one charge), about 1.7 KB each. Unlike `generateTraffic` these ignore stock
 * levels, so any count can be produced quickly; control ids are unique within a batch and across seeds.
 */

import { CrosswalkError } from '../errors/index.ts';
import { BENCH_SLOT } from './data-traffic.ts';
import { message } from './er7.ts';
import { assertSeed, generateDemoHealthSystem } from './generate.ts';
import type { DemoHealthSystem, Item } from './model.ts';
import { Random } from './random.ts';
import { TrafficContext } from './traffic-context.ts';
import { evn, FT1_TYPE, type Ft1Line, ft1, msh, pid, pv1, type Visit } from './traffic-segments.ts';

export const BENCH_DAY = '2026-11-24';

export function generateDftP03Batch(n: number, seed = 1, system?: DemoHealthSystem): string[] {
  if (!Number.isInteger(n) || n < 0 || n > 10_000_000) {
    throw new CrosswalkError('CW_ERR_DEMO_OPTION', {
      option: 'n',
      reason: 'expected an integer from 0 to 10000000',
    });
  }
  assertSeed(seed);
  const sys = system ?? generateDemoHealthSystem();
  const ctx = new TrafficContext(sys, BENCH_DAY);
  const r = new Random(seed).fork('bench-p03');
  const rooms = sys.careLocations.filter((c) => c.kind === 'operating-room');
  const items = sys.items.filter((i) => BENCH_SLOT.test(i.description));
  const chargeable = items.filter((i) => i.cdmCode !== null && ctx.cdm.has(i.cdmCode));
  if (rooms.length === 0 || items.length === 0 || chargeable.length === 0) return [];
  const tag = r.alphanumeric(4);
  const out: string[] = [];
  for (let k = 0; k < n; k++) {
    const room = r.pick(rooms);
    const entity = ctx.entities.get(room.entityCode);
    if (entity === undefined) continue;
    const dept = ctx.department(room);
    const surgeon = r.pick(ctx.practitioners(['Orthopaedic Surgery', 'General Surgery'], entity.code));
    const at = 7 * 3600 + r.int(0, 11 * 3600);
    const ts = stamp(at);
    const patient = ctx.newPatient(r, [18, 90]);
    const visit: Visit = {
      visitNumber: ctx.newVisitNumber(r),
      patientClass: 'O',
      admissionType: 'C',
      hospitalService: 'SUR',
      location: room,
      room: null,
      bed: null,
      attending: surgeon,
      admitAt: stamp(at - 7200),
      dischargeAt: null,
    };
    const line = (item: Item, type: Ft1Line['type']): Ft1Line => {
      const cdm = item.cdmCode === null ? undefined : ctx.cdm.get(item.cdmCode);
      const charge =
        type === FT1_TYPE.charge && cdm !== undefined && item.cdmCode !== null
          ? { cdmCode: item.cdmCode, description: cdm.description, price: cdm.price }
          : null;
      return {
        type,
        supplyCode: item.ehrSupplyCode,
        description: item.description,
        quantity: r.int(1, 4),
        unitCost: charge === null ? item.unitCost : null,
        charge,
        departmentCode: dept.ehrDepartmentCode,
        departmentName: dept.name,
        location: room,
        room: null,
        bed: null,
        performer: surgeon,
        // FT1-21 left empty: many OR feeds send only the performer.
        orderer: null,
        caseId: `${entity.code}-B${String(k).padStart(7, '0')}`,
        usedAt: ts,
        implant: null,
      };
    };
    const lines = [
      ...r.sample(items, 4).map((i) => line(i, FT1_TYPE.supplyUsed)),
      line(r.pick(chargeable), FT1_TYPE.charge),
    ];
    const controlId = `BENCH${tag}${k.toString(36).toUpperCase().padStart(7, '0')}`;
    out.push(
      message([
        msh(entity.hl7SendingApplication, entity.hl7Facility, ts, ['DFT', 'P03', 'DFT_P03'], controlId),
        evn('P03', ts),
        pid(patient, visit),
        pv1(visit),
        ...lines.map((l, i) => ft1(i + 1, controlId, ts, l)),
      ]),
    );
  }
  return out;
}

function stamp(at: number): string {
  const s = Math.max(0, Math.min(at, 86_399));
  const p2 = (v: number): string => String(v).padStart(2, '0');
  return `${BENCH_DAY.replaceAll('-', '')}${p2(Math.floor(s / 3600))}${p2(Math.floor((s % 3600) / 60))}${p2(s % 60)}`;
}
