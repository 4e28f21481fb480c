import { CrosswalkError, ERRORS } from '../errors/index.ts';
import {
  type ActiveGrant,
  checkBreakGlass,
  isRole,
  type Role,
  roleConflicts,
  type SodConflict,
  samePerson,
} from '../governance/index.ts';
import { appendAudit } from './audit-repository.ts';
import type { Row, SqlExecutor, Store } from './port.ts';
import { asOptionalString } from './values.ts';

/**
 * Break-glass grants (role_grants rows of kind break_glass, migration 0010), their reviews
 * (breakglass_reviews, migration 0011), and the segregation-of-duties report over grants and the
 * history of who did and who approved what.
 *
 * Opening one writes, in one transaction: the grant, an exception for team security (the alert in the
 * work-queue) and the audit record. The reason is in the grant, the exception's evidence and the audit
 * record, never in the exception's summary or a log line (it is free text and could name a patient).
 */

/** Active grants (not ended, not expired) of enabled users. */
export async function activeGrants(db: SqlExecutor, now: Date, user?: string): Promise<ActiveGrant[]> {
  const rows = await db.query(
    `SELECT g.id, g.user_name, g.role, g.kind FROM role_grants g
       JOIN users u ON u.name = g.user_name
       LEFT JOIN role_grant_ends e ON e.grant_id = g.id
      WHERE e.grant_id IS NULL AND u.disabled_at IS NULL AND (g.expires_at IS NULL OR g.expires_at > ?)
        ${user === undefined ? '' : 'AND g.user_name = ?'}
      ORDER BY g.id`,
    user === undefined ? [now.toISOString()] : [now.toISOString(), user],
  );
  return rows
    .filter((r) => isRole(String(r['role'])))
    .map((r) => ({
      grantId: String(r['id']),
      user: String(r['user_name']),
      role: String(r['role']) as Role,
      kind: String(r['kind']) as ActiveGrant['kind'],
    }));
}

export interface BreakGlassUse {
  readonly id: string;
  readonly user: string;
  readonly role: string;
  readonly reason: string;
  readonly from: string;
  readonly until: string;
  readonly ended: boolean;
  readonly reviewedBy: string | null;
  readonly reviewedAt: string | null;
  readonly note: string | null;
}

const USE_COLUMNS = `g.id, g.user_name, g.role, g.reason, g.granted_at, g.expires_at, e.grant_id AS ended,
  r.reviewed_by, r.reviewed_at, r.note`;
const USE_FROM = `FROM role_grants g LEFT JOIN role_grant_ends e ON e.grant_id = g.id
  LEFT JOIN breakglass_reviews r ON r.grant_id = g.id WHERE g.kind = 'break_glass'`;

function useOf(r: Row): BreakGlassUse {
  return {
    id: String(r['id']),
    user: String(r['user_name']),
    role: String(r['role']),
    reason: String(r['reason']),
    from: String(r['granted_at']),
    until: String(r['expires_at']),
    ended: r['ended'] !== null,
    reviewedBy: asOptionalString(r['reviewed_by']),
    reviewedAt: asOptionalString(r['reviewed_at']),
    note: asOptionalString(r['note']),
  };
}

export async function listBreakGlass(
  db: SqlExecutor,
  options: { all?: boolean } = {},
): Promise<BreakGlassUse[]> {
  const rows = await db.query(
    `SELECT ${USE_COLUMNS} ${USE_FROM} ${options.all ? '' : 'AND r.grant_id IS NULL'} ORDER BY g.id`,
  );
  return rows.map(useOf);
}

export interface OpenBreakGlass {
  readonly user: string;
  readonly role: string;
  readonly reason: string;
  readonly minutes: number;
  readonly maxMinutes: number;
  readonly now?: Date;
}

