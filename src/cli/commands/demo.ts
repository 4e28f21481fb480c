import { rmSync } from 'node:fs';
import type { Command } from 'commander';
import { setUpDemoBooks } from '../../apply/index.ts';
import { generateDemoHealthSystem, generateTraffic } from '../../demo/index.ts';
import { CrosswalkError } from '../../errors/index.ts';
import { issueToken } from '../../governance/index.ts';
import { parseMessage } from '../../hl7v2/index.ts';
import { type Running, startServer } from '../../server/runtime.ts';
import { appendAudit } from '../../store/audit-repository.ts';
import { flowSummary, netByEntity, trialBalance } from '../../store/books-queries.ts';
import { createToken, createUser, findUser, insertGrant } from '../../store/identity-repository.ts';
import { migrate, openStore, parseDatabaseUrl, type Store } from '../../store/index.ts';
import {
  countMasterData,
  getMeta,
  isMasterDataEmpty,
  loadMasterData,
  setMeta,
} from '../../store/master-data.ts';
import { pendingCount } from '../../store/posting-repository.ts';
import { cliIo } from '../io.ts';
import { emit, table } from '../output.ts';
import { sendReliably } from '../sender.ts';
import { configFrom, withSettings } from '../settings-flags.ts';
import { VERSION } from '../version.ts';
import { runUntilSignalled } from './serve.ts';

const DEMO_SEED_KEY = 'demo.seed';

export function demoCommand(program: Command): void {
  withSettings(
    program
      .command('demo')
      .description('load the generated demo health system into the database, then serve it')
      .option('--fresh', 'start from an empty embedded database (deletes the SQLite file first)')
      .option('--no-serve', 'load and exit instead of serving')
      .option('--no-traffic', 'do not send the generated day of HL7 v2 traffic')
      .option('--json', 'print JSON'),
  ).action(async (opts: Record<string, unknown>) => {
    // The demo talks to a person: its JSON logs stay quiet unless a log level was asked for.
    const quiet = opts['logLevel'] === undefined && !cliIo().env['CROSSWALK_LOG_LEVEL'];
    const config = configFrom(quiet ? { ...opts, logLevel: 'warn' } : opts);
    const json = Boolean(opts['json']);
    const target = parseDatabaseUrl(config.databaseUrl);
    if (opts['fresh']) {
      if (target.engine !== 'sqlite') {
        throw new CrosswalkError('CW_ERR_CLI_USAGE', {
          reason: '--fresh only applies to the embedded SQLite database',
        });
      }
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${target.path}${suffix}`, { force: true });
    }
    const store = await openStore(target, { poolMax: 2, rawKeyRingFile: config.rawKeyRingFile });
    let loaded: boolean;
    let demoToken = '';
    try {
      await migrate(store);
      const existingSeed = await getMeta(store, DEMO_SEED_KEY);
      if (existingSeed === String(config.demoSeed)) {
        loaded = false;
      } else if (await isMasterDataEmpty(store)) {
        const system = generateDemoHealthSystem({ seed: config.demoSeed });
        await loadMasterData(store, system);
        await setUpDemoBooks(store, system, new Date());
        await setMeta(store, DEMO_SEED_KEY, String(config.demoSeed));
        loaded = true;
      } else {
        throw new CrosswalkError('CW_ERR_DEMO_NOT_EMPTY', { target: store.target });
      }
      if (opts['serve'] !== false) demoToken = await issueDemoToken(store);
      const counts = await countMasterData(store);
      emit(json, { database: store.target, seed: config.demoSeed, loaded, counts }, () =>
        [
          loaded
            ? `Loaded the demo health system (seed ${config.demoSeed}) into ${store.target}:`
            : `The demo health system (seed ${config.demoSeed}) is already in ${store.target}:`,
          table(Object.entries(counts).map(([k, n]) => [`  ${k}`, String(n)])),
        ].join('\n'),
      );
    } finally {
      await store.close();
    }
    if (opts['serve'] === false) return;
    const running = await startServer({ config, version: VERSION });
    cliIo().stderr.write(
      [
        '',
        `Crosswalk ${VERSION} is running on ${running.store.target}. Look at:`,
        `  ${running.httpUrl}/readyz              readiness (database reachable and migrated)`,
        `  ${running.httpUrl}/api/system          version and schema`,
        `  ${running.httpUrl}/api/openapi.json    the API description`,
        `  ${running.httpUrl}/metrics             Prometheus metrics`,
        `  mllp://${running.mllpAddress}          HL7 v2 over MLLP (crosswalk send FILE --to ${running.mllpAddress})`,
        '',
        'The API and the CLI need a credential. A read-only token (user demo.auditor, 24 hours) for this demo:',
        `  export CROSSWALK_TOKEN=${demoToken}`,
        `  curl -H "Authorization: Bearer $CROSSWALK_TOKEN" ${running.httpUrl}/api/system`,
        '',
      ].join('\n'),
    );
    if (opts['traffic'] !== false) {
      await sendDemoTraffic(running, config.demoSeed, json).catch(async (e) => {
        await running.stop('demo traffic failed');
        throw e;
      });
    }
    cliIo().stderr.write('Press Ctrl-C to stop.\n');
    await runUntilSignalled(running);
  });
}

