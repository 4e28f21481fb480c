import { ARRAY_OF, arrayParam } from './pg-arrays.ts';
import type { Row, SqlExecutor, Store } from './port.ts';
import type { SealedBody } from './raw-cipher.ts';
import {
  INBOUND_COLUMNS,
  POSTGRES_INSERT_INBOUND_BATCH,
  POSTGRES_SELECT_INBOUND_BY_KEYS,
  SELECT_INBOUND_BY_KEY,
  SQLITE_INSERT_INBOUND,
} from './sql/insert-inbound.ts';
import { asBigInt, asBytes, asNumber, asOptionalString } from './values.ts';

/** A message ready to be stored, with the positive ACK it will be sent once the commit returns. */
export interface InboundCandidate {
  readonly interfaceName: string;
  /** Messages of one ordering key are applied in arrival (id) order; default: the interface name. */
  readonly orderingKey: string;
  /** MSH-3 and MSH-4 as sent, joined by `|`: with the control id, the idempotency key. */
  readonly sender: string;
  readonly controlId: string;
  readonly messageType: string;
  readonly receivedAt: string;
  readonly contentSha256: string;
  readonly raw: Buffer;
  readonly ack: Buffer;
  readonly ackCode: string;
}

export type StoreOutcome =
  | { readonly kind: 'stored'; readonly id: bigint }
  /** The same key and the same bytes: answer with the stored ACK, byte-identical; no new effect. */
  | { readonly kind: 'duplicate'; readonly id: bigint; readonly ack: Buffer }
  /** The same key with different bytes: refuse, never overwrite. */
  | { readonly kind: 'conflict'; readonly existingId: bigint };

export interface InboundRejection {
  readonly interfaceName: string;
  readonly sender: string | null;
  readonly controlId: string | null;
  readonly messageType: string | null;
  readonly receivedAt: string;
  readonly contentSha256: string;
  readonly raw: Buffer;
  readonly reasonCode: string;
  readonly reason: string;
  readonly ack: Buffer | null;
  readonly ackCode: string | null;
  readonly existingMessageId: bigint | null;
}

export interface InboundSummary {
  readonly id: bigint;
  readonly interfaceName: string;
  readonly orderingKey: string;
  readonly sender: string;
  readonly controlId: string;
  readonly messageType: string;
  readonly receivedAt: string;
  readonly sizeBytes: number;
  readonly ackCode: string;
}

export interface InboundMessage extends InboundSummary {
  readonly contentSha256: string;
  readonly raw: Buffer;
  readonly ack: Buffer;
}

function outcomeFor(
  c: InboundCandidate,
  existing: { id: unknown; content_sha256: unknown; ack: unknown },
): StoreOutcome {
  const id = asBigInt(existing.id);
  return existing.content_sha256 === c.contentSha256
    ? { kind: 'duplicate', id, ack: asBytes(existing.ack) }
    : { kind: 'conflict', existingId: id };
}

async function storeBatchSqlite(
  tx: SqlExecutor,
  batch: readonly InboundCandidate[],
  bodies: readonly SealedBody[],
): Promise<StoreOutcome[]> {
  const out: StoreOutcome[] = [];
  for (const [i, c] of batch.entries()) {
    const sealed = bodies[i]!;
    const rows = await tx.query<{ id: unknown }>(SQLITE_INSERT_INBOUND, [
      c.interfaceName,
      c.orderingKey,
      c.sender,
      c.controlId,
      c.messageType,
      c.receivedAt,
      c.contentSha256,
      c.raw.length,
      sealed.bytes,
      c.ack,
      c.ackCode,
      sealed.keyId,
    ]);
    if (rows[0]) {
      out.push({ kind: 'stored', id: asBigInt(rows[0].id) });
      continue;
    }
    const existing = (
      await tx.query<{ id: unknown; content_sha256: unknown; ack: unknown }>(SELECT_INBOUND_BY_KEY, [
        c.sender,
        c.controlId,
      ])
    )[0]!;
    out.push(outcomeFor(c, existing));
  }
  return out;
}

