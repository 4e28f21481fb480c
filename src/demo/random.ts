/**
 * A small seeded PRNG for the demo data. sfc32 (Chris Doty-Humphrey's "small fast counting" generator)
 * seeded through splitmix32: 32-bit integer arithmetic only (Math.imul, >>>), so the same seed yields
 * the same sequence on every machine and every Node version. Not for anything security-related.
 *
 * `fork(label)` derives an independent stream from the seed and a label. Each part of the demo system
 * draws from its own fork, so adding an item category does not reshuffle the practitioners.
 */

const TWO_POW_32 = 4294967296;

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** FNV-1a over the UTF-16 code units of a label; only used to derive fork seeds. */
function hashLabel(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class Random {
  readonly seed: number;
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** `seed` is reduced to an unsigned 32-bit integer; non-integers are truncated. */
  constructor(seed: number) {
    this.seed = Math.trunc(seed) >>> 0;
    const init = splitmix32(this.seed);
    this.a = init();
    this.b = init();
    this.c = init();
    this.d = init();
    // The first outputs of sfc32 are weakly mixed; discarding a few is the customary warm-up.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** An independent stream for one purpose, stable for a given seed and label. */
  fork(label: string): Random {
    return new Random((this.seed ^ hashLabel(label)) >>> 0 || 0x5eed);
  }

  nextUint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** A float in [0, 1). */
  next(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  /** An integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    if (!Number.isInteger(min) || !Number.isInteger(max) || max < min) {
      throw new RangeError(`Random.int needs integers min <= max, got ${min}, ${max}`);
    }
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** A bigint in [min, max], both inclusive; the span must fit in 2^53. */
  bigint(min: bigint, max: bigint): bigint {
    if (max < min) throw new RangeError(`Random.bigint needs min <= max, got ${min}, ${max}`);
    const span = Number(max - min);
    return min + BigInt(Math.floor(this.next() * (span + 1)));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('Random.pick from an empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** Picks by non-negative weights; an item with weight 0 is never chosen. */
  weighted<T>(entries: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, w] of entries) {
      if (!(w >= 0)) throw new RangeError('Random.weighted needs non-negative weights');
      total += w;
    }
    if (total <= 0) throw new RangeError('Random.weighted needs a positive total weight');
    let r = this.next() * total;
    for (const [value, w] of entries) {
      if (r < w) return value;
      r -= w;
    }
    // Floating-point leftovers land on the last item with a positive weight.
    for (let i = entries.length - 1; i >= 0; i--) {
      const e = entries[i];
      if (e && e[1] > 0) return e[0];
    }
    throw new RangeError('unreachable');
  }

  /** A new array in Fisher–Yates order; the input is not changed. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const tmp = out[i] as T;
      out[i] = out[j] as T;
      out[j] = tmp;
    }
    return out;
  }

  /** `count` distinct items (fewer if the list is shorter), in random order. */
  sample<T>(items: readonly T[], count: number): T[] {
    return this.shuffle(items).slice(0, Math.max(0, count));
  }

  /** A string of `length` decimal digits; the first is never 0 unless `allowLeadingZero`. */
  digits(length: number, allowLeadingZero = false): string {
    let s = '';
    for (let i = 0; i < length; i++)
      s += String(i === 0 && !allowLeadingZero ? this.int(1, 9) : this.int(0, 9));
    return s;
  }

  /** Upper-case letters and digits, e.g. for lot numbers. */
  alphanumeric(length: number): string {
    const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789';
    let s = '';
    for (let i = 0; i < length; i++) s += alphabet[this.int(0, alphabet.length - 1)];
    return s;
  }
}
