/**
 * One column of a bulk insert as one PostgreSQL array parameter (`bulk.ts` unnests them).
 *
 * Arrays of text, integers, booleans and bytes go in the binary array format: the server copies each
 * element as it is instead of scanning a text literal for quotes and backslashes, which was most of
 * its cost for an event's JSON payload (every double quote escaped). JSON columns travel as text and
 * are cast per row (`c::jsonb`): parsing a JSONB array parameter cost a third more than parsing the
 * same texts one by one. Any other type (timestamptz, numeric…) goes as a text literal cast to the
 * column's type, and so does a column whose values do not fit the binary form (a number too large for
 * an integer column, a text in a boolean one): the server then reports it as it would any bad value.
 */

/** A column as the PostgreSQL catalog describes it: `format_type` text and type OID. */
export interface ColumnType {
  readonly type: string;
  readonly oid: number;
}

export interface ArrayParam {
  /** The bound value: an array in binary form, or an array literal. */
  readonly value: Buffer | string;
  /** The parameter's SQL type, e.g. `text[]`. */
  readonly cast: string;
  /** The select-list expression for the unnested column `c`. */
  readonly expr: (c: string) => string;
}

const OID = {
  bool: 16,
  bytea: 17,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  json: 114,
  varchar: 1043,
  jsonb: 3802,
} as const;

/**
 * Element types for a caller that binds arrays of its own (the inbox's batch insert) rather than through
 * `bulk.ts`, which reads them from the catalog.
 */
export const ARRAY_OF = {
  text: { type: 'text', oid: OID.text },
  integer: { type: 'integer', oid: OID.int4 },
  bytea: { type: 'bytea', oid: OID.bytea },
} as const satisfies Record<string, ColumnType>;

const INT_RANGE: Record<number, readonly [bigint, bigint]> = {
  [OID.int2]: [-(2n ** 15n), 2n ** 15n - 1n],
  [OID.int4]: [-(2n ** 31n), 2n ** 31n - 1n],
  [OID.int8]: [-(2n ** 63n), 2n ** 63n - 1n],
};

export function arrayParam(values: readonly unknown[], column: ColumnType): ArrayParam {
  switch (column.oid) {
    case OID.text:
    case OID.varchar:
      return { value: textArray(values), cast: 'text[]', expr: (c) => c };
    case OID.json:
    case OID.jsonb:
      return { value: textArray(values), cast: 'text[]', expr: (c) => `${c}::${column.type}` };
    case OID.int2:
    case OID.int4:
    case OID.int8: {
      const ints = integers(values, column.oid);
      if (ints) return { value: intArray(ints, column.oid), cast: `${column.type}[]`, expr: (c) => c };
      break;
    }
    case OID.bool:
      if (values.every((v) => v === null || v === undefined || typeof v === 'boolean')) {
        return {
          value: boolArray(values as readonly (boolean | null | undefined)[]),
          cast: 'boolean[]',
          expr: (c) => c,
        };
      }
      break;
    case OID.bytea:
      if (values.every((v) => v === null || v === undefined || v instanceof Uint8Array)) {
        return {
          value: byteaArray(values as readonly (Uint8Array | null | undefined)[]),
          cast: 'bytea[]',
          expr: (c) => c,
        };
      }
      break;
  }
  return { value: arrayLiteral(values), cast: `${column.type}[]`, expr: (c) => c };
}

/** The text of a value as the driver would send it for a text parameter. */
export function elementText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Uint8Array)
    return `\\x${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}`;
  // An object (for a json column): its JSON text, as the driver would send it.
  return JSON.stringify(v);
}

/** The binary array header: one dimension of `n` elements from 1. */
function header(size: number, n: number, hasNull: boolean, elementOid: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  out.writeInt32BE(1, 0);
  out.writeInt32BE(hasNull ? 1 : 0, 4);
  out.writeUInt32BE(elementOid, 8);
  out.writeInt32BE(n, 12);
  out.writeInt32BE(1, 16);
  return out;
}

const HEADER = 20;

