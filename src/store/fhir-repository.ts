import type {
  Alternative,
  Clause,
  FhirResource,
  FhirStorePort,
  FhirTx,
  FhirWrite,
  SearchPage,
  SearchPlan,
  StoredResource,
} from '../fhir/index.ts';
import { insertRows } from './bulk.ts';
import { openRaw } from './inbox-repository.ts';
import type { Row, SqlExecutor, SqlValue, Store } from './port.ts';
import { asNumber } from './values.ts';

/**
 * The FHIR resource store on both engines (tables of migration 0006). Writes are set-based: a Bundle of
 * a hundred resources is a handful of multi-row statements, not hundreds of round trips.
 */

const SELECT_RESOURCE = `SELECT r.resource_type, r.id, r.version_id, r.last_updated, r.content_sha256, v.resource,
    v.resource_key_id
  FROM fhir_resources r
  JOIN fhir_resource_versions v ON v.resource_type = r.resource_type AND v.id = r.id AND v.version_id = r.version_id`;

/**
 * A resource version's JSON is sealed like a raw message (store/raw-cipher.ts), bound to its
 * type, id and version; the text column holds base64 of the sealed bytes. The hash the cipher binds is
 * that identity's, since a version row has no content hash of its own.
 */
const versionIdentity = (type: string, id: string, versionId: unknown) =>
  `${type}/${id}/_history/${String(versionId)}`;

function openResource(db: SqlExecutor, r: Row): string {
  const keyId = r['resource_key_id'];
  if (keyId === null || keyId === undefined) return String(r['resource']);
  const identity = versionIdentity(String(r['resource_type']), String(r['id']), r['version_id']);
  return db.rawCipher
    .open(
      'fhir_resource_versions',
      identity,
      identity,
      String(keyId),
      Buffer.from(String(r['resource']), 'base64'),
    )
    .toString('utf8');
}

function storedOf(db: SqlExecutor, r: Row): StoredResource {
  return {
    resourceType: String(r['resource_type']),
    id: String(r['id']),
    versionId: asNumber(r['version_id']),
    lastUpdated: String(r['last_updated']),
    contentHash: String(r['content_sha256'] ?? ''),
    resource: JSON.parse(openResource(db, r)) as FhirResource,
  };
}

function alternativeSql(c: Clause, a: Alternative, params: SqlValue[]): string {
  if (a.kind === 'id') {
    params.push(a.value);
    return 'r.id = ?';
  }
  if (c.name === '_lastUpdated' && a.kind === 'date')
    return dateSql(a, 'r.last_updated', 'r.last_updated', params);
  switch (a.kind) {
    case 'token': {
      const parts: string[] = [];
      if (a.value !== undefined) {
        parts.push('i.value = ?');
        params.push(a.value);
      }
      if (a.system === null) parts.push('i.system IS NULL');
      else if (a.system !== undefined) {
        parts.push('i.system = ?');
        params.push(a.system);
      }
      return parts.length === 0 ? '1 = 1' : parts.join(' AND ');
    }
    case 'reference':
      params.push(a.value);
      return 'i.value = ?';
    case 'date':
      return dateSql(a, 'i.lo', 'i.hi', params);
  }
}

function dateSql(
  a: Extract<Alternative, { kind: 'date' }>,
  lo: string,
  hi: string,
  params: SqlValue[],
): string {
  switch (a.prefix) {
    case 'eq':
      params.push(a.lo, a.hi);
      return `(${lo} >= ? AND ${hi} <= ?)`;
    case 'gt':
      params.push(a.hi);
      return `${hi} > ?`;
    case 'ge':
      params.push(a.lo);
      return `${hi} >= ?`;
    case 'lt':
      params.push(a.lo);
      return `${lo} < ?`;
    case 'le':
      params.push(a.hi);
      return `${lo} <= ?`;
  }
}

