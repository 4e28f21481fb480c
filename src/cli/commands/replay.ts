import type { Command } from 'commander';
import { staticContextFor } from '../../apply/applier.ts';
import { loadTokenKeys } from '../../apply/index.ts';
import type { ReplayReport } from '../../apply/replay.ts';
import { replayCorrections } from '../../apply/replay-apply.ts';
import { runReplay } from '../../apply/replay-run.ts';
import { CrosswalkError } from '../../errors/index.ts';
import { formatMinor } from '../../ledger/index.ts';
import { documentsForBatch } from '../../outbox/index.ts';
import { appendAudit } from '../../store/audit-repository.ts';
import { saveEntries } from '../../store/batch-writes.ts';
import { openStore, type Store } from '../../store/index.ts';
import { enqueueDocuments } from '../../store/outbox-repository.ts';
import { listPeriods, listReleases, loadRelease } from '../../store/posting-repository.ts';
import { actingAs } from '../acting.ts';
import { emit, table } from '../output.ts';
import { configFrom, withSettings } from '../settings-flags.ts';

async function releaseByPrefix(store: Store, prefix: string): Promise<string> {
  if (!/^[0-9a-f]{8,64}$/.test(prefix)) {
    throw new CrosswalkError('CW_ERR_CLI_USAGE', {
      reason: `--release takes a release id or a prefix of at least 8 hex digits, got "${prefix}"`,
    });
  }
  const hits = (await listReleases(store)).filter((r) => r.id.startsWith(prefix));
  if (hits.length !== 1) {
    throw new CrosswalkError('CW_ERR_CLI_USAGE', {
      reason: hits.length === 0 ? `no release ${prefix}` : `release prefix ${prefix} is ambiguous`,
    });
  }
  return hits[0]!.id;
}

function iso(flag: string, value: string | undefined, fallback: string): string {
  if (value === undefined) return fallback;
  const d = new Date(value);
  if (Number.isNaN(d.getTime()))
    throw new CrosswalkError('CW_ERR_CLI_USAGE', {
      reason: `${flag} must be a date or time (ISO 8601), got "${value}"`,
    });
  return d.toISOString();
}

const money = (v: bigint) => formatMinor(v, 2);

function threadsOf(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 64)
    throw new CrosswalkError('CW_ERR_CLI_USAGE', { reason: `--threads takes 0..64, got "${value}"` });
  return n;
}

function human(r: ReplayReport, from: string, to: string, applied: number | null): string {
  const out = [
    `replay of ${r.messages} message(s) received ${from} .. ${to} under release ${r.candidateReleaseId.slice(0, 12)}`,
    `events:  ${r.events.same} same, ${r.events.changed} changed, ${r.events.added} added, ${r.events.removed} removed`,
    `entries: ${r.entries.same} same, ${r.entries.changed} changed, ${r.entries.added} added, ${r.entries.removed} removed (lines: ${r.lines.changed} changed, ${r.lines.added} added, ${r.lines.removed} removed)`,
  ];
  if (r.estimated > 0)
    out.push(`${r.estimated} stock event(s) had no posted movement and were valued as of now`);
  if (r.byAccount.length === 0) out.push('no account or cost center changes');
  else {
    out.push('net change per account and cost center:');
    out.push(
      table([
        ['  ENTITY', 'ACCOUNT', 'COST CENTER', 'POSTED', 'CANDIDATE', 'DELTA'],
        ...r.byAccount.map((a) => [
          `  ${a.entity}`,
          a.account,
          a.costCenter ?? '-',
          money(a.posted),
          money(a.candidate),
          money(a.delta),
        ]),
      ]),
    );
  }
  if (r.firstDifferences.length > 0) {
    out.push('first differing messages:');
    for (const d of r.firstDifferences) out.push(`  message ${d.messageId} (${d.controlId}): ${d.what}`);
  }
  if (applied !== null) out.push(`applied: ${applied} entries posted (reversals and replacements)`);
  return out.join('\n');
}

