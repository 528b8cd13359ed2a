import Table from 'cli-table3';
import { stripVTControlCharacters } from 'node:util';

const NO_BORDERS = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
  bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '',
  right: '', 'right-mid': '', middle: '   ',
};

/**
 * Above this many rows the table is laid out by `alignColumns` instead of cli-table3: for 2,000
 * rows (`skew` on a cluster with 2,000 gateways) cli-table3 took ~700 ms and ~40 MiB, merging
 * options and measuring every cell; both give the same text (a test checks it).
 */
export const LARGE_TABLE_ROWS = 200;

/**
 * A kubectl-style table: upper-case headers, no borders, columns three spaces apart, no trailing
 * spaces. Cells may contain ANSI colour (the visible width is what counts).
 */
export function renderTable(head: string[], rows: string[][]): string {
  if (rows.length > LARGE_TABLE_ROWS) return alignColumns(head, rows);
  const t = new Table({ head, chars: NO_BORDERS, style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 } });
  for (const r of rows) t.push(r);
  return `${t.toString().split('\n').map((l) => l.trimEnd()).join('\n')}\n`;
}

/** The same layout as `renderTable` in one pass over the cells (kubectl's tabwriter, in effect). */
export function alignColumns(head: string[], rows: string[][]): string {
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((r) => stripVTControlCharacters(r[i] ?? '').length)));
  const line = (r: string[]): string =>
    head
      .map((_, i) => {
        const cell = r[i] ?? '';
        return cell + ' '.repeat((widths[i] ?? 0) - stripVTControlCharacters(cell).length);
      })
      .join('   ')
      .trimEnd();
  return `${all.map(line).join('\n')}\n`;
}
