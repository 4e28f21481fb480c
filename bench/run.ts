/**
 * `npm run bench [-- name …]`: runs every `bench/*.bench.ts` (or the named ones) in turn. Each module
 * exports `run(args)` and prints its own figures: medians over repeated rounds and ratios against a peer
 * measured in the same run, because these machines are shared and noisy.
 */
import { readdirSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const all = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.slice(0, -'.bench.ts'.length))
  .sort();
const chosen = wanted.length > 0 ? wanted : all;
const unknown = chosen.filter((n) => !all.includes(n));
if (unknown.length > 0) {
  console.error(`bench: unknown benchmark ${unknown.join(', ')}; have ${all.join(', ')}`);
  process.exit(2);
}
console.log(
  `machine: ${process.platform} ${process.arch}, ${cpus()[0]?.model ?? 'cpu'}, ${availableParallelism()} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`,
);
for (const name of chosen) {
  console.log(`\n== ${name}`);
  const mod = (await import(pathToFileURL(join(here, `${name}.bench.ts`)).href)) as {
    run: (args: string[]) => Promise<void>;
  };
  await mod.run(process.argv.slice(2));
}
