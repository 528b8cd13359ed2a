/**
 * Server-side defaulting and create-time preparation for the built-in kinds (a subset of the
 * upstream `SetDefaults_*` functions and strategies' PrepareForCreate; pod-template defaults
 * such as imagePullPolicy or terminationMessagePath are NOT applied).
 */
import type { ResourceDef } from './resources.ts';
import { isObject, type JsonObject, type KubeObject } from './types.ts';

/** The minor version whose defaults apply when none is given. */
export const LATEST_MINOR = 99;

/** `v1.20.2` → 20 (LATEST_MINOR when it cannot be read). */
export function minorOf(gitVersion: string | undefined): number {
  const m = /^v?1\.(\d+)/.exec(gitVersion ?? '');
  return m?.[1] !== undefined ? Number(m[1]) : LATEST_MINOR;
}

/**
 * Status as Go's JSON encoder writes the typed struct: int fields tagged `omitempty` are left out
 * when zero, the others are always there (0 when unset); the status struct itself is never omitted.
 */
const STATUS_ENCODING: Record<string, { omitEmpty: string[]; always: string[] }> = {
  'apps/Deployment': {
    omitEmpty: [
      'observedGeneration',
      'replicas',
      'updatedReplicas',
      'readyReplicas',
      'availableReplicas',
      'unavailableReplicas',
    ],
    always: [],
  },
  'apps/DaemonSet': {
    omitEmpty: ['observedGeneration', 'updatedNumberScheduled', 'numberAvailable', 'numberUnavailable'],
    always: ['currentNumberScheduled', 'numberMisscheduled', 'desiredNumberScheduled', 'numberReady'],
  },
};

/** Rewrites the status of a typed workload the way the real server stores and serves it (see STATUS_ENCODING). */
export function encodeStatus(def: ResourceDef, o: KubeObject): void {
  const enc = STATUS_ENCODING[`${def.group}/${def.kind}`];
  if (enc === undefined || def.custom) return;
  const status: JsonObject = isObject(o['status']) ? { ...o['status'] } : {};
  for (const k of enc.omitEmpty) if (status[k] === 0 || status[k] === null) delete status[k];
  const out: JsonObject = {};
  for (const k of enc.always) out[k] = typeof status[k] === 'number' ? status[k] : 0;
  for (const [k, v] of Object.entries(status)) if (!(k in out)) out[k] = v;
  o['status'] = out;
}

function obj(parent: JsonObject, key: string): JsonObject {
  const v = parent[key];
  if (isObject(v)) return v;
  const created: JsonObject = {};
  parent[key] = created;
  return created;
}

function setDefault(o: JsonObject, key: string, value: unknown): void {
  if (o[key] === undefined || o[key] === null) o[key] = value;
}

/**
 * Apply defaults to an object about to be written (create, update or patch). `old` is the stored
 * object on update; `minor` is the Kubernetes minor version served (defaults that came later are left out).
 */
export function applyDefaults(
  def: ResourceDef,
  o: KubeObject,
  old: KubeObject | undefined,
  minor = LATEST_MINOR,
): void {
  if (def.custom) return;
  const key = `${def.group}/${def.kind}`;
  switch (key) {
    case '/Service': {
      const spec = obj(o, 'spec');
      setDefault(spec, 'type', 'ClusterIP');
      if (spec['type'] !== 'ExternalName') {
        setDefault(spec, 'sessionAffinity', 'None');
        // PatchAllocatedValues: an update that omits the allocated IPs keeps them.
        const oldSpec = old !== undefined && isObject(old['spec']) ? old['spec'] : undefined;
        if (oldSpec !== undefined) {
          for (const f of ['clusterIP', 'clusterIPs', 'ipFamilies', 'ipFamilyPolicy']) {
            if ((spec[f] === undefined || spec[f] === '') && oldSpec[f] !== undefined) spec[f] = oldSpec[f];
          }
        }
        // ServiceInternalTrafficPolicy (beta, on by default from 1.22).
        if (minor >= 22) setDefault(spec, 'internalTrafficPolicy', 'Cluster');
      }
      if (Array.isArray(spec['ports'])) {
        for (const p of spec['ports']) {
          if (!isObject(p)) continue;
          setDefault(p, 'protocol', 'TCP');
          if (p['targetPort'] === undefined && p['port'] !== undefined) p['targetPort'] = p['port'];
        }
      }
      break;
    }
    case '/Secret': {
      setDefault(o, 'type', 'Opaque');
      const sd = o['stringData'];
      if (isObject(sd)) {
        const data = obj(o, 'data');
        for (const [k, v] of Object.entries(sd))
          if (typeof v === 'string') data[k] = Buffer.from(v, 'utf8').toString('base64');
        delete o['stringData'];
      }
      break;
    }
    case '/Namespace': {
      const spec = obj(o, 'spec');
      setDefault(spec, 'finalizers', ['kubernetes']);
      const labels = o.metadata.labels ?? {};
      // NamespaceDefaultLabelName (beta, on by default from 1.21; GA in 1.22): always set to the name.
      if (minor >= 21) {
        if (o.metadata.name !== undefined) labels['kubernetes.io/metadata.name'] = o.metadata.name;
        o.metadata.labels = labels;
      }
      break;
    }
    case 'apps/Deployment': {
      const spec = obj(o, 'spec');
      setDefault(spec, 'replicas', 1);
      setDefault(spec, 'revisionHistoryLimit', 10);
      setDefault(spec, 'progressDeadlineSeconds', 600);
      const strategy = obj(spec, 'strategy');
      setDefault(strategy, 'type', 'RollingUpdate');
      if (strategy['type'] === 'RollingUpdate') {
        const ru = obj(strategy, 'rollingUpdate');
        setDefault(ru, 'maxUnavailable', '25%');
        setDefault(ru, 'maxSurge', '25%');
      }
      break;
    }
    case 'apps/DaemonSet': {
      const spec = obj(o, 'spec');
      setDefault(spec, 'revisionHistoryLimit', 10);
      const strategy = obj(spec, 'updateStrategy');
      setDefault(strategy, 'type', 'RollingUpdate');
      if (strategy['type'] === 'RollingUpdate') {
        const ru = obj(strategy, 'rollingUpdate');
        setDefault(ru, 'maxUnavailable', 1);
        // DaemonSetUpdateSurge (beta, on by default from 1.22).
        if (minor >= 22) setDefault(ru, 'maxSurge', 0);
      }
      break;
    }
    case 'apps/ReplicaSet': {
      setDefault(obj(o, 'spec'), 'replicas', 1);
      break;
    }
    case 'admissionregistration.k8s.io/MutatingWebhookConfiguration':
    case 'admissionregistration.k8s.io/ValidatingWebhookConfiguration': {
      const mutating = def.kind.startsWith('Mutating');
      if (!Array.isArray(o['webhooks'])) break;
      for (const w of o['webhooks']) {
        if (!isObject(w)) continue;
        setDefault(w, 'failurePolicy', 'Fail');
        setDefault(w, 'matchPolicy', 'Equivalent');
        setDefault(w, 'namespaceSelector', {});
        setDefault(w, 'objectSelector', {});
        setDefault(w, 'timeoutSeconds', 10);
        if (mutating) setDefault(w, 'reinvocationPolicy', 'Never');
        const cc = w['clientConfig'];
        if (isObject(cc) && isObject(cc['service'])) setDefault(cc['service'], 'port', 443);
        if (Array.isArray(w['rules'])) for (const r of w['rules']) if (isObject(r)) setDefault(r, 'scope', '*');
      }
      break;
    }
    default:
      break;
  }
}

