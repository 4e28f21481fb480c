import { CrosswalkError } from '../errors/index.ts';
import { reasonOf } from './reasons.ts';

/**
 * The life of an exception. It is raised `open`; a person takes it (`assigned`, reassignable); it ends
 * `resolved` (the cause was fixed, by a replay that went through or by a person saying so) or `ignored`
 * (with a reason that stays on record). Comments are allowed in every status. An ended exception is not
 * reopened: the same problem coming back raises a new exception, so the history of a closed one never
 * changes after the fact.
 */
export type ExceptionStatus = 'open' | 'assigned' | 'resolved' | 'ignored';

export const EXCEPTION_STATUSES: readonly ExceptionStatus[] = ['open', 'assigned', 'resolved', 'ignored'];

/** What a person can do to an exception. */
export type ExceptionAction = 'assign' | 'comment' | 'resolve' | 'ignore' | 'replay' | 'edit' | 'approve';

/** What the history records (an action and the outcomes of replays). */
export type HistoryKind =
  | 'assigned'
  | 'commented'
  | 'resolved'
  | 'ignored'
  | 'replayed'
  | 'replay-failed'
  | 'edit-proposed'
  | 'edit-approved'
  | 'edit-rejected';

export interface HistoryEntry {
  readonly kind: HistoryKind;
  readonly actor: string;
  readonly at: string;
  readonly fromStatus: ExceptionStatus;
  readonly toStatus: ExceptionStatus;
  readonly note: string | null;
  readonly details: Readonly<Record<string, string | number | boolean | null>>;
}

/** The part of a stored exception the lifecycle decides on. */
export interface ExceptionState {
  readonly id: bigint;
  readonly reasonCode: string;
  readonly status: ExceptionStatus;
  readonly assignee: string | null;
  readonly createdAt: string;
  /** An explicit due date set by a person; null: created + the reason's SLA. */
  readonly dueAt: string | null;
}

const OPEN: ReadonlySet<ExceptionStatus> = new Set(['open', 'assigned']);

const ALLOWED: Readonly<Record<ExceptionStatus, readonly ExceptionAction[]>> = {
  open: ['assign', 'comment', 'resolve', 'ignore', 'replay', 'edit', 'approve'],
  assigned: ['assign', 'comment', 'resolve', 'ignore', 'replay', 'edit', 'approve'],
  resolved: ['comment'],
  ignored: ['comment'],
};

export function allowedActions(status: ExceptionStatus): readonly ExceptionAction[] {
  return ALLOWED[status];
}

export function isOpen(status: ExceptionStatus): boolean {
  return OPEN.has(status);
}

const MAX_NAME = 100;
const MAX_TEXT = 2000;

/** A person's name as given (trimmed); refused when empty or absurdly long. */
export function checkActor(actor: string, id: bigint, action: ExceptionAction): string {
  const who = actor.trim();
  if (who === '' || who.length > MAX_NAME) {
    throw new CrosswalkError('CW_ERR_EXCEPTION_INPUT', {
      id: String(id),
      action: actionWord(action),
      reason: who === '' ? 'name who does it' : `a name is at most ${MAX_NAME} characters`,
    });
  }
  return who;
}

function checkText(text: string, id: bigint, action: ExceptionAction, what: string): string {
  const t = text.trim();
  if (t === '' || t.length > MAX_TEXT) {
    throw new CrosswalkError('CW_ERR_EXCEPTION_INPUT', {
      id: String(id),
      action: actionWord(action),
      reason: t === '' ? `${what} is required` : `${what} is at most ${MAX_TEXT} characters`,
    });
  }
  return t;
}

function actionWord(action: ExceptionAction): string {
  return {
    assign: 'assigned',
    comment: 'commented on',
    resolve: 'resolved',
    ignore: 'ignored',
    replay: 'replayed',
    edit: 'edited',
    approve: 'approved',
  }[action];
}

/** Refuses an action the exception's status does not allow. */
export function requireAllowed(x: ExceptionState, action: ExceptionAction): void {
  if (!ALLOWED[x.status].includes(action)) {
    throw new CrosswalkError('CW_ERR_EXCEPTION_BAD_TRANSITION', {
      id: String(x.id),
      status: x.status,
      action: actionWord(action),
    });
  }
}

export type Command =
  | { readonly kind: 'assign'; readonly assignee: string; readonly note?: string | null }
  | { readonly kind: 'comment'; readonly text: string }
  | { readonly kind: 'resolve'; readonly note?: string | null }
  | { readonly kind: 'ignore'; readonly reason: string };

export interface Decision {
  readonly status: ExceptionStatus;
  readonly assignee: string | null;
  /** Set when the exception ends: what resolved it, or why it is ignored. */
  readonly resolution: string | null;
  readonly entry: HistoryEntry;
}

