/**
 * Test support for the outbox (imported by tests only): a database with the demo books and bench usage
 * messages of several ordering keys applied through the real inbox and Applier, so the outbox holds
 * what the apply stage wrote; and reads of what it holds.
 */
import { Applier } from '../apply/applier.ts';
import { setUpDemoBooks } from '../apply/demo-books.ts';
import { type DemoHealthSystem, generateDemoHealthSystem, generateDftP03Batch } from '../demo/index.ts';
import { Inbox } from '../inbox/index.ts';
import { InboxRepository } from '../store/inbox-repository.ts';
import { migrate, type Store } from '../store/index.ts';
import { loadMasterData } from '../store/master-data.ts';
import { asBigInt } from '../store/values.ts';

export const AT = new Date('2026-11-25T12:00:00.000Z');
export const TOKEN_KEY = Buffer.alloc(32, 7);
let system: DemoHealthSystem | undefined;

export function demoSystem(): DemoHealthSystem {
  system ??= generateDemoHealthSystem({ seed: 42 });
  return system;
}

export function withControlId(message: string, controlId: string): Buffer {
  return Buffer.from(
    message
      .split('\r')
      .map((s) => {
        const f = s.split('|');
        if (f[0] === 'MSH') f[9] = controlId;
        return f.join('|');
      })
      .join('\r'),
  );
}

/** Migrates and loads the demo books (master data, periods, release, opening balances). */
export async function demoBooks(store: Store): Promise<void> {
  await migrate(store);
  await loadMasterData(store, demoSystem());
  await setUpDemoBooks(store, demoSystem(), AT);
}

/**
 * Receives `perKey` usage messages on each of `keys` (interleaved) and applies them in batches of
 * `batchSize`; returns the applier for more.
 */
export async function applyUsage(
  store: Store,
  options: { keys: readonly string[]; perKey: number; batchSize?: number; seed?: number; prefix?: string },
): Promise<Applier> {
  const inbox = new Inbox({ repository: new InboxRepository(store), clock: () => AT });
  const templates = generateDftP03Batch(Math.max(1, options.perKey), options.seed ?? 11, demoSystem());
  for (let i = 0; i < options.perKey; i++) {
    for (const key of options.keys) {
      await inbox.receive(
        withControlId(templates[i % templates.length]!, `${options.prefix ?? ''}${key}${i}`),
        {
          name: key,
        },
      );
    }
  }
  const applier = new Applier({
    store,
    tokenKey: TOKEN_KEY,
    clock: () => AT,
    batchSize: options.batchSize ?? 5,
  });
  await applier.drain();
  return applier;
}

/** Entry ids posted by the apply stage (those whose source event is a canonical event), sorted. */
export async function appliedEntryIds(store: Store): Promise<string[]> {
  return (
    await store.query<{ id: string }>(
      'SELECT e.id FROM journal_entries e JOIN canonical_events ev ON ev.id = e.source_event_id ORDER BY e.id',
    )
  ).map((r) => String(r.id));
}

export async function count(store: Store, sql: string, params: (string | number)[] = []): Promise<number> {
  const r = await store.query<{ n: unknown }>(sql, params);
  return Number(asBigInt(r[0]!.n));
}
