import { openRaw } from './inbox-repository.ts';
import type { Store } from './port.ts';
import { asBigInt, asNumber } from './values.ts';

/**
 * Moves stored bodies sealed under an older key (or written in the clear before migration 0012) to the
 * raw key ring's current key, a batch per transaction so a long run holds no lock for long and can stop
 * and resume anywhere. Only the tables whose rows may change: message_revisions and
 * fhir_resource_versions are immutable by trigger (their rows stay under the key that sealed them), so
 * a key must stay in the ring while `remaining` counts rows under it.
 */

const MOVABLE = ['inbound_messages', 'inbound_rejections'] as const;
const IMMUTABLE: readonly { table: string; keyColumn: string }[] = [
  { table: 'message_revisions', keyColumn: 'raw_key_id' },
  { table: 'fhir_resource_versions', keyColumn: 'resource_key_id' },
];

export interface ReencryptReport {
  readonly currentKeyId: string;
  readonly moved: Readonly<Record<string, number>>;
  /** Rows of immutable tables under another key than the current one, by key id ("clear" for NULL). */
  readonly keptUnderOlderKeys: Readonly<Record<string, number>>;
}

export async function reencryptRawBodies(
  store: Store,
  options: { batchSize?: number; onProgress?: (table: string, moved: number) => void } = {},
): Promise<ReencryptReport> {
  const batch = Math.max(1, Math.min(10_000, options.batchSize ?? 500));
  const current = store.rawCipher.currentKeyId;
  const moved: Record<string, number> = {};
  for (const table of MOVABLE) {
    moved[table] = 0;
    for (let after = 0n; ; ) {
      const n = await store.transaction(async (tx) => {
        const rows = await tx.query(
          `SELECT id, content_sha256, raw, raw_key_id FROM ${table}
           WHERE id > ? AND (raw_key_id IS NULL OR raw_key_id <> ?) ORDER BY id LIMIT ${batch}`,
          [after, current],
        );
        for (const r of rows) {
          const plain = openRaw(tx, table, r);
          const sealed = tx.rawCipher.seal(table, String(r['content_sha256']), plain);
          await tx.execute(`UPDATE ${table} SET raw = ?, raw_key_id = ? WHERE id = ?`, [
            sealed.bytes,
            sealed.keyId,
            asBigInt(r['id']),
          ]);
        }
        if (rows.length > 0) after = asBigInt(rows.at(-1)!['id']);
        return rows.length;
      });
      moved[table] += n;
      options.onProgress?.(table, moved[table]);
      if (n < batch) break;
    }
  }
  const kept: Record<string, number> = {};
  for (const { table, keyColumn } of IMMUTABLE) {
    const rows = await store.query(
      `SELECT ${keyColumn} AS k, COUNT(*) AS n FROM ${table}
       WHERE ${keyColumn} IS NULL OR ${keyColumn} <> ? GROUP BY ${keyColumn}`,
      [current],
    );
    for (const r of rows) {
      const k = r['k'] === null ? 'clear' : String(r['k']);
      kept[k] = (kept[k] ?? 0) + asNumber(r['n']);
    }
  }
  return { currentKeyId: current, moved, keptUnderOlderKeys: kept };
}
