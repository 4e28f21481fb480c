import { CrosswalkError } from '../errors/index.ts';
import type { MappingRelease, ReleaseStatus } from './types.ts';

/**
 * The releases of one deployment and the order they were activated in, as an immutable value: every
 * operation returns a new history. At most one release is active. Activating supersedes the active one;
 * rolling back re-activates the release that was active before it (an audited activation like any other,
 * so rolling back twice returns to where you started).
 */
export interface ReleaseHistory {
  readonly releases: readonly MappingRelease[];
  /** Release ids in activation order; the last is the active one. */
  readonly activations: readonly string[];
}

export function emptyHistory(): ReleaseHistory {
  return Object.freeze({ releases: Object.freeze([]), activations: Object.freeze([]) });
}

function short(id: string): string {
  return id.slice(0, 12);
}

function find(history: ReleaseHistory, id: string): MappingRelease {
  const r = history.releases.find((x) => x.id === id);
  if (r === undefined) throw new CrosswalkError('CW_ERR_MAP_UNKNOWN_RELEASE', { release: short(id) });
  return r;
}

function withStatus(
  history: ReleaseHistory,
  changes: ReadonlyMap<string, ReleaseStatus>,
  activations: readonly string[],
): ReleaseHistory {
  return Object.freeze({
    releases: Object.freeze(
      history.releases.map((r) => {
        const s = changes.get(r.id);
        return s === undefined || s === r.status ? r : Object.freeze({ ...r, status: s });
      }),
    ),
    activations: Object.freeze([...activations]),
  });
}

/** Adds a release (any status it already has); the same content twice is refused as a duplicate. */
export function addRelease(history: ReleaseHistory, release: MappingRelease): ReleaseHistory {
  if (history.releases.some((r) => r.id === release.id)) {
    throw new CrosswalkError('CW_ERR_MAP_BAD_TRANSITION', {
      release: short(release.id),
      status: 'already recorded',
      action: 'added again',
    });
  }
  return Object.freeze({
    releases: Object.freeze([...history.releases, release]),
    activations: history.activations,
  });
}

/** Replaces a recorded release by a later state of itself (e.g. after approve()). */
export function updateRelease(history: ReleaseHistory, release: MappingRelease): ReleaseHistory {
  find(history, release.id);
  return Object.freeze({
    releases: Object.freeze(history.releases.map((r) => (r.id === release.id ? release : r))),
    activations: history.activations,
  });
}

export function activeRelease(history: ReleaseHistory): MappingRelease | null {
  const id = history.activations.at(-1);
  return id === undefined ? null : find(history, id);
}

/** approved (or superseded, to go back to it) → active; the active release → superseded. */
export function activate(history: ReleaseHistory, releaseId: string): ReleaseHistory {
  const target = find(history, releaseId);
  if (target.status !== 'approved' && target.status !== 'superseded') {
    throw new CrosswalkError('CW_ERR_MAP_BAD_TRANSITION', {
      release: short(target.id),
      status: target.status,
      action: 'activated (only approved or superseded releases can be)',
    });
  }
  const changes = new Map<string, ReleaseStatus>([[target.id, 'active']]);
  const current = activeRelease(history);
  if (current !== null) changes.set(current.id, 'superseded');
  return withStatus(history, changes, [...history.activations, target.id]);
}

/** Re-activates the release that was active before the current one. */
export function rollback(history: ReleaseHistory): ReleaseHistory {
  const current = history.activations.at(-1);
  const previous = [...history.activations].reverse().find((id) => id !== current);
  if (current === undefined || previous === undefined) throw new CrosswalkError('CW_ERR_MAP_NO_ROLLBACK');
  return activate(history, previous);
}
