/**
 * Test support (imported by *.int.test.ts only): runs the real `crosswalk` program, either in this
 * process (`runCli`: the same commander program and command code as the binary, through `main(argv, io)`
 * with captured streams, its own environment and exit code) or as a child process of
 * `bin/crosswalk.mjs` (`spawnCli`, `startServe`, `demoDay`: what must be a process of its own, or what
 * proves the binary itself). Every wait is bounded, and every child started here is tracked so a suite's
 * `after` can kill whatever a failed test left running.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { peopleAt } from '../store/test-identities.ts';
import { main } from './main.ts';

/** The binary itself: bin/crosswalk.mjs, the sources through tsx. */
export const BIN = new URL('../../bin/crosswalk.mjs', import.meta.url).pathname;
/**
 * What test processes run: the JavaScript copy of the same sources that scripts/run-tests.mjs builds
 * (CROSSWALK_TEST_BIN, see scripts/test-build.mjs), which starts in about half the time; the binary
 * itself when a test file is run without that script.
 */
export const TEST_BIN = process.env['CROSSWALK_TEST_BIN'] ?? BIN;

const children = new Set<ChildProcess>();

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** stdout as bytes: `messages show --raw` must be compared byte for byte. */
  readonly stdoutBytes: Buffer;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment a command runs with: this process's, quieter logs, then the test's. */
const childEnv = (env: Record<string, string>): Record<string, string | undefined> => ({
  ...process.env,
  CROSSWALK_LOG_LEVEL: 'warn',
  ...env,
});

/**
 * Runs one command to completion in this process, as the binary would run it: `main` with the
 * arguments, the environment the child would get, stdin holding `input` (or closed), and stdout and
 * stderr captured. A command that runs until signalled (`serve`, `demo` unless `--no-serve`), or an
 * environment that something reads from the process itself (a crash point is armed when its module
 * loads; libraries read PG*, TZ, NODE_*), is run as a child process instead (`spawnCli`).
 * After `timeoutMs` the result is reported as unfinished (code null); the command cannot be killed.
 */
export async function runCli(
  args: readonly string[],
  env: Record<string, string> = {},
  timeoutMs = 60_000,
  /** Written to stdin (e.g. a password for --password-stdin); without it stdin is closed. */
  input?: string,
): Promise<CliResult> {
  if (needsProcess(args, env)) return spawnCli(args, env, timeoutMs, input);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const capture = (into: Buffer[]) => ({
    isTTY: false,
    write(chunk: string | Uint8Array) {
      into.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk));
      return true;
    },
  });
  const stdin = (async function* () {
    if (input !== undefined) yield Buffer.from(input, 'utf8');
  })();
  let timer: NodeJS.Timeout | undefined;
  const unfinished = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), timeoutMs);
  });
  const code = await Promise.race([
    main(args, { stdout: capture(out), stderr: capture(err), stdin, env: childEnv(env) }),
    unfinished,
  ]).finally(() => clearTimeout(timer));
  const stdoutBytes = Buffer.concat(out);
  let stderr = Buffer.concat(err).toString('utf8');
  if (code === null) stderr += `\n[test] still running after ${timeoutMs} ms`;
  return { code, signal: null, stdoutBytes, stdout: stdoutBytes.toString('utf8'), stderr };
}

const PROCESS_READS = /^(CROSSWALK_CRASH_AT|TZ|PG[A-Z]+|NODE_[A-Z_]+)$/;

function needsProcess(args: readonly string[], env: Record<string, string>): boolean {
  if (args[0] === 'serve') return true;
  if (args[0] === 'demo' && !args.includes('--no-serve')) return true;
  return Object.keys(env).some((k) => PROCESS_READS.test(k));
}

/** Runs one command as a child process; killed (and reported as such) after `timeoutMs`. */
export function spawnCli(
  args: readonly string[],
  env: Record<string, string> = {},
  timeoutMs = 60_000,
  /** Written to the child's stdin (e.g. a password for --password-stdin); without it stdin is closed. */
  input?: string,
  bin = TEST_BIN,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: childEnv(env),
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (input !== undefined) child.stdin!.end(input);
    children.add(child);
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
    });
    const timer = setTimeout(() => {
      stderr += `\n[test] killed after ${timeoutMs} ms`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      children.delete(child);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      const stdoutBytes = Buffer.concat(out);
      resolve({ code, signal, stdoutBytes, stdout: stdoutBytes.toString('utf8'), stderr });
    });
  });
}

export interface ServeProcess {
  readonly child: ChildProcess;
  readonly httpUrl: string;
  readonly mllpHost: string;
  readonly mllpPort: number;
  /** Everything the process has printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code (null when killed by a signal) once the process has exited. */
  readonly exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL if it has not exited within `timeoutMs`; resolves with the exit code. */
  stop(timeoutMs?: number): Promise<number | null>;
}

