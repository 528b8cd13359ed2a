/**
 * Version-specific traps of an ambient upgrade (istio-semantics.md §5.4), as data beside the support
 * table: which versions of which component are affected (half-open ranges), when the trap matters
 * (`trigger`), what else must hold (`condition`), what to do, and where it comes from. `evaluateHazards`
 * turns the rows into findings; `skew` reports them for the mesh as it is and for `--target`.
 *
 * Rows were written from §5.4 on 2026-11-30 (`recorded`); the doc read Istio up to 1.30.3,
 * 1.31.0-rc.0 and the release-1.29/1.30/1.31 branch heads (2026-08-20/22). "Fixed after 1.29.6/1.30.3"
 * ranges are inferred there from the branches (tags not read), and so are they here. To extend: add a
 * row; a new `condition` needs one case in `conditionHolds`.
 *
 * Not here: the node-agent skew itself (ztunnel or CNI more than one minor behind, a two-minor step),
 * which is `skew`'s main rule (§5.1, §5.3).
 */
import semver from 'semver';
import { USE_WAYPOINT_CANARY } from './labels.ts';
import { nameList } from './mesh.ts';
import {
  EMPTY_CONFIG_ON_MOVE,
  IGNORES_TAG_LABELLED_GATEWAYS,
  MAX_AGENT_STEP,
  describeRanges,
  inRanges,
  ztunnelHonoursDryRunAuthz,
  ztunnelReadsWaypointCanary,
  type VersionRange,
} from './istio-rules.ts';
import { isPrerelease, minorDistance } from './version.ts';

/** When a row matters. */
export type HazardTrigger =
  /** A revision in use now (or the target, with `--target`) is in range. */
  | 'in-use'
  /** `--target` is in range and a revision in use now (istio-cni: the CNI now) is not: the upgrade crosses into it. */
  | 'crossing'
  /** `--target` is in range (advice for installing it). */
  | 'target'
  /** `--target` moves tags away from a revision in range. */
  | 'moving-from'
  /** A revision in range and one in `conflictsWith` are in use at once (now, or during the upgrade). */
  | 'both-in-use';

/** An extra fact a row needs besides the version (one predicate each in `conditionHolds`). */
export type HazardCondition =
  | 'none'
  /** istiod sets AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY=true and a ztunnel < 1.29 is pinned to it. */
  | 'dry-run-authz-with-old-ztunnel'
  /** Namespaces carry weighted-waypoint-canary labels and a ztunnel < 1.31 runs. */
  | 'canary-with-old-ztunnel'
  /** istiod-default-validator is missing or calls no running istiod. */
  | 'no-working-validator'
  /** istiod does not set ISTIO_GPRC_MAXRECVMSGSIZE. */
  | 'no-grpc-limit'
  /** Gateways or waypoints follow the revision (it manages proxies). */
  | 'manages-gateways'
  /** Gateways or waypoints are labelled with a tag that resolves to the revision. */
  | 'tag-labelled-gateways'
  /** More than one revision is installed (or will be, during the upgrade). */
  | 'several-revisions';

export interface Hazard {
  id: string;
  /** The component whose version the ranges are about. */
  component: 'istiod' | 'istio-cni' | 'ztunnel';
  ranges: readonly VersionRange[];
  /** For `both-in-use`: the versions that cannot run next to `ranges`. */
  conflictsWith?: readonly VersionRange[];
  trigger: HazardTrigger;
  condition: HazardCondition;
  severity: 'fail' | 'warn';
  /** The trap, in one clause. */
  trap: string;
  /** What to do about it. */
  advice: string;
  /** Release note, issue or code the row comes from (§5.4). */
  source: string;
  recorded: string;
}

const RECORDED = '2026-11-30';
/** Fixed in 1.31 and on release-1.29/1.30 after 1.29.6/1.30.3 (§5.4, inferred from the branches). */
const BEFORE_START_FIXES: readonly VersionRange[] = [{ to: '1.29.7' }, { from: '1.30.0', to: '1.30.4' }];

