// Node 20's test runner does not discover .ts files, so this finds them and passes them explicitly.
// Usage: node scripts/run-tests.mjs [--unit|--int] [path-filter...]
import { spawn } from 'node:child_process';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildForTests } from './test-build.mjs';

const args = process.argv.slice(2);
const onlyUnit = args.includes('--unit');
const onlyInt = args.includes('--int');
const filters = args.filter((a) => !a.startsWith('--'));

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

let files = walk('src', []).sort();
if (onlyUnit) files = files.filter((f) => !f.endsWith('.int.test.ts'));
if (onlyInt) files = files.filter((f) => f.endsWith('.int.test.ts'));
if (filters.length > 0) files = files.filter((f) => filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error('run-tests: no test files matched');
  process.exit(1);
}

// Integration tests start crosswalk processes: from a JavaScript copy of src/ (scripts/test-build.mjs),
// named to them by CROSSWALK_TEST_BIN. One per run, so two runs in one checkout do not share it.
const env = { ...process.env };
let build;
if (files.some((f) => f.endsWith('.int.test.ts'))) {
  build = resolve('.tmp', `test-build-${process.pid}`);
  const started = performance.now();
  env.CROSSWALK_TEST_BIN = buildForTests(resolve('.'), build);
  console.log(`run-tests: built src/ for test processes in ${Math.round(performance.now() - started)} ms`);
}
const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', ...files],
  { stdio: 'inherit', env },
);
child.on('exit', (code, signal) => {
  if (build) rmSync(build, { recursive: true, force: true });
  process.exit(signal ? 1 : (code ?? 1));
});
