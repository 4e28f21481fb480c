import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { CrosswalkError } from '../../errors/index.ts';
import {
  activate,
  approve,
  createRelease,
  diffReleases,
  type MappingRelease,
  RELEASE_FILE,
  type ReleaseDiff,
  type ReleaseHistory,
  releaseFromFiles,
  releaseToFiles,
  rollback,
  TABLES,
  type TableSpec,
} from '../../mapping/index.ts';
import { appendAudit } from '../../store/audit-repository.ts';
import { assertMigrated, openStore, type SqlExecutor, type Store } from '../../store/index.ts';
import {
  activationHistory,
  activeReleaseId,
  listReleases,
  loadRelease,
  recordActivation,
  recordApproval,
  type StoredRelease,
  saveRelease,
} from '../../store/posting-repository.ts';
import { actingAs } from '../acting.ts';
import { emit, table } from '../output.ts';
import { configFrom, withSettings } from '../settings-flags.ts';

/**
 * `crosswalk release …`: the governance of mapping releases from the command line. The mapping module
 * decides every transition (segregation of duties, what may be activated, what rolling back means); this
 * file reads the folder, records what was decided, and prints it. Each decision and its record happen in
 * one transaction, so two people acting at once cannot both win.
 */

/** Opens the configured database, checks its schema is current, runs `fn`, closes it. */
export async function withMigratedStore<T>(
  opts: Record<string, unknown>,
  fn: (store: Store) => Promise<T>,
): Promise<T> {
  const config = configFrom(opts);
  const store = await openStore(config.databaseUrl, { poolMax: 2, rawKeyRingFile: config.rawKeyRingFile });
  try {
    await assertMigrated(store);
    return await fn(store);
  } finally {
    await store.close();
  }
}

export const short = (id: string): string => id.slice(0, 12);

const trimLines = (text: string): string =>
  text
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n');

/**
 * A release id from what a user typed: the whole id, a unique prefix of at least 8 hex characters, or
 * `active`. Unknown and ambiguous prefixes are refused naming what matched.
 */
export async function resolveReleaseId(db: SqlExecutor, given: string): Promise<string> {
  const g = given.trim().toLowerCase();
  if (g === 'active') {
    const id = await activeReleaseId(db);
    if (id === null) {
      throw new CrosswalkError('CW_ERR_MAP_UNKNOWN_RELEASE', {
        release: 'is active (none was ever activated)',
      });
    }
    return id;
  }
  if (!/^[0-9a-f]{8,64}$/.test(g)) {
    throw new CrosswalkError('CW_ERR_CLI_USAGE', {
      reason: `a release id is at least 8 hex characters of the id that release list shows (or "active"), got "${given}"`,
    });
  }
  const ids = (await listReleases(db)).map((r) => r.id).filter((id) => id.startsWith(g));
  if (ids.length === 0) throw new CrosswalkError('CW_ERR_MAP_UNKNOWN_RELEASE', { release: given });
  if (ids.length > 1) {
    throw new CrosswalkError('CW_ERR_CLI_AMBIGUOUS_ID', {
      what: 'release',
      prefix: given,
      count: ids.length,
      examples: ids
        .slice(0, 3)
        .map((id) => id.slice(0, g.length + 4))
        .join(', '),
    });
  }
  return ids[0]!;
}

function readReleaseFolder(dir: string): Record<string, string> {
  let names: string[];
  try {
    names = readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isFile())
      .map((d) => d.name);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CrosswalkError('CW_ERR_CLI_INPUT', {
      path: dir,
      reason:
        code === 'ENOTDIR' ? 'not a folder' : code === 'ENOENT' ? 'no such folder' : (code ?? 'unreadable'),
    });
  }
  const files: Record<string, string> = {};
  for (const name of names.sort()) {
    // Only the release's own files are read: a README or a stray binary beside them is none of its business.
    if (name !== RELEASE_FILE && !name.toLowerCase().endsWith('.csv')) continue;
    try {
      files[name] = readFileSync(join(dir, name), 'utf8');
    } catch (e) {
      throw new CrosswalkError('CW_ERR_CLI_INPUT', {
        path: join(dir, name),
        reason: (e as NodeJS.ErrnoException).code ?? 'unreadable',
      });
    }
  }
  return files;
}

