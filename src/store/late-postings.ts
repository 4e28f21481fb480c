/**
 * Late postings as work for the controller. The ledger books an event dated in a period that no longer
 * takes postings into the next open period (`lateFromPeriod` on the entry, booked on that period's first
 * day); this makes each such landing a finance work item, so the controller sees it before closing the
 * period it landed in.
 *
 * One open exception per entity and period the events belonged to, counting its entries — a late feed
 * raises one item, not one per line (no alert floods). It names the first late event, which scopes it
 * (close readiness reads an exception's entity and date from its event): it blocks closing the landing
 * period until someone resolves it.
 */

import { ERRORS } from '../errors/index.ts';
import type { JournalEntry } from '../ledger/index.ts';
import { insertRows } from './bulk.ts';
import type { SqlExecutor } from './port.ts';
import { asBigInt } from './values.ts';

const CODE = 'CW_ERR_LEDGER_LATE_POSTING';

export async function recordLatePostings(
  tx: SqlExecutor,
  key: string,
  plans: readonly { kind: string; message: { id: bigint }; entries?: readonly JournalEntry[] }[],
  at: string,
): Promise<void> {
  const groups = new Map<
    string,
    {
      entity: string;
      from: string;
      period: string;
      first: JournalEntry;
      messageId: bigint;
      n: number;
      ids: string[];
    }
  >();
  for (const p of plans) {
    if (p.kind !== 'applied') continue;
    for (const e of p.entries ?? []) {
      if (e.lateFromPeriod === null) continue;
      const subject = `late:${e.entity}:${e.lateFromPeriod}`;
      const g = groups.get(subject);
      if (g) {
        g.n++;
        if (g.ids.length < 20) g.ids.push(e.id);
      } else {
        groups.set(subject, {
          entity: e.entity,
          from: e.lateFromPeriod,
          period: e.periodId,
          first: e,
          messageId: p.message.id,
          n: 1,
          ids: [e.id],
        });
      }
    }
  }
  if (groups.size === 0) return;
  const subjects = [...groups.keys()];
  const open = new Map<string, bigint>();
  for (const r of await tx.query(
    `SELECT id, subject FROM exceptions WHERE reason_code = ? AND status IN ('open', 'assigned')
     AND subject IN (${subjects.map(() => '?').join(', ')})`,
    [CODE, ...subjects],
  )) {
    open.set(String(r['subject']), asBigInt(r['id']));
  }
  const fresh: object[] = [];
  for (const [subject, g] of groups) {
    const id = open.get(subject);
    if (id !== undefined) {
      await tx.execute('UPDATE exceptions SET occurrences = occurrences + ?, updated_at = ? WHERE id = ?', [
        g.n,
        at,
        id,
      ]);
      continue;
    }
    fresh.push({
      reasonCode: CODE,
      team: ERRORS[CODE].team,
      status: 'open',
      orderingKey: key,
      messageId: g.messageId,
      eventId: g.first.sourceEventId,
      subject,
      occurrences: g.n,
      summary: `events of ${g.entity} dated in closed period ${g.from} were posted to ${g.period}`,
      evidence: JSON.stringify({
        entity: g.entity,
        fromPeriod: g.from,
        period: g.period,
        firstEntries: g.ids,
      }),
      createdAt: at,
      updatedAt: at,
    });
  }
  await insertRows(tx, 'exceptions', fresh);
}
