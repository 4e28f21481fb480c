import { createHash } from 'node:crypto';
import { CrosswalkError } from '../errors/index.ts';
import { verifyChain } from '../governance/index.ts';
import type { Movement, Position } from '../inventory/index.ts';
import {
  checkDestinationOrder,
  checkDuplicates,
  checkEntries,
  checkHashes,
  checkMessages,
  checkOnHand,
  checkOrphanOutcomes,
  checkSeal,
  checkTrialBalance,
  checkTriggers,
  type DeliveryFact,
  type DuplicateFact,
  type EntryFact,
  type HashFact,
  type MessageFact,
  type SealFacts,
  type TableSeal,
  type Violation,
  violation,
} from '../verify/index.ts';
import { appendAudit, readAuditChain } from './audit-repository.ts';
import { openRaw } from './inbox-repository.ts';
import { REFERENCE_TRIGGERS } from './migrations/0014-set-based-references.ts';
import type { Dialect, Row, SqlExecutor, Store } from './port.ts';
import { asBigInt, asNumber, asOptionalString } from './values.ts';

/**
 * The invariant checker's store half: each check reads its facts and hands them to a pure check in
 * `src/verify`. All checks of one run read one snapshot (one transaction; REPEATABLE READ on
 * PostgreSQL), so a checker running beside a live applier never sees half of a batch.
 *
 * Checks are a list: a context that adds an invariant (the outbox's delivery order) adds an entry, and
 * callers may pass their own list.
 */
export interface InvariantCheck {
  readonly name: string;
  run(db: SqlExecutor): Promise<Violation[]>;
}

const PAGE = 2000;

// --- messages ---------------------------------------------------------------------------------------

async function cursors(db: SqlExecutor): Promise<Map<string, bigint>> {
  return new Map(
    (await db.query('SELECT ordering_key, last_message_id FROM apply_cursors')).map((r) => [
      String(r['ordering_key']),
      asBigInt(r['last_message_id']),
    ]),
  );
}

async function messagePage(db: SqlExecutor, after: bigint): Promise<MessageFact[]> {
  const rows = await db.query(
    `SELECT m.id, m.ordering_key, m.ack_code, o.n AS outcome_rows, o.state, o.event_count, o.exception_id,
            CASE WHEN x.id IS NULL THEN 0 ELSE 1 END AS exception_exists,
            (SELECT COUNT(*) FROM canonical_events e WHERE e.source_message_id = m.id) AS events
     FROM inbound_messages m
     LEFT JOIN (SELECT message_id, COUNT(*) AS n, MIN(state) AS state, MIN(event_count) AS event_count,
                       MIN(exception_id) AS exception_id
                FROM message_outcomes GROUP BY message_id) o ON o.message_id = m.id
     LEFT JOIN exceptions x ON x.id = o.exception_id
     WHERE m.id > ? ORDER BY m.id LIMIT ${PAGE}`,
    [after],
  );
  return rows.map((r) => ({
    id: asBigInt(r['id']),
    orderingKey: String(r['ordering_key']),
    ackCode: String(r['ack_code']),
    outcome: asOptionalString(r['state']),
    outcomeRows: r['outcome_rows'] === null ? 0 : asNumber(r['outcome_rows']),
    outcomeEventCount: r['event_count'] === null ? null : asNumber(r['event_count']),
    exceptionId: r['exception_id'] === null ? null : asBigInt(r['exception_id']),
    exceptionExists: asNumber(r['exception_exists']) === 1,
    events: asNumber(r['events']),
  }));
}

export const messagesCheck: InvariantCheck = {
  name: 'messages',
  async run(db) {
    const keys = await cursors(db);
    const out: Violation[] = [];
    for (let after = 0n; ; ) {
      const page = await messagePage(db, after);
      out.push(...checkMessages(page, keys));
      if (page.length < PAGE) break;
      after = page.at(-1)!.id;
    }
    const orphans = await db.query(
      'SELECT o.message_id FROM message_outcomes o LEFT JOIN inbound_messages m ON m.id = o.message_id WHERE m.id IS NULL',
    );
    out.push(...checkOrphanOutcomes(orphans.map((r) => asBigInt(r['message_id']))));
    return out;
  },
};

