/**
 * Builders for the runtime objects Helm does not render (Namespaces, Gateways, the Deployments istiod
 * renders for them, §3.2), and loaders for the chart-rendered fixtures in test/fixtures/helm.
 * Tests build clusters from these, never from hand-written object literals.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { buildMesh, type Mesh } from '../../src/core/mesh.ts';
import type { KubeObject as CoreObject } from '../../src/core/model.ts';
import type { Snapshot } from '../../src/core/snapshot.ts';
import type { KubeObject } from '../cluster/types.ts';

export const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;
const REV = 'istio.io/rev';

/** `1.28.10` → `1-28-10` (the revision names the fixtures use). */
export function revOf(version: string): string {
  return version.replaceAll('.', '-');
}

/** Every object of a multi-document YAML text (comment-only documents skipped). */
export function parseObjects(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null && typeof o === 'object' && typeof o.kind === 'string');
}

/** Objects of one chart render, e.g. `helmRender('1.28.10', 'tag-prod-rev-1-28-10.yaml')`. */
export function helmRender(version: string, file: string): KubeObject[] {
  return parseObjects(readFileSync(join(FIXTURES, 'helm', version, file), 'utf8'));
}

/** The fixture versions present (1.21.0 ... 1.30.3). */
export function fixtureVersions(): string[] {
  return readdirSync(join(FIXTURES, 'helm')).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

/** Objects istiod-rev-<rev>.yaml renders that a cluster keeps (drops nothing: the simulator serves every kind). */
export function istiod(version: string): KubeObject[] {
  return helmRender(version, `istiod-rev-${revOf(version)}.yaml`).map((o) => withNamespace(o, 'istio-system'));
}

/** The ztunnel DaemonSet (+ ServiceAccount) of a version, pinned to `revision` (default: that version's). */
export function ztunnel(version: string): KubeObject[] {
  return helmRender(version, `ztunnel-rev-${revOf(version)}.yaml`).map((o) => withNamespace(o, 'istio-system'));
}

/** The istio-cni chart of a version. */
export function cni(version: string): KubeObject[] {
  return helmRender(version, 'istio-cni.yaml').map((o) => withNamespace(o, 'istio-system'));
}

/**
 * The chart's tag objects for `tag` pointing at the fixture revision of `version` (renders exist for
 * `prod` and `default`; any other name is the `prod` render renamed, since the chart only substitutes the name).
 */
export function tagObjects(version: string, tag: string): KubeObject[] {
  const source = tag === 'default' ? 'default' : 'prod';
  const text = readFileSync(join(FIXTURES, 'helm', version, `tag-${source}-rev-${revOf(version)}.yaml`), 'utf8');
  return parseObjects(source === tag ? text : text.replace(/\bprod\b/g, tag));
}

function withNamespace(o: KubeObject, ns: string): KubeObject {
  const clusterScoped = [
    'ClusterRole',
    'ClusterRoleBinding',
    'MutatingWebhookConfiguration',
    'ValidatingWebhookConfiguration',
    'Namespace',
    'CustomResourceDefinition',
    'GatewayClass',
  ];
  if (clusterScoped.includes(o.kind) || o.metadata.namespace !== undefined) return o;
  return { ...o, metadata: { ...o.metadata, namespace: ns } };
}

/** A Namespace with labels. */
export function namespace(name: string, labels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } },
  };
}

/** An ambient Namespace, optionally labelled with a revision or tag. */
export function ambientNamespace(name: string, rev?: string): KubeObject {
  return namespace(name, { 'istio.io/dataplane-mode': 'ambient', ...(rev !== undefined ? { [REV]: rev } : {}) });
}

export interface GatewaySpec {
  name: string;
  namespace: string;
  /** `istio-waypoint` (default) or `istio`. */
  className?: string;
  /** The `istio.io/rev` label on the Gateway (a revision or a tag). */
  rev?: string;
}

/** A Gateway API Gateway (a waypoint unless className says otherwise). */
export function gateway(g: GatewaySpec): KubeObject {
  const className = g.className ?? 'istio-waypoint';
  const waypoint = className === 'istio-waypoint';
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: {
      name: g.name,
      namespace: g.namespace,
      labels: {
        ...(g.rev !== undefined ? { [REV]: g.rev } : {}),
        ...(waypoint ? { 'istio.io/waypoint-for': 'service' } : {}),
      },
      annotations: { 'gateway.istio.io/controller-version': '5' },
    },
    spec: waypoint
      ? { gatewayClassName: className, listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] }
      : { gatewayClassName: className, listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] },
  };
}

