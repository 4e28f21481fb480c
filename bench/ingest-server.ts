/**
 * The receiving side of `ingest.bench.ts`, in its own process (as in production, where the sender is
 * another machine): the real inbox (parse, ACK, group commit, ACK after the durable commit) behind the
 * real MLLP listener, on the database URL given as argv[2]. Tells its port over IPC; answers 'rss' with
 * its resident memory; exits on 'stop' after a graceful close.
 */
import { Inbox, startMllpIngest } from '../src/inbox/index.ts';
import { InboxRepository } from '../src/store/inbox-repository.ts';
import { migrate, openStore } from '../src/store/index.ts';

const url = process.argv[2];
if (!url) {
  console.error('ingest-server: database URL required');
  process.exit(2);
}
const store = await openStore(url, { poolMax: 4 });
await migrate(store);
let batches = 0;
let batched = 0;
const inbox = new Inbox({
  repository: new InboxRepository(store),
  observer: {
    onBatch: (size) => {
      batches++;
      batched += size;
    },
  },
});
const ingest = await startMllpIngest({ inbox, settings: { name: 'bench' }, host: '127.0.0.1', port: 0 });
process.on('message', (m: unknown) => {
  if (m === 'rss') process.send?.({ rss: process.memoryUsage.rss(), batches, batched });
  if (m === 'stop') {
    void ingest
      .close()
      .then(() => store.close())
      .finally(() => process.exit(0));
  }
});
process.send?.({ port: ingest.port });
