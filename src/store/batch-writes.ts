/**
 * Writing what an apply batch did, in the caller's transaction: its effects (events, stock, entries,
 * requisitions, encounters, outcomes, outbound documents, the cursor) and its work items (flags,
 * stewardship holds, failed messages, late postings), and journal entries on their own for the callers
 * that post outside a batch (four-eyes corrections, replay --apply).
 */
import type { EncounterState, MessagePlan, Requisition, StewardshipHold } from '../apply/plan.ts';
import { eventsToJson, jsonText } from '../canonical/index.ts';
import { CrosswalkError, ERRORS, type ErrorCode } from '../errors/index.ts';
import { entryTotals, type JournalEntry } from '../ledger/index.ts';
import { documentsForBatch } from '../outbox/documents.ts';
import { insertRows, insertRowsTogether } from './bulk.ts';
import { saveInventory } from './inventory-repository.ts';
import { recordLatePostings } from './late-postings.ts';
import { enqueueDocuments } from './outbox-repository.ts';
import { arrayParam } from './pg-arrays.ts';
import type { SqlExecutor } from './port.ts';
import { asBigInt } from './values.ts';

function entryRows(entries: readonly JournalEntry[]) {
  const lines = entries.flatMap((e) =>
    e.lines.map((l) => ({
      entryId: e.id,
      lineNo: l.lineNo,
      entity: e.entity,
      currency: e.currency,
      periodId: e.periodId,
      accountingDate: e.accountingDate,
      account: l.account,
      costCenter: l.costCenter,
      side: l.side,
      amount: l.amount,
      memo: l.memo,
      dimensions: JSON.stringify(l.dimensions),
    })),
  );
  const headers = entries.map((e) => {
    const { debit, credit } = entryTotals(e);
    return {
      id: e.id,
      entity: e.entity,
      currency: e.currency,
      periodId: e.periodId,
      lateFromPeriod: e.lateFromPeriod,
      effectiveDate: e.effectiveDate,
      accountingDate: e.accountingDate,
      postedAt: e.postedAt,
      sourceEventId: e.sourceEventId,
      ruleId: e.ruleId,
      reasonCode: e.reasonCode,
      description: e.description,
      groupId: e.groupId,
      reverses: e.reverses,
      lineCount: e.lines.length,
      totalDebit: debit,
      totalCredit: credit,
    };
  });
  return { lines, headers };
}

/** An encounter's latest state over the one stored (the apply stage and exception replay). */
export const ENCOUNTER_UPSERT = `ON CONFLICT (token) DO UPDATE SET entity = excluded.entity, status = excluded.status, patient_class = excluded.patient_class,
       care_location_code = excluded.care_location_code, department_code = excluded.department_code,
       cost_center_code = excluded.cost_center_code, admitted_at = excluded.admitted_at,
       discharged_at = excluded.discharged_at, last_event_id = excluded.last_event_id, updated_at = excluded.updated_at`;

/**
 * Lines and their headers together: one statement on PostgreSQL, lines then headers elsewhere. The
 * database checks each header against its lines (migrations 0004, 0008, 0014).
 */
export async function saveEntries(tx: SqlExecutor, entries: readonly JournalEntry[]): Promise<void> {
  const { lines, headers } = entryRows(entries);
  await insertRowsTogether(tx, [
    { table: 'journal_lines', records: lines },
    { table: 'journal_entries', records: headers },
  ]);
}

