import { cliIo } from './io.ts';

/** Prints data either as JSON (with bigint as strings) or through a human formatter. */
export function emit(json: boolean, data: unknown, human: () => string): void {
  if (json) {
    cliIo().stdout.write(
      `${JSON.stringify(data, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`,
    );
  } else {
    cliIo().stdout.write(`${human()}\n`);
  }
}

export function table(rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return '';
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '))
    .join('\n');
}
