import Table from 'cli-table3';

const NO_BORDERS = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
  bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '',
  right: '', 'right-mid': '', middle: '   ',
};

/**
 * A kubectl-style table: upper-case headers, no borders, columns three spaces apart, no trailing
 * spaces. Cells may contain ANSI colour (cli-table3 measures the visible width).
 */
export function renderTable(head: string[], rows: string[][]): string {
  const t = new Table({ head, chars: NO_BORDERS, style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 } });
  for (const r of rows) t.push(r);
  return `${t.toString().split('\n').map((l) => l.trimEnd()).join('\n')}\n`;
}
