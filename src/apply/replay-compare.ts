/**
 * Replay compares the lines a candidate release derives with the posted ones, which the store hands
 * over as one JSON text per entry (`linesText`): read against the candidate's lines without writing
 * them out, and parsed only when they differ.
 */

/** What JSON.stringify escapes in a string: quote, backslash, control characters, lone surrogates. */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** Where the JSON string `s` ends in `text` if it is written there from `at`, else -1. */
function matchString(s: string, text: string, at: number): number {
  if (NEEDS_ESCAPE.test(s)) {
    const w = JSON.stringify(s);
    return text.startsWith(w, at) ? at + w.length : -1;
  }
  const end = at + 1 + s.length;
  return text.charCodeAt(at) === 34 && text.startsWith(s, at + 1) && text.charCodeAt(end) === 34
    ? end + 1
    : -1;
}

/** A line as replay compares it: side, account, cost center and amount. */
export interface LineFacts {
  readonly side: 'debit' | 'credit';
  readonly account: string;
  readonly costCenter: string | null;
  readonly amount: bigint;
}

/**
 * An entry's lines in line order as one JSON text, `[[side, account, costCenter, "amount"], …]` (the
 * amount a decimal string: exact beyond 2^53): what the store builds for a posted entry
 * (replay-repository.ts), so a posted entry's lines are one string instead of an object per line.
 */
export function linesText(lines: readonly LineFacts[]): string {
  let s = '[';
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    s += `${i === 0 ? '' : ','}[${JSON.stringify(l.side)},${JSON.stringify(l.account)},${l.costCenter === null ? 'null' : JSON.stringify(l.costCenter)},"${l.amount}"]`;
  }
  return `${s}]`;
}

/** Whether `text` is `linesText(lines)`, read without writing it. */
export function linesTextIs(lines: readonly LineFacts[], text: string): boolean {
  if (text.charCodeAt(0) !== 91) return false;
  let p = 1;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (i > 0) {
      if (text.charCodeAt(p) !== 44) return false;
      p++;
    }
    if (text.charCodeAt(p) !== 91) return false;
    p = matchString(l.side, text, p + 1);
    if (p < 0 || text.charCodeAt(p) !== 44) return false;
    p = matchString(l.account, text, p + 1);
    if (p < 0 || text.charCodeAt(p) !== 44) return false;
    p =
      l.costCenter === null
        ? text.startsWith('null', p + 1)
          ? p + 5
          : -1
        : matchString(l.costCenter, text, p + 1);
    if (p < 0 || text.charCodeAt(p) !== 44) return false;
    p = matchString(l.amount.toString(), text, p + 1);
    if (p < 0 || text.charCodeAt(p) !== 93) return false;
    p++;
  }
  return text.charCodeAt(p) === 93 && p + 1 === text.length;
}

/** The lines of a `linesText`. */
export function parseLinesText(text: string): LineFacts[] {
  return (JSON.parse(text) as [LineFacts['side'], string, string | null, string][]).map(
    ([side, account, costCenter, amount]) => ({ side, account, costCenter, amount: BigInt(amount) }),
  );
}

/** jsonb's order of an object's keys: shorter first, then by their bytes (code units, for ASCII keys). */
const jsonbKeyOrder = (a: string, b: string) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);

/**
 * A value as PostgreSQL writes a jsonb back as text (`payload::text`): keys shorter first then in byte
 * order, `": "` and `", "` between, every bigint a quoted decimal (as eventsToJson writes it). So an event
 * stored in jsonb is compared as text too, instead of parsed. Where jsonb writes otherwise (a number
 * written with an exponent, a non-ASCII key) the texts differ and the caller compares by content; null
 * for what this writer leaves alone (toJSON).
 */
export function jsonbText(v: unknown): string | null {
  switch (typeof v) {
    case 'bigint':
      return `"${v}"`;
    case 'object': {
      if (v === null) return 'null';
      if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return null;
      if (Array.isArray(v)) {
        const items: string[] = [];
        for (const x of v) {
          const w =
            x === undefined || typeof x === 'function' || typeof x === 'symbol' ? 'null' : jsonbText(x);
          if (w === null) return null;
          items.push(w);
        }
        return `[${items.join(', ')}]`;
      }
      const o = v as Record<string, unknown>;
      const parts: string[] = [];
      for (const k of Object.keys(o).sort(jsonbKeyOrder)) {
        const x = o[k];
        if (x === undefined || typeof x === 'function' || typeof x === 'symbol') continue;
        const w = jsonbText(x);
        if (w === null) return null;
        parts.push(`${JSON.stringify(k)}: ${w}`);
      }
      return `{${parts.join(', ')}}`;
    }
    default:
      return JSON.stringify(v) ?? null;
  }
}
