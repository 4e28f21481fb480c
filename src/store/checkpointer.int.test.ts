/**
 * The WAL checkpointer thread (SQLite only: PostgreSQL has no WAL for the application to copy back, and
 * ignores the setting). A writer that leaves checkpoints to another thread must not grow its WAL without
 * bound, and what it wrote must be in the database once the WAL is gone.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { WAL_SAFETY_NET_PAGES } from './checkpointer.ts';
import type { WalCheckpoints } from './port.ts';
import { RawCipher } from './raw-cipher.ts';
import { SqliteStore } from './sqlite.ts';

const dir = mkdtempSync(join(tmpdir(), 'cw-ckpt-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const cipher = RawCipher.fromFile(join(dir, 'keys.json'));

/** Writes `rounds` transactions of about 2 MB each (some 500 pages, half SQLite's default threshold). */
async function writeRounds(walCheckpoints: WalCheckpoints, name: string, rounds: number) {
  const path = join(dir, `${name}.db`);
  const store = new SqliteStore(path, { rawCipher: cipher, walCheckpoints });
  await store.executeScript('CREATE TABLE blobs (id INTEGER PRIMARY KEY, body BLOB NOT NULL)');
  const body = Buffer.alloc(4000, 7);
  let walPeak = 0;
  for (let r = 0; r < rounds; r++) {
    await store.transaction(async (tx) => {
      for (let i = 0; i < 500; i++) await tx.execute('INSERT INTO blobs (body) VALUES (?)', [body]);
    });
    walPeak = Math.max(walPeak, statSync(`${path}-wal`).size);
    // Three of the thread's intervals: time for it to copy this round back before the next one.
    await new Promise((r) => setTimeout(r, 300));
  }
  const threshold = Number((await store.query('PRAGMA wal_autocheckpoint'))[0]!['wal_autocheckpoint']);
  await store.close();
  const reopened = new SqliteStore(path, { rawCipher: cipher });
  const rows = Number((await reopened.query('SELECT COUNT(*) AS n FROM blobs'))[0]!['n']);
  await reopened.close();
  return { walPeak, threshold, rows };
}

test('a background thread keeps the WAL of a writer that does not checkpoint itself bounded', async () => {
  const background = await writeRounds('background', 'background', 12);
  assert.equal(background.threshold, WAL_SAFETY_NET_PAGES, 'the writer only checkpoints as a safety net');
  assert.equal(background.rows, 12 * 500);
  // Without the thread the same writer's WAL holds every round (the control below): 12 × 2 MB and more.
  assert.ok(
    background.walPeak < 10 * 2 ** 20,
    `WAL peaked at ${background.walPeak} bytes with the checkpointer running`,
  );

  const nobody = await writeRounds('elsewhere', 'nobody', 12);
  assert.equal(nobody.rows, 12 * 500, 'what is only in the WAL is in the database after reopening');
  assert.ok(
    nobody.walPeak > 20 * 2 ** 20,
    `control: WAL peaked at ${nobody.walPeak} bytes with nobody checkpointing`,
  );
});

test('an inline store keeps SQLite’s own threshold', async () => {
  const inline = await writeRounds('inline', 'inline', 3);
  assert.equal(inline.threshold, 1000);
  assert.equal(inline.rows, 3 * 500);
});