export function replayCommand(program: Command): void {
  withSettings(
    program
      .command('replay')
      .description('re-interpret stored messages under a release and report the difference against the books')
      .requiredOption('--release <id>', 'the release to replay under (id or unique prefix)')
      .option('--from <time>', 'first received-at to include (ISO 8601)')
      .option('--to <time>', 'received-at to stop before (ISO 8601)')
      .option('--apply', 'post the difference as reversals plus new entries (needs --approved-by)')
      .option('--as <name>', "who prepares the correction (must be the token's user)")
      .option('--approved-by <name>', 'who approves it: someone other than the preparer')
      .option(
        '--threads <n>',
        'threads that replay, this one included (0 or 1: this one alone; default one per core, at most 4)',
      )
      .option('--json', 'print JSON'),
  ).action(async (opts: Record<string, unknown>) => {
    const config = configFrom(opts);
    const from = iso('--from', opts['from'] as string | undefined, '0000-01-01T00:00:00.000Z');
    const to = iso('--to', opts['to'] as string | undefined, '9999-12-31T00:00:00.000Z');
    if (opts['apply'] && !opts['approvedBy']) {
      throw new CrosswalkError('CW_ERR_CLI_USAGE', { reason: '--apply needs --approved-by NAME' });
    }
    const store = await openStore(config.databaseUrl, { poolMax: 2, rawKeyRingFile: config.rawKeyRingFile });
    try {
      const preparer = (await actingAs(store, opts, opts['apply'] ? 'replay.apply' : 'replay.run')).subject;
      const id = await releaseByPrefix(store, String(opts['release']));
      const release = (await loadRelease(store, id))!;
      const tokenKey = loadTokenKeys(config.tokenKeyFile).current;
      const at = new Date().toISOString();
      const report = await runReplay({
        store,
        databaseUrl: config.databaseUrl,
        releaseId: id,
        tokenKey,
        from,
        to,
        at,
        keepEntries: Boolean(opts['apply']),
        ...(opts['threads'] !== undefined ? { threads: threadsOf(String(opts['threads'])) } : {}),
      });
      let applied: number | null = null;
      if (opts['apply']) {
        const base = await staticContextFor(store, release, tokenKey);
        const periods = await listPeriods(store);
        const corrections = replayCorrections(report, base.ledger, periods, {
          preparedBy: preparer,
          approvedBy: String(opts['approvedBy']),
          at,
        });
        // The corrections go to the ERP like any posting: their documents are queued in the same
        // transaction, on an ordering key of their own, sequenced by when the correction was approved.
        const docs = documentsForBatch(
          `replay:${id.slice(0, 12)}`,
          [{ kind: 'applied', message: { id: BigInt(Date.parse(at)) }, entries: corrections }],
          at,
        );
        await store.transaction(async (tx) => {
          await saveEntries(tx, corrections);
          await enqueueDocuments(tx, docs);
          await appendAudit(tx, {
            at,
            actor: preparer,
            action: 'replay.apply',
            object: `release:${id}`,
            after: {
              approvedBy: String(opts['approvedBy']),
              from,
              to,
              entries: corrections.length,
              changed: report.entries.changed,
            },
          });
        });
        applied = corrections.length;
      } else {
        await store.transaction((tx) =>
          appendAudit(tx, {
            at,
            actor: preparer,
            action: 'replay.run',
            object: `release:${id}`,
            after: {
              from,
              to,
              messages: report.messages,
              entriesChanged: report.entries.changed + report.entries.added + report.entries.removed,
            },
          }),
        );
      }
      const {
        candidateEntries: _c,
        supersededEntries: _s,
        supersededEntryIds: _i,
        accounts: _a,
        ...summary
      } = report;
      emit(Boolean(opts['json']), { from, to, ...summary, applied }, () => human(report, from, to, applied));
    } finally {
      await store.close();
    }
  });
}
