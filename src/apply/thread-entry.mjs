// The apply thread's entry point: a worker thread starts without the parent's module hooks, so it
// registers the TypeScript loader itself before loading the real module.
import { register } from 'tsx/esm/api';

register();
await import('./thread-main.ts');
