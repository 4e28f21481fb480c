import { CrosswalkError } from '../errors/index.ts';

/**
 * RFC 4180 CSV as a team edits it in git: comma-separated, `"` quotes with `""` for a quote, line breaks
 * inside quotes, LF or CRLF, an optional UTF-8 BOM. Blank lines and lines starting with `#` (outside
 * quotes) are skipped, so reviewers can leave notes. Every record keeps the line it started on, for errors.
 */

export interface CsvRecord {
  /** 1-based line number the record starts on. */
  readonly line: number;
  readonly cells: readonly string[];
}

export function parseCsv(text: string, file: string): CsvRecord[] {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  let line = 1;
  let i = 0;
  while (i < src.length) {
    const start = line;
    // Blank lines and comment lines hold no record.
    if (src[i] === '#') {
      const nl = src.indexOf('\n', i);
      i = nl === -1 ? src.length : nl + 1;
      line++;
      continue;
    }
    if (src[i] === '\n' || src[i] === '\r') {
      i += src[i] === '\r' && src[i + 1] === '\n' ? 2 : 1;
      line++;
      continue;
    }
    const cells: string[] = [];
    let cell = '';
    let quoted = false;
    let afterQuote = false;
    for (;;) {
      if (i >= src.length) {
        if (quoted)
          throw new CrosswalkError('CW_ERR_MAP_FILE', { file, line: start, reason: 'unclosed quote' });
        cells.push(cell);
        break;
      }
      const c = src[i]!;
      if (quoted) {
        if (c === '"') {
          if (src[i + 1] === '"') {
            cell += '"';
            i += 2;
          } else {
            quoted = false;
            afterQuote = true;
            i++;
          }
        } else {
          if (c === '\n') line++;
          cell += c;
          i++;
        }
        continue;
      }
      if (c === ',') {
        cells.push(cell);
        cell = '';
        afterQuote = false;
        i++;
      } else if (c === '\n' || c === '\r') {
        cells.push(cell);
        i += c === '\r' && src[i + 1] === '\n' ? 2 : 1;
        line++;
        break;
      } else if (c === '"' && cell === '' && !afterQuote) {
        quoted = true;
        i++;
      } else if (afterQuote) {
        throw new CrosswalkError('CW_ERR_MAP_FILE', {
          file,
          line,
          reason: 'text after a closing quote; double a quote inside a quoted cell',
        });
      } else {
        if (c === '"') {
          throw new CrosswalkError('CW_ERR_MAP_FILE', {
            file,
            line,
            reason: 'a quote inside an unquoted cell; quote the whole cell and double the quote',
          });
        }
        cell += c;
        i++;
      }
    }
    records.push({ line: start, cells: cells.map(unneutraliseFormula) });
  }
  return records;
}

/** A plain decimal number: a spreadsheet reads it as a number and it can carry no formula. */
const NUMERIC = /^[+-]?\d+(\.\d+)?$/;

/**
 * OWASP's CSV injection guidance: a spreadsheet treats a cell starting with = + - @ tab or CR as a
 * formula; a leading apostrophe makes it text. Numbers such as `-12.50` stay numbers. A cell that
 * already starts with apostrophes before such a character gets one more, so `unneutraliseFormula`
 * gives back exactly what was written.
 */
export function neutraliseFormula(value: string): string {
  return /^'*[=+\-@\t\r]/.test(value) && !NUMERIC.test(value) ? `'${value}` : value;
}

/** The inverse of `neutraliseFormula`, for files this module wrote and a person may have edited. */
export function unneutraliseFormula(value: string): string {
  return /^'+[=+\-@\t\r]/.test(value) ? value.slice(1) : value;
}

function quote(cell: string): string {
  const v = neutraliseFormula(cell);
  return /[",\r\n#]|^\s|\s$/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

/** Cells are neutralised against formula injection (see `neutraliseFormula`); `parseCsv` undoes it. */
export function writeCsv(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [header, ...rows].map((r) => r.map(quote).join(',')).join('\n') + '\n';
}
