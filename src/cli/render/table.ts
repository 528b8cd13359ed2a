import { stripVTControlCharacters } from 'node:util';
import stringWidth from 'string-width';
import wrapAnsi from 'wrap-ansi';

/** Columns are this many spaces apart (kubectl's tabwriter padding). */
const COLUMN_GAP = '   ';

/**
 * A kubectl-style table: upper-case headers, no borders, columns three spaces apart, no trailing
 * spaces, laid out in one pass over the cells (kubectl's tabwriter, in effect). Written here rather
 * than with cli-table3: cli-table3 took ~775 ms for 2,000 rows (`skew` on a cluster with 2,000
 * gateways), merging options and measuring every cell several times. Widths are measured as
 * cli-table3 did (string-width, colour codes excluded); a cell with line breaks spans several lines.
 */
export function renderTable(head: string[], rows: string[][]): string {
  const lines = [head, ...rows].flatMap((r) => splitLines(head.map((_, i) => r[i] ?? '')));
  const measured = lines.map((r) => r.map((cell) => ({ cell, width: stringWidth(cell) })));
  const widths = head.map((_, i) => Math.max(0, ...measured.map((r) => r[i]?.width ?? 0)));
  const line = (r: { cell: string; width: number }[]): string =>
    r
      .map((c, i) => c.cell + ' '.repeat((widths[i] ?? 0) - c.width))
      .join(COLUMN_GAP)
      .trimEnd();
  return `${measured.map(line).join('\n')}\n`;
}

/** A row whose cells hold line breaks, as one row per line (the other cells empty below their first line). */
function splitLines(row: string[]): string[][] {
  if (!row.some((c) => c.includes('\n'))) return [row];
  const cells = row.map((c) => c.split('\n'));
  const height = Math.max(...cells.map((c) => c.length));
  return Array.from({ length: height }, (_, line) => cells.map((c) => c[line] ?? ''));
}