/** The table (§5.4), in the doc's order. */
export const HAZARDS: readonly Hazard[] = [
  {
    id: 'dry-run-authz-enforced',
    component: 'istiod',
    ranges: [{ from: '1.29.0' }],
    trigger: 'in-use',
    condition: 'dry-run-authz-with-old-ztunnel',
    severity: 'fail',
    trap:
      'a ztunnel older than 1.29 pinned to an istiod that sets ' +
      'AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY=true enforces dry-run AuthorizationPolicies',
    advice: 'upgrade that ztunnel to 1.29 or later before pinning it there, or unset the variable on istiod',
    source: 'releasenotes/notes/authz-dry-run-ambient.yaml (1.29.0 upgrade note)',
    recorded: RECORDED,
  },
  {
    id: 'weighted-canary-ignored',
    component: 'istiod',
    ranges: [{ from: '1.31.0' }],
    trigger: 'in-use',
    condition: 'canary-with-old-ztunnel',
    severity: 'warn',
    trap:
      `weighted waypoint canaries (${USE_WAYPOINT_CANARY}, 1.31 alpha) are ignored by ztunnel older ` +
      `than 1.31: 100 % goes to the primary`,
    advice: 'upgrade every ztunnel to 1.31 before relying on the weights',
    source: 'istio/ztunnel#1972; §3.10',
    recorded: RECORDED,
  },
  {
    id: 'gateway-api-grpcroute-minimum',
    component: 'istiod',
    ranges: [{ from: '1.22.0' }],
    trigger: 'crossing',
    condition: 'none',
    severity: 'warn',
    trap: 'GRPCRoutes are silently ignored unless the GRPCRoute CRD bundle-version is 1.1.0 or later',
    advice:
      'check: kubectl get crd grpcroutes.gateway.networking.k8s.io -o ' +
      'jsonpath="{.metadata.annotations.gateway\\.networking\\.k8s\\.io/bundle-version}"; upgrade the ' +
      'Gateway API CRDs first if older',
    source: 'pkg/kube/kclient/crdwatcher.go minimumCRDVersions',
    recorded: RECORDED,
  },
  {
    id: 'gateway-api-backendtlspolicy-minimum',
    component: 'istiod',
    ranges: [{ from: '1.28.0' }],
    trigger: 'crossing',
    condition: 'none',
    severity: 'warn',
    trap: 'BackendTLSPolicies are silently ignored unless the BackendTLSPolicy CRD bundle-version is 1.4.0 or later',
    advice:
      'check: kubectl get crd backendtlspolicies.gateway.networking.k8s.io -o ' +
      'jsonpath="{.metadata.annotations.gateway\\.networking\\.k8s\\.io/bundle-version}"; upgrade the ' +
      'Gateway API CRDs first if older',
    source: 'pkg/kube/kclient/crdwatcher.go minimumCRDVersions',
    recorded: RECORDED,
  },
  {
    id: 'gateway-api-tlsroute-minimum',
    component: 'istiod',
    ranges: [{ from: '1.30.0' }],
    trigger: 'crossing',
    condition: 'none',
    severity: 'warn',
    trap:
      'TLSRoutes are silently ignored unless the TLSRoute CRD bundle-version is 1.5.0 or later (TLS ' +
      'passthrough breaks after the upgrade)',
    advice:
      'check: kubectl get crd tlsroutes.gateway.networking.k8s.io -o ' +
      'jsonpath="{.metadata.annotations.gateway\\.networking\\.k8s\\.io/bundle-version}"; upgrade the ' +
      'Gateway API CRDs first if older (istioctl analyze IST0176 from 1.30.1)',
    source: 'pkg/config/schema/gatewayapi/minimumversions.go; gateway-api-crd-version-analyzer.yaml',
    recorded: RECORDED,
  },
  {
    id: 'gateway-api-tcproute-minimum',
    component: 'istiod',
    ranges: [{ from: '1.31.0' }],
    trigger: 'crossing',
    condition: 'none',
    severity: 'warn',
    trap: 'TCPRoutes are silently ignored unless the TCPRoute CRD bundle-version is 1.6.0 or later',
    advice:
      'check: kubectl get crd tcproutes.gateway.networking.k8s.io -o ' +
      'jsonpath="{.metadata.annotations.gateway\\.networking\\.k8s\\.io/bundle-version}"; upgrade the ' +
      'Gateway API CRDs first if older',
    source: 'pkg/config/schema/gatewayapi/minimumversions.go',
    recorded: RECORDED,
  },
  {
    id: 'gateway-api-tlsroute-windows',
    component: 'istiod',
    ranges: [
      { from: '1.27.9', to: '1.28.0' },
      { from: '1.28.6', to: '1.29.0' },
      { from: '1.29.2', to: '1.30.0' },
    ],
    conflictsWith: [{ from: '1.30.0' }],
    trigger: 'both-in-use',
    condition: 'none',
    severity: 'warn',
    trap:
      'istiod 1.27.9/1.28.6+/1.29.2+ accepts TLSRoute CRDs up to 1.4.x and 1.30+ only from 1.5.0: with ' +
      'both revisions in use, one of them ignores TLSRoutes whatever is installed',
    advice: 'keep TLSRoutes off the revision that ignores them, and move all TLSRoute users in one step',
    source: 'crdwatcher.go MaximumCRDVersions (#59500, #59982)',
    recorded: RECORDED,
  },
  {
    id: 'cni-exclude-namespaces',
    component: 'istio-cni',
    ranges: [{ from: '1.30.0' }],
    trigger: 'crossing',
    condition: 'none',
    severity: 'warn',
    trap: 'istio-cni 1.30 honours excludeNamespaces: ambient pods already enrolled in excluded namespaces are un-enrolled on upgrade',
    advice:
      'before the CNI reaches 1.30, check its values (helm get values istio-cni) for excludeNamespaces that hold ambient pods',
    source: 'releasenotes/notes/59295.yaml',
    recorded: RECORDED,
  },
  {
    id: 'wds-reconnect-limit',
    component: 'istiod',
    ranges: [{ from: '1.29.7', to: '1.30.0' }, { from: '1.30.4' }],
    trigger: 'crossing',
    condition: 'no-grpc-limit',
    severity: 'warn',
    trap:
      "ztunnel reconnect requests exceed istiod's default 4 MiB gRPC limit at about 40,000 workloads, " +
      'a ResourceExhausted reconnect loop',
    advice:
      'at that scale set ISTIO_GPRC_MAXRECVMSGSIZE on istiod (about 1 MiB per 10,000 workloads and services) before the upgrade',
    source: 'wds-reconnect-version-skip.yaml (istio/ztunnel#1966)',
    recorded: RECORDED,
  },
  {
    id: 'no-validator-panic',
    component: 'istiod',
    ranges: [{ to: '1.31.0' }],
    trigger: 'in-use',
    condition: 'no-working-validator',
    severity: 'warn',
    trap:
      'with no working istiod-default-validator, a VirtualService with TCP/TLS routes and no ' +
      'destinations makes istiod before 1.31 panic',
    advice:
      'point istiod-default-validator at a running revision: helm upgrade istio-base istio/base ' +
      '--reuse-values --set defaultRevision=<revision>, or tag-move default',
    source: 'istiod-panic-vs-empty-routes.yaml (#60110)',
    recorded: RECORDED,
  },
  {
    id: 'webhook-not-ready',
    component: 'istiod',
    ranges: BEFORE_START_FIXES,
    trigger: 'target',
    condition: 'none',
    severity: 'warn',
    trap: 'istiod turns Ready before its webhook server (:15017) accepts: "failed calling webhook" right after install',
    advice:
      'after installing it, wait until Service istiod-<revision> port 443 answers, not only for pod Ready, before moving a tag',
    source: '61049.yaml (#61049, #61119, #61121)',
    recorded: RECORDED,
  },
  {
    id: 'gateway-deployment-at-start',
    component: 'istiod',
    ranges: BEFORE_START_FIXES,
    trigger: 'target',
    condition: 'none',
    severity: 'warn',
    trap: "a Gateway's proxy Deployment can permanently fail to be created while istiod starts",
    advice: 'if a --wait times out after the install, check the Gateways without a Deployment and restart that istiod',
    source: '61095.yaml (#61095)',
    recorded: RECORDED,
  },
  {
    id: 'gateways-restart-with-istiod',
    component: 'istiod',
    ranges: [{ to: '1.27.9' }, { from: '1.28.0', to: '1.28.6' }, { from: '1.29.0', to: '1.29.2' }],
    trigger: 'in-use',
    condition: 'manages-gateways',
    severity: 'warn',
    trap: 'restarting this istiod restarts every Gateway and waypoint it manages',
    advice: 'expect unrelated gateway rollouts during --wait; avoid restarting it mid-upgrade',
    source: '59709.yaml (#59709)',
    recorded: RECORDED,
  },
  {
    id: 'route-status-conflict',
    component: 'istiod',
    ranges: [{ to: '1.27.4' }, { from: '1.28.0', to: '1.28.1' }],
    trigger: 'in-use',
    condition: 'several-revisions',
    severity: 'warn',
    trap: 'with several revisions installed, HTTPRoute status conflicts between them',
    advice: 'do not trust HTTPRoute status while both revisions run; check routing itself',
    source: '57734.yaml (#57734)',
    recorded: RECORDED,
  },
  {
    id: 'empty-config-on-move',
    component: 'istiod',
    ranges: EMPTY_CONFIG_ON_MOVE,
    trigger: 'moving-from',
    condition: 'manages-gateways',
    severity: 'warn',
    trap:
      'moving a tag off this revision makes it push empty config to the gateways and waypoints still ' +
      'running on it, about 30 s of outage',
    advice: 'move tags in a quiet window, one at a time, or upgrade the old revision to 1.29.5/1.30.2 first',
    source: '§3.2 (#59959, fixed by #60158)',
    recorded: RECORDED,
  },
  {
    id: 'tag-labelled-gateways',
    component: 'istiod',
    ranges: IGNORES_TAG_LABELLED_GATEWAYS,
    trigger: 'in-use',
    condition: 'tag-labelled-gateways',
    severity: 'fail',
    trap: 'Gateways and waypoints labelled with a tag are not programmed by istiod before 1.24.3',
    advice: 'label them with the revision itself, or use 1.24.3 or later',
    source: '§3.2 (#54465)',
    recorded: RECORDED,
  },
];

