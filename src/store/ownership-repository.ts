import {
  isMasterKind,
  type MasterKind,
  type OwnerRow,
  type OwnershipRegistry,
  type SourceRow,
} from '../governance/index.ts';
import type { SqlExecutor } from './port.ts';
import { asNumber } from './values.ts';

/**
 * The ownership registry in the database (migration 0013): both tables are effective-dated histories,
 * append-only by trigger; `governance/ownership.ts` decides from the rows. The whole history is read (a
 * few rows per kind and source), so a message is judged by the registry as it stood when it arrived.
 */
export async function loadOwnership(db: SqlExecutor): Promise<OwnershipRegistry> {
  const owners = await db.query(
    'SELECT id, kind, system, effective_from, set_by, set_at FROM master_data_owners ORDER BY id',
  );
  const sources = await db.query(
    'SELECT id, source, system, effective_from, set_by, set_at FROM master_data_sources ORDER BY id',
  );
  return {
    owners: owners
      .filter((r) => isMasterKind(String(r['kind'])))
      .map(
        (r): OwnerRow => ({
          id: asNumber(r['id']),
          kind: String(r['kind']) as MasterKind,
          system: String(r['system']),
          effectiveFrom: String(r['effective_from']),
          setBy: String(r['set_by']),
          setAt: String(r['set_at']),
        }),
      ),
    sources: sources.map(
      (r): SourceRow => ({
        id: asNumber(r['id']),
        source: String(r['source']),
        system: String(r['system']),
        effectiveFrom: String(r['effective_from']),
        setBy: String(r['set_by']),
        setAt: String(r['set_at']),
      }),
    ),
  };
}

export async function addOwner(
  tx: SqlExecutor,
  row: {
    kind: MasterKind;
    system: string;
    effectiveFrom: string;
    setBy: string;
    setAt: string;
    note?: string;
  },
): Promise<void> {
  await tx.execute(
    'INSERT INTO master_data_owners (kind, system, effective_from, set_by, set_at, note) VALUES (?, ?, ?, ?, ?, ?)',
    [row.kind, row.system, row.effectiveFrom, row.setBy, row.setAt, row.note ?? null],
  );
}

export async function addSource(
  tx: SqlExecutor,
  row: { source: string; system: string; effectiveFrom: string; setBy: string; setAt: string; note?: string },
): Promise<void> {
  await tx.execute(
    'INSERT INTO master_data_sources (source, system, effective_from, set_by, set_at, note) VALUES (?, ?, ?, ?, ?, ?)',
    [row.source, row.system, row.effectiveFrom, row.setBy, row.setAt, row.note ?? null],
  );
}
