import { CrosswalkError } from '../errors/index.ts';
import {
  afterReplay,
  applyEdits,
  checkActor,
  checkApprover,
  type FieldEdit,
  needsApproval,
  type ReplayResult,
  requireAllowed,
} from '../exceptions/index.ts';
import {
  appendHistory,
  decideRevision,
  type ExceptionFilter,
  type ExceptionRecord,
  failedMessageOf,
  flipOutcome,
  insertRevision,
  listExceptions,
  recordDecision,
  requireException,
  revisionBytes,
  revisionsOf,
  saveReplayedMessage,
} from '../store/exceptions-repository.ts';
import type { SqlExecutor, Store } from '../store/index.ts';
import { loadInventoryState } from '../store/inventory-repository.ts';
import { activeReleaseId, listPeriods, loadEncounters, loadRelease } from '../store/posting-repository.ts';
import { linkEarlierTokens, type StaticContext, staticContextFor } from './applier.ts';
import { interpretStored, planMessage, touchedBy } from './plan.ts';

/**
 * Fix and replay: a failed message is interpreted and planned again with the release and master data
 * active now (the person fixed the cause: a new release maps the missing code, master data gained the
 * item) and, if it goes through, its effects are written, its outcome flips from failed to applied and
 * its exception is resolved with a history entry, all in one transaction. If it still fails, nothing is
 * written but the history entry saying what it failed on.
 *
 * A replayed message is applied where the books stand now, not where they stood when it arrived: its
 * stock movement is valued at today's moving average and its entries post to the open period that
 * covers its date (or the next open one, flagged as late). That is the point of fixing it.
 */

export interface ExceptionReplayDeps {
  readonly store: Store;
  /** The same HMAC key the apply stage tokenises with, so a replay's events carry the same tokens. */
  readonly tokenKey: Uint8Array;
  /** Earlier keys of the token ring, newest first (see token-link.ts). */
  readonly earlierTokenKeys?: readonly Uint8Array[];
  readonly clock?: () => Date;
}

export interface ReplayReport {
  readonly exceptionId: bigint;
  readonly messageId: bigint | null;
  /**
   * applied / skipped: the message went through (exception resolved); failed: it still fails (exception
   * unchanged but for history); already-applied: an earlier replay did it, nothing was written.
   */
  readonly result: 'applied' | 'skipped' | 'failed' | 'already-applied';
  readonly releaseId: string | null;
  readonly code: string | null;
  readonly message: string | null;
  readonly events: number;
  readonly entries: number;
  readonly revisionId: bigint | null;
}

/** The active release and master data, read outside any transaction (SQLite has one connection). */
async function currentContext(deps: ExceptionReplayDeps): Promise<StaticContext> {
  const id = await activeReleaseId(deps.store);
  const release = id === null ? null : await loadRelease(deps.store, id);
  if (!release) {
    throw new CrosswalkError('CW_ERR_EXCEPTION_NOT_REPLAYABLE', {
      id: '-',
      reason: 'no mapping release is active',
    });
  }
  return staticContextFor(deps.store, release, deps.tokenKey, deps.earlierTokenKeys);
}

/** The bytes a replay uses: the latest approved revision's, else the message as received. */
async function replayBytes(
  tx: SqlExecutor,
  exceptionId: bigint,
): Promise<{ raw: Buffer | null; revisionId: bigint | null }> {
  const approved = (await revisionsOf(tx, exceptionId)).filter((r) => r.status === 'approved').at(-1);
  return approved
    ? { raw: await revisionBytes(tx, approved.id), revisionId: approved.id }
    : { raw: null, revisionId: null };
}

