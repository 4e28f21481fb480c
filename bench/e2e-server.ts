/**
 * The receiving side of `e2e.bench.ts`, in its own process: a fresh database (URL in argv[2]) loaded
 * with the demo health system and its books, and the real runtime (MLLP ingest, ACK after commit, the
 * apply stage posting to inventory and the ledger). Answers 'status' over IPC with the backlog still to
 * apply, what was applied, and its resident memory; exits on 'stop'.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setUpDemoBooks } from '../src/apply/index.ts';
import { loadConfig } from '../src/config/index.ts';
import { generateDemoHealthSystem } from '../src/demo/index.ts';
import { startServer } from '../src/server/runtime.ts';
import { flowSummary } from '../src/store/books-queries.ts';
import { migrate, openStore } from '../src/store/index.ts';
import { loadMasterData } from '../src/store/master-data.ts';
import { pendingCount } from '../src/store/posting-repository.ts';
import { procStatCpu } from './harness.ts';

const url = process.argv[2]!;
const setup = await openStore(url);
await migrate(setup);
const system = generateDemoHealthSystem({ seed: 42 });
await loadMasterData(setup, system);
await setUpDemoBooks(setup, system, new Date());
await setup.close();

const config = loadConfig({
  env: {
    CROSSWALK_DATABASE_URL: url,
    CROSSWALK_HTTP_PORT: '0',
    CROSSWALK_MLLP_PORT: '0',
    CROSSWALK_LOG_LEVEL: 'warn',
    CROSSWALK_TOKEN_KEY_FILE: join(mkdtempSync(join(tmpdir(), 'cw-e2e-')), 'token.key'),
    ...(process.env['CROSSWALK_APPLY_THREAD']
      ? { CROSSWALK_APPLY_THREAD: process.env['CROSSWALK_APPLY_THREAD'] }
      : {}),
    ...(process.env['CROSSWALK_APPLY_BATCH_SIZE']
      ? { CROSSWALK_APPLY_BATCH_SIZE: process.env['CROSSWALK_APPLY_BATCH_SIZE'] }
      : {}),
  },
});
const running = await startServer({ config, version: 'bench' });

/**
 * CPU time of each of this process's threads so far, in µs, by kernel thread id, from /proc (Linux;
 * empty elsewhere). The threads are not named
 * (Node names none of them), so the report gives the main thread (tid = pid) and the rest by rank.
 */
function threadMicros(): Map<number, number> {
  const out = new Map<number, number>();
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      out.set(Number(tid), procStatCpu(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')).micros);
    }
  } catch {
    // Not Linux, or a thread ended while being read: no breakdown.
  }
  return out;
}

let mark = process.cpuUsage();
let markThreads = threadMicros();
process.on('message', (m: unknown) => {
  // 'mark' starts the CPU count (all of this process's threads: MLLP and ingest, the apply thread, the
  // WAL checkpointer, delivery); 'summary' reports what was used since.
  if (m === 'mark') {
    mark = process.cpuUsage();
    markThreads = threadMicros();
    process.send?.({ marked: true });
  }
  // 'status' is polled while the clock runs: only the backlog still to apply, so the measurement
  // does not load what it measures; 'summary' counts the books once, after the clock stops.
  if (m === 'status') {
    void pendingCount(running.store).then((pending) =>
      process.send?.({ pending, rss: process.memoryUsage.rss() }),
    );
  }
  if (m === 'summary') {
    const used = process.cpuUsage(mark);
    const others: number[] = [];
    let mainMicros = 0;
    for (const [tid, micros] of threadMicros()) {
      const since = micros - (markThreads.get(tid) ?? 0);
      if (tid === process.pid) mainMicros = since;
      else if (since > 0) others.push(since);
    }
    void flowSummary(running.store).then((summary) =>
      process.send?.({
        cpuMicros: used.user + used.system,
        mainThreadMicros: mainMicros,
        otherThreadMicros: others.sort((a, b) => b - a),
        applied: summary.outcomes['applied'] ?? 0,
        failed: summary.outcomes['failed'] ?? 0,
        entries: summary.journalEntries,
      }),
    );
  }
  if (m === 'stop') void running.stop('bench done').finally(() => process.exit(0));
});
process.send?.({ port: running.mllp[0]!.port });
