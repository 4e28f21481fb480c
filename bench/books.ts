/**
 * What the in-process benchmarks of the apply stage share: the demo's books in a fresh database, and
 * generated DFT^P03 (5 FT1, demo supply usage and charges) stored straight into the inbox.
 */
import { createHash } from 'node:crypto';
import { setUpDemoBooks } from '../src/apply/index.ts';
import { generateDemoHealthSystem, generateDftP03Batch } from '../src/demo/index.ts';
import { parseMessage } from '../src/hl7v2/index.ts';
import { InboxRepository } from '../src/store/inbox-repository.ts';
import { migrate, type Store } from '../src/store/index.ts';
import { loadMasterData } from '../src/store/master-data.ts';
import { withUniqueControlIds } from './harness.ts';

/** The ordering key the stored messages share. */
export const BENCH_KEY = 'bench';

/** Migrates and loads the demo system: master data, opening stock, periods, active release. */
export async function demoBooks(store: Store): Promise<void> {
  await migrate(store);
  await loadMasterData(store, generateDemoHealthSystem({ seed: 42 }));
  await setUpDemoBooks(store, generateDemoHealthSystem({ seed: 42 }), new Date('2026-11-25T00:00:00Z'));
}

/**
 * Stores n generated messages (MSH-10s tagged `tag`, received `at`) in the inbox, 1,000 to a commit;
 * `every` is called after each 50,000 so a large build can drain in slices.
 */
export async function storeGenerated(
  store: Store,
  n: number,
  tag: string,
  at: string,
  every?: (stored: number) => Promise<void>,
): Promise<void> {
  const templates = generateDftP03Batch(2000, 11, generateDemoHealthSystem({ seed: 42 }));
  const repo = new InboxRepository(store);
  let batch = [];
  let stored = 0;
  for (const raw of withUniqueControlIds(templates, n, tag)) {
    const h = parseMessage(raw).header;
    batch.push({
      interfaceName: 'bench',
      orderingKey: BENCH_KEY,
      sender: `${h.sendingApplication}|${h.sendingFacility}`,
      controlId: h.controlId,
      messageType: h.messageType,
      receivedAt: at,
      contentSha256: createHash('sha256').update(raw).digest('hex'),
      raw,
      ack: Buffer.from('ACK'),
      ackCode: 'AA',
    });
    if (batch.length === 1000) {
      await repo.storeBatch(batch);
      stored += batch.length;
      batch = [];
      if (every && stored % 50_000 === 0 && stored < n) await every(stored);
    }
  }
  await repo.storeBatch(batch);
}
