/**
 * Test support (imported by *.int.test.ts only): the shared real-world HL7 v2 corpus, read by path and
 * split into messages exactly as `crosswalk send` splits files.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { messagesIn } from '../cli/commands/send.ts';

export const CORPUS_DIR = fileURLToPath(new URL('../../../shared/data/hl7v2/', import.meta.url));

export const corpusPresent = (): boolean => existsSync(CORPUS_DIR);

export interface CorpusMessage {
  /** The file, relative to the corpus folder, and the message's place in it (1-based). */
  readonly source: string;
  readonly payload: Buffer;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => !n.startsWith('.'))
    .sort()
    .flatMap((n) => {
      const p = join(dir, n);
      return statSync(p).isDirectory() ? filesUnder(p) : [p];
    });
}

/** Every message of every file under the corpus folder, in file order then message order. */
export function corpusMessages(): CorpusMessage[] {
  return filesUnder(CORPUS_DIR).flatMap((file) =>
    messagesIn(readFileSync(file)).map((payload, k) => ({
      source: `${relative(CORPUS_DIR, file)}#${k + 1}`,
      payload,
    })),
  );
}