// --- duplicate effects ---------------------------------------------------------------------------------

const DUPLICATE_QUERIES: readonly [DuplicateFact['effect'], string][] = [
  [
    'event',
    `SELECT source_message_id || ' ' || position AS k, COUNT(*) AS n FROM canonical_events
     GROUP BY source_message_id, position HAVING COUNT(*) > 1`,
  ],
  [
    'entry',
    `SELECT source_event_id || ' ' || rule_id || ' ' || entity || ' ' || currency || ' ' || total_debit AS k, COUNT(*) AS n
     FROM journal_entries WHERE reverses IS NULL
     GROUP BY source_event_id, rule_id, entity, currency, total_debit, description HAVING COUNT(*) > 1`,
  ],
  [
    'reversal',
    'SELECT reverses AS k, COUNT(*) AS n FROM journal_entries WHERE reverses IS NOT NULL GROUP BY reverses HAVING COUNT(*) > 1',
  ],
  [
    'movement',
    'SELECT movement_key AS k, COUNT(*) AS n FROM inventory_movements GROUP BY movement_key HAVING COUNT(*) > 1',
  ],
  [
    'requisition',
    'SELECT source_event_id AS k, COUNT(*) AS n FROM requisitions GROUP BY source_event_id HAVING COUNT(*) > 1',
  ],
  [
    'message',
    `SELECT sender || ' ' || control_id AS k, COUNT(*) AS n FROM inbound_messages
     GROUP BY sender, control_id HAVING COUNT(*) > 1`,
  ],
];

export const duplicatesCheck: InvariantCheck = {
  name: 'duplicate effects',
  async run(db) {
    const facts: DuplicateFact[] = [];
    for (const [effect, sql] of DUPLICATE_QUERIES)
      for (const r of await db.query(sql))
        facts.push({ effect, key: String(r['k']), count: asNumber(r['n']) });
    return checkDuplicates(facts);
  },
};

// --- the books -----------------------------------------------------------------------------------------

const LINE_SUMS = `SELECT entry_id, COUNT(*) AS n,
    SUM(CASE WHEN side = 'debit' THEN amount ELSE 0 END) AS dr,
    SUM(CASE WHEN side = 'credit' THEN amount ELSE 0 END) AS cr
  FROM journal_lines GROUP BY entry_id`;

export const booksCheck: InvariantCheck = {
  name: 'books',
  async run(db) {
    const entries: EntryFact[] = (
      await db.query(
        `SELECT e.id, e.line_count, e.total_debit, e.total_credit, l.n, l.dr, l.cr
         FROM journal_entries e LEFT JOIN (${LINE_SUMS}) l ON l.entry_id = e.id
         UNION ALL
         SELECT l.entry_id, NULL, NULL, NULL, l.n, l.dr, l.cr
         FROM (${LINE_SUMS}) l LEFT JOIN journal_entries e ON e.id = l.entry_id WHERE e.id IS NULL`,
      )
    ).map((r) => ({
      id: String(r['id']),
      header:
        r['line_count'] === null
          ? null
          : {
              lineCount: asNumber(r['line_count']),
              totalDebit: asBigInt(r['total_debit']),
              totalCredit: asBigInt(r['total_credit']),
            },
      lines: r['n'] === null ? 0 : asNumber(r['n']),
      linesDebit: r['dr'] === null ? 0n : asBigInt(r['dr']),
      linesCredit: r['cr'] === null ? 0n : asBigInt(r['cr']),
    }));
    const nets = (
      await db.query(
        `SELECT entity, currency, SUM(CASE WHEN side = 'debit' THEN amount ELSE -amount END) AS net
         FROM journal_lines GROUP BY entity, currency ORDER BY entity, currency`,
      )
    ).map((r) => ({ entity: String(r['entity']), currency: String(r['currency']), net: asBigInt(r['net']) }));
    return [...checkEntries(entries), ...checkTrialBalance(nets)];
  },
};

// --- stock ---------------------------------------------------------------------------------------------

