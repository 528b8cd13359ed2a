/**
 * Every version-dependent Istio behaviour the tool relies on, as a named predicate or range citing
 * istio-semantics.md (§n.n). Versions are compared by range, never looked up exactly; a prerelease
 * counts as its release (`1.31.0-rc.0` behaves like 1.31.0, §5.2). Predicates that take
 * `string | undefined` say what an unknown version means; a text that is no version is in no range.
 * The §5.4 hazard table (hazards.ts) is data over these ranges.
 */
import semver from 'semver';
import { CRD_MARKER_1_30 } from './labels.ts';
import { minorDistance } from './version.ts';

// ---- Versions and ranges ----

/** `1.31.0-rc.0` -> `1.31.0`, `v1.30.3-distroless` -> `1.30.3`; undefined when no version can be read. */
export function releaseOf(version: string): string | undefined {
  return semver.coerce(version)?.version;
}

/** The release a version is judged as (see `releaseOf`); a text that is no version is returned as it is. */
export function asRelease(version: string): string {
  return releaseOf(version) ?? version;
}

/** A half-open version range: `from` included (none = every older version), `to` excluded (none = no end). */
export interface VersionRange {
  from?: string;
  to?: string;
}

/** True when `version` falls in any of `ranges`; false for a text that is no version. */
export function inRanges(version: string, ranges: readonly VersionRange[]): boolean {
  const v = releaseOf(version);
  if (v === undefined) return false;
  return ranges.some(
    (r) => (r.from === undefined || semver.gte(v, r.from)) && (r.to === undefined || semver.lt(v, r.to)),
  );
}

/** `[{from:'1.24.3',to:'1.29.5'},{from:'1.30.0'}]` -> `1.24.3 to <1.29.5, >=1.30.0` (for messages). */
export function describeRanges(ranges: readonly VersionRange[]): string {
  const one = (r: VersionRange): string => {
    if (r.from === undefined) return `<${r.to ?? '?'}`;
    return r.to === undefined ? `>=${r.from}` : `${r.from} to <${r.to}`;
  };
  return ranges.map(one).join(', ');
}

// ---- The tag template of the istiod chart (§1.2, §1.3) ----

/** 1.21/1.22 charts offer `admissionReviewVersions: [v1beta1, v1]`; 1.23+ only v1 (§1.2, #51589). */
export function offersAdmissionReviewV1beta1(chartVersion: string): boolean {
  return inRanges(chartVersion, [{ to: '1.23.0' }]);
}

/** 1.24+ charts add `app.kubernetes.io/*` and `helm.sh/chart` labels to tag objects (§1.2, `istio.labels`). */
export function rendersHelmLabels(chartVersion: string): boolean {
  return inRanges(chartVersion, [{ from: '1.24.0' }]);
}

/** 1.28+ charts render the tag Service `istiod-revision-tag-<tag>` next to the webhook (§1.2, §1.3, #56963). */
export function rendersTagService(chartVersion: string): boolean {
  return inRanges(chartVersion, [{ from: '1.28.0' }]);
}

// ---- How istiod finds its tags and the default revision (§3.1) ----

/** istiod falls back to `istiod-default-validator` to find the default revision (§3.1, #57467); unknown: yes. */
export function readsDefaultValidator(version: string | undefined): boolean {
  return (
    version === undefined ||
    inRanges(version, [{ from: '1.25.5', to: '1.26.0' }, { from: '1.26.4', to: '1.27.0' }, { from: '1.27.1' }])
  );
}

/** istiod reads tag Services (`istio.io/tag` Services in its namespace) into its tags (§3.1, 1.28+); unknown: yes. */
export function readsTagServices(version: string | undefined): boolean {
  return version === undefined || inRanges(version, [{ from: '1.28.0' }]);
}

// ---- Gateways and waypoints (§3.2) ----

/** The first release that programs Gateways and waypoints labelled with a tag (§3.2, #54465). */
export const TAG_LABELLED_GATEWAYS_FIX = '1.24.3';

/** istiod versions that do not program Gateways/waypoints labelled with a tag (§3.2, §5.4). */
export const IGNORES_TAG_LABELLED_GATEWAYS: readonly VersionRange[] = [{ to: TAG_LABELLED_GATEWAYS_FIX }];

/** istiod programs Gateways and waypoints whose `istio.io/rev` is a tag (§3.2). */
export function programsTagLabelledGateways(version: string): boolean {
  return !inRanges(version, IGNORES_TAG_LABELLED_GATEWAYS);
}

/** istiod versions that push ~30 s of empty xDS to the proxies of a Gateway whose tag moves off them (§3.2, #59959). */
export const EMPTY_CONFIG_ON_MOVE: readonly VersionRange[] = [
  { from: '1.24.3', to: '1.29.5' },
  { from: '1.30.0', to: '1.30.2' },
];

/** Moving a tag off (or onto) this istiod empties its followers' config for about 30 s (§3.2); unknown: no. */
export function emptiesConfigOnMove(version: string | undefined): boolean {
  return version !== undefined && inRanges(version, EMPTY_CONFIG_ON_MOVE);
}

// ---- The Istio CRDs (§4.3) ----

/** The 1.24+ base chart templates the CRDs with Helm labels (older charts install them once, unlabelled) (§4.3). */
export function baseChartTemplatesCrds(version: string): boolean {
  return inRanges(version, [{ from: '1.24.0' }]);
}

/** CRDs for this version include the 1.30 schema marker (`trafficextensions.extensions.istio.io`, §4.3). */
export function crdsHave130Marker(version: string): boolean {
  return inRanges(version, [{ from: CRD_MARKER_1_30.since }]);
}

// ---- Skew (§5.1, §5.3) ----

/** A data-plane component may be this many minors behind its control plane, never ahead (§5.1). */
export const MAX_DATA_PLANE_LAG = 1;

/** A revision-based istiod upgrade may jump this many minors (1.15 -> 1.17, §5.1). */
export const MAX_REVISION_JUMP = 2;

/** ztunnel and istio-cni move this many minors per upgrade step (§5.3). */
export const MAX_AGENT_STEP = 1;

/**
 * A tag move from `from` to `to` goes back more than one minor: the gateways and waypoints that follow
 * the tag are re-rendered by the older istiod at once (§3.2), past what the skew rules plan for (§5.1).
 */
export function movesBackSeveralMinors(from: string, to: string): boolean {
  return (minorDistance(to, from) ?? 0) > 1;
}

// ---- ztunnel features that hazards depend on (§5.4) ----

/** ztunnel honours dry-run AuthorizationPolicies as dry-run (older ones enforce them, §5.4); unknown: yes. */
export function ztunnelHonoursDryRunAuthz(version: string | undefined): boolean {
  return version === undefined || semver.valid(version) === null || inRanges(version, [{ from: '1.29.0' }]);
}

/** ztunnel reads weighted waypoint canaries (§3.10, §5.4); unknown: yes. */
export function ztunnelReadsWaypointCanary(version: string | undefined): boolean {
  return version === undefined || semver.valid(version) === null || inRanges(version, [{ from: '1.31.0' }]);
}
