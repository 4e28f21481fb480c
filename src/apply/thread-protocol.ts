import type { BatchStats } from './applier.ts';

/** What the apply thread is started with (structured-cloneable). */
export interface ApplyThreadData {
  readonly databaseUrl: string;
  readonly poolMax: number;
  /** The key ring that seals stored message bodies (the thread reads them). */
  readonly rawKeyRingFile?: string;
  readonly tokenKey: Uint8Array;
  readonly earlierTokenKeys?: readonly Uint8Array[];
  readonly batchSize: number;
  readonly pollMs?: number;
  readonly gatherMs?: number;
  /** The main thread's writer lock for an SQLite file (see store/writer-lock.ts). */
  readonly sqliteWriterLock?: SharedArrayBuffer;
}

/** Main → apply thread. `id` pairs an answer with its question. */
export type ToApplyThread =
  | { readonly type: 'notify' }
  | { readonly type: 'invalidate' }
  | { readonly type: 'idle'; readonly id: number }
  | { readonly type: 'stop'; readonly id: number };

/** Apply thread → main. Errors carry code and message only: never a payload that could hold PHI. */
export type FromApplyThread =
  | { readonly type: 'ready' }
  | { readonly type: 'failed-to-start'; readonly code: string | null; readonly message: string }
  | { readonly type: 'batch'; readonly stats: BatchStats }
  | { readonly type: 'error'; readonly code: string | null; readonly message: string }
  | { readonly type: 'done'; readonly id: number };