/** One revision as the hazard rules see it. */
export interface HazardRevision {
  name: string;
  version: string | undefined;
  /** istiod container environment (empty when unknown, e.g. not installed yet). */
  env: Readonly<Record<string, string>>;
  /** Gateways and waypoints it manages. */
  gateways: number;
  /** Of those, how many carry a tag label (not the revision itself). */
  tagLabelledGateways: number;
}

/** What `evaluateHazards` looks at: the mesh now and, with `--target`, the upgrade. */
export interface HazardInput {
  /** Revisions in use now (data-plane reasons). */
  inUse: HazardRevision[];
  installedCount: number;
  ztunnels: { name: string; version: string | undefined; pin: string | undefined }[];
  cnis: { name: string; version: string | undefined }[];
  /** Namespaces labelled for a weighted waypoint canary (§3.10). */
  canaryNamespaces: string[];
  /** istiod-default-validator exists and calls a running istiod. */
  validatorWorks: boolean;
  target?: {
    revision: HazardRevision;
    installed: boolean;
    /** Revisions tags move away from, with the followers that move. */
    movesFrom: HazardRevision[];
    /** ztunnel versions the plan pins to the target before they reach it (intermediate steps). */
    ztunnelVersionsPinned: string[];
  };
}

/** A row that fires, for one or more revisions (or a component). */
export interface HazardHit {
  hazard: Hazard;
  /** The revisions it fires for (the target, with `planned`); for istio-cni rows, the target too. */
  subjects: { name: string; version: string | undefined }[];
  /** It fires because of `--target` (not the mesh as it is). */
  planned: boolean;
  message: string;
}

