/**
 * The demo health system: a seeded, pure description of three entities (two hospitals and an ASC)
 * with their chart of accounts, cost centers, locations, items, charge master, par levels, opening
 * stock and workforce, plus a seeded day of HL7 v2 traffic against it. No I/O: the loader stores it.
 */

export { escapeHl7, unescapeHl7 } from './er7.ts';
export {
  assertIsoDate,
  assertSeed,
  DEFAULT_DEMO_SEED,
  DEFAULT_OPENING_DATE,
  type DemoOptions,
  generateDemoHealthSystem,
  summarizeDemo,
} from './generate.ts';
export {
  gs1CheckDigit,
  isValidGtin14,
  isValidNpi,
  luhnCheckDigit,
  makeGtin14,
  makeNpi,
  npiCheckDigit,
} from './identifiers.ts';
export type * from './model.ts';
export { Random } from './random.ts';
export {
  DEFAULT_TRAFFIC_DAY,
  DEFAULT_TRAFFIC_VOLUMES,
  generateTraffic,
  PROBLEM_KINDS,
  type TrafficKind,
  type TrafficMessage,
  type TrafficOptions,
  type TrafficVolumes,
} from './traffic.ts';
export { BENCH_DAY, generateDftP03Batch } from './traffic-bench.ts';
export { FT1_TYPE, type Ft1Type } from './traffic-segments.ts';