type Status = 'proposed' | 'approved' | 'active' | 'superseded';

interface ReleaseRow extends StoredRelease {
  readonly status: Status;
}

async function releaseRows(db: SqlExecutor): Promise<ReleaseRow[]> {
  const activated = new Set((await activationHistory(db)).map((a) => a.releaseId));
  return (await listReleases(db)).map((r) => ({
    ...r,
    status: r.active
      ? 'active'
      : r.approvedBy === null
        ? 'proposed'
        : activated.has(r.id)
          ? 'superseded'
          : 'approved',
  }));
}

/**
 * The deployment's release history as the mapping module models it, built from the activation log and
 * the releases it names (plus `extra`): only those are needed to decide an activation or a rollback.
 */
async function storedHistory(db: SqlExecutor, extra: readonly string[]): Promise<ReleaseHistory> {
  const activations = (await activationHistory(db)).map((a) => a.releaseId);
  const releases: MappingRelease[] = [];
  for (const id of new Set([...activations, ...extra])) {
    const r = await loadRelease(db, id);
    if (r !== null) releases.push(r);
  }
  return { releases, activations };
}

// --- printing ---------------------------------------------------------------------------------------

function changeCount(diff: ReleaseDiff): number {
  return TABLES.reduce((n, t) => {
    const d = diff.tables[t.name];
    return n + d.added.length + d.removed.length + d.changed.length;
  }, diff.settings.length);
}

function diffSummary(diff: ReleaseDiff): string {
  if (diff.identical) return '  identical: no setting or row differs';
  const rows = TABLES.map((t) => {
    const d = diff.tables[t.name];
    return [t.name, String(d.added.length), String(d.removed.length), String(d.changed.length)];
  }).filter((r) => r.slice(1).some((n) => n !== '0'));
  const lines: string[] = [];
  if (rows.length > 0) {
    lines.push(
      table([['TABLE', 'ADDED', 'REMOVED', 'CHANGED'], ...rows])
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n'),
    );
  }
  if (diff.settings.length > 0) {
    lines.push(`  settings changed: ${diff.settings.map((s) => s.setting).join(', ')}`);
  }
  return lines.join('\n');
}

const cell = (v: unknown): string =>
  v === null || v === undefined ? '(empty)' : typeof v === 'object' ? JSON.stringify(v) : String(v);

function rowLabel(spec: TableSpec, row: object): string {
  const r = row as Record<string, unknown>;
  const key = spec.columns
    .filter((c) => spec.key.includes(c.field))
    .map((c) => `${c.header}=${cell(r[c.field])}`)
    .join(' ');
  return r['effectiveFrom'] ? `${key} from ${String(r['effectiveFrom'])}` : key;
}

/** The changes row by row, for review: `+` added, `-` removed, `~` changed with each column's before → after. */
function diffDetail(diff: ReleaseDiff, max: number): string[] {
  const lines: string[] = [];
  for (const s of diff.settings) lines.push(`  ~ ${s.setting}: ${cell(s.before)} → ${cell(s.after)}`);
  for (const spec of TABLES) {
    const d = diff.tables[spec.name];
    for (const row of d.added) lines.push(`  + ${spec.file} ${rowLabel(spec, row)}`);
    for (const row of d.removed) lines.push(`  - ${spec.file} ${rowLabel(spec, row)}`);
    for (const { before, after } of d.changed) {
      const b: Record<string, unknown> = { ...before };
      const a: Record<string, unknown> = { ...after };
      const cols = spec.columns
        .filter((c) => cell(b[c.field]) !== cell(a[c.field]))
        .map((c) => `${c.header} ${cell(b[c.field])} → ${cell(a[c.field])}`);
      lines.push(`  ~ ${spec.file} ${rowLabel(spec, before)}: ${cols.join(', ')}`);
    }
  }
  if (lines.length > max) {
    return [...lines.slice(0, max), `  … and ${lines.length - max} more (--json shows every change)`];
  }
  return lines;
}