/**
 * The Deployment istiod renders for a Gateway (the `waypoint`/`kube-gateway` templates, §3.2): labels
 * `gateway.networking.k8s.io/gateway-name` and `gateway.istio.io/managed`, pod annotation
 * `istio.io/rev: <revision>`, the proxy image of that revision's version, a ready status.
 */
export function proxyDeployment(
  g: GatewaySpec,
  revision: string,
  version: string,
  opts: { ready?: boolean; hub?: string } = {},
): KubeObject {
  const className = g.className ?? 'istio-waypoint';
  const waypoint = className === 'istio-waypoint';
  const name = waypoint ? g.name : `${g.name}-${className}`;
  const ready = opts.ready ?? true;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      namespace: g.namespace,
      generation: 1,
      labels: {
        'gateway.networking.k8s.io/gateway-name': g.name,
        'gateway.networking.k8s.io/gateway-class-name': className,
        'gateway.istio.io/managed': waypoint ? 'istio.io-mesh-controller' : 'istio.io-gateway-controller',
      },
      annotations: ready ? {} : { 'sim.kubectl-ambient.dev/never-ready': 'true' },
    },
    spec: {
      replicas: 1,
      selector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': g.name } },
      template: {
        metadata: {
          annotations: { [REV]: revision, 'prometheus.io/port': '15020' },
          // The waypoint/kube-gateway templates' pod labels (CHART/files/waypoint.yaml): canonical name and the managing controller.
          labels: {
            'sidecar.istio.io/inject': 'false',
            'istio.io/dataplane-mode': 'none',
            'service.istio.io/canonical-name': name,
            'service.istio.io/canonical-revision': 'latest',
            'gateway.networking.k8s.io/gateway-name': g.name,
            'gateway.networking.k8s.io/gateway-class-name': className,
            'gateway.istio.io/managed': waypoint ? 'istio.io-mesh-controller' : 'istio.io-gateway-controller',
          },
        },
        spec: {
          containers: [
            {
              name: 'istio-proxy',
              image: `${opts.hub ?? 'docker.io/istio'}/proxyv2:${version}`,
              args: ['proxy', waypoint ? 'waypoint' : 'router'],
              env: [{ name: 'CA_ADDR', value: `istiod-${revision}.istio-system.svc:15012` }],
            },
          ],
        },
      },
    },
    status: ready
      ? { observedGeneration: 1, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 }
      : { observedGeneration: 1, replicas: 1, updatedReplicas: 1, readyReplicas: 0, availableReplicas: 0 },
  };
}

export interface PodSpec {
  namespace: string;
  name: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Pod phase (default Running). */
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
}

/** A Pod with the given metadata and phase. */
export function pod(p: PodSpec): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: p.name, namespace: p.namespace, labels: p.labels ?? {}, annotations: p.annotations ?? {} },
    spec: { containers: [{ name: 'app', image: 'docker.io/library/busybox:1.36' }] },
    status: { phase: p.phase ?? 'Running' },
  };
}

/**
 * A pod the sidecar injector of `revision` injected (CHART/files/injection-template.yaml): label
 * `service.istio.io/canonical-name`, annotation `istio.io/rev: <revision>` and the sidecar status.
 */
export function sidecarPod(
  namespace: string,
  name: string,
  revision: string,
  opts: { labels?: Record<string, string>; phase?: PodSpec['phase'] } = {},
): KubeObject {
  const app = name.replace(/-[a-z0-9]{5}$/, '');
  return pod({
    namespace,
    name,
    labels: {
      app,
      'service.istio.io/canonical-name': app,
      'service.istio.io/canonical-revision': 'latest',
      ...(opts.labels ?? {}),
    },
    annotations: {
      [REV]: revision,
      'sidecar.istio.io/status': JSON.stringify({
        containers: ['istio-proxy'],
        initContainers: ['istio-init'],
        revision,
      }),
    },
    ...(opts.phase !== undefined ? { phase: opts.phase } : {}),
  });
}