export async function openBreakGlass(
  store: Store,
  r: OpenBreakGlass,
): Promise<{ use: BreakGlassUse; exceptionId: string; alert: CrosswalkError }> {
  const now = r.now ?? new Date();
  const at = now.toISOString();
  return store.transaction(async (tx) => {
    const [user] = await tx.query('SELECT name FROM users WHERE name = ? AND disabled_at IS NULL', [r.user]);
    if (!user) throw new CrosswalkError('CW_ERR_BREAKGLASS_UNKNOWN_USER', { user: r.user.slice(0, 80) });
    const held = (await activeGrants(tx, now, r.user)).map((g) => g.role);
    const role = checkBreakGlass({ ...r, held });
    const until = new Date(now.getTime() + r.minutes * 60_000).toISOString();
    const reason = r.reason.trim();
    const [row] = await tx.query(
      `INSERT INTO role_grants (user_name, role, scope, kind, reason, granted_by, granted_at, expires_at)
       VALUES (?, ?, '*', 'break_glass', ?, ?, ?, ?) RETURNING id`,
      [r.user, role, reason, r.user, at, until],
    );
    const id = String(row!['id']);
    const alert = new CrosswalkError('CW_ERR_BREAKGLASS_OPENED', { user: r.user, role, until, id });
    const [x] = await tx.query(
      `INSERT INTO exceptions (reason_code, team, status, subject, summary, evidence, created_at, updated_at)
       VALUES (?, ?, 'open', ?, ?, ?, ?, ?) RETURNING id`,
      [
        alert.code,
        ERRORS[alert.code].team,
        `role_grant:${id}`,
        alert.message,
        JSON.stringify({ grant: id, user: r.user, role, minutes: r.minutes, until, reason }),
        at,
        at,
      ],
    );
    await appendAudit(tx, {
      at,
      actor: r.user,
      action: 'breakglass.open',
      object: `role_grant:${id}`,
      after: { user: r.user, role, reason, from: at, until, exception: String(x!['id']) },
    });
    const [use] = await tx.query(`SELECT ${USE_COLUMNS} ${USE_FROM} AND g.id = ?`, [id]);
    return { use: useOf(use!), exceptionId: String(x!['id']), alert };
  });
}

export async function reviewBreakGlass(
  store: Store,
  r: { id: string; reviewer: string; note: string; now?: Date },
): Promise<BreakGlassUse> {
  const at = (r.now ?? new Date()).toISOString();
  return store.transaction(async (tx) => {
    const id = /^\d{1,18}$/.test(r.id) ? r.id : '-1';
    const [row] = await tx.query(`SELECT ${USE_COLUMNS} ${USE_FROM} AND g.id = ?`, [id]);
    if (!row) throw new CrosswalkError('CW_ERR_BREAKGLASS_NOT_FOUND', { id: r.id.slice(0, 20) });
    const use = useOf(row);
    if (samePerson(use.user, r.reviewer)) {
      throw new CrosswalkError('CW_ERR_BREAKGLASS_SELF_REVIEW', { user: r.reviewer, id: use.id });
    }
    const done = await tx.execute(
      `INSERT INTO breakglass_reviews (grant_id, reviewed_by, reviewed_at, note) VALUES (?, ?, ?, ?)
       ON CONFLICT (grant_id) DO NOTHING`,
      [id, r.reviewer, at, r.note],
    );
    if (done.rowsAffected === 0) {
      const [prior] = await tx.query('SELECT reviewed_by FROM breakglass_reviews WHERE grant_id = ?', [id]);
      throw new CrosswalkError('CW_ERR_BREAKGLASS_REVIEWED', {
        id: use.id,
        reviewer: String(prior?.['reviewed_by']),
      });
    }
    await appendAudit(tx, {
      at,
      actor: r.reviewer,
      action: 'breakglass.review',
      object: `role_grant:${use.id}`,
      before: { reviewed: false },
      after: { reviewed: true, note: r.note },
    });
    const [after] = await tx.query(`SELECT ${USE_COLUMNS} ${USE_FROM} AND g.id = ?`, [id]);
    return useOf(after!);
  });
}

// --- the segregation-of-duties report ------------------------------------------------------------------

/** The columns of a table, or null when it does not exist (the one place that branches on dialect). */
async function columnsOf(db: SqlExecutor, table: string): Promise<Set<string> | null> {
  const rows =
    db.capabilities.dialect === 'sqlite'
      ? await db.query('SELECT name FROM pragma_table_info(?)', [table])
      : await db.query(
          `SELECT column_name AS name FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = ?`,
          [table],
        );
  return rows.length === 0 ? null : new Set(rows.map((r) => String(r['name'])));
}

interface PairCheck {
  readonly kind: SodConflict['kind'];
  readonly table: string;
  readonly id: string;
  readonly doer: string;
  readonly approver: string;
  /**
   * Where the doer is recorded on another row (a proposal, read by its key), so a decision row written
   * straight into the database cannot name a different preparer than the one stored.
   */
  readonly doerFrom?: { readonly table: string; readonly key: string };
  /** Extra condition: only decisions that approved. */
  readonly approvedWhen?: string;
  readonly objectPrefix: string;
  readonly verbs: readonly [string, string];
}