function rowCounts(release: MappingRelease): Record<string, number> {
  return Object.fromEntries(TABLES.map((t) => [t.name, release.content[t.name].length]));
}

async function activeRelease(db: SqlExecutor): Promise<MappingRelease | null> {
  const id = await activeReleaseId(db);
  return id === null ? null : loadRelease(db, id);
}

// --- the commands -------------------------------------------------------------------------------------

export function releaseCommand(program: Command): void {
  const release = program
    .command('release')
    .description('mapping releases: propose from a folder, review, approve, activate, roll back');

  withSettings(
    release
      .command('propose')
      .description('store the release in a folder (release.json and CSV tables) as proposed, and diff it')
      .argument('<dir>', 'the release folder (as release export writes it)')
      .option('--author <name>', "who proposes it (must be the token's user; someone else must approve it)")
      .option('--json', 'print JSON'),
  ).action(async (dir: string, opts: Record<string, unknown>) => {
    await withMigratedStore(opts, async (store) => {
      // Authenticated before the folder is read: nothing is parsed for an unknown caller.
      const author = (await actingAs(store, opts, 'release.propose')).subject;
      const content = releaseFromFiles(readReleaseFolder(dir));
      const proposed = createRelease(content, author);
      const at = new Date().toISOString();
      const { stored, existing, active } = await store.transaction(async (tx) => {
        const stored = await saveRelease(tx, proposed, at);
        if (stored)
          await appendAudit(tx, {
            at,
            actor: author,
            action: 'release.propose',
            object: `release:${proposed.id}`,
          });
        const existing = stored ? null : (await releaseRows(tx)).find((r) => r.id === proposed.id);
        return { stored, existing, active: await activeRelease(tx) };
      });
      const diff = active === null ? null : diffReleases(active, proposed);
      emit(
        Boolean(opts['json']),
        {
          id: proposed.id,
          label: proposed.content.name,
          stored,
          status: existing?.status ?? 'proposed',
          author: existing?.author ?? author,
          rowCounts: rowCounts(proposed),
          activeId: active?.id ?? null,
          diff,
        },
        () =>
          [
            stored
              ? `proposed release ${short(proposed.id)} "${proposed.content.name}" by ${author}`
              : `release ${short(proposed.id)} "${proposed.content.name}" is already stored (${existing?.status}, proposed by ${existing?.author}); nothing new was stored`,
            `  id ${proposed.id}`,
            active === null
              ? 'no release is active yet, so there is nothing to compare with'
              : `against the active release ${short(active.id)} "${active.content.name}":`,
            ...(diff === null ? [] : [diffSummary(diff)]),
            ...(stored
              ? [
                  `next: crosswalk release show ${short(proposed.id)}, then crosswalk release approve ${short(proposed.id)} --as <someone other than ${author}>`,
                ]
              : []),
          ].join('\n'),
      );
    });
  });

  withSettings(
    release
      .command('export')
      .description('write a stored release as a folder (release.json and CSV tables) to edit and propose')
      .argument('<id>', 'release id or unique prefix (≥ 8 hex characters), or "active"')
      .argument('<dir>', 'the folder to write (created if missing)')
      .option('--force', "overwrite the release's files if the folder already holds them")
      .option('--json', 'print JSON'),
  ).action(async (given: string, dir: string, opts: Record<string, unknown>) => {
    await withMigratedStore(opts, async (store) => {
      await actingAs(store, opts, 'release.read');
      const id = await resolveReleaseId(store, given);
      const r = (await loadRelease(store, id))!;
      const files = releaseToFiles(r.content);
      const clashes = Object.keys(files).filter((f) => existsSync(join(dir, f)));
      if (clashes.length > 0 && !opts['force']) {
        throw new CrosswalkError('CW_ERR_CLI_WRITE', {
          path: dir,
          reason: `it already holds ${clashes.join(', ')}; pass --force to overwrite them`,
        });
      }
      try {
        mkdirSync(dir, { recursive: true });
        for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
      } catch (e) {
        throw new CrosswalkError('CW_ERR_CLI_WRITE', {
          path: dir,
          reason: (e as NodeJS.ErrnoException).code ?? 'unwritable',
        });
      }
      emit(Boolean(opts['json']), { id, dir, files: Object.keys(files) }, () =>
        [
          `wrote release ${short(id)} "${r.content.name}" to ${dir}: ${Object.keys(files).join(', ')}`,
          `edit it, then: crosswalk release propose ${dir}`,
        ].join('\n'),
      );
    });
  });

  withSettings(
    release
      .command('list')
      .description('every stored release, oldest first, with who proposed and approved it')
      .option('--json', 'print JSON'),
  ).action(async (opts: Record<string, unknown>) => {
    await withMigratedStore(opts, async (store) => {
      await actingAs(store, opts, 'release.read');
      const rows = await releaseRows(store);
      emit(Boolean(opts['json']), rows, () =>
        rows.length === 0
          ? 'no releases yet (crosswalk release propose DIR)'
          : trimLines(
              table([
                ['ID', 'LABEL', 'STATUS', 'AUTHOR', 'APPROVER', 'PROPOSED', 'APPROVED', ''],
                ...rows.map((r) => [
                  short(r.id),
                  r.label,
                  r.status,
                  r.author,
                  r.approvedBy ?? '-',
                  r.proposedAt,
                  r.approvedAt ?? '-',
                  r.active ? 'ACTIVE' : '',
                ]),
              ]),
            ),
      );
    });
  });

  withSettings(
    release
      .command('show')
      .description(
        'one release: who proposed and approved it, rows per table, and its diff against the active one',
      )
      .argument('<id>', 'release id or unique prefix (≥ 8 hex characters), or "active"')
      .option('--json', 'print JSON (with the full diff)'),
  ).action(async (given: string, opts: Record<string, unknown>) => {
    await withMigratedStore(opts, async (store) => {
      await actingAs(store, opts, 'release.read');
      const id = await resolveReleaseId(store, given);
      const r = (await loadRelease(store, id))!;
      const meta = (await releaseRows(store)).find((x) => x.id === id)!;
      const activations = (await activationHistory(store)).filter((a) => a.releaseId === id);
      const active = await activeRelease(store);
      const diff = active === null || active.id === id ? null : diffReleases(active, r);
      const counts = rowCounts(r);
      emit(
        Boolean(opts['json']),
        {
          ...meta,
          description: r.content.description,
          timeZone: r.content.timeZone,
          rowCounts: counts,
          activations,
          activeId: active?.id ?? null,
          diff,
        },
        () =>
          [
            `release ${id}`,
            table([
              ['  label', r.content.name],
              ...(r.content.description ? [['  description', r.content.description]] : []),
              ['  status', meta.status],
              ['  author', `${meta.author}, proposed ${meta.proposedAt}`],
              ['  approver', meta.approvedBy ? `${meta.approvedBy}, approved ${meta.approvedAt}` : '-'],
              ...activations.map((a) => [
                '  activated',
                `${a.activatedAt} by ${a.activatedBy}${a.note ? ` (${a.note})` : ''}`,
              ]),
              ['  time zone', r.content.timeZone],
            ]),
            'rows per table:',
            table(TABLES.map((t) => [`  ${t.file}`, String(counts[t.name])])),
            active === null
              ? 'no release is active, so there is nothing to compare with'
              : active.id === id
                ? 'this is the active release'
                : `against the active release ${short(active.id)} "${active.content.name}" (${changeCount(diff!)} change(s)):`,
            ...(diff === null ? [] : [diffSummary(diff), ...diffDetail(diff, 50)]),
          ].join('\n'),
      );
    });
  });

  withSettings(
    release
      .command('approve')
      .description('approve a proposed release (the approver must not be its author)')
      .argument('<id>', 'release id or unique prefix (≥ 8 hex characters)')
      .option('--as <name>', "who approves it (must be the token's user)")
      .option('--json', 'print JSON'),
  ).action(async (given: string, opts: Record<string, unknown>) => {
    await withMigratedStore(opts, async (store) => {
      const who = (await actingAs(store, opts, 'release.approve')).subject;
      const at = new Date().toISOString();
      const approved = await store.transaction(async (tx) => {
        const id = await resolveReleaseId(tx, given);
        const r = (await loadRelease(tx, id))!;
        if (r.approver !== null) {
          throw new CrosswalkError('CW_ERR_MAP_BAD_TRANSITION', {
            release: short(id),
            status: `already approved by ${r.approver}`,
            action: 'approved again',
          });
        }
        const next = approve(r, who);
        await recordApproval(tx, id, next.approver!, at);
        await appendAudit(tx, {
          at,
          actor: next.approver!,
          action: 'release.approve',
          object: `release:${id}`,
          before: { status: r.status },
          after: { status: 'approved', author: r.author },
        });
        return next;
      });
      emit(Boolean(opts['json']), { id: approved.id, approvedBy: approved.approver, approvedAt: at }, () =>
        [
          `release ${short(approved.id)} "${approved.content.name}" approved by ${approved.approver} (proposed by ${approved.author})`,
          `next: crosswalk release activate ${short(approved.id)} --as <name>`,
        ].join('\n'),
      );
    });
  });

  withSettings(
    release
      .command('activate')
      .description('make an approved release the one new messages are interpreted with')
      .argument('<id>', 'release id or unique prefix (≥ 8 hex characters)')
      .option('--as <name>', "who activates it (must be the token's user)")
      .option('--note <text>', 'why, for the activation log')
      .option('--json', 'print JSON'),
  ).action(async (given: string, opts: Record<string, unknown>) => {
    const note = typeof opts['note'] === 'string' ? opts['note'] : null;
    await withMigratedStore(opts, async (store) => {
      const who = (await actingAs(store, opts, 'release.activate')).subject;
      const at = new Date().toISOString();
      const result = await store.transaction(async (tx) => {
        const id = await resolveReleaseId(tx, given);
        const history = await storedHistory(tx, [id]);
        const previous = history.activations.at(-1) ?? null;
        activate(history, id);
        await recordActivation(tx, id, who, at, note);
        await appendAudit(tx, {
          at,
          actor: who,
          action: 'release.activate',
          object: `release:${id}`,
          before: { active: previous },
          after: { active: id },
        });
        return { id, previous, label: history.releases.find((r) => r.id === id)!.content.name };
      });
      emit(Boolean(opts['json']), { ...result, activatedBy: who, activatedAt: at, note }, () =>
        [
          `release ${short(result.id)} "${result.label}" is now active (activated by ${who})${
            result.previous ? `; it supersedes ${short(result.previous)}` : ''
          }`,
          'messages applied from now on are interpreted with it; a running server picks it up at its next batch',
        ].join('\n'),
      );
    });
  });

  withSettings(
    release
      .command('rollback')
      .description('re-activate the release that was active before the current one')
      .option('--as <name>', "who rolls back (must be the token's user)")
      .option('--note <text>', 'why, for the activation log')
      .option('--json', 'print JSON'),
  ).action(async (opts: Record<string, unknown>) => {
    await withMigratedStore(opts, async (store) => {
      const who = (await actingAs(store, opts, 'release.activate')).subject;
      const at = new Date().toISOString();
      const result = await store.transaction(async (tx) => {
        const history = await storedHistory(tx, []);
        const from = history.activations.at(-1) ?? null;
        const to = rollback(history).activations.at(-1)!;
        const note = typeof opts['note'] === 'string' ? opts['note'] : `rollback from ${short(from ?? '')}`;
        await recordActivation(tx, to, who, at, note);
        await appendAudit(tx, {
          at,
          actor: who,
          action: 'release.rollback',
          object: `release:${to}`,
          before: { active: from },
          after: { active: to },
        });
        return { from, to, note, label: history.releases.find((r) => r.id === to)!.content.name };
      });
      emit(
        Boolean(opts['json']),
        { ...result, activatedBy: who, activatedAt: at },
        () =>
          `rolled back: release ${short(result.to)} "${result.label}" is active again (by ${who}), replacing ${short(result.from ?? '')}`,
      );
    });
  });
}
