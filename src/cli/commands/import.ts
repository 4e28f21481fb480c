import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { CrosswalkError, isCrosswalkError } from '../../errors/index.ts';
import { type BundleSummary, FhirService, type JsonObject, parseBody } from '../../fhir/index.ts';
import { appendAudit } from '../../store/audit-repository.ts';
import { FhirRepository } from '../../store/fhir-repository.ts';
import { actingAs } from '../acting.ts';
import { cliIo, exitWithFailure } from '../io.ts';
import { emit, table } from '../output.ts';
import { withSettings } from '../settings-flags.ts';
import { withMigratedStore } from './release.ts';

/**
 * `crosswalk import DIR|FILE…`: FHIR bulk-data NDJSON files and Bundles, through the same write path as
 * the API (FhirService), so the idempotency is the API's: a resource already stored with the same
 * content is counted unchanged and has no new effect; a re-run of an import does nothing new.
 *
 * - `*.ndjson`: one resource per line (a bulk-data export). Lines go in batch Bundles of `--chunk`
 *   entries; a resource with an id is written as an update of that id (an export's ids are the source
 *   server's, stable across exports), one without as a create.
 * - `*.json`: a transaction or batch Bundle, or a single resource (a create).
 *
 * Order: batch Bundles and NDJSON first, then transaction Bundles, each group in file-name order — the
 * master data (Synthea's hospital and practitioner batches) before the patient transactions that refer
 * to it. Types Crosswalk does not serve are skipped and counted (lenient handling), not refused.
 */

interface Totals {
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
  skipped: Map<string, number>;
}

interface Failure {
  readonly file: string;
  readonly where: string;
  readonly code: string;
  readonly message: string;
}

interface InputFile {
  readonly path: string;
  readonly kind: 'ndjson' | 'batch' | 'transaction' | 'resource';
  readonly units: number;
}

function filesUnder(path: string): string[] {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch (e) {
    throw new CrosswalkError('CW_ERR_CLI_INPUT', {
      path,
      reason: (e as NodeJS.ErrnoException).code ?? 'unreadable',
    });
  }
  if (!st.isDirectory()) return [path];
  return readdirSync(path)
    .filter((f) => f.endsWith('.ndjson') || f.endsWith('.json'))
    .sort()
    .map((f) => join(path, f));
}

function read(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new CrosswalkError('CW_ERR_CLI_INPUT', {
      path,
      reason: (e as NodeJS.ErrnoException).code ?? 'unreadable',
    });
  }
}

function ndjsonLines(bytes: Buffer): string[] {
  return bytes
    .toString('utf8')
    .split('\n')
    .map((l) => l.trim());
}

function classify(path: string): InputFile {
  const bytes = read(path);
  if (path.endsWith('.ndjson')) {
    return { path, kind: 'ndjson', units: ndjsonLines(bytes).filter((l) => l !== '').length };
  }
  let body: JsonObject;
  try {
    body = parseBody(bytes);
  } catch (e) {
    throw new CrosswalkError('CW_ERR_CLI_INPUT', {
      path,
      reason: isCrosswalkError(e) ? e.message : 'not JSON',
    });
  }
  if (body['resourceType'] === 'Bundle' && (body['type'] === 'transaction' || body['type'] === 'batch')) {
    const entries = Array.isArray(body['entry']) ? body['entry'].length : 0;
    return { path, kind: body['type'], units: entries };
  }
  return { path, kind: 'resource', units: 1 };
}

function add(t: Totals, s: BundleSummary): void {
  t.created += s.created;
  t.updated += s.updated;
  t.unchanged += s.unchanged;
  t.failed += s.failed;
  for (const [type, n] of s.skipped) t.skipped.set(type, (t.skipped.get(type) ?? 0) + n);
}

