// A JavaScript copy of src/ for the processes tests start (`crosswalk serve`, `demo`, the fault tests'
// hubs), made by scripts/run-tests.mjs before the tests run.
//
// `bin/crosswalk.mjs` loads the sources through tsx: every module of the process and of its apply thread
// goes through the loader hooks, which costs a process 2-4 s to start on the 2-core CI machine under
// load; started from plain JavaScript the same program starts in about half that. The fault tests
// restart hubs dozens of times, so the suite runs them from this copy; src/cli/cli.int.test.ts keeps
// running the binary itself. The copy is transpiled file by file with TypeScript (no type check: CI
// type-checks separately), relative `.ts` imports rewritten to `.js`, so its layout, module graph and
// code are the sources'.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

const COMPILER_OPTIONS = {
  target: ts.ScriptTarget.ES2023,
  module: ts.ModuleKind.ESNext,
  verbatimModuleSyntax: true,
  rewriteRelativeImportExtensions: true,
  sourceMap: false,
};

// The two entry points that register tsx, written for the copy without it. Each is checked against the
// original, so that a change there cannot silently leave the copy starting differently.
const ENTRY = `// The test build's crosswalk binary (see scripts/test-build.mjs): bin/crosswalk.mjs without tsx.
const { main } = await import('./src/cli/main.js');
process.exitCode = await main(process.argv.slice(2));
`;
const THREAD_ENTRY = `// The test build's worker-thread entry (see scripts/test-build.mjs): src/apply/thread-entry.mjs
// without tsx; the module named in workerData.entry is loaded under its .js name.
import { workerData } from 'node:worker_threads';
await import(new URL(workerData.entry.replace(/\\.ts$/, '.js'), import.meta.url).href);
`;

function expectShape(root, path, needles) {
  const text = readFileSync(join(root, path), 'utf8');
  for (const needle of needles) {
    if (!text.includes(needle))
      throw new Error(`test build: ${path} no longer contains "${needle}"; update scripts/test-build.mjs`);
  }
}

/** Builds `root`/src into `out` and answers the path of the copy's binary. */
export function buildForTests(root, out) {
  expectShape(root, 'bin/crosswalk.mjs', [
    "register();\nconst { main } = await import('../src/cli/main.ts');",
    'process.exitCode = await main(process.argv.slice(2));',
  ]);
  expectShape(root, 'src/apply/thread-entry.mjs', [
    'register();\nawait import(new URL(workerData.entry, import.meta.url).href);',
  ]);
  rmSync(out, { recursive: true, force: true });
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const from = join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(from);
        continue;
      }
      if (entry.name.endsWith('.test.ts')) continue;
      const to = join(out, relative(root, from));
      mkdirSync(dirname(to), { recursive: true });
      if (entry.name.endsWith('.ts')) {
        const { outputText } = ts.transpileModule(readFileSync(from, 'utf8'), {
          fileName: from,
          compilerOptions: COMPILER_OPTIONS,
        });
        writeFileSync(to.replace(/\.ts$/, '.js'), outputText);
      } else copyFileSync(from, to);
    }
  };
  walk(join(root, 'src'));
  writeFileSync(join(out, 'src/apply/thread-entry.mjs'), THREAD_ENTRY);
  // package.json: `"type": "module"` for the .js files, and the version the CLI reports.
  copyFileSync(join(root, 'package.json'), join(out, 'package.json'));
  writeFileSync(join(out, 'crosswalk.mjs'), ENTRY);
  return join(out, 'crosswalk.mjs');
}