/**
 * Starts `crosswalk serve` and resolves once it has printed where it listens (the HTTP URL and the
 * "MLLP on host:port" address). Pass `mllpPort` to reuse a port across a restart; 0 picks a free one.
 */
export async function startServe(
  env: Record<string, string>,
  options: { mllpPort?: number; timeoutMs?: number } = {},
): Promise<ServeProcess> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const child = spawn(
    process.execPath,
    [TEST_BIN, 'serve', '--http-port', '0', '--mllp-port', String(options.mllpPort ?? 0)],
    {
      env: childEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.add(child);
  let output = '';
  child.stdout!.on('data', (d: Buffer) => {
    output += d.toString('utf8');
  });
  child.stderr!.on('data', (d: Buffer) => {
    output += d.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => {
      children.delete(child);
      resolve(code);
    });
  });
  const where = await new Promise<{ httpUrl: string; mllpHost: string; mllpPort: number }>(
    (resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`serve printed no address within ${timeoutMs} ms; output: ${output}`));
      }, timeoutMs);
      const check = () => {
        const http = /(https?:\/\/[^\s]+:\d+)/.exec(output);
        const mllp = /MLLP on ([^\s,]+):(\d+)/.exec(output);
        if (http && mllp) {
          clearTimeout(timer);
          resolve({ httpUrl: http[1]!, mllpHost: mllp[1]!, mllpPort: Number(mllp[2]) });
        }
      };
      child.stderr!.on('data', check);
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`serve exited (${code}) before listening; output: ${output}`));
      });
    },
  );
  return {
    child,
    ...where,
    output: () => output,
    exited,
    async stop(stopTimeoutMs = 20_000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Kills every child still running (for `after` hooks: a failed test must not leave servers behind). */
export function killChildren(): void {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
}

/**
 * A port that was free a moment ago, for a server that must come back on the same port after a restart.
 * It is drawn below Linux's ephemeral range (32768+), so that other processes binding port 0 in the
 * meantime (parallel tests) cannot be handed it; only a fixed-port listener could still race for it.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await canListen(port)) return port;
  }
  throw new Error('no free port found between 20000 and 32000');
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Runs `crosswalk demo` until its generated day is sent and applied, then SIGTERMs it; returns its output. */
export async function demoDay(env: Record<string, string>, timeoutMs = 120_000): Promise<string> {
  const child = spawn(process.execPath, [TEST_BIN, 'demo', '--http-port', '0', '--mllp-port', '0'], {
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`demo day not done in ${timeoutMs} ms: ${output}`)),
        timeoutMs,
      );
      const onData = (d: Buffer) => {
        output += d.toString('utf8');
        if (output.includes('Press Ctrl-C')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`demo exited (${code}) early: ${output}`));
      });
    });
  } finally {
    if (child.exitCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }
  return output;
}

/**
 * For tests written when `--as NAME` / `--author NAME` named the actor: answers the command line with
 * that flag taken out and the env carrying NAME's API token (lower-cased, trimmed), or `fallback`'s
 * token when the command names nobody. The token's user is then the actor, as in production.
 */
export function asTokenUser(
  tokens: Readonly<Record<string, string>>,
  fallback: string,
): (args: readonly string[]) => { args: string[]; env: Record<string, string> } {
  return (given) => {
    const args: string[] = [];
    let who = fallback;
    for (let i = 0; i < given.length; i++) {
      if ((given[i] === '--as' || given[i] === '--author') && i + 1 < given.length) {
        who = given[++i]!.trim().toLowerCase();
        continue;
      }
      args.push(given[i]!);
    }
    const token = tokens[who];
    const env: Record<string, string> = token ? { CROSSWALK_TOKEN: token } : {};
    return { args, env };
  };
}

const HOST_COMMANDS = new Set(['demo', 'migrate', 'send', 'serve']);

/**
 * `runCli` for tests of behaviour other than access: a governed command runs with the API token of the
 * person its `--as`/`--author` names (created on first use, holding every working role), or of
 * `fallback`; host-level commands (demo, migrate, send, serve) run with none. The database must be
 * migrated before the first governed command.
 */
export function authedCli(
  env: () => Record<string, string>,
  fallback = 'ops',
): (given: readonly string[], timeoutMs?: number) => Promise<CliResult> {
  const tokens: Record<string, string> = {};
  return async (given, timeoutMs) => {
    if (HOST_COMMANDS.has(given[0] ?? '')) return runCli(given, env(), timeoutMs);
    const who = whoOf(given, fallback);
    if (!tokens[who]) Object.assign(tokens, await peopleAt(env()['CROSSWALK_DATABASE_URL']!, [who]));
    const { args, env: token } = asTokenUser(tokens, fallback)(given);
    return runCli(args, { ...env(), ...token }, timeoutMs);
  };
}

function whoOf(given: readonly string[], fallback: string): string {
  const i = given.findIndex((a) => a === '--as' || a === '--author');
  return i >= 0 && i + 1 < given.length ? given[i + 1]!.trim().toLowerCase() : fallback;
}
