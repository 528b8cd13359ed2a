/**
 * Istio's version-dependent behaviours as named predicates, each citing istio-semantics.md. Versions
 * are compared by range (never looked up exactly); a prerelease counts as its release (`1.31.0-rc.0`
 * behaves like 1.31.0, §5.2), and an unknown version (`undefined`) takes the current behaviour.
 */
import semver from 'semver';

/** A half-open version range `[from, to)`; `to` absent means "and later". */
export type VersionRange = readonly [from: string, to?: string];

/** `1.31.0-rc.0` -> `1.31.0`, `v1.30.3-distroless` -> `1.30.3`; undefined when no version can be read. */
export function releaseOf(version: string): string | undefined {
  return semver.coerce(version)?.version;
}

/** True when `version` falls in any of the ranges. */
export function inRanges(version: string, ranges: readonly VersionRange[]): boolean {
  const v = releaseOf(version);
  if (v === undefined) return false;
  return ranges.some(([from, to]) => semver.gte(v, from) && (to === undefined || semver.lt(v, to)));
}

/** istiod of this version falls back to `istiod-default-validator` to find the default revision (§3.1, #57467). */
export function readsDefaultValidator(version: string | undefined): boolean {
  return version === undefined || inRanges(version, [['1.25.5', '1.26.0'], ['1.26.4', '1.27.0'], ['1.27.1']]);
}

/** istiod of this version reads tag Services (`istio.io/tag` Services in its namespace) into its tags (§3.1, 1.28+). */
export function readsTagServices(version: string | undefined): boolean {
  return version === undefined || inRanges(version, [['1.28.0']]);
}