/** `1998` -> `1,998` (fixed, not the locale's: output is the same everywhere). */
export function count(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

const visible = (s: string): number => stripVTControlCharacters(s).length;

/**
 * As many leading `items` as fit in `width` characters, then the count of the rest:
 * `reviews, orders, +1,998 more` (`more` is dropped when even that does not fit: `tags,+4`).
 * `keep: 'end'` keeps the last items instead: `+3 more > 1-26-1 > 1-27-9`. At least the count is
 * shown; `empty` when there are no items.
 */
export function cutList(
  items: readonly string[],
  width: number,
  sep = ',',
  empty = '-',
  keep: 'start' | 'end' = 'start',
): string {
  if (items.length === 0) return empty;
  const all = items.join(sep);
  if (visible(all) <= width) return all;
  const ordered = keep === 'start' ? items : [...items].reverse();
  const join = (shown: readonly string[], rest: string): string =>
    (keep === 'start' ? [...shown, rest] : [rest, ...[...shown].reverse()]).join(sep);
  const total = `+${count(items.length)}`;
  // The most items that fit with `+N more`; only when not even one does, the most with `+N`.
  let long: string | undefined;
  let short: string | undefined;
  let used = 0;
  for (let shown = 1; shown < items.length; shown++) {
    used += visible(ordered[shown - 1] ?? '') + sep.length;
    const rest = `+${count(items.length - shown)}`;
    if (used + rest.length + ' more'.length <= width) long = join(ordered.slice(0, shown), `${rest} more`);
    if (used + rest.length <= width) short = join(ordered.slice(0, shown), rest);
    else break;
  }
  const best = long ?? short ?? (visible(`${total} more`) <= width ? `${total} more` : total);
  return best;
}

/** `text` cut to `width` characters with `…` (colour is dropped from a cut cell). */
export function cutText(text: string, width: number): string {
  if (visible(text) <= width) return text;
  return `${stripVTControlCharacters(text).slice(0, Math.max(0, width - 1))}…`;
}

/** A list cell: joined with `sep`, cut with a count when the column must give way. */
export interface ListCell {
  items: readonly string[];
  sep?: string;
  /** Which end a cut keeps (default the first items). */
  keep?: 'start' | 'end';
}
/** A cell with a shorter form, used for the whole column when it must give way (`webhook+service ok` -> `ok`). */
export interface ShortCell {
  text: string;
  short: string;
}
export type Cell = string | ListCell | ShortCell;

export interface Column {
  head: string;
  /**
   * How the column gives way on a narrow terminal: drop list items (`list`), use the short form
   * (`short`), cut the text (`text`), or wrap it within the column (`wrap`; below the rows when
   * the column cannot get `min` characters).
   */
  shrink?: 'list' | 'short' | 'text' | 'wrap';
  /** Hidden (lowest first) when the table does not fit even with every column given way. */
  hide?: number;
  /** `wrap`: the narrowest the column may get (default WRAP_MIN). */
  min?: number;
}

/** A table laid out for a terminal: the grid, and per row the text of a `wrap` column that went below it. */
export interface FittedTable {
  head: string[];
  rows: string[][];
  /** Per row of `rows`: the lines printed under it (a `wrap` column too wide for the grid), or undefined. */
  below?: (string[] | undefined)[];
  /** Per row of `rows`: the input row it shows (a cell wrapped in its column continues on more rows); undefined: one each. */
  source?: number[];
}

/** A list cell is never wider than this, whatever the terminal (a revision with 40 tags stays one line). */
export const LIST_CELL_MAX = 40;
/** A `wrap` column narrower than this goes below the rows instead. */
export const WRAP_MIN = 50;
/** How far the text below a row is indented. */
const BELOW_INDENT = 4;
const GAP = 3;
const TEXT_MIN = 12;

function full(c: Cell): string {
  if (typeof c === 'string') return c;
  if ('items' in c) return cutList(c.items, LIST_CELL_MAX, c.sep, '-', c.keep);
  return c.text;
}

/** What a column needs at least: its header, the short forms, one item and a count, a few characters, or WRAP_MIN. */
function minWidth(col: Column, cells: Cell[]): number {
  const head = col.head.length;
  if (col.shrink === 'short')
    return Math.max(head, ...cells.map((c) => visible(typeof c === 'object' && 'short' in c ? c.short : full(c))));
  // A list keeps at least one item and the count of the others: `default,+1`.
  if (col.shrink === 'list')
    return Math.max(
      head,
      ...cells.map((c) => visible(typeof c === 'object' && 'items' in c ? shortestCut(c) : full(c))),
    );
  if (col.shrink === 'text') return Math.max(head, Math.min(TEXT_MIN, Math.max(...cells.map((c) => visible(full(c))))));
  if (col.shrink === 'wrap')
    return Math.max(head, Math.min(col.min ?? WRAP_MIN, Math.max(...cells.map((c) => visible(full(c))))));
  return Math.max(head, ...cells.map((c) => visible(full(c))));
}

function shortestCut(c: ListCell): string {
  const sep = c.sep ?? ',';
  if (c.items.length <= 1) return c.items[0] ?? '-';
  const one = c.keep === 'end' ? c.items.at(-1) : c.items[0];
  return `${one ?? ''}${sep}+${count(c.items.length - 1)}`;
}

/** A cell given way to `width`: lines (more than one only for `wrap`). */
function shrunk(c: Cell, col: Column, width: number): string[] {
  if (typeof c === 'object' && 'short' in c) return [c.short];
  if (typeof c === 'object' && 'items' in c) return [cutList(c.items, width, c.sep, '-', c.keep)];
  if (col.shrink === 'wrap') return wrapAnsi(c, width, { hard: true, trim: true }).split('\n');
  return [col.shrink === 'text' ? cutText(c, width) : c];
}

/**
 * kubectl's layout for a terminal `width` columns wide (undefined: not a terminal, nothing is
 * cut but long list cells): when the table is wider, the columns that can give way do (short
 * forms first, then the rightmost first, down to what they need at least); if that is not enough,
 * the columns with a `hide` rank are left out, lowest first (`-o wide` and the detail views show
 * everything); if even that is not enough, a `wrap` column goes below each row instead, and the
 * rest is laid out again. Returns the header and the rows as text, for `renderTable`
 * (`renderFitted` prints the text below the rows too).
 */
export function fitTable(columns: Column[], rows: Cell[][], width: number | undefined): FittedTable {
  const grid = withHiding(columns, rows, width);
  if (grid !== undefined) return grid;
  const wrap = columns.findIndex((c) => c.shrink === 'wrap');
  if (width !== undefined && wrap >= 0) {
    const rest = columns.map((_, i) => i).filter((i) => i !== wrap);
    const laid =
      withHiding(
        rest.map((i) => columns[i] as Column),
        rows.map((r) => rest.map((i) => r[i] ?? '')),
        width,
      ) ??
      narrowest(
        rest.map((i) => columns[i] as Column),
        rows.map((r) => rest.map((i) => r[i] ?? '')),
        width,
      );
    const below = rows.map((r) => {
      const text = full(r[wrap] ?? '');
      return text === '' ? undefined : belowLines(text, width);
    });
    return { ...laid, below };
  }
  return narrowest(columns, rows, width);
}

/** fitTable without the `below` step: undefined when even every hidden column is not enough. */
function withHiding(columns: Column[], rows: Cell[][], width: number | undefined): FittedTable | undefined {
  const hideOrder = columns
    .map((c, i) => ({ i, rank: c.hide }))
    .filter((c) => c.rank !== undefined)
    .sort((a, b) => (a.rank ?? 0) - (b.rank ?? 0))
    .map((c) => c.i);
  for (let hidden = 0; hidden <= hideOrder.length; hidden++) {
    const keep = columns.map((_, i) => i).filter((i) => !hideOrder.slice(0, hidden).includes(i));
    const laid = layout(
      keep.map((i) => columns[i] as Column),
      rows.map((r) => keep.map((i) => r[i] ?? '')),
      width,
    );
    if (laid.fits) return laid.table;
  }
  return undefined;
}

/** When nothing fits: every column that may be hidden is, the rest as narrow as each may get (the terminal wraps). */
function narrowest(columns: Column[], rows: Cell[][], width: number | undefined): FittedTable {
  const keep = columns.map((c, i) => (c.hide === undefined ? i : -1)).filter((i) => i >= 0);
  return layout(
    keep.map((i) => columns[i] as Column),
    rows.map((r) => keep.map((i) => r[i] ?? '')),
    width,
  ).table;
}

/**
 * The columns at their natural width, or given way to fit `width`; when even that is too wide,
 * `fits` is false and every column is as narrow as it may get (the terminal wraps the rest).
 */
function layout(columns: Column[], rows: Cell[][], width: number | undefined): { table: FittedTable; fits: boolean } {
  const head = columns.map((c) => c.head);
  const naturalRows = rows.map((r) => r.map(full));
  const natWidths = columns.map((c, i) => Math.max(c.head.length, ...naturalRows.map((r) => visible(r[i] ?? ''))));
  const widths = [...natWidths];
  const total = (): number => widths.reduce((a, b) => a + b, 0) + GAP * (columns.length - 1);
  if (width === undefined || total() <= width) return { table: { head, rows: naturalRows }, fits: true };
  const mins = columns.map((c, i) =>
    c.shrink === undefined
      ? (widths[i] ?? 0)
      : minWidth(
          c,
          rows.map((r) => r[i] ?? ''),
        ),
  );
  // The short forms go all at once (a column of mixed forms reads badly).
  columns.forEach((c, i) => {
    if (c.shrink === 'short' && total() > width) widths[i] = mins[i] ?? 0;
  });
  // The rightmost columns give way first (kubectl puts the least important last).
  for (let i = columns.length - 1; i >= 0 && total() > width; i--) {
    const c = columns[i] as Column;
    if (c.shrink === undefined || c.shrink === 'short') continue;
    widths[i] = Math.max(mins[i] ?? 0, (widths[i] ?? 0) - (total() - width));
  }
  // A wrapped cell is several lines: the row continues on rows of empty cells.
  const out: string[][] = [];
  const source: number[] = [];
  rows.forEach((r, ri) => {
    const cells = r.map((c, i) =>
      (widths[i] ?? 0) < (natWidths[i] ?? 0)
        ? shrunk(c, columns[i] as Column, widths[i] ?? 0)
        : [naturalRows[ri]?.[i] ?? ''],
    );
    const height = Math.max(...cells.map((c) => c.length));
    for (let line = 0; line < height; line++) {
      out.push(cells.map((c) => c[line] ?? ''));
      source.push(ri);
    }
  });
  return { table: { head, rows: out, source }, fits: total() <= width };
}

/** Text printed under a row: indented, wrapped at the terminal's width (undefined: not wrapped). */
function belowLines(text: string, width: number | undefined): string[] {
  const wrapped =
    width === undefined ? text : wrapAnsi(text, Math.max(20, width - BELOW_INDENT), { hard: false, trim: true });
  return wrapped.split('\n').map((l) => `${' '.repeat(BELOW_INDENT)}${l}`);
}

/**
 * fitTable, then renderTable, with the text that went below each row under it, and after that the
 * row's note (`notes[i]` belongs to `rows[i]`: the fleet table's error of a cluster), indented.
 */
export function renderFitted(
  columns: Column[],
  rows: Cell[][],
  width: number | undefined,
  notes?: (string | undefined)[],
): string {
  const t = fitTable(columns, rows, width);
  const text = renderTable(t.head, t.rows);
  if (t.below === undefined && notes === undefined) return text;
  const lines = text.split('\n');
  const out = [lines[0] ?? ''];
  t.rows.forEach((_, i) => {
    out.push(lines[i + 1] ?? '', ...(t.below?.[i] ?? []));
    const from = t.source?.[i] ?? i;
    const note = notes?.[from];
    // After the last line of its row (a wrapped cell continues on more lines).
    if (note !== undefined && (t.source?.[i + 1] ?? i + 1) !== from) out.push(...belowLines(note, width));
  });
  return `${out.join('\n')}\n`;
}