const keyOf = (sender: unknown, controlId: unknown) => `${String(sender)}\u0000${String(controlId)}`;

async function storeBatchPostgres(
  tx: SqlExecutor,
  batch: readonly InboundCandidate[],
  sealed: readonly SealedBody[],
): Promise<StoreOutcome[]> {
  // Each column as one array in PostgreSQL's binary form (pg-arrays.ts): the driver's own array text
  // would write every sealed body and ACK as hex, twice its size, for the server to parse back.
  const text = (values: readonly string[]) => arrayParam(values, ARRAY_OF.text).value;
  const bytes = (values: readonly Uint8Array[]) => arrayParam(values, ARRAY_OF.bytea).value;
  const inserted = await tx.query<{ id: unknown; sender: unknown; control_id: unknown }>(
    POSTGRES_INSERT_INBOUND_BATCH,
    [
      text(batch.map((c) => c.interfaceName)),
      text(batch.map((c) => c.orderingKey)),
      text(batch.map((c) => c.sender)),
      text(batch.map((c) => c.controlId)),
      text(batch.map((c) => c.messageType)),
      text(batch.map((c) => c.receivedAt)),
      text(batch.map((c) => c.contentSha256)),
      arrayParam(
        batch.map((c) => c.raw.length),
        ARRAY_OF.integer,
      ).value,
      bytes(sealed.map((s) => s.bytes)),
      bytes(batch.map((c) => c.ack)),
      text(batch.map((c) => c.ackCode)),
      text(sealed.map((s) => s.keyId)),
    ],
  );
  const insertedIds = new Map(inserted.map((r) => [keyOf(r.sender, r.control_id), asBigInt(r.id)]));
  const out: (StoreOutcome | undefined)[] = new Array(batch.length);
  const claimed = new Set<string>();
  const missing: number[] = [];
  batch.forEach((c, i) => {
    const key = keyOf(c.sender, c.controlId);
    const id = insertedIds.get(key);
    // The first candidate of a key inserted in this batch is the stored one; later ones repeat it.
    if (id !== undefined && !claimed.has(key)) {
      claimed.add(key);
      out[i] = { kind: 'stored', id };
    } else {
      missing.push(i);
    }
  });
  if (missing.length > 0) {
    const rows = await tx.query<{
      id: unknown;
      sender: unknown;
      control_id: unknown;
      content_sha256: unknown;
      ack: unknown;
    }>(POSTGRES_SELECT_INBOUND_BY_KEYS, [
      missing.map((i) => batch[i]!.sender),
      missing.map((i) => batch[i]!.controlId),
    ]);
    const byKey = new Map(rows.map((r) => [keyOf(r.sender, r.control_id), r]));
    for (const i of missing) {
      const c = batch[i]!;
      out[i] = outcomeFor(c, byKey.get(keyOf(c.sender, c.controlId))!);
    }
  }
  return out as StoreOutcome[];
}

/**
 * The plaintext body of a row read with its `id`, `content_sha256`, `raw` and `raw_key_id` (tables
 * inbound_messages, inbound_rejections, message_revisions).
 */
export function openRaw(db: SqlExecutor, table: string, r: Row): Buffer {
  return db.rawCipher.open(
    table,
    String(r['id']),
    String(r['content_sha256']),
    asOptionalString(r['raw_key_id']),
    asBytes(r['raw']),
  );
}

function summary(r: Row): InboundSummary {
  return {
    id: asBigInt(r['id']),
    interfaceName: String(r['interface_name']),
    orderingKey: String(r['ordering_key']),
    sender: String(r['sender']),
    controlId: String(r['control_id']),
    messageType: String(r['message_type']),
    receivedAt: String(r['received_at']),
    sizeBytes: asNumber(r['size_bytes']),
    ackCode: String(r['ack_code']),
  };
}

/** Storage of the inbox. Domain-free: it stores what it is given and reports what it found. */
export class InboxRepository {
  constructor(private readonly store: Store) {}