export const stockCheck: InvariantCheck = {
  name: 'on-hand',
  async run(db) {
    const movements: Movement[] = (
      await db.query(
        `SELECT movement_key, item_code, par_location_code, movement_type, quantity, value, currency,
                lot_number, serial_number, occurred_at FROM inventory_movements`,
      )
    ).map((r) => ({
      movementKey: String(r['movement_key']),
      itemCode: String(r['item_code']),
      parLocationCode: String(r['par_location_code']),
      movementType: String(r['movement_type']) as Movement['movementType'],
      quantity: asBigInt(r['quantity']),
      value: asBigInt(r['value']),
      currency: String(r['currency']) as Movement['currency'],
      lotNumber: asOptionalString(r['lot_number']),
      serialNumber: asOptionalString(r['serial_number']),
      occurredAt: String(r['occurred_at']),
    }));
    const lots = new Map<string, Map<string, bigint>>();
    for (const r of await db.query(
      'SELECT item_code, par_location_code, lot_number, quantity FROM stock_lots',
    )) {
      const k = `${r['item_code']}\u0000${r['par_location_code']}`;
      const m = lots.get(k) ?? new Map<string, bigint>();
      lots.set(k, m);
      m.set(String(r['lot_number']), asBigInt(r['quantity']));
    }
    const positions: Position[] = (
      await db.query('SELECT item_code, par_location_code, quantity, value, currency FROM stock_on_hand')
    ).map((r) => ({
      itemCode: String(r['item_code']),
      parLocationCode: String(r['par_location_code']),
      quantity: asBigInt(r['quantity']),
      value: asBigInt(r['value']),
      currency: String(r['currency']) as Position['currency'],
      lots: lots.get(`${r['item_code']}\u0000${r['par_location_code']}`) ?? new Map(),
    }));
    return checkOnHand(movements, positions);
  },
};

// --- nothing immutable changed ----------------------------------------------------------------------------

/** Tables whose stored bytes carry the SHA-256 recorded when they arrived. */
const HASHED: readonly { table: string; key: string }[] = [
  { table: 'inbound_messages', key: 'id' },
  { table: 'inbound_rejections', key: 'id' },
  { table: 'message_revisions', key: 'id' },
];

/**
 * The SHA-256 of a row's plaintext body. A body that does not decrypt (altered ciphertext, one moved from
 * another row, a key missing from the ring) cannot match any recorded hash: it is reported as the
 * changed row it is, under a marker instead of a hash.
 */
function plaintextHash(db: SqlExecutor, table: string, r: Row): string {
  try {
    return createHash('sha256')
      .update(openRaw(db, table, r))
      .digest('hex');
  } catch (e) {
    if (e instanceof CrosswalkError) return `undecryptable (${e.code})`;
    throw e;
  }
}

async function hashViolations(db: SqlExecutor): Promise<Violation[]> {
  const out: Violation[] = [];
  for (const { table, key } of HASHED) {
    for (let after = 0n; ; ) {
      const rows = await db.query(
        `SELECT ${key} AS id, content_sha256, raw, raw_key_id FROM ${table} WHERE ${key} > ? ORDER BY ${key} LIMIT ${PAGE}`,
        [after],
      );
      const facts: HashFact[] = rows.map((r) => ({
        table,
        id: String(r['id']),
        recorded: String(r['content_sha256']),
        actual: plaintextHash(db, table, r),
      }));
      out.push(...checkHashes(facts));
      if (rows.length < PAGE) break;
      after = asBigInt(rows.at(-1)!['id']);
    }
  }
  return out;
}

const APPEND_ONLY = [
  'inventory_movements',
  'canonical_events',
  'journal_entries',
  'journal_lines',
  'requisitions',
  'exception_history',
  'integrity_seals',
  'audit_log',
  'role_grants',
  'role_grant_ends',
  'master_data_owners',
  'master_data_sources',
  'manual_journal_proposals',
  'manual_journal_lines',
  'manual_journal_decisions',
  'inventory_adjustment_proposals',
  'inventory_adjustment_decisions',
];
const GUARDS = [
  'journal_entries_balanced',
  'journal_lines_sealed',
  'message_revisions_sealed',
  'inbound_rejections_exception',
  // Segregation of duties in the database: the preparer cannot approve (migration 0013).
  'manual_journal_decisions_four_eyes',
  'inventory_adjustment_decisions_four_eyes',
];

