import { CrosswalkError } from '../errors/index.ts';
import type { MovementType } from './types.ts';

/**
 * Deterministic keys. A movement key is `<source event>|<line>|<movement type>[|<part>]`, where the part
 * tells apart the movements of one line that share a type (one per serial number, one per counted lot).
 * Free-text components have `%` and `|` percent-encoded, so the key reads back unambiguously and two
 * different inputs never give the same key. The key is readable on purpose: it is the provenance of the
 * row (which event, which line) as well as its idempotency key (`movement_key UNIQUE`).
 */

function esc(s: string): string {
  // Codes almost never hold either character: the scan is cheaper than two replaceAll copies.
  if (!s.includes('%') && !s.includes('|')) return s;
  return s.replaceAll('%', '%25').replaceAll('|', '%7C');
}

function checkSource(sourceEventId: string, line: number): void {
  if (sourceEventId.length === 0) {
    throw new CrosswalkError('CW_ERR_INVENTORY_BAD_COMMAND', {
      what: 'source event',
      key: '(empty)',
      reason: 'a source event id is required',
    });
  }
  if (!Number.isSafeInteger(line) || line < 1) {
    throw new CrosswalkError('CW_ERR_INVENTORY_BAD_COMMAND', {
      what: 'source event',
      key: sourceEventId,
      reason: `line ${line} is not a positive integer`,
    });
  }
}

/** Identifies one source line (one command): every movement it produced starts with this. */
export function lineKey(sourceEventId: string, line: number): string {
  checkSource(sourceEventId, line);
  return `${esc(sourceEventId)}|${line}`;
}

export function movementKey(
  sourceEventId: string,
  line: number,
  movementType: MovementType,
  part: string | null = null,
): string {
  const base = `${lineKey(sourceEventId, line)}|${movementType}`;
  return part === null ? base : `${base}|${esc(part)}`;
}

/**
 * The line key a movement key was built from, or `null` for keys not built by `movementKey` (rows
 * written by other means, such as the demo loader's `opening:<code>`): those are idempotent by key only.
 */
export function lineKeyOf(key: string): string | null {
  const a = key.indexOf('|');
  const b = a < 0 ? -1 : key.indexOf('|', a + 1);
  if (b < 0 || !/^[1-9]\d*$/.test(key.slice(a + 1, b))) return null;
  return key.slice(0, b);
}

export function positionKey(itemCode: string, parLocationCode: string): string {
  return `${esc(itemCode)}|${esc(parLocationCode)}`;
}

export function serialKey(itemCode: string, serialNumber: string): string {
  return `${esc(itemCode)}|${esc(serialNumber)}`;
}
