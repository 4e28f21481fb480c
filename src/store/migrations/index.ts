import type { Migration } from '../port.ts';
import { m0001 } from './0001-foundation.ts';

/** Every migration, in order. Forward-only: append, never edit or renumber a released one. */
export const MIGRATIONS: readonly Migration[] = [m0001];
