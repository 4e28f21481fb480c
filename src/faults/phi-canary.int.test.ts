/**
 * The PHI canary (issue 6, item 6.5), on both engines: generated HL7 v2 traffic whose PID, NK1, GT1 and
 * IN1 carry distinctive synthetic values (names, MRNs, a birth date, SSN-like numbers, a policy number) goes
 * through the real `crosswalk serve` over MLLP — including a message refused with AR (same control id,
 * other content) and messages that fail to apply (unmapped supply codes) — is applied and delivered to a
 * fake ERP over HTTP and to journal files, and exported with the CLI. None of the canary strings may
 * appear in: the ERP's request bodies and headers, the journal files, the server's logs (at debug level),
 * /metrics, the CLI exports, or the exceptions (messages, evidence, history) and other ERP-bound tables.
 * The raw bodies themselves are sealed at rest, so the database files are not searched here (see
 * store/raw-cipher.int.test.ts for that).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { sendReliably } from '../cli/sender.ts';
import { killChildren, runCli } from '../cli/test-process.ts';
import { generateTraffic } from '../demo/index.ts';
import { type FakeErp, startFakeErp } from '../outbox/test-erp.ts';
import { openRaw } from '../store/inbox-repository.ts';
import { eachEngine } from '../store/test-engines.ts';
import { EVERY_WORKING_ROLE, tokensAt } from '../store/test-identities.ts';
import { abandonSends, ackCode, count, demoSystem, type Hub, startHub, waitFor } from './testing.ts';

after(() => {
  abandonSends();
  killChildren();
});

/** Every canary value contains one of these; none can occur by chance in ids, hashes or amounts. */
const CANARIES = ['QZXCAN', 'QZXMRN', 'QZXPOL', '18990417', '987-65-43', '555-01-99'];

/**
 * The message with its PID rewritten to canary values and NK1, GT1 and IN1 added after it (the
 * interpreters read none of these beyond PID-3, which becomes a token).
 */
