/**
 * `crosswalk send` and `crosswalk messages` against a real `crosswalk serve` child process, per engine:
 * issue 3's "done when" (a real DFT^P03 file sent over MLLP is acknowledged AA and can be inspected
 * field by field and byte for byte), resends, folders, refusals and the one-line errors.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generateDftP03Batch } from '../demo/index.ts';
import { eachEngine } from '../store/test-engines.ts';
import { messagesIn } from './commands/send.ts';
import { authedCli, freePort, killChildren, type ServeProcess, startServe } from './test-process.ts';

const CORPUS = new URL('../../../shared/data/hl7v2/', import.meta.url);
const DFT_FILE = new URL('ms-fhir-converter/DFT-P03-01.hl7', CORPUS).pathname;
let dft: Buffer | undefined;
try {
  dft = readFileSync(DFT_FILE);
} catch {
  dft = undefined;
}

const oneLine = (s: string) => s.trim().split('\n').length === 1;
const noStack = (s: string) => !/\n\s+at /.test(s);

after(killChildren);

eachEngine('crosswalk send → serve → messages', (engine) => {
  let server: ServeProcess;
  let env: Record<string, string>;
  const cli = authedCli(() => env);
  let to: string;
  const dir = mkdtempSync(join(tmpdir(), 'cw-send-'));

  before(async () => {
    env = { CROSSWALK_DATABASE_URL: await engine.freshUrl({ migrated: true }) };
    server = await startServe(env);
    to = `${server.mllpHost}:${server.mllpPort}`;
  });
  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const list = async (rejected = false) => {
    const r = await cli(['messages', 'list', '--json', ...(rejected ? ['--rejected'] : [])]);
    assert.equal(r.code, 0, `messages list: ${r.stderr}`);
    return JSON.parse(r.stdout) as Record<string, string>[];
  };

  test('a real DFT^P03 file is acknowledged AA, listed, shown with positions and kept byte for byte', async (t) => {
    if (!dft) return t.skip('corpus absent: ../shared/data/hl7v2');
    const sent = await cli(['send', DFT_FILE, '--to', to]);
    assert.equal(sent.code, 0, `send exits 0: ${sent.stdout}${sent.stderr}`);
    assert.match(
      sent.stdout,
      new RegExp(`sent 1 message\\(s\\) to ${to.replace(/\./g, '\\.')}`),
      'names the target',
    );
    assert.match(sent.stdout, /^\s+AA\s+1$/m, `reports one AA: ${sent.stdout}`);

    const rows = await list();
    assert.equal(rows.length, 1, 'one message stored');
    const row = rows[0]!;
    assert.equal(row['controlId'], 'MSG00001', 'MSH-10 of the file');
    assert.match(row['messageType'] ?? '', /^DFT\^P03/, 'MSH-9 of the file');
    assert.equal(row['ackCode'], 'AA', 'stored with the AA it was sent');

    const shown = await cli(['messages', 'show', String(row['id'])]);
    assert.equal(shown.code, 0, `messages show: ${shown.stderr}`);
    assert.match(shown.stdout, /control id MSG00001/, 'the header line names the control id');
    assert.match(
      shown.stdout,
      /^\s+FT1-7\.1\s+71045$/m,
      `FT1-7.1 (the procedure code) with its value:\n${shown.stdout}`,
    );
    assert.match(shown.stdout, /^\s+FT1-10\s+2$/m, 'FT1-10 (the quantity) with its value');
    assert.match(shown.stdout, /^FT1\[2\]$/m, 'the second FT1 is numbered');

    const raw = await cli(['messages', 'show', String(row['id']), '--raw']);
    assert.equal(raw.code, 0, `messages show --raw: ${raw.stderr}`);
    const [onTheWire] = messagesIn(dft);
    assert.ok(raw.stdoutBytes.equals(onTheWire!), '--raw prints exactly the bytes that were sent');
    // The file has LF line ends; on the wire segments end in CR, and that is all that differs.
    const crLines = Buffer.from(dft.toString('latin1').replace(/\r?\n/g, '\r'), 'latin1');
    assert.ok(raw.stdoutBytes.equals(crLines), '--raw equals the file with CR segment terminators');
  });

  test('sending the same file again is answered AA again and stores nothing new', async (t) => {
    if (!dft) return t.skip('corpus absent: ../shared/data/hl7v2');
    const again = await cli(['send', DFT_FILE, '--to', to, '--json']);
    assert.equal(again.code, 0, `send exits 0: ${again.stderr}`);
    const summary = JSON.parse(again.stdout);
    assert.deepEqual(summary.acks, { AA: 1 }, 'AA again');
    assert.equal(summary.noReply, 0, 'nothing unanswered');
    assert.equal((await list()).length, 1, 'still one row');
  });

  test('a folder is sent whole: every file, runs of messages, nested folders; dot files skipped', async () => {
    const folder = join(dir, 'outbox');
    mkdirSync(join(folder, 'nested'), { recursive: true });
    const [a, b, c, d] = generateDftP03Batch(4, 11);
    writeFileSync(join(folder, 'a.hl7'), a!);
    // Two messages in one file, with LF line ends as editors write them.
    writeFileSync(join(folder, 'b.hl7'), `${b!.replace(/\r/g, '\n')}\n${c!.replace(/\r/g, '\n')}\n`);
    writeFileSync(join(folder, 'nested', 'd.hl7'), d!);
    writeFileSync(join(folder, '.hidden.hl7'), 'MSH|^~\\&|HIDDEN|X|||20261124||ADT^A08|H1|P|2.5\r');
    const before = (await list()).length;
    const sent = await cli(['send', folder, '--to', to, '--json', '--window', '3']);
    assert.equal(sent.code, 0, `send exits 0: ${sent.stderr}`);
    const summary = JSON.parse(sent.stdout);
    assert.equal(summary.messages, 4, 'four messages found in three files');
    assert.deepEqual(summary.acks, { AA: 4 }, 'all four acknowledged AA');
    const rows = await list();
    assert.equal(rows.length, before + 4, 'four new rows');
    assert.ok(!rows.some((r) => r['controlId'] === 'H1'), 'the dot file was not sent');
  });

  test('garbage is refused AR, kept as a rejection, and send exits 1', async () => {
    const garbage = join(dir, 'garbage.hl7');
    writeFileSync(garbage, 'MSH|this is no HL7 header at all\r');
    const sent = await cli(['send', garbage, '--to', to, '--json']);
    assert.equal(sent.code, 1, `send exits 1 on a refusal: ${sent.stdout}${sent.stderr}`);
    assert.deepEqual(JSON.parse(sent.stdout).acks, { AR: 1 }, 'AR');
    const rejected = await list(true);
    assert.equal(rejected.length, 1, 'one rejection');
    assert.equal(rejected[0]!['ackCode'], 'AR', 'kept with the AR it was sent');
    assert.match(rejected[0]!['reasonCode'] ?? '', /^CW_ERR_HL7_/, 'with the HL7 reason code');

    const noHl7 = join(dir, 'prose.txt');
    writeFileSync(noHl7, 'this is not HL7 at all\n');
    const none = await cli(['send', noHl7, '--to', to]);
    assert.equal(none.code, 1, 'a file with no message in it fails');
    assert.match(none.stderr, /no HL7 v2 messages found/, 'and says so');
    assert.ok(oneLine(none.stderr) && noStack(none.stderr), `in one line: ${none.stderr}`);
  });

  test('a bad --to is a usage error (exit 2) in one line; an unreachable port is exit 1 naming it', async (t) => {
    const file = join(dir, 'one.hl7');
    writeFileSync(file, generateDftP03Batch(1, 12)[0]!);
    for (const bad of ['nowhere', '127.0.0.1:70000']) {
      const r = await cli(['send', file, '--to', bad]);
      assert.equal(r.code, 2, `--to ${bad}: exit 2 (${r.stderr})`);
      assert.match(r.stderr, /--to must be HOST:PORT/, `--to ${bad}: names the flag`);
      assert.ok(oneLine(r.stderr) && noStack(r.stderr), `--to ${bad}: one line: ${r.stderr}`);
    }
    const port = await freePort();
    const r = await cli(['send', file, '--to', `127.0.0.1:${port}`], 30_000);
    assert.equal(r.code, 1, `unreachable: exit 1 (${r.stderr})`);
    assert.match(r.stderr, new RegExp(`127\\.0\\.0\\.1:${port}`), 'names the target');
    assert.ok(oneLine(r.stderr) && noStack(r.stderr), `one line: ${r.stderr}`);
    t.diagnostic(r.stderr.trim());
  });

  test('serve shuts down gracefully on SIGTERM after all this (exit 0)', async () => {
    assert.equal(await server.stop(), 0, `graceful shutdown: ${server.output()}`);
  });
});
