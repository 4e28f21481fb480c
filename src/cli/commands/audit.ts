import type { Command } from 'commander';
import { loadTokenKey } from '../../apply/index.ts';
import { verifyChain } from '../../governance/index.ts';
import { readAuditChain, readCheckpointFiles, writeAuditCheckpoint } from '../../store/audit-repository.ts';
import { openStore } from '../../store/index.ts';
import { actingAs } from '../acting.ts';
import { exitWithFailure } from '../io.ts';
import { emit, table } from '../output.ts';
import { configFrom, withSettings } from '../settings-flags.ts';

/** `crosswalk audit list | checkpoint | verify`: the tamper-evident trail of who did what. */
export function auditCommand(program: Command): void {
  const audit = program
    .command('audit')
    .description('the hash-chained audit trail: list it, checkpoint it, verify it');

  withSettings(
    audit
      .command('list')
      .description('the latest audit records')
      .option('--limit <n>', 'how many (default 50)', '50')
      .option('--json', 'print JSON'),
  ).action(async (opts: Record<string, unknown>) => {
    const config = configFrom(opts);
    const limit = Math.max(1, Math.min(10_000, Number(opts['limit']) || 50));
    const store = await openStore(config.databaseUrl, { poolMax: 2, rawKeyRingFile: config.rawKeyRingFile });
    try {
      await actingAs(store, opts, 'audit.read');
      const records = await readAuditChain(store, limit);
      emit(Boolean(opts['json']), records, () =>
        records.length === 0
          ? 'no audit records'
          : table([
              ['SEQ', 'AT', 'ACTOR', 'ACTION', 'OBJECT'],
              ...records.map((r) => [String(r.seq), r.at, r.actor, r.action, r.object]),
            ]),
      );
    } finally {
      await store.close();
    }
  });

  withSettings(
    audit
      .command('checkpoint')
      .description(
        'sign the chain head (sequence number and hash) into the checkpoint folder, outside the database',
      )
      .option('--json', 'print JSON'),
  ).action(async (opts: Record<string, unknown>) => {
    const config = configFrom(opts);
    const key = loadTokenKey(config.auditKeyFile);
    const store = await openStore(config.databaseUrl, { poolMax: 2, rawKeyRingFile: config.rawKeyRingFile });
    try {
      await actingAs(store, opts, 'audit.checkpoint');
      const written = await writeAuditCheckpoint(store, key, config.auditCheckpointDir);
      if (!written) {
        emit(
          Boolean(opts['json']),
          { checkpoint: null },
          () => 'no audit records yet: nothing to checkpoint',
        );
        return;
      }
      const { checkpoint: c, path } = written;
      emit(
        Boolean(opts['json']),
        { checkpoint: c, path },
        () => `checkpoint at ${c.seq} (${c.headHash.slice(0, 16)}…) written to ${path}`,
      );
    } finally {
      await store.close();
    }
  });

  withSettings(
    audit
      .command('verify')
      .description('check the chain and the signed checkpoints; names the first bad sequence number (exit 1)')
      .option('--json', 'print JSON'),
  ).action(async (opts: Record<string, unknown>) => {
    const config = configFrom(opts);
    const key = loadTokenKey(config.auditKeyFile);
    const store = await openStore(config.databaseUrl, { poolMax: 2, rawKeyRingFile: config.rawKeyRingFile });
    try {
      await actingAs(store, opts, 'audit.checkpoint');
      const checkpoints = readCheckpointFiles(config.auditCheckpointDir);
      const v = verifyChain(await readAuditChain(store), checkpoints, key);
      emit(Boolean(opts['json']), { ...v, checkpoints: checkpoints.length }, () =>
        v.ok
          ? `audit chain intact: ${v.records} record(s), ${checkpoints.length} checkpoint(s) agree`
          : `audit chain broken at sequence ${v.firstBadSeq} (${v.problem}): ${v.detail}`,
      );
      if (!v.ok) exitWithFailure();
    } finally {
      await store.close();
    }
  });
}
