import { CrosswalkError } from '../errors/index.ts';
import { parseCsv, writeCsv } from './csv.ts';
import { normaliseContent } from './release.ts';
import { type ColumnSpec, minorDigits, TABLES, type TableSpec } from './tables.ts';
import type { ReleaseContent } from './types.ts';

/**
 * The folder format a team reviews in git:
 *
 *   release.json               {"format": "crosswalk-mapping-release/1", "name", "description",
 *                               "timeZone", "fieldRules": {...}}
 *   facilities.csv             facility,entity_code,effective_from,effective_to
 *   items.csv                  ehr_supply_code,item_code,description,category,base_uom,implant,bill_only,…
 *   item-uoms.csv              item_code,uom,base_quantity,…
 *   departments.csv            ehr_department_code,department_code,cost_center_code,entity_code,…
 *   care-locations.csv         facility,point_of_care,care_location_code,par_location_code,department_code,
 *                              cost_center_code,entity_code,…
 *   practitioners.csv          npi,employee_code,…
 *   charge-master.csv          cdm_code,description,revenue_code,hcpcs_code,price,currency,item_code,…
 *   account-determination.csv  item_category,entity_code,event_type,debit_role,credit_role,…
 *
 * Every CSV has a header row naming its columns (any order); `effective_from`/`effective_to` may be left
 * out. A table whose file is absent is empty; other files (README.md …) are ignored, but an unknown
 * `.csv` is refused so a misspelt table name cannot silently drop a crosswalk. Cells are trimmed; empty
 * means null where a column allows it. Booleans: true/false (yes/no, y/n accepted). Prices are decimal in
 * major units (`12.50`) with the row's currency deciding the decimals. Errors name the file and line.
 */

export const RELEASE_FILE = 'release.json';
export const RELEASE_FORMAT = 'crosswalk-mapping-release/1';

function fileError(file: string, line: number | string, reason: string): CrosswalkError {
  return new CrosswalkError('CW_ERR_MAP_FILE', { file, line, reason });
}

function parseMoney(text: string, currency: string): bigint | string {
  const digits = minorDigits(currency);
  const m = /^(\d{1,15})(?:\.(\d+))?$/.exec(text);
  if (m === null) return `must be a decimal amount such as 12.50`;
  const frac = m[2] ?? '';
  if (frac.length > digits) return `${currency} has ${digits} decimals; ${text} has ${frac.length}`;
  return BigInt(m[1]!) * 10n ** BigInt(digits) + BigInt(frac.padEnd(digits, '0') || '0');
}

export function formatMoney(amount: bigint, currency: string): string {
  const digits = minorDigits(currency);
  if (digits === 0) return amount.toString();
  const s = amount.toString().padStart(digits + 1, '0');
  return `${s.slice(0, -digits)}.${s.slice(-digits)}`;
}

const TRUE = new Set(['true', 'yes', 'y']);
const FALSE = new Set(['false', 'no', 'n']);

function parseCell(c: ColumnSpec, raw: string, row: Record<string, string>): unknown | { error: string } {
  const v = raw.trim();
  switch (c.kind) {
    case 'text?':
    case 'date?':
      return v === '' ? null : v;
    case 'bool':
      if (TRUE.has(v.toLowerCase())) return true;
      if (FALSE.has(v.toLowerCase())) return false;
      return { error: 'must be true or false' };
    case 'count':
      return /^\d{1,9}$/.test(v) ? Number(v) : { error: 'must be a positive whole number' };
    case 'money': {
      const m = parseMoney(v, (row['currency'] ?? '').trim());
      return typeof m === 'string' ? { error: m } : m;
    }
    default:
      return v;
  }
}

function parseTable(spec: TableSpec, text: string): { rows: object[]; lines: number[] } {
  const records = parseCsv(text, spec.file);
  const header = records[0];
  if (header === undefined) return { rows: [], lines: [] };
  const names = header.cells.map((h) => h.trim());
  for (const [i, h] of names.entries()) {
    if (!spec.columns.some((c) => c.header === h)) {
      throw fileError(
        spec.file,
        header.line,
        `column ${h || `#${i + 1}`} is not one of ${spec.columns.map((c) => c.header).join(', ')}`,
      );
    }
    if (names.indexOf(h) !== i) throw fileError(spec.file, header.line, `column ${h} appears twice`);
  }
  for (const c of spec.columns) {
    if (!names.includes(c.header) && c.kind !== 'date?') {
      throw fileError(spec.file, header.line, `column ${c.header} is missing`);
    }
  }
  const rows: object[] = [];
  const lines: number[] = [];
  for (const rec of records.slice(1)) {
    if (rec.cells.length !== names.length) {
      throw fileError(spec.file, rec.line, `${rec.cells.length} cells; the header has ${names.length}`);
    }
    const byHeader: Record<string, string> = {};
    names.forEach((h, i) => {
      byHeader[h] = rec.cells[i] ?? '';
    });
    const row: Record<string, unknown> = {};
    for (const c of spec.columns) {
      const value = parseCell(c, byHeader[c.header] ?? '', byHeader);
      if (typeof value === 'object' && value !== null && 'error' in value) {
        throw fileError(spec.file, rec.line, `${c.header} ${(value as { error: string }).error}`);
      }
      row[c.field] = value;
    }
    rows.push(row);
    lines.push(rec.line);
  }
  return { rows, lines };
}