/** The triggers that enforce immutability, by the names the migrations give them. */
export function expectedTriggers(dialect: Dialect): string[] {
  const appendOnly = APPEND_ONLY.flatMap((t) =>
    dialect === 'sqlite' ? [`${t}_no_update`, `${t}_no_delete`] : [`${t}_append_only`, `${t}_no_truncate`],
  );
  return [
    ...appendOnly,
    ...GUARDS,
    // SQLite checks these references with its foreign keys; PostgreSQL per statement (migration 0014).
    ...(dialect === 'sqlite' ? ['message_revisions_no_delete'] : REFERENCE_TRIGGERS),
  ];
}

async function presentTriggers(db: SqlExecutor): Promise<Set<string>> {
  const rows =
    db.capabilities.dialect === 'sqlite'
      ? await db.query("SELECT name FROM sqlite_master WHERE type = 'trigger'")
      : await db.query('SELECT tgname AS name FROM pg_trigger WHERE NOT tgisinternal');
  return new Set(rows.map((r) => String(r['name'])));
}

/** Tables that only ever grow; those with an increasing id also get a digest of their rows. */
const SEALED_COUNTS = [
  'inbound_messages',
  'inbound_rejections',
  'message_outcomes',
  'exceptions',
  'canonical_events',
  'journal_entries',
  'journal_lines',
  'inventory_movements',
  'requisitions',
  'mapping_releases',
  'exception_history',
  'message_revisions',
];
const SEALED_DIGESTS: Readonly<Record<string, { key: string; columns: string }>> = {
  inbound_messages: {
    key: 'id',
    columns:
      'id, interface_name, ordering_key, sender, control_id, message_type, received_at, content_sha256, ack_code',
  },
  inbound_rejections: { key: 'id', columns: 'id, interface_name, received_at, content_sha256, reason_code' },
  exception_history: {
    key: 'id',
    columns: 'id, exception_id, kind, actor, at, from_status, to_status, note',
  },
  mapping_release_activations: { key: 'seq', columns: 'seq, release_id, activated_by, activated_at' },
};

async function digestUpTo(db: SqlExecutor, table: string, maxId: bigint): Promise<string> {
  const { key, columns } = SEALED_DIGESTS[table]!;
  const hash = createHash('sha256');
  for (let after = 0n; ; ) {
    const rows = await db.query(
      `SELECT ${columns} FROM ${table} WHERE ${key} > ? AND ${key} <= ? ORDER BY ${key} LIMIT ${PAGE}`,
      [after, maxId],
    );
    for (const r of rows)
      hash.update(`${JSON.stringify(Object.values(r).map((v) => (v === null ? null : String(v))))}\n`);
    if (rows.length < PAGE) break;
    after = asBigInt(rows.at(-1)![key]);
  }
  return hash.digest('hex');
}

/** Counts, and digests up to `upTo`'s max ids (or the current max ids when sealing). */
async function measure(db: SqlExecutor, upTo?: SealFacts): Promise<Record<string, TableSeal>> {
  const out: Record<string, TableSeal> = {};
  for (const table of [...new Set([...SEALED_COUNTS, ...Object.keys(SEALED_DIGESTS)])]) {
    const count = asNumber((await db.query(`SELECT COUNT(*) AS n FROM ${table}`))[0]!['n']);
    const spec = SEALED_DIGESTS[table];
    if (!spec) {
      out[table] = { count };
      continue;
    }
    const sealedMax = upTo?.[table]?.maxId;
    const maxId =
      sealedMax !== undefined
        ? BigInt(sealedMax)
        : asBigInt((await db.query(`SELECT COALESCE(MAX(${spec.key}), 0) AS m FROM ${table}`))[0]!['m']);
    out[table] = { count, maxId: String(maxId), digest: await digestUpTo(db, table, maxId) };
  }
  return out;
}

async function latestSeal(db: SqlExecutor): Promise<SealFacts | null> {
  const rows = await db.query('SELECT facts FROM integrity_seals ORDER BY id DESC LIMIT 1');
  if (!rows[0]) return null;
  const f = rows[0]['facts'];
  return (typeof f === 'string' ? JSON.parse(f) : f) as SealFacts;
}

