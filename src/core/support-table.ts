/**
 * Istio's support table as data (istio-semantics.md §5.2): release and end-of-life dates, the
 * Kubernetes versions each minor supports ("tested, not supported" where istio.io lists them) and
 * the newest patch release known for each minor (what `skew --target 1.29` and the one-minor steps
 * of ztunnel and istio-cni upgrade to, §5.3).
 *
 * Sources (§5.2 "How the table was assembled"): istio.io `data/compatibility/supportStatus.yml`
 * (master copy for 1.25-1.30; stored copy 0a759c7f for 1.20-1.22); endoflife.date for 1.23-1.24 and
 * the final EOL dates of 1.21/1.22; the 1.31 row and its Kubernetes range (1.32-1.37 since istio.io
 * #17638, 2026-09-30) from a later quote of master; 1.29's final EOL (2026-10-15) from the 1.29.9
 * announcement. Release dates are the tag dates (the yml says 1.30 "May 14" and 1.31 "Aug 27").
 * Latest patches: the newest release tag of each minor in istio/istio (§Sources), plus 1.29.9, 1.30.4
 * and 1.31.0 from istio.io's release pages. 1.32 is not published: it has no row.
 * To extend: add a row for the new minor (or bump `latestPatch`) and SUPPORT_DATA_AS_OF; nothing else changes.
 */

/** One Istio minor's support facts. Dates are ISO days; `eolApproximate` marks "~Nov 2026 (Expected)". */
export interface SupportRow {
  minor: string;
  released: string;
  endOfLife: string;
  eolApproximate?: boolean;
  /** Supported Kubernetes minors, inclusive: [min, max]. */
  kubernetes: [string, string];
  /** Tested but not supported Kubernetes minors, inclusive (a `warn`). */
  tested?: [string, string];
  /** The newest patch release of this minor known when the table was assembled. */
  latestPatch?: string;
}

/** When the table was last brought up to date: a newer patch or minor than it knows may exist. */
export const SUPPORT_DATA_AS_OF = '2026-10-15';

/** Where an operator checks what the table does not know. */
export { SUPPORT_DATA_URL } from './labels.ts';

/** A row in the table's column order: minor, released, end of life, Kubernetes [min, max], latest patch. */
function row(
  minor: string,
  released: string,
  endOfLife: string,
  kubernetes: [string, string],
  latestPatch: string | undefined,
  more: Pick<SupportRow, 'eolApproximate' | 'tested'> = {},
): SupportRow {
  return { minor, released, endOfLife, kubernetes, ...(latestPatch !== undefined ? { latestPatch } : {}), ...more };
}

export const SUPPORT_TABLE: readonly SupportRow[] = [
  row('1.20', '2023-11-14', '2024-06-25', ['1.25', '1.29'], undefined),
  row('1.21', '2024-03-13', '2024-09-27', ['1.26', '1.29'], '1.21.6'),
  row('1.22', '2024-05-13', '2025-01-22', ['1.27', '1.30'], '1.22.8'),
  row('1.23', '2024-08-14', '2025-04-16', ['1.27', '1.30'], '1.23.6'),
  row('1.24', '2024-11-07', '2025-06-24', ['1.28', '1.31'], '1.24.6'),
  row('1.25', '2025-03-03', '2025-09-30', ['1.29', '1.32'], '1.25.5'),
  row('1.26', '2025-05-08', '2025-12-22', ['1.29', '1.33'], '1.26.8'),
  row('1.27', '2025-08-11', '2026-04-07', ['1.29', '1.33'], '1.27.9'),
  row('1.28', '2025-11-05', '2026-07-01', ['1.30', '1.34'], '1.28.10', { tested: ['1.25', '1.29'] }),
  row('1.29', '2026-02-16', '2026-10-15', ['1.31', '1.35'], '1.29.9'),
  row('1.30', '2026-05-18', '2026-11-30', ['1.32', '1.36'], '1.30.4', {
    eolApproximate: true,
    tested: ['1.27', '1.31'],
  }),
  row('1.31', '2026-08-31', '2027-02-28', ['1.32', '1.37'], '1.31.0', {
    eolApproximate: true,
    tested: ['1.27', '1.31'],
  }),
];

/** The row of a minor line (`1.29`), if the table has one. */
export function supportRow(minorLine: string): SupportRow | undefined {
  return SUPPORT_TABLE.find((r) => r.minor === minorLine);
}