/** The WHERE clause of a plan: each clause an EXISTS over the search rows (or a column of the resource). */
function whereOf(plan: SearchPlan): { sql: string; params: SqlValue[] } {
  const params: SqlValue[] = [plan.resourceType];
  const parts = ['r.resource_type = ?'];
  for (const c of plan.clauses) {
    const onColumns = c.name === '_id' || c.name === '_lastUpdated';
    if (onColumns) {
      parts.push(`(${c.alternatives.map((a) => alternativeSql(c, a, params)).join(' OR ')})`);
      continue;
    }
    const inner: SqlValue[] = [c.name];
    const alts = c.alternatives.map((a) => `(${alternativeSql(c, a, inner)})`).join(' OR ');
    params.push(...inner);
    parts.push(
      `EXISTS (SELECT 1 FROM fhir_search_index i WHERE i.resource_type = r.resource_type AND i.id = r.id AND i.name = ? AND (${alts}))`,
    );
  }
  return { sql: parts.join(' AND '), params };
}

async function search(db: SqlExecutor, plan: SearchPlan, withTotal: boolean): Promise<SearchPage> {
  const { sql, params } = whereOf(plan);
  const rows = await db.query(
    `${SELECT_RESOURCE} WHERE ${sql} ORDER BY r.last_updated, r.id LIMIT ${Math.max(0, Math.floor(plan.count))} OFFSET ${Math.max(0, Math.floor(plan.offset))}`,
    params,
  );
  const resources = rows.map((r) => storedOf(db, r));
  let total = plan.offset + resources.length;
  if (withTotal && (resources.length === plan.count || plan.offset > 0)) {
    const n = await db.query<{ n: unknown }>(
      `SELECT COUNT(*) AS n FROM fhir_resources r WHERE ${sql}`,
      params,
    );
    total = asNumber(n[0]!.n);
  }
  return { total, resources };
}

const KEYS_PER_STATEMENT = 400;

async function current(db: SqlExecutor, keys: readonly string[]): Promise<Map<string, StoredResource>> {
  const out = new Map<string, StoredResource>();
  for (let i = 0; i < keys.length; i += KEYS_PER_STATEMENT) {
    const chunk = keys.slice(i, i + KEYS_PER_STATEMENT);
    const params: SqlValue[] = [];
    const cond = chunk
      .map((k) => {
        const slash = k.indexOf('/');
        params.push(k.slice(0, slash), k.slice(slash + 1));
        return '(r.resource_type = ? AND r.id = ?)';
      })
      .join(' OR ');
    for (const r of await db.query(`${SELECT_RESOURCE} WHERE ${cond}`, params)) {
      const s = storedOf(db, r);
      out.set(`${s.resourceType}/${s.id}`, s);
    }
  }
  return out;
}

async function save(db: SqlExecutor, writes: readonly FhirWrite[]): Promise<void> {
  await insertRows(
    db,
    'fhir_resource_versions',
    writes.map((w) => {
      const identity = versionIdentity(w.stored.resourceType, w.stored.id, w.stored.versionId);
      const sealed = db.rawCipher.seal('fhir_resource_versions', identity, Buffer.from(w.json, 'utf8'));
      return {
        resourceType: w.stored.resourceType,
        id: w.stored.id,
        versionId: w.stored.versionId,
        lastUpdated: w.stored.lastUpdated,
        resource: sealed.bytes.toString('base64'),
        resourceKeyId: sealed.keyId,
      };
    }),
  );
  // The last version of each resource is its current one (a Bundle may write one resource twice).
  const last = new Map<string, FhirWrite>();
  for (const w of writes) last.set(`${w.stored.resourceType}/${w.stored.id}`, w);
  const finals = [...last.values()];
  await insertRows(
    db,
    'fhir_resources',
    finals.map((w) => ({
      resourceType: w.stored.resourceType,
      id: w.stored.id,
      versionId: w.stored.versionId,
      lastUpdated: w.stored.lastUpdated,
      contentSha256: w.stored.contentHash,
    })),
    `ON CONFLICT (resource_type, id) DO UPDATE SET version_id = excluded.version_id,
       last_updated = excluded.last_updated, content_sha256 = excluded.content_sha256`,
  );
  const replaced = finals.filter((w) => w.stored.versionId > 1 || !w.created);
  for (let i = 0; i < replaced.length; i += KEYS_PER_STATEMENT) {
    const chunk = replaced.slice(i, i + KEYS_PER_STATEMENT);
    const params: SqlValue[] = [];
    const cond = chunk
      .map((w) => {
        params.push(w.stored.resourceType, w.stored.id);
        return '(resource_type = ? AND id = ?)';
      })
      .join(' OR ');
    await db.execute(`DELETE FROM fhir_search_index WHERE ${cond}`, params);
  }
  await insertRows(
    db,
    'fhir_search_index',
    finals.flatMap((w) =>
      w.rows.map((r) => ({
        resourceType: w.stored.resourceType,
        id: w.stored.id,
        name: r.name,
        system: r.system,
        value: r.value,
        lo: r.lo,
        hi: r.hi,
      })),
    ),
  );
  await insertRows(
    db,
    'inbound_messages',
    writes.flatMap((w) =>
      w.inbound === null
        ? []
        : [
            {
              interfaceName: w.inbound.interfaceName,
              orderingKey: w.inbound.orderingKey,
              sender: w.inbound.sender,
              controlId: w.inbound.controlId,
              messageType: w.inbound.messageType,
              receivedAt: w.inbound.receivedAt,
              contentSha256: w.inbound.contentSha256,
              sizeBytes: w.inbound.raw.length,
              ...sealedInbound(db, w.inbound.contentSha256, w.inbound.raw),
              ack: w.inbound.ack,
              ackCode: w.inbound.ackCode,
            },
          ],
    ),
  );
}

