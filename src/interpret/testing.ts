import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  generateDemoHealthSystem,
  generateTraffic,
  type TrafficMessage,
  type TrafficOptions,
} from '../demo/index.ts';
import { CrosswalkError } from '../errors/index.ts';
import { type Hl7Message, parseMessage } from '../hl7v2/index.ts';
import { createRelease, demoRelease, type MappingRelease } from '../mapping/index.ts';
import type { InterpretContext, InterpretResult } from './context.ts';
import { interpretHl7 } from './interpret.ts';

/** Test helpers for interpretation (not exported from index.ts). */

export const SYSTEM = generateDemoHealthSystem();
export const RELEASE: MappingRelease = createRelease(demoRelease(SYSTEM), 'integration engineer');
export const KEY = Buffer.alloc(32, 0x5a);
export const RECEIVED_AT = '2026-11-24T23:59:59.000Z';

const CORPUS = fileURLToPath(new URL('../../../shared/data/hl7v2/ms-fhir-converter/', import.meta.url));
export const corpusPresent = existsSync(CORPUS);

export function corpus(name: string): Hl7Message {
  return parseMessage(readFileSync(`${CORPUS}${name}`));
}

const days = new Map<string, TrafficMessage[]>();

/** A day of demo traffic (cached per options). */
export function traffic(options: TrafficOptions = {}): TrafficMessage[] {
  const key = JSON.stringify(options);
  let day = days.get(key);
  if (day === undefined) {
    day = [...generateTraffic(SYSTEM, options)];
    days.set(key, day);
  }
  return day;
}

export function sourceId(m: {
  sendingApplication: string;
  sendingFacility: string;
  controlId: string;
}): string {
  return `${m.sendingApplication}|${m.sendingFacility}|${m.controlId}`;
}

export function ctx(sourceMessageId: string, release: MappingRelease = RELEASE): InterpretContext {
  return { release, tokenKey: KEY, sourceMessageId, receivedAt: RECEIVED_AT, orderingKey: 'test' };
}

export function run(
  msg: Hl7Message | string,
  source = 'test|T|1',
  release?: MappingRelease,
): InterpretResult {
  return interpretHl7(typeof msg === 'string' ? parseMessage(msg) : msg, ctx(source, release));
}

/** The events of an interpreted message (fails the test when it was not interpreted). */
export function events(msg: Hl7Message | string, source?: string, release?: MappingRelease) {
  const r = run(msg, source, release);
  assert.equal(r.status, 'interpreted', `${r.messageType} was not interpreted`);
  return r.events;
}

export function errorOf(fn: () => unknown): CrosswalkError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof CrosswalkError, `expected a CrosswalkError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected an error');
}

/** The first message of a kind (and matching a predicate) from the default day. */
export function firstOf(
  kind: TrafficMessage['kind'],
  where: (text: string) => boolean = () => true,
): TrafficMessage {
  const m = traffic().find((x) => x.kind === kind && where(x.message));
  assert.ok(m !== undefined, `no ${kind} message in the demo day`);
  return m;
}
