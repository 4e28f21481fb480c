import type { SqlExecutor } from './port.ts';
import { asBigInt, asNumber } from './values.ts';

export interface TrialBalanceRow {
  readonly entity: string;
  readonly currency: string;
  readonly account: string;
  readonly accountName: string;
  readonly debit: bigint;
  readonly credit: bigint;
  /** debit − credit */
  readonly net: bigint;
}

/** Trial balance from the posted lines, per entity × currency × account (optionally one period). */
export async function trialBalance(
  db: SqlExecutor,
  filter: { entity?: string; periodId?: string } = {},
): Promise<TrialBalanceRow[]> {
  const where: string[] = [];
  const params: string[] = [];
  if (filter.entity) {
    where.push('l.entity = ?');
    params.push(filter.entity);
  }
  if (filter.periodId) {
    where.push('l.period_id = ?');
    params.push(filter.periodId);
  }
  const rows = await db.query(
    `SELECT l.entity, l.currency, l.account, a.name AS account_name,
            SUM(CASE WHEN l.side = 'debit' THEN l.amount ELSE 0 END) AS debit,
            SUM(CASE WHEN l.side = 'credit' THEN l.amount ELSE 0 END) AS credit
     FROM journal_lines l JOIN accounts a ON a.code = l.account
     ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     GROUP BY l.entity, l.currency, l.account, a.name
     ORDER BY l.entity, l.currency, l.account`,
    params,
  );
  return rows.map((r) => {
    const debit = asBigInt(r['debit']);
    const credit = asBigInt(r['credit']);
    return {
      entity: String(r['entity']),
      currency: String(r['currency']),
      account: String(r['account']),
      accountName: String(r['account_name']),
      debit,
      credit,
      net: debit - credit,
    };
  });
}

/** Per entity and currency: Σ net over every account, which is zero when the books balance. */
export function netByEntity(rows: readonly TrialBalanceRow[]): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const r of rows)
    out.set(`${r.entity} ${r.currency}`, (out.get(`${r.entity} ${r.currency}`) ?? 0n) + r.net);
  return out;
}

export interface FlowSummary {
  readonly messages: number;
  readonly rejected: number;
  readonly outcomes: Record<string, number>;
  readonly pending: number;
  readonly events: number;
  readonly movements: number;
  readonly journalEntries: number;
  readonly journalLines: number;
  readonly requisitions: number;
  readonly openExceptions: Record<string, number>;
}

async function count(db: SqlExecutor, sql: string): Promise<number> {
  return asNumber((await db.query<{ n: unknown }>(sql))[0]!.n);
}

export async function flowSummary(db: SqlExecutor): Promise<FlowSummary> {
  const outcomes: Record<string, number> = {};
  for (const r of await db.query('SELECT state, COUNT(*) AS n FROM message_outcomes GROUP BY state')) {
    outcomes[String(r['state'])] = asNumber(r['n']);
  }
  const openExceptions: Record<string, number> = {};
  for (const r of await db.query(
    "SELECT reason_code, COUNT(*) AS n FROM exceptions WHERE status IN ('open', 'assigned') GROUP BY reason_code ORDER BY reason_code",
  )) {
    openExceptions[String(r['reason_code'])] = asNumber(r['n']);
  }
  const messages = await count(db, 'SELECT COUNT(*) AS n FROM inbound_messages');
  const processed = Object.values(outcomes).reduce((a, b) => a + b, 0);
  return {
    messages,
    rejected: await count(db, 'SELECT COUNT(*) AS n FROM inbound_rejections'),
    outcomes,
    pending: messages - processed,
    events: await count(db, 'SELECT COUNT(*) AS n FROM canonical_events'),
    movements: await count(
      db,
      "SELECT COUNT(*) AS n FROM inventory_movements WHERE movement_type <> 'opening'",
    ),
    journalEntries: await count(db, 'SELECT COUNT(*) AS n FROM journal_entries'),
    journalLines: await count(db, 'SELECT COUNT(*) AS n FROM journal_lines'),
    requisitions: await count(db, 'SELECT COUNT(*) AS n FROM requisitions'),
    openExceptions,
  };
}