/**
 * A pod of a gateway installed with the istio/gateway chart (`--set revision=<requested>`): label
 * `istio.io/rev` and `sidecar.istio.io/inject: "true"` from the chart, no `gateway.istio.io/managed`
 * label; the injector (of `runs`) adds the canonical name and the `istio.io/rev` annotation (§3.2, §3.7 row 7).
 */
export function gatewayChartPod(
  namespace: string,
  name: string,
  requested: string | undefined,
  runs: string,
): KubeObject {
  const app = name.replace(/-[a-z0-9]+-[a-z0-9]{5}$/, '');
  return pod({
    namespace,
    name,
    labels: {
      app,
      istio: app.replace(/^istio-/, ''),
      'sidecar.istio.io/inject': 'true',
      ...(requested !== undefined ? { [REV]: requested } : {}),
      'service.istio.io/canonical-name': app,
      'service.istio.io/canonical-revision': 'latest',
    },
    annotations: { [REV]: runs },
  });
}

/** Istio's config CRDs (`crd-all.gen.yaml`, §4.3): 14 in 1.24-1.29; `trafficextensions` is new in 1.30.0. */
const ISTIO_CRDS: [plural: string, kind: string, group: string][] = [
  ['destinationrules', 'DestinationRule', 'networking.istio.io'],
  ['envoyfilters', 'EnvoyFilter', 'networking.istio.io'],
  ['gateways', 'Gateway', 'networking.istio.io'],
  ['proxyconfigs', 'ProxyConfig', 'networking.istio.io'],
  ['serviceentries', 'ServiceEntry', 'networking.istio.io'],
  ['sidecars', 'Sidecar', 'networking.istio.io'],
  ['virtualservices', 'VirtualService', 'networking.istio.io'],
  ['workloadentries', 'WorkloadEntry', 'networking.istio.io'],
  ['workloadgroups', 'WorkloadGroup', 'networking.istio.io'],
  ['authorizationpolicies', 'AuthorizationPolicy', 'security.istio.io'],
  ['peerauthentications', 'PeerAuthentication', 'security.istio.io'],
  ['requestauthentications', 'RequestAuthentication', 'security.istio.io'],
  ['telemetries', 'Telemetry', 'telemetry.istio.io'],
  ['wasmplugins', 'WasmPlugin', 'extensions.istio.io'],
];
const TRAFFIC_EXTENSIONS: [string, string, string] = ['trafficextensions', 'TrafficExtension', 'extensions.istio.io'];

/**
 * The Istio CRDs as each install method leaves them (§4.3):
 * - `helm` (1.24+ base chart, templated): `app.kubernetes.io/{instance,managed-by,part-of,version}`,
 *   `helm.sh/chart: base-<v>`, Helm's release annotations and `helm.sh/resource-policy: keep`;
 * - `legacy` (<=1.23 chart `crds/` directory, or `kubectl apply -f crd-all.gen.yaml`): only the static
 *   `app: istio-pilot, chart: istio, heritage: Tiller, release: istio`, no version.
 * The set of CRDs is that of `version` (the 1.30 schema marker included from 1.30.0).
 */
export function istioCrds(
  version: string,
  how: 'helm' | 'legacy' = 'helm',
  opts: { only?: string[] } = {},
): KubeObject[] {
  const [maj, min] = version.split('.').map(Number);
  const list = (maj ?? 1) > 1 || (min ?? 0) >= 30 ? [...ISTIO_CRDS, TRAFFIC_EXTENSIONS] : ISTIO_CRDS;
  const labels =
    how === 'helm'
      ? {
          'app.kubernetes.io/instance': 'istio-base',
          'app.kubernetes.io/managed-by': 'Helm',
          'app.kubernetes.io/part-of': 'istio',
          'app.kubernetes.io/version': version,
          'helm.sh/chart': `base-${version}`,
        }
      : { app: 'istio-pilot', chart: 'istio', heritage: 'Tiller', release: 'istio' };
  const annotations: Record<string, string> =
    how === 'helm'
      ? {
          'helm.sh/resource-policy': 'keep',
          'meta.helm.sh/release-name': 'istio-base',
          'meta.helm.sh/release-namespace': 'istio-system',
        }
      : { 'helm.sh/resource-policy': 'keep' };
  return list
    .filter(([plural, , group]) => opts.only === undefined || opts.only.includes(`${plural}.${group}`))
    .map(([plural, kind, group]) => ({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `${plural}.${group}`, labels: { ...labels }, annotations: { ...annotations } },
      spec: {
        group,
        names: {
          categories: ['istio-io', `${group.split('.')[0] ?? ''}-istio-io`],
          kind,
          listKind: `${kind}List`,
          plural,
          singular: kind.toLowerCase(),
        },
        scope: 'Namespaced',
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            subresources: { status: {} },
            schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          },
        ],
      },
    }));
}

