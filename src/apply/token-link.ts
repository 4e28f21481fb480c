import type { CanonicalEvent } from '../canonical/index.ts';
import { type ApplyContext, type Interpretation, interpretStored, type StoredMessage } from './plan.ts';

/**
 * Rotating the token key without losing history (issue 6, item 6.2).
 *
 * Tokens are keyed HMACs of identifiers; a new key gives every identifier a new token, so an encounter
 * admitted before a rotation and discharged or charged after it would split in two. The choice here is
 * "lookups try every key in the ring": a message is interpreted with the current key as always, and —
 * only while the ring holds earlier keys — also with each earlier key, which gives, event by event, the
 * token the same identifier had before (interpretation depends on the key for token values only, so the
 * events line up by position). When an encounter is already known under an earlier token, the events are
 * linked to it: they carry that token, and the encounter keeps one token for its whole life.
 *
 * Trade-offs, against recording an old→new mapping per token at rotation time:
 * - A mapping would need every identifier again (an HMAC cannot be reversed), so a rotation would have
 *   to decrypt and re-interpret the whole inbox while both keys are at hand. Trying every key needs no
 *   rotation job and no table, and works for whatever arrives later.
 * - It costs one extra interpretation per earlier key, per message, while the ring holds earlier keys;
 *   nothing at all for a ring of one key (the default). Retire a key from the ring once the encounters
 *   it tokenised have closed, and the cost goes with it.
 * - An encounter that spans a rotation keeps its old token, so the old key stays in use for linking that
 *   encounter until it is retired; new encounters only ever get current-key tokens.
 */

export type TokenAliases = ReadonlyMap<string, readonly string[]>;

/** Current encounter token → the tokens of the same identifier under each earlier key (newest first). */
export function encounterTokenAliases(
  message: StoredMessage,
  current: Interpretation,
  ctx: Pick<ApplyContext, 'release' | 'tokenKey' | 'earlierTokenKeys'>,
): TokenAliases {
  const earlier = ctx.earlierTokenKeys ?? [];
  const out = new Map<string, string[]>();
  if (earlier.length === 0 || current.kind !== 'events') return out;
  for (const key of earlier) {
    const before = interpretStored(message, { release: ctx.release, tokenKey: key });
    if (before.kind !== 'events' || before.events.length !== current.events.length) continue;
    current.events.forEach((e, i) => {
      const now = encounterTokenOf(e);
      const then = encounterTokenOf(before.events[i]!);
      if (now === null || then === null || now === then) return;
      const list = out.get(now) ?? [];
      if (!list.includes(then)) list.push(then);
      out.set(now, list);
    });
  }
  return out;
}

function encounterTokenOf(e: CanonicalEvent): string | null {
  const t = (e.payload as { encounterToken?: unknown }).encounterToken;
  return typeof t === 'string' ? t : null;
}

/**
 * The interpretation with each encounter token replaced by the earlier token the encounter is known by,
 * when there is one (`known`: the earlier tokens that have an encounter row). Unchanged otherwise.
 */
export function linkToEarlierTokens(
  interpretation: Interpretation,
  aliases: TokenAliases,
  known: ReadonlySet<string>,
): Interpretation {
  if (interpretation.kind !== 'events' || aliases.size === 0) return interpretation;
  let changed = false;
  const events = interpretation.events.map((e) => {
    const now = encounterTokenOf(e);
    if (now === null || known.has(now)) return e;
    const then = aliases.get(now)?.find((t) => known.has(t));
    if (then === undefined) return e;
    changed = true;
    return { ...e, payload: { ...e.payload, encounterToken: then } } as CanonicalEvent;
  });
  return changed ? { ...interpretation, events } : interpretation;
}
