// `npm run build`: a JavaScript copy of the program in dist/, started with `node dist/crosswalk.mjs`
// without the TypeScript loader. It is the copy scripts/test-build.mjs makes for the tests' processes
// (the fault tests' hubs run from it, apply and planner threads included), so what ships is what they
// exercise; `npm run typecheck` is the type check, run first by the build script.
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildForTests } from './test-build.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = buildForTests(root, join(root, 'dist'));
console.log(`built: node ${relative(process.cwd(), bin)} <command>`);
