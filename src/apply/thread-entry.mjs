// Entry point of Crosswalk's worker threads: a worker starts without the parent's module hooks, so it
// registers the TypeScript loader itself, then loads the module named in workerData.entry (relative to
// this folder).
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(new URL(workerData.entry, import.meta.url).href);