/**
 * Who did and who approved, per table. The first two are Crosswalk's own (migrations 0004, 0005); the
 * last two belong to manual journals and inventory adjustments, checked when their tables exist with
 * these columns and reported as skipped otherwise.
 */
const PAIRS: readonly PairCheck[] = [
  {
    kind: 'release_authored_and_approved',
    table: 'mapping_releases',
    id: 'id',
    doer: 'author',
    approver: 'approved_by',
    objectPrefix: 'release',
    verbs: ['authored', 'approved'],
  },
  {
    kind: 'revision_edited_and_approved',
    table: 'message_revisions',
    id: 'id',
    doer: 'edited_by',
    approver: 'decided_by',
    approvedWhen: "status = 'approved'",
    objectPrefix: 'message_revision',
    verbs: ['edited', 'approved'],
  },
  {
    kind: 'journal_prepared_and_approved',
    table: 'manual_journal_decisions',
    id: 'proposal_id',
    doer: 'prepared_by',
    doerFrom: { table: 'manual_journal_proposals', key: 'id' },
    approver: 'decided_by',
    approvedWhen: "decision = 'approved'",
    objectPrefix: 'manual_journal',
    verbs: ['prepared', 'approved'],
  },
  {
    kind: 'adjustment_prepared_and_approved',
    table: 'inventory_adjustment_decisions',
    id: 'proposal_id',
    doer: 'prepared_by',
    doerFrom: { table: 'inventory_adjustment_proposals', key: 'id' },
    approver: 'decided_by',
    approvedWhen: "decision = 'approved'",
    objectPrefix: 'inventory_adjustment',
    verbs: ['prepared', 'approved'],
  },
];

export interface SodReport {
  readonly at: string;
  readonly conflicts: readonly SodConflict[];
  /** Checks that could not run, and why (a table another part of Crosswalk has not created yet). */
  readonly skipped: readonly { readonly check: string; readonly reason: string }[];
}

export async function sodReport(db: SqlExecutor, now: Date = new Date()): Promise<SodReport> {
  const conflicts: SodConflict[] = [...roleConflicts(await activeGrants(db, now))];
  for (const u of await listBreakGlass(db)) {
    conflicts.push({
      kind: 'break_glass_unreviewed',
      person: u.user,
      object: `role_grant:${u.id}`,
      detail: `broke glass into ${u.role} from ${u.from} until ${u.until}; not reviewed`,
    });
  }
  const skipped: { check: string; reason: string }[] = [];
  for (const p of PAIRS) {
    const columns = await columnsOf(db, p.table);
    if (!columns) {
      skipped.push({ check: p.kind, reason: `table ${p.table} does not exist` });
      continue;
    }
    const missing = [p.id, ...(p.doerFrom ? [] : [p.doer]), p.approver].filter((c) => !columns.has(c));
    if (missing.length > 0) {
      skipped.push({ check: p.kind, reason: `table ${p.table} has no column ${missing.join(', ')}` });
      continue;
    }
    const doer = p.doerFrom
      ? `(SELECT s.${p.doer} FROM ${p.doerFrom.table} s WHERE s.${p.doerFrom.key} = ${p.table}.${p.id})`
      : p.doer;
    const rows = await db.query(
      `SELECT ${p.id} AS id, ${doer} AS doer, ${p.approver} AS approver FROM ${p.table}
        WHERE ${p.approver} IS NOT NULL AND lower(trim(${doer})) = lower(trim(${p.approver}))
        ${p.approvedWhen ? `AND ${p.approvedWhen}` : ''} ORDER BY ${p.id}`,
    );
    for (const r of rows) {
      const doer = String(r['doer']);
      const approver = String(r['approver']);
      conflicts.push({
        kind: p.kind,
        person: doer.trim(),
        object: `${p.objectPrefix}:${String(r['id'])}`,
        detail:
          doer === approver
            ? `${p.verbs[0]} and ${p.verbs[1]} by ${doer}`
            : `${p.verbs[0]} by "${doer}" and ${p.verbs[1]} by "${approver}": the same person`,
      });
    }
  }
  return { at: now.toISOString(), conflicts, skipped };
}
