/**
 * The resource table: built-in kinds served by the simulator, plus kinds served from
 * CustomResourceDefinition objects in the store (like apiextensions-apiserver does).
 */
import type { NameRule } from './validation.ts';
import { isObject, type KubeObject } from './types.ts';

/** How metadata.generation is maintained for a resource. */
export interface GenerationPolicy {
  /** Top-level fields whose change bumps generation, or every field except metadata (and status when it is a subresource). */
  fields: string[] | 'all';
  /** Deployments also bump on annotation changes (apps/deployment strategy). */
  annotations?: boolean;
}

/** Field-selector support of a kind (`AddFieldLabelConversionFunc` of upstream). */
export interface FieldSelectorSupport {
  fields: string[];
  /** Upstream error text for an unsupported field. */
  message: (label: string) => string;
}

/** One served resource. */
export interface ResourceDef {
  group: string;
  /** Served versions (the first is the preferred / storage version). */
  versions: string[];
  resource: string;
  kind: string;
  listKind: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  /** A `/status` subresource exists (main-resource writes keep the old status; status writes change only status). */
  statusSubresource: boolean;
  /** Served from a CRD: list items carry apiVersion/kind, no strategic merge patch. */
  custom: boolean;
  generation?: GenerationPolicy;
  nameRule: NameRule;
  /** DELETE answers with the object (genericregistry.Store.ReturnDeletedObject) instead of a Status. */
  returnDeletedObject: boolean;
  /** ...from this Kubernetes minor version on (before it: a Success Status). */
  returnDeletedObjectSince?: number;
  /** PUT of a missing object creates it (rest.RESTUpdateStrategy.AllowCreateOnUpdate). */
  allowCreateOnUpdate: boolean;
  fieldSelector: FieldSelectorSupport;
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** Upstream `DefaultMetaV1FieldSelectorConversion` (kinds without their own conversion func). */
const defaultFieldSelector: FieldSelectorSupport = {
  fields: ['metadata.name', 'metadata.namespace'],
  message: (label) => `"${label}" is not a known field selector: only "metadata.name", "metadata.namespace"`,
};

function supported(...fields: string[]): FieldSelectorSupport {
  return { fields, message: (label) => `field label not supported: ${label}` };
}

interface BuiltinSpec {
  group: string;
  version: string;
  resource: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs?: string[];
  status?: boolean;
  generation?: GenerationPolicy;
  nameRule?: NameRule;
  returnDeletedObject?: boolean;
  returnDeletedObjectSince?: number;
  allowCreateOnUpdate?: boolean;
  fieldSelector?: FieldSelectorSupport;
}

const SPEC_GEN: GenerationPolicy = { fields: ['spec'] };

const BUILTIN_SPECS: BuiltinSpec[] = [
  {
    group: '',
    version: 'v1',
    resource: 'namespaces',
    kind: 'Namespace',
    namespaced: false,
    shortNames: ['ns'],
    status: true,
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    nameRule: 'label',
    returnDeletedObject: true,
    fieldSelector: { fields: ['metadata.name', 'status.phase'], message: (l) => `field label not supported: ${l}` },
  },
  // Services answer DELETE with a Success Status before 1.23 (their storage was not yet a plain genericregistry.Store).
  {
    group: '',
    version: 'v1',
    resource: 'services',
    kind: 'Service',
    namespaced: true,
    shortNames: ['svc'],
    categories: ['all'],
    status: true,
    nameRule: 'dns1035',
    returnDeletedObject: true,
    returnDeletedObjectSince: 23,
    fieldSelector: supported('metadata.namespace', 'metadata.name', 'spec.clusterIP', 'spec.type'),
  },
  { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true, shortNames: ['cm'] },
  {
    group: '',
    version: 'v1',
    resource: 'serviceaccounts',
    kind: 'ServiceAccount',
    namespaced: true,
    shortNames: ['sa'],
    returnDeletedObject: true,
  },
  {
    group: '',
    version: 'v1',
    resource: 'pods',
    kind: 'Pod',
    namespaced: true,
    shortNames: ['po'],
    categories: ['all'],
    status: true,
    returnDeletedObject: true,
    fieldSelector: supported(
      'metadata.name',
      'metadata.namespace',
      'spec.nodeName',
      'spec.restartPolicy',
      'spec.schedulerName',
      'spec.serviceAccountName',
      'spec.hostNetwork',
      'status.phase',
      'status.podIP',
      'status.podIPs',
      'status.nominatedNodeName',
    ),
  },
  {
    group: '',
    version: 'v1',
    resource: 'secrets',
    kind: 'Secret',
    namespaced: true,
    fieldSelector: supported('type', 'metadata.namespace', 'metadata.name'),
  },
  {
    group: '',
    version: 'v1',
    resource: 'events',
    kind: 'Event',
    namespaced: true,
    shortNames: ['ev'],
    allowCreateOnUpdate: true,
    fieldSelector: supported(
      'involvedObject.kind',
      'involvedObject.namespace',
      'involvedObject.name',
      'involvedObject.uid',
      'involvedObject.apiVersion',
      'involvedObject.resourceVersion',
      'involvedObject.fieldPath',
      'reason',
      'reportingComponent',
      'source',
      'type',
      'metadata.namespace',
      'metadata.name',
    ),
  },
  {
    group: 'apps',
    version: 'v1',
    resource: 'deployments',
    kind: 'Deployment',
    namespaced: true,
    shortNames: ['deploy'],
    categories: ['all'],
    status: true,
    generation: { fields: ['spec'], annotations: true },
  },
  {
    group: 'apps',
    version: 'v1',
    resource: 'daemonsets',
    kind: 'DaemonSet',
    namespaced: true,
    shortNames: ['ds'],
    categories: ['all'],
    status: true,
    generation: SPEC_GEN,
  },
  {
    group: 'apps',
    version: 'v1',
    resource: 'replicasets',
    kind: 'ReplicaSet',
    namespaced: true,
    shortNames: ['rs'],
    categories: ['all'],
    status: true,
    generation: SPEC_GEN,
  },
  {
    group: 'admissionregistration.k8s.io',
    version: 'v1',
    resource: 'mutatingwebhookconfigurations',
    kind: 'MutatingWebhookConfiguration',
    namespaced: false,
    categories: ['api-extensions'],
    generation: { fields: ['webhooks'] },
  },
  {
    group: 'admissionregistration.k8s.io',
    version: 'v1',
    resource: 'validatingwebhookconfigurations',
    kind: 'ValidatingWebhookConfiguration',
    namespaced: false,
    categories: ['api-extensions'],
    generation: { fields: ['webhooks'] },
  },
  {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    resource: 'clusterroles',
    kind: 'ClusterRole',
    namespaced: false,
    nameRule: 'path',
  },
  {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    resource: 'clusterrolebindings',
    kind: 'ClusterRoleBinding',
    namespaced: false,
    nameRule: 'path',
  },
  {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    resource: 'roles',
    kind: 'Role',
    namespaced: true,
    nameRule: 'path',
  },
  {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    resource: 'rolebindings',
    kind: 'RoleBinding',
    namespaced: true,
    nameRule: 'path',
  },
  {
    group: 'policy',
    version: 'v1',
    resource: 'poddisruptionbudgets',
    kind: 'PodDisruptionBudget',
    namespaced: true,
    shortNames: ['pdb'],
    status: true,
    generation: SPEC_GEN,
  },
  {
    group: 'autoscaling',
    version: 'v2',
    resource: 'horizontalpodautoscalers',
    kind: 'HorizontalPodAutoscaler',
    namespaced: true,
    shortNames: ['hpa'],
    categories: ['all'],
    status: true,
  },
  {
    group: 'apiextensions.k8s.io',
    version: 'v1',
    resource: 'customresourcedefinitions',
    kind: 'CustomResourceDefinition',
    namespaced: false,
    shortNames: ['crd', 'crds'],
    categories: ['api-extensions'],
    status: true,
    generation: SPEC_GEN,
  },
];

function builtin(s: BuiltinSpec): ResourceDef {
  return {
    group: s.group,
    versions: [s.version],
    resource: s.resource,
    kind: s.kind,
    listKind: `${s.kind}List`,
    singular: s.kind.toLowerCase(),
    namespaced: s.namespaced,
    shortNames: s.shortNames ?? [],
    categories: s.categories ?? [],
    verbs: s.verbs ?? ALL_VERBS,
    statusSubresource: s.status ?? false,
    custom: false,
    ...(s.generation ? { generation: s.generation } : {}),
    nameRule: s.nameRule ?? 'subdomain',
    returnDeletedObject: s.returnDeletedObject ?? false,
    ...(s.returnDeletedObjectSince !== undefined ? { returnDeletedObjectSince: s.returnDeletedObjectSince } : {}),
    allowCreateOnUpdate: s.allowCreateOnUpdate ?? false,
    fieldSelector: s.fieldSelector ?? defaultFieldSelector,
  };
}

/** The built-in resources, in discovery order. */
export const BUILTIN_RESOURCES: readonly ResourceDef[] = BUILTIN_SPECS.map(builtin);

/** Group/version of an apiVersion string. */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

/** apiVersion string for a group and version. */
export function apiVersionOf(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

/** Store key of a resource (`group/resource`). */
export function grKey(def: { group: string; resource: string }): string {
  return `${def.group}/${def.resource}`;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function strList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** Build the ResourceDef served for a CustomResourceDefinition object, or undefined if it serves nothing. */
export function defFromCrd(crd: KubeObject): ResourceDef | undefined {
  const spec = crd['spec'];
  if (!isObject(spec)) return undefined;
  const names = spec['names'];
  const group = str(spec['group']);
  if (!isObject(names) || group === undefined) return undefined;
  const plural = str(names['plural']);
  const kind = str(names['kind']);
  if (plural === undefined || kind === undefined) return undefined;
  const versionsRaw = Array.isArray(spec['versions']) ? spec['versions'].filter(isObject) : [];
  const served = versionsRaw.filter((v) => v['served'] !== false && typeof v['name'] === 'string');
  if (served.length === 0) return undefined;
  const storage = versionsRaw.find((v) => v['storage'] === true) ?? served[0];
  const versionNames = served.map((v) => v['name'] as string);
  const storageName = typeof storage?.['name'] === 'string' ? storage['name'] : (versionNames[0] ?? 'v1');
  const ordered = [storageName, ...versionNames.filter((n) => n !== storageName)].filter((n) =>
    versionNames.includes(n),
  );
  const hasStatus = versionsRaw.some(
    (v) => isObject(v['subresources']) && isObject((v['subresources'] as Record<string, unknown>)['status']),
  );
  const namespaced = spec['scope'] !== 'Cluster';
  return {
    group,
    versions: ordered.length > 0 ? ordered : versionNames,
    resource: plural,
    kind,
    listKind: str(names['listKind']) ?? `${kind}List`,
    singular: str(names['singular']) ?? kind.toLowerCase(),
    namespaced,
    shortNames: strList(names['shortNames']),
    categories: strList(names['categories']),
    verbs: ALL_VERBS,
    statusSubresource: hasStatus,
    custom: true,
    generation: { fields: 'all' },
    nameRule: 'subdomain',
    returnDeletedObject: false,
    allowCreateOnUpdate: false,
    fieldSelector: {
      fields: namespaced ? ['metadata.name', 'metadata.namespace'] : ['metadata.name'],
      message: (label) => `field label not supported: ${label}`,
    },
  };
}

/** The resource table: built-ins plus whatever CRDs currently define. */
export class ResourceTable {
  private crdDefs: ResourceDef[] = [];

  /** Replace the CRD-served resources (called whenever a CRD changes). */
  setCrds(crds: KubeObject[]): void {
    const defs: ResourceDef[] = [];
    for (const crd of crds) {
      const d = defFromCrd(crd);
      if (d === undefined) continue;
      // Built-in groups/resources win, like the real aggregator.
      if (BUILTIN_RESOURCES.some((b) => b.group === d.group && b.resource === d.resource)) continue;
      defs.push(d);
    }
    defs.sort((a, b) => (a.group === b.group ? a.resource.localeCompare(b.resource) : a.group.localeCompare(b.group)));
    this.crdDefs = defs;
  }

  /** Every served resource. */
  all(): ResourceDef[] {
    return [...BUILTIN_RESOURCES, ...this.crdDefs];
  }

  /** Resource served at group/version with this plural name. */
  byResource(group: string, version: string, resource: string): ResourceDef | undefined {
    return this.all().find((d) => d.group === group && d.resource === resource && d.versions.includes(version));
  }

  /** Resource for an apiVersion + kind. */
  byKind(apiVersion: string, kind: string): ResourceDef | undefined {
    const { group, version } = splitApiVersion(apiVersion);
    return this.all().find((d) => d.group === group && d.kind === kind && d.versions.includes(version));
  }

  /** The groups served, in discovery order (core excluded), with their versions. */
  groups(): { name: string; versions: string[] }[] {
    const out: { name: string; versions: string[] }[] = [];
    for (const d of this.all()) {
      if (d.group === '') continue;
      let g = out.find((x) => x.name === d.group);
      if (g === undefined) {
        g = { name: d.group, versions: [] };
        out.push(g);
      }
      for (const v of d.versions) if (!g.versions.includes(v)) g.versions.push(v);
    }
    return out;
  }

  /** Is this group/version served? */
  servesGroupVersion(group: string, version: string): boolean {
    return this.all().some((d) => d.group === group && d.versions.includes(version));
  }

  /** `APIResourceList` for a group/version. */
  resourceList(group: string, version: string): Record<string, unknown> {
    const resources: Record<string, unknown>[] = [];
    for (const d of this.all()) {
      if (d.group !== group || !d.versions.includes(version)) continue;
      const r: Record<string, unknown> = {
        name: d.resource,
        singularName: d.singular,
        namespaced: d.namespaced,
        kind: d.kind,
        verbs: d.verbs,
      };
      if (d.shortNames.length > 0) r['shortNames'] = d.shortNames;
      if (d.categories.length > 0) r['categories'] = d.categories;
      resources.push(r);
      if (d.statusSubresource)
        resources.push({
          name: `${d.resource}/status`,
          singularName: '',
          namespaced: d.namespaced,
          kind: d.kind,
          verbs: ['get', 'patch', 'update'],
        });
    }
    // The legacy core list has no apiVersion field; group lists do.
    return group === ''
      ? { kind: 'APIResourceList', groupVersion: version, resources }
      : { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf(group, version), resources };
  }

  /** `APIGroup` for one group. */
  group(name: string): Record<string, unknown> | undefined {
    const g = this.groups().find((x) => x.name === name);
    if (g === undefined) return undefined;
    const versions = g.versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
    return { kind: 'APIGroup', apiVersion: 'v1', name, versions, preferredVersion: versions[0] };
  }

  /** `APIGroupList`. */
  groupList(): Record<string, unknown> {
    const groups = this.groups().map((g) => {
      const versions = g.versions.map((v) => ({ groupVersion: `${g.name}/${v}`, version: v }));
      return { name: g.name, versions, preferredVersion: versions[0] };
    });
    return { kind: 'APIGroupList', apiVersion: 'v1', groups };
  }
}

/** The Gateway API CRDs (standard channel) seeded when `gatewayApi` is on. */
export function gatewayApiCrds(): KubeObject[] {
  const mk = (plural: string, kind: string, scope: 'Namespaced' | 'Cluster', shortNames: string[]): KubeObject => ({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${plural}.gateway.networking.k8s.io`,
      annotations: {
        'api-approved.kubernetes.io': 'https://github.com/kubernetes-sigs/gateway-api/pull/3328',
        'gateway.networking.k8s.io/bundle-version': 'v1.2.1',
        'gateway.networking.k8s.io/channel': 'standard',
      },
    },
    spec: {
      group: 'gateway.networking.k8s.io',
      names: {
        categories: ['gateway-api'],
        kind,
        listKind: `${kind}List`,
        plural,
        singular: kind.toLowerCase(),
        ...(shortNames.length > 0 ? { shortNames } : {}),
      },
      scope,
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
  });
  return [
    mk('gatewayclasses', 'GatewayClass', 'Cluster', ['gc']),
    mk('gateways', 'Gateway', 'Namespaced', ['gtw']),
    mk('httproutes', 'HTTPRoute', 'Namespaced', []),
  ];
}
