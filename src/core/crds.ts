/**
 * Which version of the Istio CRDs (base chart) is installed (istio-semantics.md §4.3), read from the
 * CRDs' own labels, never inferred from an installed revision. Used by `skew` only: two metadata-only
 * lists with label selectors, whatever the size of the cluster.
 */
import semver from 'semver';
import {
  APP_VERSION,
  CRD_MARKER_1_30,
  HELM_CHART,
  HELM_RELEASE_NAME,
  HELM_RELEASE_NAMESPACE,
  ISTIO_CRD_GROUPS,
  ISTIO_CRD_SELECTORS,
  OPERATOR_VERSION,
} from './labels.ts';
import type { CustomResourceDefinition } from './model.ts';
import { AmbientError } from './errors.ts';
import type { ClusterReader, ListQuery } from './ports.ts';
import { crdsHave130Marker } from './istio-rules.ts';
import { parseVersion } from './version.ts';

/** The list calls behind `readIstioCrds`, as data (README request table, request-count tests). */
export function crdQueries(): ListQuery<'CustomResourceDefinition'>[] {
  return ISTIO_CRD_SELECTORS.map((labelSelector) => ({
    kind: 'CustomResourceDefinition',
    labelSelector,
    metadataOnly: true,
  }));
}

/** The Istio CRDs as read, or why they could not be (RBAC refused the list: their version is then unknown). */
export interface CrdRead {
  crds: CustomResourceDefinition[];
  unreadable: string | undefined;
}

/**
 * Lists the Istio CRDs (both label generations, concurrently), de-duplicated, config groups only. A 403
 * is not fatal: `skew` still runs and the CRD verdict is `unknown`, saying why.
 */
export async function readIstioCrds(reader: ClusterReader): Promise<CrdRead> {
  let lists: CustomResourceDefinition[][];
  try {
    lists = await Promise.all(crdQueries().map((q) => reader.list(q)));
  } catch (e) {
    if (e instanceof AmbientError && e.status === 403)
      return { crds: [], unreadable: `${e.message}${e.hint !== undefined ? `; ${e.hint}` : ''}` };
    throw e;
  }
  const byName = new Map<string, CustomResourceDefinition>();
  for (const crd of lists.flat()) if (isIstioConfigCrd(crd.metadata.name)) byName.set(crd.metadata.name, crd);
  return {
    crds: [...byName.values()].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name)),
    unreadable: undefined,
  };
}

/** `virtualservices.networking.istio.io` → true; `gateways.gateway.networking.k8s.io` → false. */
export function isIstioConfigCrd(name: string): boolean {
  return ISTIO_CRD_GROUPS.some((g) => name.endsWith(`.${g}`));
}

/**
 * The chart version one CRD was installed with (§4.3): `app.kubernetes.io/version` (1.24+ base chart),
 * else `helm.sh/chart: base-<v>`, else `operator.istio.io/version` (istioctl installs); undefined for
 * the static labels of the <=1.23 chart and of a hand-applied `crd-all.gen.yaml`.
 */
export function crdVersion(crd: CustomResourceDefinition): string | undefined {
  const labels = crd.metadata.labels ?? {};
  const fromChart = /^base-(.+)$/.exec(labels[HELM_CHART] ?? '')?.[1];
  for (const v of [labels[APP_VERSION], fromChart, labels[OPERATOR_VERSION]]) {
    const parsed = v === undefined ? undefined : parseVersion(v);
    if (parsed !== undefined) return parsed;
  }
  return undefined;
}

/** What the CRDs say about themselves. */
export interface CrdState {
  /** Istio config CRDs found. */
  count: number;
  /** The lowest version among those that carry one ("CRDs upgraded to X" means every one is >= X). */
  oldest: string | undefined;
  /** The highest version among those that carry one. */
  newest: string | undefined;
  /** CRDs without any version label. */
  unversioned: string[];
  /** The §4.3 schema marker of 1.30 is present. */
  has130Marker: boolean;
  /** The Helm release that owns them, from `meta.helm.sh/release-name` (undefined: not Helm-owned). */
  helmRelease: string | undefined;
  helmNamespace: string | undefined;
  /** Why the CRDs could not be listed (403), if so. */
  unreadable: string | undefined;
}

/** Summarises the CRDs found by `readIstioCrds` (pure). */
export function crdState(crds: CustomResourceDefinition[], unreadable?: string): CrdState {
  const versions: string[] = [];
  const unversioned: string[] = [];
  let helmRelease: string | undefined;
  let helmNamespace: string | undefined;
  for (const crd of crds) {
    const v = crdVersion(crd);
    if (v === undefined) unversioned.push(crd.metadata.name);
    else versions.push(v);
    helmRelease ??= crd.metadata.annotations?.[HELM_RELEASE_NAME];
    helmNamespace ??= crd.metadata.annotations?.[HELM_RELEASE_NAMESPACE];
  }
  const sorted = versions.sort(semver.compare);
  return {
    count: crds.length,
    oldest: sorted[0],
    newest: sorted.at(-1),
    unversioned,
    has130Marker: crds.some((c) => c.metadata.name === CRD_MARKER_1_30.name),
    helmRelease,
    helmNamespace,
    unreadable,
  };
}

/** Whether the CRDs are at least `version`: `done`, `todo` or `unknown`, and why in words. */
export interface CrdVerdict {
  status: 'done' | 'todo' | 'unknown';
  reason: string;
}

/**
 * "CRDs upgraded to X" (§4.3): every Istio CRD carries a version >= X. A CRD without a version label
 * makes it `unknown`, unless the 1.30 schema marker proves the CRDs older than a >=1.30 target.
 */
export function crdsAtLeast(state: CrdState, version: string): CrdVerdict {
  if (state.unreadable !== undefined)
    return { status: 'unknown', reason: `the CRDs could not be listed: ${state.unreadable}` };
  if (state.count === 0)
    return {
      status: 'todo',
      reason: 'no Istio CRDs found (none labelled app.kubernetes.io/part-of=istio or chart=istio)',
    };
  if (state.oldest !== undefined && semver.lt(state.oldest, version)) {
    return {
      status: 'todo',
      reason: `the Istio CRDs are at ${state.oldest}${state.newest !== state.oldest ? ` (some at ${state.newest ?? '?'})` : ''}`,
    };
  }
  if (crdsHave130Marker(version) && !state.has130Marker) {
    return {
      status: 'todo',
      reason: `${CRD_MARKER_1_30.name} (new in ${CRD_MARKER_1_30.since}) is missing: the CRDs predate 1.30`,
    };
  }
  if (state.unversioned.length > 0) {
    const which =
      state.unversioned.length === state.count
        ? 'no Istio CRD carries a version label'
        : `${state.unversioned.length} of ${state.count} Istio CRDs carry no version label`;
    return {
      status: 'unknown',
      reason: `${which} (installed by the <=1.23 chart or by hand): their version cannot be read`,
    };
  }
  return { status: 'done', reason: `the Istio CRDs are at ${state.oldest ?? version}` };
}