function sealedInbound(
  db: SqlExecutor,
  contentSha256: string,
  raw: Buffer,
): { raw: Buffer; rawKeyId: string } {
  const s = db.rawCipher.seal('inbound_messages', contentSha256, raw);
  return { raw: s.bytes, rawKeyId: s.keyId };
}

async function inboundRaw(
  db: SqlExecutor,
  sender: string,
  controlIds: readonly string[],
): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (let i = 0; i < controlIds.length; i += KEYS_PER_STATEMENT) {
    const chunk = controlIds.slice(i, i + KEYS_PER_STATEMENT);
    const rows = await db.query(
      `SELECT id, control_id, content_sha256, raw, raw_key_id FROM inbound_messages WHERE sender = ? AND control_id IN (${chunk.map(() => '?').join(', ')})`,
      [sender, ...chunk],
    );
    for (const r of rows) out.set(String(r['control_id']), openRaw(db, 'inbound_messages', r));
  }
  return out;
}

function txOf(db: SqlExecutor): FhirTx {
  return {
    current: (keys) => current(db, keys),
    search: (plan, options) => search(db, plan, options?.withTotal ?? true),
    inboundRaw: (sender, ids) => inboundRaw(db, sender, ids),
    save: (writes) => save(db, writes),
  };
}

export class FhirRepository implements FhirStorePort {
  constructor(private readonly store: Store) {}

  transaction<T>(fn: (tx: FhirTx) => Promise<T>): Promise<T> {
    return this.store.transaction((db) => fn(txOf(db)));
  }

  async read(resourceType: string, id: string): Promise<StoredResource | null> {
    return (await current(this.store, [`${resourceType}/${id}`])).get(`${resourceType}/${id}`) ?? null;
  }

  async vread(resourceType: string, id: string, versionId: number): Promise<StoredResource | null> {
    const rows = await this.store.query(
      `SELECT v.resource_type, v.id, v.version_id, v.last_updated, '' AS content_sha256, v.resource, v.resource_key_id
       FROM fhir_resource_versions v WHERE v.resource_type = ? AND v.id = ? AND v.version_id = ?`,
      [resourceType, id, versionId],
    );
    return rows[0] ? storedOf(this.store, rows[0]) : null;
  }

  search(plan: SearchPlan): Promise<SearchPage> {
    return search(this.store, plan, true);
  }

  /** Resources of a type, in id order, a page at a time (publishing, tests). */
  async count(resourceType?: string): Promise<number> {
    const rows = await this.store.query<{ n: unknown }>(
      `SELECT COUNT(*) AS n FROM fhir_resources${resourceType ? ' WHERE resource_type = ?' : ''}`,
      resourceType ? [resourceType] : [],
    );
    return asNumber(rows[0]!.n);
  }
}