/** Failures named in a response Bundle's entries. */
function failuresOf(file: string, response: JsonObject, where: (i: number) => string): Failure[] {
  const out: Failure[] = [];
  const entries = Array.isArray(response['entry']) ? response['entry'] : [];
  entries.forEach((e, i) => {
    const r = (e as JsonObject)['response'] as JsonObject | undefined;
    const status = String(r?.['status'] ?? '');
    if (/^(200|201|204)/.test(status)) return;
    const issue = ((r?.['outcome'] as JsonObject | undefined)?.['issue'] as JsonObject[] | undefined)?.[0];
    const coding = (
      (issue?.['details'] as JsonObject | undefined)?.['coding'] as JsonObject[] | undefined
    )?.[0];
    out.push({
      file,
      where: where(i),
      code: String(coding?.['code'] ?? status),
      message: String(issue?.['diagnostics'] ?? status),
    });
  });
  return out;
}

export function importCommand(program: Command): void {
  withSettings(
    program
      .command('import')
      .description(
        'load FHIR bulk-data NDJSON files and Bundles (a folder or files) through the FHIR write path: same validation, idempotency and inbox as /fhir',
      )
      .argument('<paths...>', 'folders or files (*.ndjson, *.json)')
      .option('--chunk <n>', 'NDJSON lines per batch', '500')
      .option('--json', 'print the summary as JSON'),
  ).action(async (paths: string[], opts: Record<string, unknown>) => {
    const chunk = Number(opts['chunk']);
    if (!Number.isSafeInteger(chunk) || chunk < 1 || chunk > 10_000) {
      throw new CrosswalkError('CW_ERR_CLI_USAGE', {
        reason: '--chunk must be a whole number from 1 to 10000',
      });
    }
    const json = Boolean(opts['json']);
    const files = paths.flatMap(filesUnder).map(classify);
    if (files.length === 0) {
      throw new CrosswalkError('CW_ERR_CLI_INPUT', {
        path: paths.join(' '),
        reason: 'no .ndjson or .json files',
      });
    }
    const rank = (f: InputFile) => (f.kind === 'transaction' ? 1 : 0);
    const ordered = [...files].sort((a, b) => rank(a) - rank(b));
    const total = ordered.reduce((n, f) => n + f.units, 0);

    await withMigratedStore(opts, async (store) => {
      const importer = (await actingAs(store, opts, 'import.fhir')).subject;
      const service = new FhirService({ store: new FhirRepository(store) });
      const totals: Totals = { created: 0, updated: 0, unchanged: 0, failed: 0, skipped: new Map() };
      const perFile: { file: string; kind: string; entries: number; summary: Totals }[] = [];
      const failures: Failure[] = [];
      const showBar = cliIo().stderr.isTTY && !json;
      const bar = new SingleBar({
        format: 'importing [{bar}] {value}/{total} {file}',
        hideCursor: true,
        stream: cliIo().stderr as NodeJS.WritableStream,
      });
      if (showBar) bar.start(total, 0, { file: '' });
      let done = 0;
      const started = performance.now();
      try {
        for (const f of ordered) {
          const name = basename(f.path);
          const mine: Totals = { created: 0, updated: 0, unchanged: 0, failed: 0, skipped: new Map() };
          const fail = (where: string, e: unknown) => {
            if (!isCrosswalkError(e)) throw e;
            mine.failed++;
            failures.push({ file: name, where, code: e.code, message: e.message });
          };
          if (f.kind === 'ndjson') {
            const lines = ndjsonLines(read(f.path));
            for (let i = 0; i < lines.length; i += chunk) {
              const entries: JsonObject[] = [];
              const lineOf: number[] = [];
              lines.slice(i, i + chunk).forEach((line, k) => {
                if (line === '') return;
                try {
                  const r = parseBody(Buffer.from(line, 'utf8'));
                  const type = String(r['resourceType'] ?? '');
                  const id = typeof r['id'] === 'string' ? r['id'] : null;
                  entries.push({
                    resource: r,
                    request: id ? { method: 'PUT', url: `${type}/${id}` } : { method: 'POST', url: type },
                  });
                  lineOf.push(i + k + 1);
                } catch (e) {
                  fail(`line ${i + k + 1}`, e);
                }
              });
              if (entries.length > 0) {
                const { response, summary } = await service.bundle(
                  { resourceType: 'Bundle', type: 'batch', entry: entries },
                  { lenient: true },
                );
                add(mine, summary);
                failures.push(...failuresOf(name, response, (k) => `line ${lineOf[k]}`));
              }
              done += Math.min(chunk, lines.length - i);
              if (showBar) bar.update(Math.min(done, total), { file: name });
            }
          } else if (f.kind === 'resource') {
            try {
              const r = parseBody(read(f.path));
              const w = await service.create(r, String(r['resourceType'] ?? ''));
              if (!w.changed) mine.unchanged++;
              else mine.created++;
            } catch (e) {
              fail('resource', e);
            }
            done++;
          } else {
            try {
              const { response, summary } = await service.bundle(parseBody(read(f.path)), { lenient: true });
              add(mine, summary);
              failures.push(...failuresOf(name, response, (k) => `entry[${k}]`));
            } catch (e) {
              // A transaction is all or nothing: one refused entry refuses the file.
              fail('Bundle', e);
            }
            done += f.units;
          }
          if (showBar) bar.update(Math.min(done, total), { file: name });
          perFile.push({ file: name, kind: f.kind, entries: f.units, summary: mine });
          totals.created += mine.created;
          totals.updated += mine.updated;
          totals.unchanged += mine.unchanged;
          totals.failed += mine.failed;
          for (const [t, n] of mine.skipped) totals.skipped.set(t, (totals.skipped.get(t) ?? 0) + n);
        }
      } finally {
        if (showBar) bar.stop();
      }
      const seconds = (performance.now() - started) / 1000;
      await store.transaction((tx) =>
        appendAudit(tx, {
          at: new Date().toISOString(),
          actor: importer,
          action: 'import.fhir',
          object: `files:${perFile
            .map((p) => p.file)
            .join(',')
            .slice(0, 200)}`,
          after: {
            created: totals.created,
            updated: totals.updated,
            unchanged: totals.unchanged,
            failed: totals.failed + failures.length,
          },
        }),
      );
      const skippedText = (m: Map<string, number>) =>
        [...m]
          .sort()
          .map(([t, n]) => `${t} ${n}`)
          .join(', ');
      emit(
        json,
        {
          files: perFile.map((p) => ({
            file: p.file,
            kind: p.kind,
            entries: p.entries,
            created: p.summary.created,
            updated: p.summary.updated,
            unchanged: p.summary.unchanged,
            failed: p.summary.failed,
            skipped: Object.fromEntries(p.summary.skipped),
          })),
          totals: { ...totals, skipped: Object.fromEntries(totals.skipped) },
          failures,
          seconds,
        },
        () =>
          [
            table([
              ['file', 'kind', 'entries', 'created', 'updated', 'unchanged', 'failed'],
              ...perFile.map((p) => [
                p.file,
                p.kind,
                String(p.entries),
                String(p.summary.created),
                String(p.summary.updated),
                String(p.summary.unchanged),
                String(p.summary.failed),
              ]),
            ]),
            `total: ${totals.created} created, ${totals.updated} updated, ${totals.unchanged} unchanged, ${totals.failed} failed in ${seconds.toFixed(1)} s`,
            totals.skipped.size > 0
              ? `skipped (types Crosswalk does not serve): ${skippedText(totals.skipped)}`
              : '',
            ...failures.slice(0, 20).map((f) => `failed ${f.file} ${f.where}: ${f.message} [${f.code}]`),
            failures.length > 20 ? `… and ${failures.length - 20} more failures (--json lists them all)` : '',
          ]
            .filter((l) => l !== '')
            .join('\n'),
      );
      if (totals.failed > 0 || failures.length > 0) exitWithFailure();
    });
  });
}