/**
 * Sends one generated day of OR, cath lab, ED and floor traffic to the demo's own MLLP listener, waits
 * for the apply stage to post it, and shows what came of it: ACKs, outcomes, books and exceptions.
 */
async function sendDemoTraffic(running: Running, seed: number, json: boolean): Promise<void> {
  const system = generateDemoHealthSystem({ seed });
  const traffic = [...generateTraffic(system, { seed })];
  const [host, port] = [running.mllp[0]!.host, running.mllp[0]!.port];
  const acks = new Map<string, number>();
  cliIo().stderr.write(
    `Sending ${traffic.length} HL7 v2 messages of one demo day to mllp://${host}:${port} ...\n`,
  );
  await sendReliably(
    traffic.map((t) => Buffer.from(t.message, 'utf8')),
    {
      host,
      port,
      window: 50,
      timeoutMs: 30_000,
      retryForMs: 0,
      onReply: (_i, reply) => {
        const code = parseMessage(reply).get('MSA-1') || '??';
        acks.set(code, (acks.get(code) ?? 0) + 1);
      },
    },
  );
  const deadline = Date.now() + 120_000;
  while ((await pendingCount(running.store)) > 0 && Date.now() < deadline) {
    running.applier.notify();
    await new Promise((r) => setTimeout(r, 100));
  }
  await running.applier.idle();
  const summary = await flowSummary(running.store);
  const nets = netByEntity(await trialBalance(running.store));
  emit(
    json,
    {
      acks: Object.fromEntries(acks),
      ...summary,
      trialBalanceNet: Object.fromEntries([...nets].map(([k, v]) => [k, v.toString()])),
    },
    () =>
      [
        `ACKs: ${[...acks].map(([c, n]) => `${c} ${n}`).join(', ')}`,
        `messages stored ${summary.messages}: applied ${summary.outcomes['applied'] ?? 0}, failed ${summary.outcomes['failed'] ?? 0}, skipped ${summary.outcomes['skipped'] ?? 0}, waiting ${summary.pending}`,
        `events ${summary.events}, stock movements ${summary.movements}, journal entries ${summary.journalEntries} (${summary.journalLines} lines), bill-only requisitions ${summary.requisitions}`,
        `trial balance, net per entity: ${[...nets].map(([k, v]) => `${k} ${v}`).join(', ')}`,
        `open exceptions: ${
          Object.entries(summary.openExceptions)
            .map(([c, n]) => `${c} ${n}`)
            .join(', ') || 'none'
        }`,
        '',
      ].join('\n'),
  );
}

/**
 * The demo's own reader: user demo.auditor (auditor: reads, no PHI, no changes) and a fresh 24-hour API
 * token each run, so the printed URLs and commands work with no setup. It has no password; real users
 * are made with `crosswalk users create`.
 */
async function issueDemoToken(store: Store): Promise<string> {
  const user = 'demo.auditor';
  const now = new Date();
  const at = now.toISOString();
  const t = issueToken();
  await store.transaction(async (tx) => {
    if (!(await findUser(tx, user))) {
      await createUser(tx, { name: user, displayName: 'Demo reader', passwordHash: null, at, by: 'demo' });
      await insertGrant(tx, { user, role: 'auditor', scope: '*', by: 'demo', at });
    }
    await createToken(tx, {
      id: t.id,
      user,
      secretSha256: t.secretSha256,
      label: 'demo',
      at,
      by: 'demo',
      expiresAt: new Date(now.getTime() + 86_400_000).toISOString(),
    });
    await appendAudit(tx, {
      at,
      actor: 'demo',
      action: 'tokens.create',
      object: `token:${t.id}`,
      after: { user },
    });
  });
  return t.token;
}
