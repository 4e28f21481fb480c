/**
 * Connector (a): journal batch files in a folder, for ERPs that import files.
 *
 * Layout: `<folder>/<kind>/<seq>-<part>-<id>.<ext>` — `seq` is the batch's last message id, zero-padded,
 * so a reader that imports in name order imports in source order; the id makes the name unique and
 * deterministic. Journal batches are written in each configured format (csv, json, hledger as
 * `.journal`); requisition batches as JSON.
 *
 * Each file is written beside its final name, fsync'd, renamed into place and the folder fsync'd: a
 * reader never sees half a file, and a file that exists is complete. Writing is idempotent by name: a
 * file already there (an earlier attempt got that far) is left alone, so the connector honours
 * idempotency keys and an unknown outcome is safely resent.
 */
import { randomBytes } from 'node:crypto';
import { access, mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isCrosswalkError } from '../errors/index.ts';
import type { Connector, DeliverableDocument, SendResult } from './connector.ts';
import type { DocumentKind } from './documents.ts';
import type { JournalFileFormat } from './journal-files.ts';
import { FORMAT_EXTENSION, type RenderChart, renderDocumentFile } from './render.ts';

export interface JournalFilesOptions {
  readonly name: string;
  readonly folder: string;
  readonly formats: readonly JournalFileFormat[];
  readonly kinds?: readonly DocumentKind[];
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const h = await open(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

/** Temp + fsync + rename + fsync of the folder. */
export async function writeFileAtomically(dir: string, name: string, text: string): Promise<void> {
  const target = join(dir, name);
  const tmp = join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const h = await open(tmp, 'wx', 0o640);
    try {
      await h.writeFile(text);
      await h.sync();
    } finally {
      await h.close();
    }
    await rename(tmp, target);
    await fsyncDir(dir);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

export function fileNameOf(doc: DeliverableDocument, ext: string): string {
  return `${doc.seqMessageId.toString().padStart(12, '0')}-${doc.seqPart}-${doc.id}.${ext}`;
}

export function journalFilesConnector(options: JournalFilesOptions): Connector {
  return {
    name: options.name,
    type: 'journal-files',
    kinds: options.kinds ?? ['journal-batch', 'requisition'],
    honoursIdempotencyKey: true,
    async send(doc: DeliverableDocument, chart: RenderChart): Promise<SendResult> {
      const dir = join(options.folder, doc.kind);
      const written: string[] = [];
      try {
        await mkdir(dir, { recursive: true });
        const formats: JournalFileFormat[] = doc.kind === 'journal-batch' ? [...options.formats] : ['json'];
        for (const format of formats) {
          const name = fileNameOf(doc, FORMAT_EXTENSION[format]);
          if (await exists(join(dir, name))) continue;
          const text = renderDocumentFile(doc, format, chart);
          if (text === null) continue;
          await writeFileAtomically(dir, name, text);
          written.push(name);
        }
      } catch (e) {
        // A document we cannot render will not render on a retry either.
        if (isCrosswalkError(e)) return { outcome: 'rejected', reason: e.message };
        const err = e as NodeJS.ErrnoException;
        // The files written so far stay: they are complete, and the retry skips them.
        return { outcome: 'retry', reason: `cannot write in ${dir}: ${err.code ?? err.message}` };
      }
      return {
        outcome: 'delivered',
        response: written.length ? `wrote ${written.join(', ')}` : 'already there',
      };
    },
  };
}
