/**
 * A seeded day of HL7 v2 traffic for the demo health system: registrations and admissions, surgical
 * and cath-lab cases, supply usage with charges, a few charge corrections, one item-master update, and
 * a small share of deliberately broken DFT^P03s (flagged in `kind`) for the exception queue.
 *
 * Every random decision is made while planning; rendering is pure. Messages come out ordered by MSH-7,
 * and MSH-10 is `<MSH-4><yymmdd><tag><seq>` where the tag derives from both seeds, so two different
 * seeds on the same day do not reuse control ids (up to a 1 in 46,656 chance).
 */

import { CrosswalkError } from '../errors/index.ts';
import { assertIsoDate, assertSeed } from './generate.ts';
import type { DemoHealthSystem, IsoDate } from './model.ts';
import { Random } from './random.ts';
import { TrafficContext } from './traffic-context.ts';
import { planItemMasterUpdate } from './traffic-mfn.ts';
import {
  DayPlanner,
  planCases,
  planCorrections,
  planEd,
  planInpatients,
  planProblems,
  type TrafficKind,
} from './traffic-plan.ts';

export type { TrafficKind };

/** Kinds that are wrong on purpose: the pipeline must turn each into an exception, not an effect. */
export const PROBLEM_KINDS: readonly TrafficKind[] = [
  'dft-p03-unknown-supply-code',
  'dft-p03-unknown-department',
];

export interface TrafficMessage {
  readonly kind: TrafficKind;
  /** ER7, segments terminated by \r. */
  readonly message: string;
  /** MSH-10 */
  readonly controlId: string;
  /** MSH-3 */
  readonly sendingApplication: string;
  /** MSH-4 */
  readonly sendingFacility: string;
  /** MSH-7, YYYYMMDDHHMMSS local time of the facility. */
  readonly sentAt: string;
}

export interface TrafficVolumes {
  /** ED registrations (A04), split across hospitals. */
  readonly edVisits: number;
  /** Inpatients with activity today: half admitted today (A01), half discharged (A03). */
  readonly inpatients: number;
  readonly surgicalCases: number;
  readonly cathCases: number;
  /** DFT^P11 late charges and credits. */
  readonly chargeCorrections: number;
  /** MFN^M16 messages from the ERP. */
  readonly itemMasterUpdates: number;
  /** Share of DFT^P03 made deliberately bad; at least two when above zero and any exist. */
  readonly problemShare: number;
}

export const DEFAULT_TRAFFIC_VOLUMES: TrafficVolumes = {
  edVisits: 60,
  inpatients: 24,
  surgicalCases: 28,
  cathCases: 8,
  chargeCorrections: 3,
  itemMasterUpdates: 1,
  problemShare: 0.03,
};

export interface TrafficOptions {
  readonly seed?: number;
  /** The day, `YYYY-MM-DD`; default `2026-11-24`. */
  readonly day?: IsoDate;
  readonly volumes?: Partial<TrafficVolumes>;
}

export const DEFAULT_TRAFFIC_DAY: IsoDate = '2026-11-24';
const MAX_VOLUME = 100_000;

function validateVolumes(v: Partial<TrafficVolumes> | undefined): TrafficVolumes {
  const out = { ...DEFAULT_TRAFFIC_VOLUMES, ...(v ?? {}) };
  for (const [key, value] of Object.entries(out)) {
    const ok =
      key === 'problemShare'
        ? typeof value === 'number' && value >= 0 && value <= 1
        : Number.isInteger(value) && value >= 0 && value <= MAX_VOLUME;
    if (!ok) {
      const expected = key === 'problemShare' ? 'a number from 0 to 1' : `an integer from 0 to ${MAX_VOLUME}`;
      throw new CrosswalkError('CW_ERR_DEMO_OPTION', {
        option: `volumes.${key}`,
        reason: `expected ${expected}`,
      });
    }
  }
  return out;
}

function controlIdTag(system: DemoHealthSystem, seed: number): string {
  const n = new Random(seed).fork(`control-id:${system.seed}`).nextUint32() % 36 ** 3;
  return n.toString(36).toUpperCase().padStart(3, '0');
}

export function generateTraffic(
  system: DemoHealthSystem,
  options: TrafficOptions = {},
): Iterable<TrafficMessage> {
  const seed = assertSeed(options.seed ?? 1);
  const day = assertIsoDate(options.day ?? DEFAULT_TRAFFIC_DAY, 'day');
  const volumes = validateVolumes(options.volumes);
  const root = new Random(seed);
  const p = new DayPlanner(new TrafficContext(system, day), root.fork('day'));

  planCases(p.with(root.fork('cases')), volumes.surgicalCases, 'operating-room');
  planCases(p.with(root.fork('cath')), volumes.cathCases, 'procedure-room');
  planEd(p.with(root.fork('ed')), volumes.edVisits);
  planInpatients(p.with(root.fork('inpatients')), volumes.inpatients);
  planCorrections(p.with(root.fork('p11')), volumes.chargeCorrections);
  for (let i = 0; i < volumes.itemMasterUpdates; i++) {
    const planned = planItemMasterUpdate(p.ctx, root.fork(`mfn:${i}`));
    if (planned !== null) p.add(planned);
  }
  planProblems(p.with(root.fork('problems')), volumes.problemShare);

  const ordered = p.planned
    .map((x, order) => ({ x, order }))
    .sort((a, b) => a.x.at - b.x.at || a.order - b.order);
  const yymmdd = day.replaceAll('-', '').slice(2);
  const tag = controlIdTag(system, seed);
  return {
    *[Symbol.iterator]() {
      let seq = 0;
      for (const { x } of ordered) {
        seq++;
        const controlId = `${x.facility}${yymmdd}${tag}${seq.toString(36).toUpperCase().padStart(5, '0')}`;
        const ts = p.ts(x.at);
        yield {
          kind: x.kind,
          message: x.render(controlId, ts),
          controlId,
          sendingApplication: x.application,
          sendingFacility: x.facility,
          sentAt: ts,
        };
      }
    },
  };
}