const DRY_RUN_ENV = 'AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY';
const GRPC_LIMIT_ENV = 'ISTIO_GPRC_MAXRECVMSGSIZE';

function conditionHolds(h: Hazard, r: HazardRevision, input: HazardInput, planned: boolean): boolean {
  switch (h.condition) {
    case 'none':
      return true;
    case 'dry-run-authz-with-old-ztunnel': {
      if (r.env[DRY_RUN_ENV] !== 'true') return false;
      const pinned = input.ztunnels.filter((z) => z.pin === r.name).map((z) => z.version);
      if (planned) pinned.push(...(input.target?.ztunnelVersionsPinned ?? []));
      return pinned.some((v) => !ztunnelHonoursDryRunAuthz(v));
    }
    case 'canary-with-old-ztunnel':
      return input.canaryNamespaces.length > 0 && input.ztunnels.some((z) => !ztunnelReadsWaypointCanary(z.version));
    case 'no-working-validator':
      return !input.validatorWorks;
    case 'no-grpc-limit':
      return r.env[GRPC_LIMIT_ENV] === undefined && input.inUse.every((u) => u.env[GRPC_LIMIT_ENV] === undefined);
    case 'manages-gateways':
      return r.gateways > 0;
    case 'tag-labelled-gateways':
      return r.tagLabelledGateways > 0;
    case 'several-revisions':
      return input.installedCount > 1 || (planned && input.target?.installed === false);
  }
}

