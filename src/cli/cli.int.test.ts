import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openStore } from '../store/index.ts';
import { eachEngine } from '../store/test-engines.ts';
import { userWithToken } from '../store/test-identities.ts';
import { BIN, type CliResult, runCli, spawnCli, TEST_BIN } from './test-process.ts';

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, CROSSWALK_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts a long-running command and resolves once it prints its HTTP URL on stderr. */
async function start(
  args: string[],
  env: Record<string, string>,
): Promise<{ child: ChildProcess; url: string; out: () => string }> {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, CROSSWALK_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stdout!.on('data', (d) => (stdout += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL within 60 s; stderr: ${stderr}`)), 60_000);
    child.stderr!.on('data', (d) => {
      stderr += d;
      const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.on('exit', (code) => reject(new Error(`exited ${code} before serving: ${stderr}`)));
  });
  return { child, url, out: () => stdout + stderr };
}

const oneLine = (s: string) => s.trim().split('\n').length === 1;

test('--version and --help exit 0; a usage mistake exits 2', async () => {
  const v = await run(['--version']);
  assert.equal(v.code, 0);
  assert.match(v.stdout, /^\d+\.\d+\.\d+/);
  assert.equal((await run(['--help'])).code, 0);
  const bad = await run(['frobnicate']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown command/);
  assert.equal((await run(['serve', '--no-such-flag'])).code, 2);
});

test('bad configuration gives one line naming the problem and exit 1, never a stack trace', async () => {
  const cases: [string[], Record<string, string>, RegExp][] = [
    [
      ['migrate'],
      { CROSSWALK_DATABASE_URL: 'mysql://root@127.0.0.1/x' },
      /unknown database engine in CROSSWALK_DATABASE_URL/,
    ],
    [
      ['migrate', '--database-url', 'postgres://nobody@127.0.0.1:1/x'],
      {},
      /database unreachable at postgres:\/\/nobody@127\.0\.0\.1:1\/x/,
    ],
    [['serve', '--http-port', 'eighty'], {}, /invalid setting --http-port: must be a number/],
    [['serve'], { CROSSWALK_LOG_LEVEL: 'loud' }, /invalid setting CROSSWALK_LOG_LEVEL/],
    [['serve', '--config', '/nonexistent/crosswalk.json'], {}, /cannot read configuration file/],
    [
      [
        'serve',
        '--database-url',
        ':memory:',
        '--http-port',
        '0',
        '--mllp-port',
        '0',
        '--outbox-lease-ms',
        '5000',
      ],
      {
        CROSSWALK_TOKEN_KEY_FILE: join(mkdtempSync(join(tmpdir(), 'cw-cli-')), 'token.key'),
        CROSSWALK_OUTBOX_DESTINATIONS: '[{"name":"erp","type":"http","url":"http://127.0.0.1:9/journal"}]',
      },
      /invalid setting CROSSWALK_OUTBOX_LEASE_MS: must be at least twice the longest destination timeout/,
    ],
  ];
  for (const [args, env, pattern] of cases) {
    const r = await run(args, env);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.ok(oneLine(r.stderr), `one line: ${r.stderr}`);
    assert.ok(!/\n\s+at /.test(r.stderr), 'no stack trace');
  }
});

eachEngine('crosswalk CLI', (engine) => {
  test('migrate applies the schema once and reports status as JSON', async () => {
    const url = await engine.freshUrl();
    const first = await run(['migrate', '--json'], { CROSSWALK_DATABASE_URL: url });
    assert.equal(first.code, 0, first.stderr);
    assert.ok(JSON.parse(first.stdout).applied.length > 0);
    const second = JSON.parse((await run(['migrate', '--json'], { CROSSWALK_DATABASE_URL: url })).stdout);
    assert.deepEqual(second.applied, []);
    const status = JSON.parse(
      (await run(['migrate', '--status', '--json'], { CROSSWALK_DATABASE_URL: url })).stdout,
    );
    assert.equal(status.current, status.expected);
  });

  test('demo loads the health system once, refuses a database with other data, then serves it', async () => {
    const url = await engine.freshUrl();
    const env = { CROSSWALK_DATABASE_URL: url };
    const first = await run(['demo', '--no-serve', '--json'], env);
    assert.equal(first.code, 0, first.stderr);
    const loaded = JSON.parse(first.stdout);
    assert.equal(loaded.loaded, true);
    assert.equal(loaded.counts.entities, 3);
    assert.ok(loaded.counts.items >= 300);
    const again = JSON.parse((await run(['demo', '--no-serve', '--json'], env)).stdout);
    assert.equal(again.loaded, false);
    assert.deepEqual(again.counts, loaded.counts);
    const otherSeed = await run(['demo', '--no-serve', '--seed', '7'], env);
    assert.equal(otherSeed.code, 1);
    assert.match(otherSeed.stderr, /already holds data/);

    const db = await openStore(url);
    const ops = await userWithToken(db, 'ops', ['integration_engineer']).finally(() => db.close());
    const server = await start(['serve', '--http-port', '0', '--mllp-port', '0'], env);
    try {
      for (const path of ['/healthz', '/readyz', '/api/openapi.json']) {
        const res = await fetch(server.url + path);
        assert.equal(res.status, 200, path);
      }
      for (const path of ['/metrics', '/api/system']) {
        assert.equal((await fetch(server.url + path)).status, 401, `${path} needs a credential`);
        const res = await fetch(server.url + path, { headers: ops.headers });
        assert.equal(res.status, 200, path);
      }
    } finally {
      server.child.kill('SIGTERM');
      const [code] = await once(server.child, 'exit');
      assert.equal(code, 0, 'graceful shutdown exits 0');
    }
  });
});

test('a port already in use is named in one line', async () => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const port = (blocker.address() as { port: number }).port;
  try {
    const r = await run(['serve', '--http-port', String(port), '--database-url', ':memory:']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`HTTP port ${port} is already in use`));
    assert.ok(oneLine(r.stderr));
  } finally {
    blocker.close();
  }
});

// The other CLI suites run commands in their own process (`runCli`: `main(argv, io)` with captured
// streams) to save a process start per command, and start servers from the test build of the sources
// (TEST_BIN, scripts/test-build.mjs); this holds both to the binary: the same command gives the same
// exit code, stdout and stderr all three ways.
test('a command run in process, or by the test build, answers exactly as the binary does', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-cli-'));
  const env = {
    CROSSWALK_DATABASE_URL: join(dir, 'db.sqlite'),
    CROSSWALK_TOKEN_KEY_FILE: join(dir, 'token.key'),
  };
  // [arguments, environment, stdin, also through the test build]
  const cases: [string[], Record<string, string>, string | undefined, boolean][] = [
    [['--version'], {}, undefined, true],
    [['--help'], {}, undefined, false],
    [['ledger', 'journal', '--limit'], {}, undefined, true],
    [['frobnicate'], {}, undefined, false],
    [['migrate'], { CROSSWALK_DATABASE_URL: 'mysql://root@127.0.0.1/x' }, undefined, false],
    [['migrate', '--json'], env, undefined, false],
    [['migrate', '--status', '--json'], env, undefined, true],
    [['ledger', 'trial-balance'], env, undefined, false],
    [['ledger', 'trial-balance'], { ...env, CROSSWALK_TOKEN: 'cw_not-a-token' }, undefined, false],
    [['messages', 'list', '--json'], { ...env, CROSSWALK_DEBUG: '1' }, undefined, false],
    [['users', 'create', 'first', '--admin', '--password-stdin'], env, 'short\nsecond line\n', true],
    [['users', 'create', 'first', '--admin', '--password-stdin'], env, undefined, false],
  ];
  const shown = (r: CliResult) => ({ code: r.code, signal: r.signal, stdout: r.stdout, stderr: r.stderr });
  for (const [args, caseEnv, input, build] of cases) {
    // `migrate --json` changes the database the first time: that run is not the one compared.
    if (args[0] === 'migrate' && args.includes('--json') && !args.includes('--status'))
      await spawnCli(args, caseEnv, 60_000, input, BIN);
    const binary = shown(await spawnCli(args, caseEnv, 60_000, input, BIN));
    assert.deepEqual(
      shown(await runCli(args, caseEnv, 60_000, input)),
      binary,
      `in process: ${args.join(' ')}`,
    );
    if (build) {
      assert.deepEqual(
        shown(await spawnCli(args, caseEnv, 60_000, input, TEST_BIN)),
        binary,
        `test build: ${args.join(' ')}`,
      );
    }
  }
});