async function replayInTransaction(
  tx: SqlExecutor,
  base: StaticContext,
  x: ExceptionRecord,
  bytes: { raw: Buffer | null; revisionId: bigint | null },
  actor: string,
  at: string,
): Promise<ReplayReport> {
  const target = await failedMessageOf(tx, x.id);
  if (target === null) {
    throw new CrosswalkError('CW_ERR_EXCEPTION_NOT_REPLAYABLE', {
      id: String(x.id),
      reason:
        'it is not the failure of a stored message (a stock flag or an inbox refusal); fix the cause and resolve it',
    });
  }
  const report = {
    exceptionId: x.id,
    messageId: target.message.id,
    releaseId: base.release.id,
    revisionId: bytes.revisionId,
  };
  if (target.state !== 'failed') {
    return { ...report, result: 'already-applied', code: null, message: null, events: 0, entries: 0 };
  }
  requireAllowed(x, 'replay');
  if ((await activeReleaseId(tx)) !== base.release.id) {
    throw new CrosswalkError('CW_ERR_EXCEPTION_NOT_REPLAYABLE', {
      id: String(x.id),
      reason: 'the active release changed while the replay was prepared; run it again',
    });
  }
  const message = bytes.raw === null ? target.message : { ...target.message, raw: bytes.raw };
  const ctx = { ...base, periods: await listPeriods(tx), postedAt: at };
  const [interpretation] = await linkEarlierTokens(tx, [message], [interpretStored(message, ctx)], ctx);
  const touched = touchedBy([interpretation!]);
  const state = await loadInventoryState(tx, touched);
  const encounters = await loadEncounters(tx, touched.encounterTokens);
  const { plan, state: after } = planMessage(message, interpretation!, state, ctx, encounters);
  let result: ReplayResult;
  if (plan.kind === 'applied') {
    await saveReplayedMessage(tx, plan, after, base.release.id, at);
    result = {
      kind: 'applied',
      releaseId: base.release.id,
      events: plan.events.length,
      entries: plan.entries.length,
      revisionId: bytes.revisionId,
    };
  } else if (plan.kind === 'skipped') {
    await flipOutcome(tx, message.id, 'skipped', base.release.id, 0, at);
    result = { kind: 'skipped', releaseId: base.release.id, code: plan.code, revisionId: bytes.revisionId };
  } else {
    result = {
      kind: 'failed',
      releaseId: base.release.id,
      code: plan.error.code,
      message: plan.error.message,
      revisionId: bytes.revisionId,
    };
  }
  await recordDecision(tx, x, afterReplay(x, result, actor, at));
  return {
    ...report,
    result: result.kind,
    code: result.kind === 'applied' ? null : result.code,
    message: result.kind === 'failed' ? result.message : null,
    events: result.kind === 'applied' ? result.events : 0,
    entries: result.kind === 'applied' ? result.entries : 0,
  };
}

/** Replays the failed message of one exception (idempotent: a second replay finds it applied). */
export async function replayException(
  deps: ExceptionReplayDeps,
  id: bigint,
  actor: string,
): Promise<ReplayReport> {
  const who = checkActor(actor, id, 'replay');
  const base = await currentContext(deps);
  const at = (deps.clock ?? (() => new Date()))().toISOString();
  return deps.store.transaction(async (tx) => {
    const x = await requireException(tx, id, true);
    return replayInTransaction(tx, base, x, await replayBytes(tx, id), who, at);
  });
}

/**
 * Replays every replayable exception the filter selects (open or assigned, its message still failed),
 * in arrival order of their messages, each in its own transaction: one that still fails does not hold
 * back the others.
 */
export async function replayExceptions(
  deps: ExceptionReplayDeps,
  filter: ExceptionFilter,
  actor: string,
): Promise<ReplayReport[]> {
  const who = checkActor(actor, 0n, 'replay');
  const candidates = (await listExceptions(deps.store, { ...filter, replayable: true })).sort((a, b) =>
    a.failedMessage!.id < b.failedMessage!.id ? -1 : a.failedMessage!.id > b.failedMessage!.id ? 1 : 0,
  );
  if (candidates.length === 0) return [];
  const base = await currentContext(deps);
  const out: ReplayReport[] = [];
  for (const c of candidates) {
    const at = (deps.clock ?? (() => new Date()))().toISOString();
    out.push(
      await deps.store.transaction(async (tx) => {
        const x = await requireException(tx, c.id, true);
        if (x.status !== 'open' && x.status !== 'assigned') {
          return {
            exceptionId: x.id,
            messageId: c.failedMessage!.id,
            result: 'already-applied',
            releaseId: null,
            code: null,
            message: null,
            events: 0,
            entries: 0,
            revisionId: null,
          } satisfies ReplayReport;
        }
        return replayInTransaction(tx, base, x, await replayBytes(tx, x.id), who, at);
      }),
    );
  }
  return out;
}

export interface EditReport {
  readonly exceptionId: bigint;
  readonly revisionId: bigint;
  readonly needsApproval: boolean;
  /** The replay that followed (edits of non-financial fields, or an approval); null while waiting. */
  readonly replay: ReplayReport | null;
}

/**
 * A person's correction of a failed message: the edits are applied to the latest approved version (or
 * the raw message) and stored as a new revision linked to it. Edits of financial fields wait for a second
 * person (`approveEdit`); others are replayed at once, in the same transaction.
 */