/** The facts behind a condition, for the message (counts of what is affected). */
function detail(h: Hazard, rs: HazardRevision[], input: HazardInput): string {
  const sum = (f: (r: HazardRevision) => number): number => rs.reduce((n, r) => n + f(r), 0);
  switch (h.condition) {
    case 'manages-gateways':
      return ` (${sum((r) => r.gateways)} gateway(s)/waypoint(s))`;
    case 'tag-labelled-gateways':
      return ` (${sum((r) => r.tagLabelledGateways)} gateway(s)/waypoint(s))`;
    case 'canary-with-old-ztunnel':
      return ` (namespaces ${nameList(input.canaryNamespaces)})`;
    default:
      return '';
  }
}

const named = (rs: HazardRevision[]): string => rs.map((r) => `${r.name} (${r.version ?? '?'})`).join(', ');

function hit(h: Hazard, rs: HazardRevision[], input: HazardInput, planned: boolean, lead: string): HazardHit {
  return {
    hazard: h,
    subjects: rs.map((r) => ({ name: r.name, version: r.version })),
    planned,
    message: `${lead}: ${h.trap}${detail(h, rs, input)}; ${h.advice} [${h.source}]`,
  };
}

/** Every row that fires for the mesh now and, with `input.target`, for the upgrade (§5.4). One hit per row and cause. */
export function evaluateHazards(input: HazardInput): HazardHit[] {
  const hits: HazardHit[] = [];
  const known = (r: HazardRevision): boolean => r.version !== undefined && semver.valid(r.version) !== null;
  const t = input.target;
  for (const h of HAZARDS) {
    const inRange = (v: string | undefined): boolean =>
      v !== undefined && semver.valid(v) !== null && inRanges(v, h.ranges);
    const ranges = describeRanges(h.ranges);
    switch (h.trigger) {
      case 'in-use': {
        // One finding per row: the revisions in use now, and the target when it is new to the range.
        const now = input.inUse.filter((r) => known(r) && inRange(r.version) && conditionHolds(h, r, input, false));
        const target =
          t !== undefined &&
          !input.inUse.some((r) => r.name === t.revision.name) &&
          inRange(t.revision.version) &&
          conditionHolds(h, t.revision, input, true)
            ? [t.revision]
            : [];
        if (now.length + target.length === 0) break;
        const who = [
          ...(now.length > 0 ? [`${now.length === 1 ? 'revision' : 'revisions'} ${named(now)}`] : []),
          ...(target.length > 0 ? [`target ${named(target)}`] : []),
        ].join(' and ');
        hits.push(hit(h, [...now, ...target], input, now.length === 0, `${who} in ${ranges}`));
        break;
      }
      case 'crossing': {
        if (t === undefined || !inRange(t.revision.version)) break;
        const now = h.component === 'istio-cni' ? input.cnis.map((c) => c.version) : input.inUse.map((r) => r.version);
        const below = [...new Set(now.filter((v): v is string => v !== undefined && !inRange(v)))];
        if (below.length > 0 && conditionHolds(h, t.revision, input, true)) {
          hits.push(
            hit(
              h,
              [t.revision],
              input,
              true,
              `${h.component === 'istio-cni' ? 'istio-cni' : 'the mesh'} moves from ${below.join(', ')} into ${ranges}`,
            ),
          );
        }
        break;
      }
      case 'target':
        if (t !== undefined && !t.installed && inRange(t.revision.version))
          hits.push(hit(h, [t.revision], input, true, `target ${named([t.revision])} in ${ranges}`));
        break;
      case 'moving-from': {
        const leaving = (t?.movesFrom ?? []).filter(
          (r) => known(r) && inRange(r.version) && conditionHolds(h, r, input, true),
        );
        if (leaving.length > 0) hits.push(hit(h, leaving, input, true, `tags leave ${named(leaving)} in ${ranges}`));
        break;
      }
      case 'both-in-use': {
        const conflicts = h.conflictsWith ?? [];
        const together = [
          ...input.inUse,
          ...(t !== undefined && !input.inUse.some((r) => r.name === t.revision.name) ? [t.revision] : []),
        ].filter(known);
        const a = together.filter((r) => inRange(r.version));
        const b = together.filter((r) => r.version !== undefined && inRanges(r.version, conflicts));
        if (a.length > 0 && b.length > 0) {
          const planned = t !== undefined && [...a, ...b].some((r) => r.name === t.revision.name);
          hits.push(
            hit(
              h,
              [...a, ...b],
              input,
              planned,
              `${named(a)} and ${named(b)} in use together${planned ? ' during the upgrade' : ''}`,
            ),
          );
        }
        break;
      }
    }
  }
  return hits;
}

/**
 * A forward move that deserves a warning (§5.1, §5.3): onto a pre-release, or more than one minor
 * ahead (revision-based istiod upgrades may jump two minors, ztunnel and istio-cni may not; gateways
 * and waypoints following the tag jump with it). Undefined when the move is unremarkable, backwards
 * or across majors. Used by `skew --target` and `tag-move`.
 */
export function forwardMoveWarning(from: string | undefined, to: string): string | undefined {
  const notes: string[] = [];
  const d = from === undefined ? undefined : minorDistance(from, to);
  if (from !== undefined && d !== undefined && d > MAX_AGENT_STEP) {
    notes.push(
      `${from} -> ${to} moves ${d} minors forward: istiod revisions may jump two minors, but ztunnel ` +
        `and istio-cni must follow one minor at a time and the gateways and waypoints that follow it ` +
        `jump at once`,
    );
  }
  if (isPrerelease(to))
    notes.push(
      `${to} is a pre-release: not for production; its fixes and support data are those of ` +
        `${semver.major(to)}.${semver.minor(to)}`,
    );
  return notes.length === 0 ? undefined : notes.join('; ');
}
