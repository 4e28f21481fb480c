import { createHash } from 'node:crypto';
import { CrosswalkError } from '../errors/index.ts';

/**
 * Canonical JSON: object keys sorted by code unit, no whitespace, bigint as a decimal string, undefined
 * properties left out. Two values that differ only in key order serialise identically, which is what makes
 * a release's content hash independent of how its author (or a JSON library) ordered the keys.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'bigint':
      return JSON.stringify(value.toString());
    case 'number':
      if (!Number.isFinite(value)) {
        throw new CrosswalkError('CW_ERR_MAP_INVALID_RELEASE', {
          reason: `a number is not finite (${value})`,
        });
      }
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
      const rec = value as Record<string, unknown>;
      const keys = Object.keys(rec)
        .filter((k) => rec[k] !== undefined)
        .sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(rec[k])}`).join(',')}}`;
    }
    default:
      throw new CrosswalkError('CW_ERR_MAP_INVALID_RELEASE', {
        reason: `a value of type ${typeof value} cannot be part of a release`,
      });
  }
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
