/**
 * `crosswalk publish items|charges`: the whole item master or charge master as item-master documents,
 * snapshotted and queued in one transaction (so a concurrent master-data load is either wholly in the
 * snapshot or wholly out of it), for every configured destination that takes item-master documents or
 * for one named destination.
 */
import { CrosswalkError } from '../errors/index.ts';
import { type MasterFile, masterSnapshotDocuments } from '../outbox/master-documents.ts';
import { appendAudit } from './audit-repository.ts';
import { readMasterData } from './master-data.ts';
import { enqueueDocuments, getDestination } from './outbox-repository.ts';
import type { Store } from './port.ts';

export interface PublishResult {
  readonly master: MasterFile;
  readonly records: number;
  readonly documents: readonly string[];
  readonly destinations: readonly string[];
}

export async function publishMasterSnapshot(
  store: Store,
  options: { readonly master: MasterFile; readonly by: string; readonly to?: string; readonly at: Date },
): Promise<PublishResult> {
  const createdAt = options.at.toISOString();
  return store.transaction(async (tx) => {
    let destinations: string[];
    if (options.to !== undefined) {
      const d = await getDestination(tx, options.to);
      if (!d) throw new CrosswalkError('CW_ERR_OUTBOX_UNKNOWN_DESTINATION', { name: options.to });
      if (!d.enabled) {
        throw new CrosswalkError('CW_ERR_OUTBOX_NO_DESTINATION', {
          kind: 'item-master',
          detail: `: ${options.to} is not configured (start serve with it in CROSSWALK_OUTBOX_DESTINATIONS first)`,
        });
      }
      destinations = [d.name];
    } else {
      const rows = await tx.query(
        `SELECT name FROM outbox_destinations WHERE enabled AND (',' || kinds || ',') LIKE '%,item-master,%'
         ORDER BY name`,
      );
      destinations = rows.map((r) => String(r['name']));
      if (destinations.length === 0) {
        throw new CrosswalkError('CW_ERR_OUTBOX_NO_DESTINATION', { kind: 'item-master', detail: '' });
      }
    }
    const source = await readMasterData(tx, ['items', 'itemUoms', 'chargeMaster']);
    const docs = masterSnapshotDocuments(options.master, source, {
      createdAt,
      publishedBy: options.by,
      seqMessageId: BigInt(options.at.getTime()),
    });
    await enqueueDocuments(tx, docs, options.to);
    const records = docs.reduce((n, d) => n + d.itemCount, 0);
    await appendAudit(tx, {
      at: createdAt,
      actor: options.by,
      action: 'publish.master',
      object: `master:${options.master}`,
      before: null,
      after: { records, documents: docs.map((d) => d.id), destinations },
    });
    return { master: options.master, records, documents: docs.map((d) => d.id), destinations };
  });
}
