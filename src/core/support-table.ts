/**
 * Istio's support table as data (istio-semantics.md §5.2): release and end-of-life dates and the
 * Kubernetes versions each minor supports ("tested, not supported" where istio.io lists them).
 *
 * Source: istio.io `data/compatibility/supportStatus.yml` (supported-releases page), rows 1.20-1.22
 * from a stored copy (0a759c7f), 1.23-1.24 and final EOL dates of 1.21/1.22 from endoflife.date;
 * assembled 2026-08-22. To extend: add a row for the new minor, nothing else changes.
 */

/** One Istio minor's support facts. Dates are ISO days; `eolApproximate` marks "~Aug 2026 (Expected)". */
export interface SupportRow {
  minor: string;
  released: string;
  endOfLife: string;
  eolApproximate?: boolean;
  /** Supported Kubernetes minors, inclusive: [min, max]. */
  kubernetes: [string, string];
  /** Tested but not supported Kubernetes minors, inclusive (a `warn`). */
  tested?: [string, string];
}

export const SUPPORT_TABLE_SOURCE = 'istio.io supported releases (data/compatibility/supportStatus.yml), assembled 2026-08-22';

export const SUPPORT_TABLE: readonly SupportRow[] = [
  { minor: '1.20', released: '2023-11-14', endOfLife: '2024-06-25', kubernetes: ['1.25', '1.29'] },
  { minor: '1.21', released: '2024-03-13', endOfLife: '2024-09-27', kubernetes: ['1.26', '1.29'] },
  { minor: '1.22', released: '2024-05-13', endOfLife: '2025-01-22', kubernetes: ['1.27', '1.30'] },
  { minor: '1.23', released: '2024-08-14', endOfLife: '2025-04-16', kubernetes: ['1.27', '1.30'] },
  { minor: '1.24', released: '2024-11-07', endOfLife: '2025-06-24', kubernetes: ['1.28', '1.31'] },
  { minor: '1.25', released: '2025-03-03', endOfLife: '2025-09-30', kubernetes: ['1.29', '1.32'] },
  { minor: '1.26', released: '2025-05-08', endOfLife: '2025-12-22', kubernetes: ['1.29', '1.33'] },
  { minor: '1.27', released: '2025-08-11', endOfLife: '2026-04-07', kubernetes: ['1.29', '1.33'] },
  { minor: '1.28', released: '2025-11-05', endOfLife: '2026-07-01', kubernetes: ['1.30', '1.34'], tested: ['1.25', '1.29'] },
  { minor: '1.29', released: '2026-02-16', endOfLife: '2026-08-31', eolApproximate: true, kubernetes: ['1.31', '1.35'] },
  { minor: '1.30', released: '2026-05-14', endOfLife: '2026-11-30', eolApproximate: true, kubernetes: ['1.32', '1.36'], tested: ['1.27', '1.31'] },
];