/**
 * The line JSON.parse fails on (its messages carry no position on every Node version): the first line at
 * which the text so far fails for another reason than being unfinished. release.json is small.
 */
function jsonErrorLine(text: string): number {
  const lines = text.split('\n');
  for (let i = 1; i <= lines.length; i++) {
    const prefix = lines.slice(0, i).join('\n');
    try {
      JSON.parse(prefix);
    } catch (e) {
      const message = String((e as Error).message);
      const at = /position (\d+)/.exec(message);
      const unfinished =
        /end of (JSON )?input/i.test(message) || (at !== null && Number(at[1]) >= prefix.trimEnd().length);
      if (!unfinished) return i;
    }
  }
  return lines.length;
}

function parseReleaseJson(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw fileError(RELEASE_FILE, jsonErrorLine(text), 'not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw fileError(RELEASE_FILE, 1, 'must hold a JSON object');
  }
  const rec = value as Record<string, unknown>;
  if (rec['format'] !== RELEASE_FORMAT)
    throw fileError(RELEASE_FILE, 1, `format must be "${RELEASE_FORMAT}"`);
  for (const k of Object.keys(rec)) {
    if (!['format', 'name', 'description', 'timeZone', 'fieldRules'].includes(k)) {
      throw fileError(RELEASE_FILE, 1, `${k} does not belong in release.json (tables are CSV files)`);
    }
  }
  const { format: _format, ...rest } = rec;
  return rest;
}

/**
 * Parses a release folder: `files` maps file name → text (the caller reads the folder). Returns the
 * normalised content; createRelease(content, author) makes it a proposed release.
 */
export function releaseFromFiles(files: Readonly<Record<string, string>>): ReleaseContent {
  const names = new Map(Object.keys(files).map((f) => [f.replace(/^.*[\\/]/, ''), f]));
  const json = names.get(RELEASE_FILE);
  if (json === undefined) throw fileError(RELEASE_FILE, 0, 'the folder has no release.json');
  for (const name of names.keys()) {
    if (name.toLowerCase().endsWith('.csv') && !TABLES.some((t) => t.file === name)) {
      throw fileError(name, 0, `not a crosswalk table (${TABLES.map((t) => t.file).join(', ')})`);
    }
  }
  const content: Record<string, unknown> = parseReleaseJson(files[json]!);
  const lines = new Map<string, number[]>();
  for (const spec of TABLES) {
    const path = names.get(spec.file);
    const parsed = path === undefined ? { rows: [], lines: [] } : parseTable(spec, files[path]!);
    content[spec.name] = parsed.rows;
    lines.set(spec.name, parsed.lines);
  }
  try {
    return normaliseContent(content);
  } catch (e) {
    if (!(e instanceof CrosswalkError) || e.code !== 'CW_ERR_MAP_INVALID_RELEASE') throw e;
    const reason = String(e.params['reason'] ?? '');
    const spec = TABLES.find((t) => reason.startsWith(`${t.name}[`) || reason.startsWith(`${t.name} `));
    if (spec === undefined) throw fileError(RELEASE_FILE, 1, reason);
    const index = /^\w+\[(\d+)\]/.exec(reason);
    const line =
      index === null
        ? overlapLine(spec, content[spec.name] as object[], lines.get(spec.name)!, reason)
        : lines.get(spec.name)![Number(index[1])];
    throw fileError(spec.file, line ?? '?', reason.replace(/^\w+\[\d+\]\.?/, '').trim() || reason);
  }
}

/** The line of the later of two overlapping rows, found from the key the error names. */
function overlapLine(spec: TableSpec, rows: readonly object[], lines: readonly number[], reason: string) {
  const key = /= (.*)$/.exec(reason)?.[1];
  const matching = rows
    .map((r, i) => ({
      k: spec.key.map((f) => String((r as Record<string, unknown>)[f])).join('+'),
      line: lines[i],
    }))
    .filter((x) => x.k === key);
  return matching[1]?.line ?? matching[0]?.line;
}

/** Writes content as the folder format (file name → text); releaseFromFiles reads it back unchanged. */
export function releaseToFiles(content: ReleaseContent): Record<string, string> {
  const c = normaliseContent(content);
  const out: Record<string, string> = {};
  const head = {
    format: RELEASE_FORMAT,
    name: c.name,
    description: c.description,
    timeZone: c.timeZone,
    fieldRules: c.fieldRules,
  };
  out[RELEASE_FILE] = `${JSON.stringify(head, null, 2)}\n`;
  for (const spec of TABLES) {
    const rows = (c[spec.name] as unknown as readonly Record<string, unknown>[]).map((r) =>
      spec.columns.map((col) => {
        const v = r[col.field];
        if (v === null) return '';
        if (col.kind === 'money') return formatMoney(v as bigint, String(r['currency']));
        return String(v);
      }),
    );
    out[spec.file] = writeCsv(
      spec.columns.map((col) => col.header),
      rows,
    );
  }
  return out;
}
