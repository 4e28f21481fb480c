import { CrosswalkError } from '../errors/index.ts';
import type { Hl7Message } from '../hl7v2/index.ts';
import { ADT_EVENTS, interpretAdt } from './adt.ts';
import { checkContext, Emitter, type InterpretContext, type InterpretResult } from './context.ts';
import { interpretDft } from './dft.ts';
import { interpretMfn, MFN_TRIGGERS } from './mfn.ts';
import { interpretSiu, SIU_ACTIONS } from './siu.ts';

/**
 * HL7 v2 message → canonical events, with one mapping release. Pure and deterministic: the same message,
 * release, key and context give the same events with the same ids, whatever the clock or machine zone.
 *
 * Outcomes: `interpreted` with its events (possibly none, e.g. a DFT without FT1); `not-interpreted` for a
 * message type Crosswalk gives no meaning to (not an error: the flow records the skip); or a thrown
 * CrosswalkError — CW_ERR_MAP_* when the release lacks a mapping (the exception queue's unmapped items),
 * CW_ERR_INTERPRET_* when the message itself is unusable. A message is all or nothing.
 */

type Handler = (em: Emitter, trigger: string) => void;

function handlerFor(type: string, trigger: string): Handler | undefined {
  switch (type) {
    case 'DFT':
      return trigger === 'P03' || trigger === 'P11' ? interpretDft : undefined;
    case 'ADT':
      return Object.hasOwn(ADT_EVENTS, trigger) ? interpretAdt : undefined;
    case 'SIU':
      return Object.hasOwn(SIU_ACTIONS, trigger) ? interpretSiu : undefined;
    case 'MFN':
      return MFN_TRIGGERS.has(trigger) ? interpretMfn : undefined;
    default:
      return undefined;
  }
}

/** The message types interpretHl7 gives meaning to. */
export const INTERPRETED_TYPES: readonly string[] = [
  'DFT^P03',
  'DFT^P11',
  ...Object.keys(ADT_EVENTS).map((t) => `ADT^${t}`),
  ...Object.keys(SIU_ACTIONS).map((t) => `SIU^${t}`),
  ...[...MFN_TRIGGERS].map((t) => `MFN^${t}`),
];

export function interpretHl7(message: Hl7Message, ctx: InterpretContext): InterpretResult {
  checkContext(ctx);
  // MSH-9.1 and MSH-9.2 as the header already read them (the same leaves, decoded alike).
  const type = message.header.messageCode.trim();
  const trigger = message.header.triggerEvent.trim();
  const messageType = `${type}^${trigger}`.slice(0, 20);
  const handler = handlerFor(type, trigger);
  if (handler === undefined) {
    return {
      status: 'not-interpreted',
      messageType,
      code: 'CW_ERR_INTERPRET_UNSUPPORTED_TYPE',
      reason: `Crosswalk interprets ${INTERPRETED_TYPES.join(', ')}`,
      events: [],
    };
  }
  const em = new Emitter(message, ctx);
  handler(em, trigger);
  return { status: 'interpreted', messageType, events: em.events };
}

/** For flows that must have events: turns `not-interpreted` into CW_ERR_INTERPRET_UNSUPPORTED_TYPE. */
export function requireInterpreted(
  result: InterpretResult,
): Extract<InterpretResult, { status: 'interpreted' }> {
  if (result.status === 'interpreted') return result;
  throw new CrosswalkError('CW_ERR_INTERPRET_UNSUPPORTED_TYPE', {
    messageType: result.messageType,
    reason: result.reason,
  });
}