export const immutableCheck: InvariantCheck = {
  name: 'immutable',
  async run(db) {
    const out = await hashViolations(db);
    out.push(...checkTriggers(expectedTriggers(db.capabilities.dialect), await presentTriggers(db)));
    const sealed = await latestSeal(db);
    if (sealed) out.push(...checkSeal(sealed, await measure(db, sealed)));
    return out;
  },
};

/**
 * Records what the checker sees now, so a later run can prove nothing was removed or rewritten since
 * (`crosswalk verify --seal` after a clean run). Append-only itself.
 */
export async function sealIntegrity(store: Store, by: string, at: string): Promise<SealFacts> {
  return store.transaction(async (tx) => {
    const facts = await measure(tx);
    await tx.execute('INSERT INTO integrity_seals (sealed_at, sealed_by, facts) VALUES (?, ?, ?)', [
      at,
      by,
      JSON.stringify(facts),
    ]);
    await appendAudit(tx, {
      at,
      actor: by,
      action: 'verify.seal',
      object: 'integrity',
      before: null,
      after: facts,
    });
    return facts;
  });
}

// --- per-key order at each destination (the outbox) ------------------------------------------------------

async function tableExists(db: SqlExecutor, table: string): Promise<boolean> {
  const rows =
    db.capabilities.dialect === 'sqlite'
      ? await db.query("SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = ?", [table])
      : await db.query('SELECT 1 AS x FROM pg_tables WHERE schemaname = current_schema() AND tablename = ?', [
          table,
        ]);
  return rows.length > 0;
}

/** Delivered documents per destination and ordering key follow source order; skipped while no outbox exists. */
export const destinationOrderCheck: InvariantCheck = {
  name: 'destination order',
  async run(db) {
    if (!(await tableExists(db, 'outbox_deliveries'))) return [];
    const facts: DeliveryFact[] = (
      await db.query(
        `SELECT destination, ordering_key, seq_message_id, seq_part, document_id, state, delivered_at
         FROM outbox_deliveries`,
      )
    ).map((r) => {
      const state = String(r['state']);
      return {
        destination: String(r['destination']),
        orderingKey: String(r['ordering_key']),
        seq: [asBigInt(r['seq_message_id']), asNumber(r['seq_part'])] as const,
        documentId: String(r['document_id']),
        delivered: state === 'delivered',
        deliveredAt: asOptionalString(r['delivered_at']),
        waiting: state !== 'delivered',
      };
    });
    return checkDestinationOrder(facts);
  },
};

/**
 * The audit chain links and hashes as written (governance/audit-chain.ts). Without the signed
 * checkpoints, which live outside the database, a cut tail goes unseen here; `crosswalk audit verify`
 * with the checkpoint folder catches that too.
 */
export const auditChainCheck: InvariantCheck = {
  name: 'audit chain',
  async run(db) {
    if (!(await tableExists(db, 'audit_log'))) return [];
    const verdict = verifyChain(await readAuditChain(db), [], new Uint8Array(0));
    return verdict.ok
      ? []
      : [
          violation(
            'audit-chain',
            `audit record ${verdict.firstBadSeq}`,
            verdict.detail ?? verdict.problem ?? 'broken',
          ),
        ];
  },
};

export const INVARIANT_CHECKS: readonly InvariantCheck[] = [
  messagesCheck,
  duplicatesCheck,
  booksCheck,
  stockCheck,
  immutableCheck,
  destinationOrderCheck,
  auditChainCheck,
];

/**
 * Every invariant, over one snapshot of the store: an empty list means the books, the inbox and the
 * queue keep every promise the checks know. The fault and load tests end with it; `crosswalk verify`
 * prints it.
 */
export async function verifyInvariants(
  store: Store,
  options: { checks?: readonly InvariantCheck[] } = {},
): Promise<Violation[]> {
  const checks = options.checks ?? INVARIANT_CHECKS;
  return store.transaction(async (tx) => {
    if (tx.capabilities.dialect === 'postgres')
      await tx.execute('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const out: Violation[] = [];
    for (const c of checks) out.push(...(await c.run(tx)));
    return out;
  });
}