function withCanaries(message: string, i: number): string {
  const segments = message.split('\r').filter((s) => s !== '');
  const out: string[] = [];
  for (const s of segments) {
    if (!s.startsWith('PID|')) {
      out.push(s);
      continue;
    }
    const f = s.split('|');
    f[3] = `QZXMRN${String(i).padStart(5, '0')}^^^HRH^MR`;
    f[5] = `QZXCANFAMILY^QZXCANGIVEN^Q`;
    f[7] = '18990417';
    f[11] = 'QZXCAN STREET 1^^QZXCANTOWN^OH^44000^USA^H';
    f[13] = '555-01-9900^PRN^PH';
    f[19] = `987-65-43${String(i % 100).padStart(2, '0')}`;
    out.push(f.join('|'));
    out.push('NK1|1|QZXCANKINFAMILY^QZXCANKINGIVEN|SPO^Spouse|QZXCAN KIN ROAD 9^^QZXCANTOWN^OH|555-01-9911');
    out.push(
      'GT1|1||QZXCANGUARFAMILY^QZXCANGUARGIVEN||QZXCAN GUAR LANE 3^^QZXCANTOWN^OH|555-01-9922||18990417|F||SE|987-65-4399',
    );
    out.push(
      'IN1|1|PLAN7|IC1|QZXCAN MUTUAL||||QZXPOLGROUP|||||||||QZXCANINSFAMILY^QZXCANINSGIVEN|SEL|18990417|||||||||||||||||||QZXPOL0042',
    );
  }
  return `${out.join('\r')}\r`;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

function leaks(where: string, text: string): string[] {
  return CANARIES.filter((c) => text.includes(c)).map((c) => `${where}: ${c}`);
}

eachEngine('PHI canary', (engine) => {
  let hub: Hub | undefined;
  let erp: FakeErp | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'cw-phi-canary-'));
  after(async () => {
    await hub?.close();
    await erp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('no canary value reaches the ERP, files, logs, metrics, exports or exceptions', async () => {
    erp = await startFakeErp({ honoursIdempotencyKey: true });
    const journals = join(dir, 'journals');
    const url = await engine.freshUrl({ migrated: true });
    hub = await startHub(url, erp, {
      honours: true,
      env: {
        CROSSWALK_LOG_LEVEL: 'debug',
        CROSSWALK_OUTBOX_DESTINATIONS: JSON.stringify([
          { name: 'erp', type: 'http', url: erp.url, honoursIdempotencyKey: true, timeoutMs: 2000 },
          { name: 'journals', type: 'journal-files', folder: journals },
        ]),
      },
    });
    const generated = [
      ...generateTraffic(demoSystem(), {
        seed: 11,
        volumes: {
          edVisits: 6,
          inpatients: 4,
          surgicalCases: 6,
          cathCases: 2,
          chargeCorrections: 1,
          itemMasterUpdates: 0,
          problemShare: 0.2,
        },
      }),
    ];
    const withPid = generated.filter((t) => t.message.includes('\rPID|'));
    assert.equal(withPid.length > 10, true, 'the traffic carries patients');
    assert.equal(
      generated.some((t) => t.kind === 'dft-p03-unknown-supply-code'),
      true,
      'some messages will fail to apply',
    );
    const payloads = generated.map((t, i) => Buffer.from(withCanaries(t.message, i)));
    const first = withPid[0]!;
    // Same sender and control id, other content: refused (AE), kept as a rejection and an exception.
    const conflict = Buffer.from(withCanaries(first.message.replace('\rPID|', '\rPID|X'), 99_999));
    // No message type (MSH-9): cannot be taken in at all, refused with AR.
    const unreadable = Buffer.from(
      withCanaries(
        first.message
          .replace(/^(MSH(?:\|[^|\r]*){7})\|[^|\r]*/, '$1|')
          .replace(/\|[^|\r]*\|P\|/, '|QZXBAD1|P|'),
        99_998,
      ),
    );

    const sent = await sendReliably([...payloads, conflict, unreadable], {
      host: '127.0.0.1',
      port: hub.port,
      window: 20,
      timeoutMs: 30_000,
      retryForMs: 30_000,
    });
    const codes = sent.replies.map((r) => ackCode(r));
    assert.deepEqual(codes.slice(-2), ['AE', 'AR'], 'the conflict and the unreadable message are refused');
    assert.deepEqual(
      codes.slice(0, -2).filter((c) => c !== 'AA'),
      [],
      'every other message is acknowledged',
    );

    const reader = hub.reader;
    await waitFor(
      async () =>
        (await count(reader, 'SELECT COUNT(*) AS n FROM message_outcomes')) === payloads.length &&
        (await count(reader, "SELECT COUNT(*) AS n FROM outbox_deliveries WHERE state <> 'delivered'")) === 0,
      120_000,
      'every message applied or failed, every document delivered',
      100,
    );
    assert.equal(
      (await count(reader, "SELECT COUNT(*) AS n FROM message_outcomes WHERE state = 'failed'")) > 0,
      true,
      'some messages failed to apply',
    );
    assert.equal(
      (await count(reader, 'SELECT COUNT(*) AS n FROM inbound_rejections')) > 0,
      true,
      'the refusal was recorded',
    );
    assert.equal(erp.received.length > 0, true, 'the ERP received documents');

    // A reader with every working role runs the exports; /metrics needs system.read too.
    const { canaryReader } = await tokensAt(url, { canaryReader: EVERY_WORKING_ROLE });
    const env = { CROSSWALK_DATABASE_URL: url, CROSSWALK_TOKEN: canaryReader! };
    const cli = async (...args: string[]) => {
      const r = await runCli(args, env);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      return `${r.stdout}\n${r.stderr}`;
    };
    const exports: [string, string][] = [
      ['export journal (csv)', await cli('export', 'journal', '--format', 'csv')],
      ['export journal (json)', await cli('export', 'journal', '--format', 'json')],
      ['export journal (hledger)', await cli('export', 'journal', '--format', 'hledger')],
      ['ledger journal --json', await cli('ledger', 'journal', '--json', '--limit', '10000')],
      ['ledger trial-balance --json', await cli('ledger', 'trial-balance', '--json')],
      ['exceptions list --json', await cli('exceptions', 'list', '--status', 'all', '--json')],
      ['messages list --json', await cli('messages', 'list', '--json')],
      ['verify --json', await cli('verify', '--json')],
    ];
    const metrics = await (
      await fetch(`${hub.server.httpUrl}/metrics`, { headers: { authorization: `Bearer ${canaryReader}` } })
    ).text();
    assert.match(metrics, /crosswalk_/, 'metrics were served');

    const tables: [string, string][] = [];
    for (const table of [
      'exceptions',
      'exception_history',
      'journal_entries',
      'journal_lines',
      'requisitions',
      'outbox_documents',
      'outbox_attempts',
      'canonical_events',
      'encounters',
    ]) {
      const rows = await reader.query(`SELECT * FROM ${table}`);
      tables.push([
        `table ${table}`,
        JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? String(v) : v)),
      ]);
    }
    const files = filesUnder(journals);
    assert.equal(files.length > 0, true, 'journal files were written');

    // The control: the detector does see every canary where it is meant to be, in the opened raw bodies.
    const opened = (await reader.query('SELECT id, content_sha256, raw, raw_key_id FROM inbound_messages'))
      .map((r) => openRaw(reader, 'inbound_messages', r).toString('utf8'))
      .join('\n');
    assert.deepEqual(
      leaks('raw', opened).map((l) => l.slice('raw: '.length)),
      CANARIES,
      'every canary is in the raw bodies',
    );
    assert.match(exports[5]![1], /CW_ERR_MAP_UNMAPPED_ITEM/, 'the failures are in the exceptions export');
    assert.match(exports[5]![1], /CW_ERR_INBOX_DUPLICATE_CONFLICT/, 'so is the refusal');

    const found = [
      ...erp.received.flatMap((b, i) => leaks(`ERP request ${i}`, b)),
      ...files.flatMap((f) => leaks(f, readFileSync(f, 'utf8'))),
      ...leaks('server logs', hub.server.output()),
      ...leaks('/metrics', metrics),
      ...exports.flatMap(([what, text]) => leaks(what, text)),
      ...tables.flatMap(([what, text]) => leaks(what, text)),
    ];
    assert.deepEqual(found, [], 'no canary value anywhere outside the sealed raw bodies');
    assert.equal(hub.server.output().length > 0, true, 'the server logged something to search');
  });
});