  /**
   * Stores a batch in one transaction (one fsync on SQLite, one commit on PostgreSQL) and reports, per
   * candidate and in order, whether it was stored, repeated an earlier message, or conflicts with one.
   */
  storeBatch(batch: readonly InboundCandidate[]): Promise<StoreOutcome[]> {
    if (batch.length === 0) return Promise.resolve([]);
    // Sealed before the transaction: on SQLite the write lock is held for the inserts only.
    const sealed = batch.map((c) => this.store.rawCipher.seal('inbound_messages', c.contentSha256, c.raw));
    return this.store.transaction((tx) =>
      this.store.capabilities.dialect === 'postgres'
        ? storeBatchPostgres(tx, batch, sealed)
        : storeBatchSqlite(tx, batch, sealed),
    );
  }

  async recordRejections(rejections: readonly InboundRejection[]): Promise<void> {
    if (rejections.length === 0) return;
    await this.store.transaction(async (tx) => {
      for (const r of rejections) {
        const sealed = tx.rawCipher.seal('inbound_rejections', r.contentSha256, r.raw);
        await tx.execute(
          `INSERT INTO inbound_rejections (interface_name, sender, control_id, message_type, received_at, content_sha256,
             size_bytes, raw, reason_code, reason, ack, ack_code, existing_message_id, raw_key_id)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            r.interfaceName,
            r.sender,
            r.controlId,
            r.messageType,
            r.receivedAt,
            r.contentSha256,
            r.raw.length,
            sealed.bytes,
            r.reasonCode,
            r.reason,
            r.ack,
            r.ackCode,
            r.existingMessageId,
            sealed.keyId,
          ],
        );
      }
    });
  }

  async list(options: { limit?: number; beforeId?: bigint } = {}): Promise<InboundSummary[]> {
    const limit = Math.min(Math.max(options.limit ?? 50, 1), 1000);
    const rows = await this.store.query(
      `SELECT id, interface_name, ordering_key, sender, control_id, message_type, received_at, size_bytes, ack_code
       FROM inbound_messages ${options.beforeId !== undefined ? 'WHERE id < ?' : ''} ORDER BY id DESC LIMIT ${limit}`,
      options.beforeId !== undefined ? [options.beforeId] : [],
    );
    return rows.map(summary);
  }

  async get(id: bigint): Promise<InboundMessage | null> {
    const rows = await this.store.query(`SELECT id, ${INBOUND_COLUMNS} FROM inbound_messages WHERE id = ?`, [
      id,
    ]);
    const r = rows[0];
    if (!r) return null;
    return {
      ...summary(r),
      contentSha256: String(r['content_sha256']),
      raw: openRaw(this.store, 'inbound_messages', r),
      ack: asBytes(r['ack']),
    };
  }

  async listRejections(limit = 50): Promise<(Omit<InboundRejection, 'raw' | 'ack'> & { id: bigint })[]> {
    const rows = await this.store.query(
      `SELECT id, interface_name, sender, control_id, message_type, received_at, content_sha256, reason_code, reason,
         ack_code, existing_message_id
       FROM inbound_rejections ORDER BY id DESC LIMIT ${Math.min(Math.max(limit, 1), 1000)}`,
    );
    return rows.map((r) => ({
      id: asBigInt(r['id']),
      interfaceName: String(r['interface_name']),
      sender: asOptionalString(r['sender']),
      controlId: asOptionalString(r['control_id']),
      messageType: asOptionalString(r['message_type']),
      receivedAt: String(r['received_at']),
      contentSha256: String(r['content_sha256']),
      reasonCode: String(r['reason_code']),
      reason: String(r['reason']),
      ackCode: asOptionalString(r['ack_code']),
      existingMessageId: r['existing_message_id'] === null ? null : asBigInt(r['existing_message_id']),
    }));
  }

  async counts(): Promise<{ messages: number; rejections: number }> {
    const rows = await this.store.query<{ m: unknown; r: unknown }>(
      'SELECT (SELECT COUNT(*) FROM inbound_messages) AS m, (SELECT COUNT(*) FROM inbound_rejections) AS r',
    );
    return { messages: asNumber(rows[0]!.m), rejections: asNumber(rows[0]!.r) };
  }
}
