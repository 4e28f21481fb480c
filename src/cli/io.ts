import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Where one run of the CLI reads its environment and input and writes its output, and the exit code it
 * ends with. `bin/crosswalk.mjs` runs with the process's own; tests run the same program in their own
 * process with captured streams and an environment of their own (`main(argv, io)`), which is why no
 * command reads `process.env`, `process.stdin`, `process.stdout`/`stderr` or sets `process.exitCode`
 * itself: each asks `cliIo()`.
 *
 * The run is carried by AsyncLocalStorage rather than passed down every command's helpers: commands and
 * their helpers keep their signatures, and two runs in one process (a test racing two commands) cannot
 * see each other's output or exit code.
 */
export interface CliOutput {
  write(chunk: string | Uint8Array): unknown;
  /** A terminal gets progress bars and help fitted to its width; anything else gets only the results. */
  readonly isTTY?: boolean;
  readonly columns?: number;
  hasColors?(): boolean;
}

export interface CliIo {
  readonly stdout: CliOutput;
  readonly stderr: CliOutput;
  readonly stdin: AsyncIterable<Buffer | string>;
  readonly env: Readonly<Record<string, string | undefined>>;
}

interface CliRun {
  readonly io: CliIo;
  /** Set by a command that finished but failed in part (e.g. `send` got AE/AR): the run exits 1. */
  failed: boolean;
}

// Getters: touching process.stdin opens fd 0, which only a command that reads it should do.
const PROCESS_IO: CliIo = {
  get stdout() {
    return process.stdout;
  },
  get stderr() {
    return process.stderr;
  },
  get stdin() {
    return process.stdin;
  },
  get env() {
    return process.env;
  },
};

const runs = new AsyncLocalStorage<CliRun>();

/** The current run's streams and environment (the process's outside a run). */
export function cliIo(): CliIo {
  return runs.getStore()?.io ?? PROCESS_IO;
}

/** The command completed its work but some of it failed: the run exits 1 without an error line. */
export function exitWithFailure(): void {
  const run = runs.getStore();
  if (run) run.failed = true;
  else process.exitCode = 1;
}

/** Runs `body` as one CLI run on `io` (the process's when absent). */
export function inCliRun<T>(
  io: CliIo | undefined,
  body: (run: { readonly failed: boolean }) => Promise<T>,
): Promise<T> {
  const run: CliRun = { io: io ?? PROCESS_IO, failed: false };
  return runs.run(run, () => body(run));
}
