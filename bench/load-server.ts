/**
 * The receiving side of `load.bench.ts`, in its own process: a fresh database (URL in argv[2]) with the
 * demo books, and the real runtime (MLLP ingest, apply stage, outbox) delivering journal batches and
 * requisitions over HTTP to the fake ERP at argv[3] (keys honoured). Answers 'status' over IPC with the
 * apply backlog, the ERP's waiting documents and the messages they cover, and its resident memory;
 * exits on 'stop'.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setUpDemoBooks } from '../src/apply/index.ts';
import { loadConfig } from '../src/config/index.ts';
import { generateDemoHealthSystem } from '../src/demo/index.ts';
import { startServer } from '../src/server/runtime.ts';
import { migrate, openStore } from '../src/store/index.ts';
import { loadMasterData } from '../src/store/master-data.ts';
import { pendingCount } from '../src/store/posting-repository.ts';

const url = process.argv[2]!;
const erpUrl = process.argv[3]!;
const setup = await openStore(url);
await migrate(setup);
const system = generateDemoHealthSystem({ seed: 42 });
await loadMasterData(setup, system);
await setUpDemoBooks(setup, system, new Date());
await setup.close();

const passthrough = ['CROSSWALK_APPLY_THREAD', 'CROSSWALK_APPLY_BATCH_SIZE', 'CROSSWALK_OUTBOX_POLL_MS'];
const config = loadConfig({
  env: {
    CROSSWALK_DATABASE_URL: url,
    CROSSWALK_HTTP_PORT: '0',
    CROSSWALK_MLLP_PORT: '0',
    CROSSWALK_LOG_LEVEL: 'error',
    CROSSWALK_TOKEN_KEY_FILE: join(mkdtempSync(join(tmpdir(), 'cw-load-')), 'token.key'),
    CROSSWALK_OUTBOX_DESTINATIONS: JSON.stringify([
      { name: 'erp', type: 'http', url: erpUrl, honoursIdempotencyKey: true, timeoutMs: 10_000 },
    ]),
    CROSSWALK_OUTBOX_POLL_MS: '200',
    // A down ERP is probed at least every 2 s, so the drain starts soon after it is back.
    CROSSWALK_OUTBOX_RETRY_BASE_MS: '200',
    CROSSWALK_OUTBOX_RETRY_MAX_MS: '2000',
    ...Object.fromEntries(passthrough.flatMap((k) => (process.env[k] ? [[k, process.env[k]!]] : []))),
  },
});
const running = await startServer({ config, version: 'bench' });
const db = running.store;

async function outboxWaiting(): Promise<{ documents: number; messages: number }> {
  const docs = await db.query(
    "SELECT COUNT(*) AS n FROM outbox_deliveries WHERE destination = 'erp' AND state <> 'delivered'",
  );
  // Each apply batch writes one journal document per entity over the same message range: count ranges once.
  const msgs = await db.query(
    `SELECT COALESCE(SUM(r.last_message_id - r.first_message_id + 1), 0) AS n FROM (
       SELECT DISTINCT d.first_message_id, d.last_message_id FROM outbox_documents d
       JOIN outbox_deliveries v ON v.document_id = d.id
       WHERE v.destination = 'erp' AND v.state <> 'delivered' AND d.kind = 'journal-batch') r`,
  );
  return { documents: Number(docs[0]!['n']), messages: Number(msgs[0]!['n']) };
}

process.on('message', (m: unknown) => {
  if (m === 'status') {
    void Promise.all([pendingCount(db), outboxWaiting()]).then(([pending, waiting]) =>
      process.send?.({ pending, waiting, rss: process.memoryUsage.rss(), at: Date.now() }),
    );
  }
  if (m === 'stop') void running.stop('bench done').finally(() => process.exit(0));
});
process.send?.({ port: running.mllp[0]!.port });