function textArray(values: readonly unknown[]): Buffer {
  const n = values.length;
  const texts = new Array<string | null>(n);
  let hasNull = false;
  let chars = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null || v === undefined) {
      texts[i] = null;
      hasNull = true;
    } else {
      const t = elementText(v);
      texts[i] = t;
      chars += t.length;
    }
  }
  // Each text written as UTF-8 straight into its place, its length written before it once known: room
  // for the worst case (3 bytes a UTF-16 unit) is reserved and what is not used is cut off. Joining the
  // texts into one string first (to write it in one call) cost more than the writing: two joins of a
  // batch's hundred thousand texts took most of this function's time.
  const out = header(HEADER + 4 * n + 3 * chars, n, hasNull, OID.text);
  let at = HEADER;
  for (let i = 0; i < n; i++) {
    const t = texts[i] ?? null;
    if (t === null) {
      out.writeInt32BE(-1, at);
      at += 4;
      continue;
    }
    const len = t.length === 0 ? 0 : out.write(t, at + 4, 'utf8');
    out.writeInt32BE(len, at);
    at += 4 + len;
  }
  return out.subarray(0, at);
}

/** The values as integers in the column's range, or null when one is not (the text form reports it). */
function integers(values: readonly unknown[], oid: number): (bigint | null)[] | null {
  const [min, max] = INT_RANGE[oid]!;
  const out = new Array<bigint | null>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    let b: bigint;
    if (v === null || v === undefined) {
      out[i] = null;
      continue;
    }
    if (typeof v === 'bigint') b = v;
    else if (typeof v === 'number' && Number.isSafeInteger(v)) b = BigInt(v);
    else if (typeof v === 'string' && /^-?\d{1,19}$/.test(v)) b = BigInt(v);
    else return null;
    if (b < min || b > max) return null;
    out[i] = b;
  }
  return out;
}

function intArray(ints: readonly (bigint | null)[], oid: number): Buffer {
  const width = oid === OID.int8 ? 8 : oid === OID.int4 ? 4 : 2;
  const nulls = ints.filter((v) => v === null).length;
  const out = header(HEADER + 4 * ints.length + width * (ints.length - nulls), ints.length, nulls > 0, oid);
  let at = HEADER;
  for (const v of ints) {
    if (v === null) {
      out.writeInt32BE(-1, at);
      at += 4;
      continue;
    }
    out.writeInt32BE(width, at);
    at += 4;
    if (width === 8) out.writeBigInt64BE(v, at);
    else if (width === 4) out.writeInt32BE(Number(v), at);
    else out.writeInt16BE(Number(v), at);
    at += width;
  }
  return out;
}

function boolArray(values: readonly (boolean | null | undefined)[]): Buffer {
  const nulls = values.filter((v) => v === null || v === undefined).length;
  const out = header(
    HEADER + 4 * values.length + (values.length - nulls),
    values.length,
    nulls > 0,
    OID.bool,
  );
  let at = HEADER;
  for (const v of values) {
    if (v === null || v === undefined) {
      out.writeInt32BE(-1, at);
      at += 4;
      continue;
    }
    out.writeInt32BE(1, at);
    out[at + 4] = v ? 1 : 0;
    at += 5;
  }
  return out;
}

function byteaArray(values: readonly (Uint8Array | null | undefined)[]): Buffer {
  let size = HEADER + 4 * values.length;
  for (const v of values) if (v) size += v.byteLength;
  const out = header(
    size,
    values.length,
    values.some((v) => !v),
    OID.bytea,
  );
  let at = HEADER;
  for (const v of values) {
    if (!v) {
      out.writeInt32BE(-1, at);
      at += 4;
      continue;
    }
    out.writeInt32BE(v.byteLength, at);
    at += 4;
    out.set(v, at);
    at += v.byteLength;
  }
  return out;
}

/**
 * An array literal, for the types sent as text. JSON.stringify of the texts writes it natively: a JSON
 * array of strings is an array literal but for its brackets, since both put a backslash before a double
 * quote or a backslash, and an unquoted `null` is NULL to the array reader (which ignores case). JSON's
 * other escapes (backslash-n, backslash-u0001: control characters and lone surrogates) would read back
 * as plain letters, so a column with one of those is quoted element by element instead.
 */
export function arrayLiteral(values: readonly unknown[]): string {
  const texts = values.map((v) => (v === null || v === undefined ? null : elementText(v)));
  const json = JSON.stringify(texts);
  if (json.includes('\\') && JSON_ONLY_ESCAPE.test(json)) {
    return `{${texts.map((t) => (t === null ? 'NULL' : `"${t.replace(/["\\]/g, '\\$&')}"`)).join(',')}}`;
  }
  return `{${json.slice(1, -1)}}`;
}

/** A JSON escape other than those of a double quote and a backslash (itself not escaped). */
const JSON_ONLY_ESCAPE = /(?<!\\)(?:\\\\)*\\[bfnrtu]/;