/**
 * A render re-stamped to another version: every `1.28.10` becomes `to` and every revision name
 * `1-28-10` becomes `revOf(to)`. For versions the fixtures do not hold (1.29.x, 1.31.0-rc.0): the
 * chart of the nearest rendered release with the version it would carry. Say so where it is used.
 */
export function restamp(objects: KubeObject[], from: string, to: string): KubeObject[] {
  const text = JSON.stringify(objects).replaceAll(revOf(from), revOf(to)).replaceAll(from, to);
  return JSON.parse(text) as KubeObject[];
}

/** The same objects with the simulator's never-ready annotation on every Deployment (istiod stays 0/1). */
export function neverReady(objects: KubeObject[]): KubeObject[] {
  return objects.map((o) =>
    o.kind === 'Deployment'
      ? {
          ...o,
          metadata: {
            ...o.metadata,
            annotations: { ...(o.metadata.annotations ?? {}), 'sim.kubectl-ambient.dev/never-ready': 'true' },
          },
        }
      : o,
  );
}

/** A container env var added to every Deployment of `objects` (istiod's `discovery` container first). */
export function withEnv(objects: KubeObject[], name: string, value: string): KubeObject[] {
  return objects.map((o) => {
    if (o.kind !== 'Deployment') return o;
    const c = structuredClone(o) as KubeObject & {
      spec: { template: { spec: { containers: { name: string; env?: { name: string; value: string }[] }[] } } };
    };
    const container =
      c.spec.template.spec.containers.find((x) => x.name === 'discovery') ?? c.spec.template.spec.containers[0];
    if (container !== undefined) container.env = [...(container.env ?? []), { name, value }];
    return c;
  });
}

/** A Mesh joined from objects, the way buildMesh joins a Snapshot (every list of the snapshot filled from them). */
export function meshOf(list: KubeObject[]): Mesh {
  const objects = list as unknown as CoreObject[];
  const of = (kind: string): CoreObject[] => objects.filter((o) => o.kind === kind);
  const snapshot: Snapshot = {
    istioNamespace: 'istio-system',
    mutatingWebhooks: of('MutatingWebhookConfiguration').filter(
      (o) => o.metadata.labels?.['istio.io/rev'] !== undefined,
    ),
    validatingWebhooks: of('ValidatingWebhookConfiguration').filter(
      (o) => o.metadata.labels?.['istio.io/rev'] !== undefined,
    ),
    services: of('Service').filter((o) => o.metadata.labels?.['istio.io/rev'] !== undefined),
    istiods: of('Deployment').filter((o) => o.metadata.labels?.['app'] === 'istiod'),
    daemonSets: [],
    namespaces: of('Namespace'),
    gateways: of('Gateway'),
    gatewayClasses: [],
    proxies: of('Deployment').filter((o) => o.metadata.labels?.['gateway.istio.io/managed'] !== undefined),
    pods: of('Pod'),
    unavailable: [],
  };
  return buildMesh(snapshot);
}

/** §1.3 row 5: the webhook the chart adds to `default` with enableNamespacesByDefault, built from the `object.` one. */
export function autoWebhook<H extends { name: string }>(
  objectHook: H,
): H & { namespaceSelector: unknown; objectSelector: unknown } {
  return {
    ...structuredClone(objectHook),
    name: 'auto.sidecar-injector.istio.io',
    namespaceSelector: {
      matchExpressions: [
        { key: 'istio-injection', operator: 'DoesNotExist' },
        { key: 'istio.io/rev', operator: 'DoesNotExist' },
        {
          key: 'kubernetes.io/metadata.name',
          operator: 'NotIn',
          values: ['kube-system', 'kube-public', 'kube-node-lease', 'local-path-storage'],
        },
      ],
    },
    objectSelector: {
      matchExpressions: [
        { key: 'sidecar.istio.io/inject', operator: 'DoesNotExist' },
        { key: 'istio.io/rev', operator: 'DoesNotExist' },
      ],
    },
  };
}