/** What a person's command does to an exception. Pure; the repository records it. */
export function decide(x: ExceptionState, command: Command, actor: string, at: string): Decision {
  const action: ExceptionAction = command.kind;
  const who = checkActor(actor, x.id, action);
  requireAllowed(x, action);
  const entry = (
    kind: HistoryKind,
    toStatus: ExceptionStatus,
    note: string | null,
    details: HistoryEntry['details'] = {},
  ): HistoryEntry => ({ kind, actor: who, at, fromStatus: x.status, toStatus, note, details });
  const optional = (t: string | null | undefined) =>
    t === null || t === undefined || t.trim() === '' ? null : checkText(t, x.id, action, 'the note');
  switch (command.kind) {
    case 'assign': {
      const assignee = checkActor(command.assignee, x.id, action);
      return {
        status: 'assigned',
        assignee,
        resolution: null,
        entry: entry('assigned', 'assigned', optional(command.note), {
          assignee,
          previousAssignee: x.assignee,
        }),
      };
    }
    case 'comment':
      return {
        status: x.status,
        assignee: x.assignee,
        resolution: null,
        entry: entry('commented', x.status, checkText(command.text, x.id, action, 'the comment')),
      };
    case 'resolve': {
      const note = optional(command.note);
      return {
        status: 'resolved',
        assignee: x.assignee,
        resolution: note ?? `resolved by ${who}`,
        entry: entry('resolved', 'resolved', note),
      };
    }
    case 'ignore': {
      const reason = checkText(command.reason, x.id, action, 'a reason for ignoring it');
      return {
        status: 'ignored',
        assignee: x.assignee,
        resolution: reason,
        entry: entry('ignored', 'ignored', reason),
      };
    }
  }
}

/** What a replay attempt found. */
export type ReplayResult =
  | {
      readonly kind: 'applied';
      readonly releaseId: string;
      readonly events: number;
      readonly entries: number;
      readonly revisionId: bigint | null;
    }
  | {
      readonly kind: 'skipped';
      readonly releaseId: string;
      readonly code: string;
      readonly revisionId: bigint | null;
    }
  | {
      readonly kind: 'failed';
      readonly releaseId: string;
      readonly code: string;
      readonly message: string;
      readonly revisionId: bigint | null;
    };

/**
 * What a replay does to the exception: applied or now deliberately skipped by the release → resolved
 * (the cause was fixed); still failing → unchanged status, and the history says what it failed on.
 */
export function afterReplay(x: ExceptionState, result: ReplayResult, actor: string, at: string): Decision {
  const who = checkActor(actor, x.id, 'replay');
  requireAllowed(x, 'replay');
  const revision = result.revisionId === null ? null : String(result.revisionId);
  const release = result.releaseId;
  if (result.kind === 'failed') {
    return {
      status: x.status,
      assignee: x.assignee,
      resolution: null,
      entry: {
        kind: 'replay-failed',
        actor: who,
        at,
        fromStatus: x.status,
        toStatus: x.status,
        note: result.message,
        details: { release, code: result.code, revision },
      },
    };
  }
  const resolution =
    result.kind === 'applied'
      ? `replayed under release ${release.slice(0, 12)}: applied`
      : `replayed under release ${release.slice(0, 12)}: not interpreted (${result.code})`;
  return {
    status: 'resolved',
    assignee: x.assignee,
    resolution,
    entry: {
      kind: 'replayed',
      actor: who,
      at,
      fromStatus: x.status,
      toStatus: 'resolved',
      note: resolution,
      details:
        result.kind === 'applied'
          ? { release, outcome: 'applied', events: result.events, entries: result.entries, revision }
          : { release, outcome: 'skipped', code: result.code, revision },
    },
  };
}

// --- SLA ------------------------------------------------------------------------------------------

const HOUR_MS = 3_600_000;

/** When the exception is due: the explicit due date, else raised + its reason's SLA. */
export function dueAt(x: Pick<ExceptionState, 'reasonCode' | 'createdAt' | 'dueAt'>): string {
  if (x.dueAt !== null) return x.dueAt;
  return new Date(Date.parse(x.createdAt) + reasonOf(x.reasonCode).slaHours * HOUR_MS).toISOString();
}

/** Only exceptions still waiting for someone can be overdue. */
export function isOverdue(
  x: Pick<ExceptionState, 'reasonCode' | 'createdAt' | 'dueAt' | 'status'>,
  now: Date,
): boolean {
  return isOpen(x.status) && now.getTime() > Date.parse(dueAt(x));
}

/** Whole hours since it was raised (for sorting and display). */
export function ageHours(createdAt: string, now: Date): number {
  return Math.max(0, Math.floor((now.getTime() - Date.parse(createdAt)) / HOUR_MS));
}