async function openException(
  tx: SqlExecutor,
  code: string,
  summary: string,
  evidence: object,
  at: string,
  ref: { orderingKey: string; messageId: bigint | null; eventId: string | null },
): Promise<bigint> {
  const def = ERRORS[code as ErrorCode];
  const rows = await tx.query<{ id: unknown }>(
    `INSERT INTO exceptions (reason_code, team, status, ordering_key, message_id, event_id, summary, evidence, created_at, updated_at)
     VALUES (?, ?, 'open', ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    [
      code,
      def?.team ?? 'integration',
      ref.orderingKey,
      ref.messageId,
      ref.eventId,
      summary,
      jsonText(evidence),
      at,
      at,
    ],
  );
  return asBigInt(rows[0]!.id);
}

/**
 * Flags of applied messages (stock issued beyond the books' on-hand, revaluations) become work items,
 * one per reason and subject (item at par location) while it is open: a busy OR running short of an
 * item raises one exception that counts its occurrences, not one per line — no alert floods.
 */
export async function recordFlags(
  tx: SqlExecutor,
  key: string,
  flags: readonly { flag: Extract<MessagePlan, { kind: 'applied' }>['flags'][number]; messageId: bigint }[],
  at: string,
): Promise<void> {
  if (flags.length === 0) return;
  const groups = new Map<
    string,
    { code: string; subject: string; first: (typeof flags)[number]; last: (typeof flags)[number]; n: number }
  >();
  for (const f of flags) {
    const subject = `stock:${f.flag.itemCode}@${f.flag.parLocationCode}`;
    const g = groups.get(`${f.flag.code}|${subject}`);
    if (g) {
      g.last = f;
      g.n++;
    } else groups.set(`${f.flag.code}|${subject}`, { code: f.flag.code, subject, first: f, last: f, n: 1 });
  }
  const subjects = [...new Set([...groups.values()].map((g) => g.subject))];
  const open = new Map<string, bigint>();
  for (let i = 0; i < subjects.length; i += 400) {
    const part = subjects.slice(i, i + 400);
    for (const r of await tx.query(
      `SELECT id, reason_code, subject FROM exceptions
       WHERE subject IN (${part.map(() => '?').join(', ')}) AND status IN ('open', 'assigned')`,
      part,
    )) {
      open.set(`${r['reason_code']}|${r['subject']}`, asBigInt(r['id']));
    }
  }
  const fresh: object[] = [];
  const recurring: { id: bigint; n: number; evidence: string }[] = [];
  for (const [k, g] of groups) {
    const id = open.get(k);
    if (id !== undefined) {
      recurring.push({ id, n: g.n, evidence: jsonText(g.last.flag) });
    } else {
      fresh.push({
        reasonCode: g.code,
        team: ERRORS[g.code as ErrorCode]?.team ?? 'supply-chain',
        status: 'open',
        orderingKey: key,
        messageId: g.first.messageId,
        eventId: g.first.flag.sourceEventId,
        subject: g.subject,
        occurrences: g.n,
        summary: `${g.code} for item ${g.first.flag.itemCode} at ${g.first.flag.parLocationCode}`,
        evidence: jsonText(g.last.flag),
        createdAt: at,
        updatedAt: at,
      });
    }
  }
  await countRecurrences(tx, recurring, at);
  await insertRows(tx, 'exceptions', fresh);
}

/**
 * Principle 5's work items: master-data changes held back because their sender does not own the kind
 * become one open stewardship exception per kind × sender (subject `ownership:<kind>:<sender>`), counting
 * its changes, so a flood from a misrouted feed is one work item, not thousands. The evidence is the
 * latest change (kind, key, proposed payload, sender, its system, the owner) and the keys the batch held.
 */
export async function recordStewardship(
  tx: SqlExecutor,
  key: string,
  holds: readonly { hold: StewardshipHold; messageId: bigint; controlId: string }[],
  at: string,
): Promise<void> {
  if (holds.length === 0) return;
  const code = 'CW_ERR_STEWARDSHIP_NOT_OWNER';
  const groups = new Map<
    string,
    { first: (typeof holds)[number]; last: (typeof holds)[number]; n: number; keys: Set<string> }
  >();
  for (const h of holds) {
    const subject = `ownership:${h.hold.kind}:${h.hold.sender}`;
    const g = groups.get(subject);
    if (g) {
      g.last = h;
      g.n++;
      if (g.keys.size < 50) g.keys.add(h.hold.key);
    } else groups.set(subject, { first: h, last: h, n: 1, keys: new Set([h.hold.key]) });
  }
  const subjects = [...groups.keys()];
  const open = new Map<string, bigint>();
  for (const r of await tx.query(
    `SELECT id, subject FROM exceptions
     WHERE reason_code = ? AND subject IN (${subjects.map(() => '?').join(', ')}) AND status IN ('open', 'assigned')`,
    [code, ...subjects],
  )) {
    open.set(String(r['subject']), asBigInt(r['id']));
  }
  const evidenceOf = (g: { last: (typeof holds)[number]; keys: Set<string> }) => {
    const { hold, messageId, controlId } = g.last;
    return jsonText({
      kind: hold.kind,
      key: hold.key,
      action: hold.action,
      eventType: hold.eventType,
      proposed: hold.proposed,
      sender: hold.sender,
      senderSystem: hold.senderSystem,
      owner: hold.owner,
      messageId,
      controlId,
      keysInBatch: [...g.keys],
    });
  };
  const fresh: object[] = [];
  const recurring: { id: bigint; n: number; evidence: string }[] = [];
  for (const [subject, g] of groups) {
    const id = open.get(subject);
    if (id !== undefined) {
      recurring.push({ id, n: g.n, evidence: evidenceOf(g) });
      continue;
    }
    const h = g.first.hold;
    fresh.push({
      reasonCode: code,
      team: ERRORS[code].team,
      status: 'open',
      orderingKey: key,
      messageId: g.first.messageId,
      eventId: h.eventId,
      subject,
      occurrences: g.n,
      summary: new CrosswalkError(code, {
        senderSystem: h.senderSystem,
        sender: h.sender,
        count: String(g.n),
        kind: h.kind,
        owner: h.owner,
      }).message,
      evidence: evidenceOf(g),
      createdAt: at,
      updatedAt: at,
    });
  }
  await countRecurrences(tx, recurring, at);
  await insertRows(tx, 'exceptions', fresh);
}

/**
 * Adds the batch's occurrences to exceptions already open, one statement per few hundred of them (a
 * busy feed running short of many items touches hundreds per batch; one UPDATE each was a round trip
 * each on PostgreSQL).
 */
async function countRecurrences(
  tx: SqlExecutor,
  recurring: readonly { id: bigint; n: number; evidence: string }[],
  at: string,
): Promise<void> {
  if (recurring.length === 0) return;
  if (tx.capabilities.dialect === 'postgres') {
    // All of them in one statement of three array parameters (binary, see pg-arrays.ts): a VALUES list
    // of hundreds of rows cost more to parse and plan than the updates themselves.
    const ids = arrayParam(
      recurring.map((r) => r.id),
      { type: 'bigint', oid: 20 },
    );
    const counts = arrayParam(
      recurring.map((r) => r.n),
      { type: 'integer', oid: 23 },
    );
    const evidence = arrayParam(
      recurring.map((r) => r.evidence),
      { type: 'jsonb', oid: 3802 },
    );
    await tx.execute(
      `UPDATE exceptions SET occurrences = exceptions.occurrences + v.n, evidence = ${evidence.expr('v.evidence')},
         updated_at = ?
       FROM unnest(?::${ids.cast}, ?::${counts.cast}, ?::${evidence.cast}) AS v(id, n, evidence)
       WHERE exceptions.id = v.id`,
      [at, ids.value, counts.value, evidence.value],
    );
    return;
  }
  for (let i = 0; i < recurring.length; i += 300) {
    const part = recurring.slice(i, i + 300);
    await tx.execute(
      `UPDATE exceptions SET occurrences = exceptions.occurrences + v.n, evidence = v.evidence, updated_at = ?
       FROM (SELECT column1 AS id, column2 AS n, column3 AS evidence
             FROM (VALUES ${part.map(() => '(?, ?, ?)').join(', ')}) AS t) AS v
       WHERE exceptions.id = v.id`,
      [at, ...part.flatMap((r) => [r.id, r.n, r.evidence])],
    );
  }
}

/**
 * Writes the effects of a planned batch of one ordering key and moves its cursor past the last
 * message, in the caller's transaction: every message ends in exactly one state (applied, failed with
 * an exception, or skipped), and nothing of a failed message is written but its exception.
 */
export async function saveBatch(
  tx: SqlExecutor,
  key: string,
  plans: readonly MessagePlan[],
  inventoryState: Parameters<typeof saveInventory>[2],
  releaseId: string,
  at: string,
): Promise<void> {
  await saveBatchEffects(tx, key, plans, inventoryState, releaseId, at);
  await saveBatchExceptions(tx, key, batchExceptionsOf(plans), releaseId, at);
}

/**
 * The part of a batch's work items that depends on what the database holds (an open exception to count
 * on, a new exception's id): what saveBatchExceptions needs of the plans, and no more.
 */
export interface BatchExceptions {
  readonly flags: readonly {
    flag: Extract<MessagePlan, { kind: 'applied' }>['flags'][number];
    messageId: bigint;
  }[];
  readonly holds: readonly { hold: StewardshipHold; messageId: bigint; controlId: string }[];
  readonly failed: readonly {
    readonly messageId: bigint;
    readonly controlId: string;
    readonly messageType: string;
    readonly code: ErrorCode;
    readonly params: Readonly<Record<string, unknown>>;
    readonly message: string;
  }[];
  /** Applied messages with their entries posted past a closed period (recordLatePostings). */
  readonly late: readonly { kind: 'applied'; message: { id: bigint }; entries: readonly JournalEntry[] }[];
}

export function batchExceptionsOf(plans: readonly MessagePlan[]): BatchExceptions {
  const flags: BatchExceptions['flags'][number][] = [];
  const holds: BatchExceptions['holds'][number][] = [];
  const failed: BatchExceptions['failed'][number][] = [];
  const late: BatchExceptions['late'][number][] = [];
  for (const p of plans) {
    if (p.kind === 'applied') {
      for (const flag of p.flags) flags.push({ flag, messageId: p.message.id });
      for (const hold of p.held)
        holds.push({ hold, messageId: p.message.id, controlId: p.message.controlId });
      const lateEntries = p.entries.filter((e) => e.lateFromPeriod !== null);
      if (lateEntries.length > 0)
        late.push({ kind: 'applied', message: { id: p.message.id }, entries: lateEntries });
    } else if (p.kind === 'failed') {
      failed.push({
        messageId: p.message.id,
        controlId: p.message.controlId,
        messageType: p.messageType,
        code: p.error.code,
        params: p.error.params,
        message: p.error.message,
      });
    }
  }
  return { flags, holds, failed, late };
}

/**
 * Everything of a batch that is written without reading: events, stock, entries, requisitions,
 * encounters, the outcomes of applied and skipped messages, outbound documents and the cursor. It
 * issues statements only, so it can be recorded where the batch is planned and run where it is written
 * (planner-thread.ts).
 */
export async function saveBatchEffects(
  tx: SqlExecutor,
  key: string,
  plans: readonly MessagePlan[],
  inventoryState: Parameters<typeof saveInventory>[2],
  releaseId: string,
  at: string,
): Promise<void> {
  const applied = plans.filter((p): p is Extract<MessagePlan, { kind: 'applied' }> => p.kind === 'applied');
  const events = applied.flatMap((p) =>
    p.events.map((e) => ({
      id: e.id,
      type: e.type,
      orderingKey: e.orderingKey,
      sourceMessageId: p.message.id,
      position: e.position,
      mappingReleaseId: e.mappingReleaseId,
      occurredAt: e.occurredAt,
      entity: e.entity,
      payload: eventsToJson(e),
    })),
  );
  await insertRows(tx, 'canonical_events', events);
  const movements = applied.flatMap((p) => p.movements);
  const eventOfMovement = new Map(movements.map((m) => [m.movementKey, m.sourceEventId]));
  await saveInventory(tx, movements, inventoryState, (m) => eventOfMovement.get(m.movementKey) ?? null);
  await saveEntries(
    tx,
    applied.flatMap((p) => p.entries),
  );
  await insertRows(tx, 'requisitions', applied.flatMap((p) => p.requisitions) satisfies Requisition[]);
  const encounters = new Map<string, EncounterState>();
  for (const p of applied) for (const e of p.encounters) encounters.set(e.token, e);
  await insertRows(tx, 'encounters', [...encounters.values()], ENCOUNTER_UPSERT);
  await saveOutcomes(
    tx,
    plans
      .filter((p) => p.kind !== 'failed')
      .map((p) => ({
        messageId: p.message.id,
        orderingKey: key,
        state: p.kind,
        mappingReleaseId: releaseId,
        eventCount: p.kind === 'applied' ? p.events.length : 0,
        exceptionId: null,
        processedAt: at,
      })),
  );
  // What the batch owes other systems, written with its effects (see outbox/documents.ts).
  await enqueueDocuments(tx, documentsForBatch(key, plans, at));
  const last = plans.at(-1);
  if (last) {
    await tx.execute('UPDATE apply_cursors SET last_message_id = ?, updated_at = ? WHERE ordering_key = ?', [
      last.message.id,
      at,
      key,
    ]);
  }
}

const saveOutcomes = (tx: SqlExecutor, outcomes: readonly object[]) =>
  insertRows(
    tx,
    'message_outcomes',
    outcomes,
    `ON CONFLICT (message_id) DO UPDATE SET state = excluded.state, mapping_release_id = excluded.mapping_release_id,
       event_count = excluded.event_count, exception_id = excluded.exception_id, processed_at = excluded.processed_at`,
  );

/** A batch's work items, in the transaction that writes its effects (see BatchExceptions). */
export async function saveBatchExceptions(
  tx: SqlExecutor,
  key: string,
  w: BatchExceptions,
  releaseId: string,
  at: string,
): Promise<void> {
  await recordFlags(tx, key, w.flags, at);
  await recordStewardship(tx, key, w.holds, at);
  const outcomes: object[] = [];
  for (const f of w.failed) {
    const evidence = {
      messageId: f.messageId,
      controlId: f.controlId,
      messageType: f.messageType,
      code: f.code,
      params: f.params,
    };
    const ref = { orderingKey: key, messageId: f.messageId, eventId: null };
    const id = await openException(tx, f.code, f.message, evidence, at, ref);
    outcomes.push({
      messageId: f.messageId,
      orderingKey: key,
      state: 'failed',
      mappingReleaseId: releaseId,
      eventCount: 0,
      exceptionId: id,
      processedAt: at,
    });
  }
  await saveOutcomes(tx, outcomes);
  // Events posted past a closed period: one work item per entity and period for the controller.
  await recordLatePostings(tx, key, w.late, at);
}