export async function proposeEdit(
  deps: ExceptionReplayDeps,
  id: bigint,
  edits: readonly FieldEdit[],
  actor: string,
  reason: string | null,
): Promise<EditReport> {
  const who = checkActor(actor, id, 'edit');
  const approval = needsApproval(edits);
  const base = approval ? null : await currentContext(deps);
  const at = (deps.clock ?? (() => new Date()))().toISOString();
  return deps.store.transaction(async (tx) => {
    const x = await requireException(tx, id, true);
    requireAllowed(x, 'edit');
    const target = await failedMessageOf(tx, id);
    if (target === null || target.state !== 'failed') {
      throw new CrosswalkError('CW_ERR_EXCEPTION_NOT_REPLAYABLE', {
        id: String(id),
        reason:
          target === null ? 'it is not the failure of a stored message' : 'its message is no longer failed',
      });
    }
    const pending = (await revisionsOf(tx, id)).find((r) => r.status === 'pending');
    if (pending) {
      throw new CrosswalkError('CW_ERR_EXCEPTION_BAD_TRANSITION', {
        id: String(id),
        status: `waiting for approval of revision ${pending.id} by someone other than ${pending.editedBy}`,
        action: 'edited again before that is approved or rejected',
      });
    }
    const from = await replayBytes(tx, id);
    const edited = applyEdits(from.raw ?? target.message.raw, edits);
    const revisionId = await insertRevision(tx, {
      messageId: target.message.id,
      exceptionId: id,
      basedOn: from.revisionId,
      raw: edited,
      edits,
      reason: reason?.trim() ? reason.trim() : null,
      needsApproval: approval,
      editedBy: who,
      at,
    });
    await appendHistory(tx, id, {
      kind: 'edit-proposed',
      actor: who,
      at,
      fromStatus: x.status,
      toStatus: x.status,
      note: reason?.trim() ? reason.trim() : null,
      details: {
        revision: String(revisionId),
        edits: edits.map((e) => `${e.path}=${e.value}`).join('; '),
        needsApproval: approval,
      },
    });
    if (approval) return { exceptionId: id, revisionId, needsApproval: true, replay: null };
    const replay = await replayInTransaction(tx, base!, x, { raw: edited, revisionId }, who, at);
    return { exceptionId: id, revisionId, needsApproval: false, replay };
  });
}

/**
 * A second person approves the pending edit of an exception (never its editor) and the corrected
 * message is replayed in the same transaction. If it still fails, the approval stands and the exception
 * stays open with the failure in its history.
 */
export async function approveEdit(
  deps: ExceptionReplayDeps,
  id: bigint,
  approver: string,
): Promise<EditReport> {
  const base = await currentContext(deps);
  const at = (deps.clock ?? (() => new Date()))().toISOString();
  return deps.store.transaction(async (tx) => {
    const x = await requireException(tx, id, true);
    requireAllowed(x, 'approve');
    const pending = (await revisionsOf(tx, id)).find((r) => r.status === 'pending');
    if (!pending) {
      throw new CrosswalkError('CW_ERR_EXCEPTION_INPUT', {
        id: String(id),
        action: 'approved',
        reason: 'it has no edit waiting for approval',
      });
    }
    const who = checkApprover(id, pending.editedBy, approver);
    await decideRevision(tx, pending.id, 'approved', who, at);
    await appendHistory(tx, id, {
      kind: 'edit-approved',
      actor: who,
      at,
      fromStatus: x.status,
      toStatus: x.status,
      note: null,
      details: { revision: String(pending.id), editedBy: pending.editedBy },
    });
    const replay = await replayInTransaction(
      tx,
      base,
      x,
      { raw: await revisionBytes(tx, pending.id), revisionId: pending.id },
      who,
      at,
    );
    return { exceptionId: id, revisionId: pending.id, needsApproval: true, replay };
  });
}

/** Turns down the pending edit (anyone but its editor, who can propose another instead). */
export async function rejectEdit(
  deps: Pick<ExceptionReplayDeps, 'store' | 'clock'>,
  id: bigint,
  actor: string,
  reason: string | null,
): Promise<{ exceptionId: bigint; revisionId: bigint }> {
  const at = (deps.clock ?? (() => new Date()))().toISOString();
  return deps.store.transaction(async (tx) => {
    const x = await requireException(tx, id, true);
    requireAllowed(x, 'approve');
    const pending = (await revisionsOf(tx, id)).find((r) => r.status === 'pending');
    if (!pending) {
      throw new CrosswalkError('CW_ERR_EXCEPTION_INPUT', {
        id: String(id),
        action: 'rejected',
        reason: 'it has no edit waiting for approval',
      });
    }
    const who = checkApprover(id, pending.editedBy, actor);
    await decideRevision(tx, pending.id, 'rejected', who, at);
    await appendHistory(tx, id, {
      kind: 'edit-rejected',
      actor: who,
      at,
      fromStatus: x.status,
      toStatus: x.status,
      note: reason?.trim() ? reason.trim() : null,
      details: { revision: String(pending.id), editedBy: pending.editedBy },
    });
    return { exceptionId: id, revisionId: pending.id };
  });
}
