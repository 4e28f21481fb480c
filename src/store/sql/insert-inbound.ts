/**
 * The inbox's hot statements: storing a batch of received messages in one transaction. Per dialect,
 * because SQLite binds row by row through a cached statement (cheap: no network) while PostgreSQL wants
 * one set-based statement per batch (one round trip).
 */

export const INBOUND_COLUMNS =
  'interface_name, ordering_key, sender, control_id, message_type, received_at, content_sha256, size_bytes, raw, ack, ack_code, raw_key_id';

/** SQLite: one row; a conflict on (sender, control_id) returns nothing and the caller looks up the original. */
export const SQLITE_INSERT_INBOUND = `INSERT INTO inbound_messages (${INBOUND_COLUMNS})
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (sender, control_id) DO NOTHING
  RETURNING id`;

/**
 * PostgreSQL: the whole batch from parallel arrays, in arrival order (ORDER BY ordinality, so ids follow
 * arrival). Rows whose key exists, or repeats earlier in the same batch, are skipped and not returned.
 */
export const POSTGRES_INSERT_INBOUND_BATCH = `INSERT INTO inbound_messages (${INBOUND_COLUMNS})
  SELECT i, o, s, c, m, r, h, z, w, a, k, y
  FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::int[], ?::bytea[], ?::bytea[], ?::text[], ?::text[])
    WITH ORDINALITY AS b(i, o, s, c, m, r, h, z, w, a, k, y, ord)
  ORDER BY ord
  ON CONFLICT (sender, control_id) DO NOTHING
  RETURNING id, sender, control_id`;

export const SELECT_INBOUND_BY_KEY = `SELECT id, content_sha256, ack FROM inbound_messages WHERE sender = ? AND control_id = ?`;

/** PostgreSQL: the originals of several keys at once. */
export const POSTGRES_SELECT_INBOUND_BY_KEYS = `SELECT m.id, m.sender, m.control_id, m.content_sha256, m.ack
  FROM inbound_messages m
  JOIN unnest(?::text[], ?::text[]) AS k(sender, control_id)
    ON m.sender = k.sender AND m.control_id = k.control_id`;
