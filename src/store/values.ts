/** Normalisers for values read back from either engine (see port.ts). */

export function asBigInt(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new TypeError(`not an exact integer: ${v}`);
    return BigInt(v);
  }
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  throw new TypeError(`not an integer: ${typeof v}`);
}

export function asNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') {
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new RangeError(`integer too large for a number: ${v}`);
    }
    return Number(v);
  }
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  throw new TypeError(`not a number: ${typeof v}`);
}

export function asBool(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 1 || v === 1n || v === '1' || v === 't' || v === 'true') return true;
  if (v === 0 || v === 0n || v === '0' || v === 'f' || v === 'false') return false;
  throw new TypeError(`not a boolean: ${String(v)}`);
}

export function asOptionalString(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}

export function asBytes(v: unknown): Buffer {
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  throw new TypeError(`not bytes: ${typeof v}`);
}
