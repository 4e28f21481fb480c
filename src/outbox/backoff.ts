/**
 * When to try a delivery again. Pure: the random source and the clock are passed in.
 *
 * Exponential backoff with "equal jitter": the n-th retry waits between half and all of
 * min(max, base × 2^(n-1)), so a fleet of senders that failed together spreads out, yet none retries
 * sooner than half the step. A receiver's Retry-After wins over our own schedule (it knows its load),
 * bounded by `maxRetryAfterMs` so a broken header cannot park a queue for a year.
 */

export interface RetryPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
  /** The longest Retry-After honoured as given (default 24 h). */
  readonly maxRetryAfterMs?: number;
}

/** Delay before attempt number `attempt + 1`, given that `attempt` (≥ 1) attempts have failed. */
export function backoffMs(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const n = Math.max(1, Math.floor(attempt));
  const step = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(n - 1, 52));
  const r = Math.min(1, Math.max(0, random()));
  return Math.round(step / 2 + (r * step) / 2);
}

/**
 * Retry-After as milliseconds from `now`: delta-seconds ("120") or an HTTP-date
 * ("Wed, 21 Oct 2015 07:28:00 GMT"); undefined when absent or unreadable. A date in the past is 0.
 */
export function parseRetryAfter(value: string | undefined | null, now: Date): number | undefined {
  if (value === undefined || value === null) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  if (!/[A-Za-z]/.test(v)) return undefined;
  const t = Date.parse(v);
  if (Number.isNaN(t)) return undefined;
  return Math.max(0, t - now.getTime());
}

/** The next attempt's delay: the receiver's Retry-After when it gave one, else our backoff. */
export function nextDelayMs(
  attempt: number,
  policy: RetryPolicy,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, policy.maxRetryAfterMs ?? 86_400_000);
  return backoffMs(attempt, policy, random);
}