/** Allocates Service cluster IPs from 10.96.0.0/12 (sequentially, skipping IPs in use). */
export class ClusterIpAllocator {
  private next = 10;
  /** Pick a free IP given the IPs in use. */
  allocate(inUse: Set<string>): string {
    for (;;) {
      const n = this.next++;
      const ip = `10.96.${Math.floor(n / 256) % 256}.${n % 256}`;
      if (n % 256 !== 0 && n % 256 !== 255 && !inUse.has(ip)) return ip;
    }
  }
}

/** Create-time status/spec preparation done by the real strategies (`PrepareForCreate`). */
export function prepareForCreate(
  def: ResourceDef,
  o: KubeObject,
  allocateIp: () => string,
  minor = LATEST_MINOR,
): void {
  const key = `${def.group}/${def.kind}`;
  // Status is only filled in when absent (requests have it cleared before; direct store writes may carry one).
  const noStatus = o['status'] === undefined;
  if (key === '/Namespace') {
    if (noStatus) o['status'] = { phase: 'Active' };
  } else if (key === '/Service') {
    const spec = obj(o, 'spec');
    if (spec['type'] !== 'ExternalName' && (spec['clusterIP'] === undefined || spec['clusterIP'] === '')) {
      const ip = allocateIp();
      spec['clusterIP'] = ip;
      spec['clusterIPs'] = [ip];
    } else if (spec['clusterIP'] !== undefined && spec['clusterIPs'] === undefined) {
      spec['clusterIPs'] = [spec['clusterIP']];
    }
    // IPv6DualStack (beta, on by default from 1.21) fills in the IP families.
    if (spec['type'] !== 'ExternalName' && minor >= 21) {
      setDefault(spec, 'ipFamilies', ['IPv4']);
      setDefault(spec, 'ipFamilyPolicy', 'SingleStack');
    }
    if (noStatus) o['status'] = { loadBalancer: {} };
  } else if (key === '/Pod') {
    if (noStatus) o['status'] = { phase: 'Pending', qosClass: 'BestEffort' };
  } else if (key === 'apiextensions.k8s.io/CustomResourceDefinition') {
    if (noStatus) crdStatus(o, undefined);
  }
}

/** Status the apiextensions controllers give an accepted, established CRD. */
export function crdStatus(o: KubeObject, old: KubeObject | undefined): void {
  const spec = isObject(o['spec']) ? o['spec'] : {};
  const versions = Array.isArray(spec['versions']) ? spec['versions'].filter(isObject) : [];
  const storage = versions.find((v) => v['storage'] === true)?.['name'];
  const oldStatus = old !== undefined && isObject(old['status']) ? old['status'] : {};
  const stored: unknown[] = Array.isArray(oldStatus['storedVersions'])
    ? [...(oldStatus['storedVersions'] as unknown[])]
    : [];
  if (typeof storage === 'string' && !stored.includes(storage)) stored.push(storage);
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const oldConds = Array.isArray(oldStatus['conditions']) ? oldStatus['conditions'] : undefined;
  o['status'] = {
    acceptedNames: spec['names'] ?? {},
    conditions: oldConds ?? [
      {
        type: 'NamesAccepted',
        status: 'True',
        lastTransitionTime: now,
        reason: 'NoConflicts',
        message: 'no conflicts found',
      },
      {
        type: 'Established',
        status: 'True',
        lastTransitionTime: now,
        reason: 'InitialNamesAccepted',
        message: 'the initial names have been accepted',
      },
    ],
    storedVersions: stored,
  };
}
