/**
 * One interface over both backends of the contract suite, the simulated cluster (test/cluster) and a
 * real kube-apiserver (harness.ts): raw API requests as any of the three users, watches, kubeconfigs
 * for the CLI, and one loader that puts a scenario's objects in through the API the same way on both
 * (Gateway API CRDs first and established, namespaces, then the rest, workload status through /status).
 *
 * `forEachBackend` runs a suite once per backend (`CONTRACT_BACKENDS=sim|real|sim,real`, default
 * both). The real one is skipped with the reason when the binaries cannot be provided, unless
 * CONTRACT_REQUIRE_REAL=1 (CI), where that fails instead.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startSimCluster } from '../cluster/index.ts';
import { daemonSetStatus, deploymentStatus } from '../cluster/controllers.ts';
import type { ForbidRule, SimCluster } from '../cluster/sim-types.ts';
import type { KubeObject } from '../cluster/types.ts';
import { parseObjects } from '../support/builders.ts';
import {
  provideBinaries,
  rawRequest,
  rbacObjects,
  REPO,
  startRealCluster,
  USERS,
  writeKubeconfig,
  type RealCluster,
  type User,
} from './harness.ts';

export type BackendKind = 'sim' | 'real';
export { USERS, type User } from './harness.ts';

/** An API answer: status, headers and the parsed JSON body (undefined when not JSON). */
export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

/** One watch event. */
export interface WatchEvent {
  type: string;
  object: KubeObject & { code?: number; reason?: string };
}

/** A watch in progress. */
export interface Watch {
  status: number;
  events: WatchEvent[];
  /** Resolves with the first event (from the start) matching `pred`, or rejects after `timeoutMs`. */
  waitFor(pred: (e: WatchEvent) => boolean, timeoutMs?: number): Promise<WatchEvent>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

export interface RequestOptions {
  body?: unknown;
  /** Raw body text (instead of JSON of `body`). */
  raw?: string;
  query?: Record<string, string | string[]>;
  user?: User;
  accept?: string;
  contentType?: string;
}

export interface Backend {
  kind: BackendKind;
  url: string;
  /** gitVersion of GET /version. */
  version: string;
  kubeconfig: Record<User, string>;
  /** The CA to trust for `url` (undefined: plain http). */
  ca: string | undefined;
  api(method: string, path: string, o?: RequestOptions): Promise<Reply>;
  watch(path: string, query: Record<string, string>, user?: User): Promise<Watch>;
  /** Creates the objects through the API (see the file comment). */
  load(objects: KubeObject[]): Promise<void>;
  close(): Promise<void>;
}

/** The backends selected for this run. */
export function selectedBackends(): BackendKind[] {
  const env = process.env['CONTRACT_BACKENDS'];
  const all: BackendKind[] = ['sim', 'real'];
  if (env === undefined || env.trim() === '') return all;
  return all.filter((k) =>
    env
      .split(',')
      .map((s) => s.trim())
      .includes(k),
  );
}

function withQuery(path: string, query: Record<string, string | string[]> | undefined): string {
  if (query === undefined) return path;
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) for (const x of Array.isArray(v) ? v : [v]) p.append(k, x);
  const s = p.toString();
  return s === '' ? path : `${path}?${s}`;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The objects of `test/fixtures/gateway-api/gateway-crds-minimal.yaml` (installs on every server version). */
export function minimalGatewayCrds(): KubeObject[] {
  return parseObjects(readFileSync(join(REPO, 'test/fixtures/gateway-api/gateway-crds-minimal.yaml'), 'utf8'));
}

/** Where the objects of a kind live. */
const RESOURCES: Record<string, { plural: string; namespaced: boolean }> = {
  'v1/Namespace': { plural: 'namespaces', namespaced: false },
  'v1/Service': { plural: 'services', namespaced: true },
  'v1/Pod': { plural: 'pods', namespaced: true },
  'v1/ConfigMap': { plural: 'configmaps', namespaced: true },
  'v1/Secret': { plural: 'secrets', namespaced: true },
  'v1/ServiceAccount': { plural: 'serviceaccounts', namespaced: true },
  'apps/v1/Deployment': { plural: 'deployments', namespaced: true },
  'apps/v1/DaemonSet': { plural: 'daemonsets', namespaced: true },
  'admissionregistration.k8s.io/v1/MutatingWebhookConfiguration': {
    plural: 'mutatingwebhookconfigurations',
    namespaced: false,
  },
  'admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration': {
    plural: 'validatingwebhookconfigurations',
    namespaced: false,
  },
  'rbac.authorization.k8s.io/v1/ClusterRole': { plural: 'clusterroles', namespaced: false },
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': { plural: 'clusterrolebindings', namespaced: false },
  'rbac.authorization.k8s.io/v1/Role': { plural: 'roles', namespaced: true },
  'rbac.authorization.k8s.io/v1/RoleBinding': { plural: 'rolebindings', namespaced: true },
  'apiextensions.k8s.io/v1/CustomResourceDefinition': { plural: 'customresourcedefinitions', namespaced: false },
  'gateway.networking.k8s.io/v1/Gateway': { plural: 'gateways', namespaced: true },
  'gateway.networking.k8s.io/v1/GatewayClass': { plural: 'gatewayclasses', namespaced: false },
};

/** URL path of an object's collection (name undefined) or of the object. */
export function pathOf(apiVersion: string, kind: string, namespace?: string, name?: string): string {
  const r = RESOURCES[`${apiVersion}/${kind}`];
  if (r === undefined)
    throw new Error(
      `contract loader: no path known for ${apiVersion} ${kind}; add it to RESOURCES in test/contract/backend.ts`,
    );
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const ns = r.namespaced ? `/namespaces/${namespace ?? 'default'}` : '';
  return `${base}${ns}/${r.plural}${name !== undefined ? `/${name}` : ''}`;
}

/**
 * What a 1.20 server can hold, applied on both backends alike: no autoscaling/v2 or policy/v1 objects,
 * no DaemonSet rollingUpdate.maxSurge (and maxUnavailable 1 instead of 0), and no Gateway API CRDs (the minimal ones are installed first).
 */
export function forOldServers(objects: KubeObject[]): KubeObject[] {
  return objects
    .filter((o) => !['autoscaling/v2', 'policy/v1'].includes(o.apiVersion))
    .filter(
      (o) => !(o.kind === 'CustomResourceDefinition' && (o.metadata.name ?? '').endsWith('.gateway.networking.k8s.io')),
    )
    .map((o) => {
      if (o.kind !== 'DaemonSet') return o;
      const c = structuredClone(o);
      const ru = (c['spec'] as { updateStrategy?: { rollingUpdate?: Record<string, unknown> } } | undefined)
        ?.updateStrategy?.rollingUpdate;
      if (ru !== undefined) {
        // Without maxSurge, 1.20 refuses maxUnavailable 0 (ztunnel's chart surges instead).
        if (ru['maxSurge'] !== undefined && (ru['maxUnavailable'] === 0 || ru['maxUnavailable'] === '0%'))
          ru['maxUnavailable'] = 1;
        delete ru['maxSurge'];
      }
      return c;
    });
}

async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (i < items.length) await fn(items[i++]!);
    }),
  );
}

abstract class BaseBackend implements Backend {
  abstract kind: BackendKind;
  abstract url: string;
  abstract version: string;
  abstract kubeconfig: Record<User, string>;
  abstract ca: string | undefined;
  abstract close(): Promise<void>;

  async api(method: string, path: string, o: RequestOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = {
      Authorization: `Bearer ${USERS[o.user ?? 'admin'].token}`,
      Accept: o.accept ?? 'application/json',
    };
    let body: string | undefined;
    if (o.raw !== undefined) body = o.raw;
    else if (o.body !== undefined) body = JSON.stringify(o.body);
    if (body !== undefined) headers['Content-Type'] = o.contentType ?? 'application/json';
    const r = await rawRequest(this.url + withQuery(path, o.query), {
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
      ...(this.ca !== undefined ? { ca: this.ca } : {}),
    });
    return { ...r, body: parse(r.text) };
  }

  async watch(path: string, query: Record<string, string>, user: User = 'admin'): Promise<Watch> {
    const u = new URL(this.url + withQuery(path, { ...query, watch: 'true' }));
    const headers = { Authorization: `Bearer ${USERS[user].token}`, Accept: 'application/json' };
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req =
        u.protocol === 'https:'
          ? httpsRequest(u, { headers, agent: false, ...(this.ca !== undefined ? { ca: this.ca } : {}) })
          : httpRequest(u, { headers, agent: false });
      req.on('response', resolve);
      req.on('error', reject);
      req.end();
    });
    const events: WatchEvent[] = [];
    const waiters = new Set<() => void>();
    let buf = '';
    let done = false;
    const ended = new Promise<void>((resolve) => {
      const finish = (): void => {
        done = true;
        for (const w of [...waiters]) w();
        resolve();
      };
      res.on('end', finish);
      res.on('close', finish);
      res.on('error', finish);
    });
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buf += chunk;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        // Only a 200 streams events; an error answer is one Status (or plain text) body.
        if (line !== '' && res.statusCode === 200) events.push(JSON.parse(line) as WatchEvent);
      }
      for (const w of [...waiters]) w();
    });
    return {
      status: res.statusCode ?? 0,
      events,
      ended,
      close: () => res.destroy(),
      waitFor: (pred, timeoutMs = 10_000) =>
        new Promise<WatchEvent>((resolve, reject) => {
          const check = (): void => {
            const e = events.find(pred);
            if (e !== undefined || done) {
              waiters.delete(check);
              clearTimeout(t);
              if (e !== undefined) resolve(e);
              else
                reject(
                  new Error(
                    `watch ended without the expected event; got ${JSON.stringify(events.map((x) => `${x.type} ${x.object.metadata?.name ?? ''}`))}`,
                  ),
                );
            }
          };
          const t = setTimeout(() => {
            waiters.delete(check);
            reject(
              new Error(
                `no matching watch event within ${timeoutMs} ms; got ${JSON.stringify(events.map((x) => `${x.type} ${x.object.metadata?.name ?? ''}`))}`,
              ),
            );
          }, timeoutMs);
          waiters.add(check);
          check();
        }),
    };
  }

  private async must(method: string, path: string, body: unknown, ok: number[]): Promise<Reply> {
    const r = await this.api(method, path, { body });
    if (!ok.includes(r.status))
      throw new Error(`contract loader: ${method} ${path} answered ${r.status}: ${r.text.slice(0, 500)}`);
    return r;
  }

  async load(input: KubeObject[]): Promise<void> {
    const objects = forOldServers(input);
    // 1. Gateway API CRDs, until established and served.
    for (const crd of minimalGatewayCrds()) await this.must('POST', pathOf(crd.apiVersion, crd.kind), crd, [201, 409]);
    const deadline = Date.now() + 30_000;
    for (const crd of minimalGatewayCrds()) {
      for (;;) {
        const r = await this.api('GET', pathOf(crd.apiVersion, crd.kind, undefined, crd.metadata.name));
        const conditions = (r.body as { status?: { conditions?: { type: string; status: string }[] } } | undefined)
          ?.status?.conditions;
        const established = conditions?.some((c) => c.type === 'Established' && c.status === 'True') === true;
        const plural = (crd['spec'] as { names: { plural: string } }).names.plural;
        const served =
          established && (await this.api('GET', `/apis/gateway.networking.k8s.io/v1/${plural}`)).status === 200;
        if (served) break;
        if (Date.now() > deadline)
          throw new Error(`contract loader: CRD ${crd.metadata.name ?? ''} not established and served within 30 s`);
        await new Promise((res) => setTimeout(res, 100));
      }
    }
    // 2. Namespaces (given or implied), 3. cluster-scoped objects, 4. namespaced objects.
    const namespaces = new Map<string, KubeObject>();
    for (const o of objects) if (o.kind === 'Namespace') namespaces.set(o.metadata.name ?? '', o);
    for (const o of objects) {
      const ns = o.metadata.namespace;
      if (ns !== undefined && !namespaces.has(ns))
        namespaces.set(ns, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    }
    await pool(
      [...namespaces.values()],
      4,
      async (ns) => void (await this.must('POST', pathOf('v1', 'Namespace'), ns, [201])),
    );
    // Pods before the webhooks: the real server would call the scenario's injection webhooks (no istiod behind them).
    const pods = objects.filter((o) => o.kind === 'Pod');
    const rest = objects.filter((o) => o.kind !== 'Namespace' && o.kind !== 'Pod');
    const clusterScoped = rest.filter((o) => !(RESOURCES[`${o.apiVersion}/${o.kind}`]?.namespaced ?? true));
    const namespaced = rest.filter((o) => RESOURCES[`${o.apiVersion}/${o.kind}`]?.namespaced ?? true);
    for (const group of [pods, clusterScoped, namespaced]) {
      await pool(group, 6, async (o) => {
        const { status, ...spec } = o;
        const created = await this.must('POST', pathOf(o.apiVersion, o.kind, o.metadata.namespace), spec, [201]);
        if (o.kind !== 'Deployment' && o.kind !== 'DaemonSet' && !(o.kind === 'Pod' && status !== undefined)) return;
        // No controller-manager or kubelet: workloads get the status their controller would converge
        // to, pods the status they were given (their phase).
        const obj = created.body as KubeObject;
        obj['status'] = status ?? (o.kind === 'Deployment' ? deploymentStatus(obj) : daemonSetStatus(obj, 3));
        await this.must(
          'PUT',
          `${pathOf(o.apiVersion, o.kind, o.metadata.namespace, o.metadata.name)}/status`,
          obj,
          [200],
        );
      });
    }
  }
}

class RealBackend extends BaseBackend {
  kind = 'real' as const;
  url: string;
  version: string;
  kubeconfig: Record<User, string>;
  ca: string;
  constructor(private readonly cluster: RealCluster) {
    super();
    this.url = cluster.url;
    this.version = cluster.version;
    this.kubeconfig = cluster.kubeconfig;
    this.ca = cluster.ca;
  }
  close(): Promise<void> {
    return this.cluster.stop();
  }
}

/** The simulator's stand-in for the RBAC of `rbacObjects()`. */
export function simForbids(): ForbidRule[] {
  const writes = ['create', 'update', 'patch', 'delete', 'deletecollection'];
  const rules: ForbidRule[] = [];
  for (const u of [USERS.reader.name, USERS.restricted.name]) for (const verb of writes) rules.push({ user: u, verb });
  for (const verb of ['get', 'list', 'watch'])
    for (const resource of ['gateways', 'pods']) rules.push({ user: USERS.restricted.name, verb, resource });
  rules.push({ user: USERS.impersonator.name }); // everything but impersonation, which is decided before RBAC
  return rules;
}

class SimBackend extends BaseBackend {
  kind = 'sim' as const;
  url: string;
  version: string;
  kubeconfig = {} as Record<User, string>;
  ca: string | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'ambient-contract-sim-'));
  constructor(
    readonly sim: SimCluster,
    version: string,
  ) {
    super();
    this.url = sim.url;
    this.version = version;
    // HTTPS with the simulator's own CA, like the real server's.
    this.ca = sim.ca;
    for (const [user, u] of Object.entries(USERS) as [User, (typeof USERS)[User]][]) {
      this.kubeconfig[user] = join(this.dir, `kubeconfig-${user}`);
      writeKubeconfig(this.kubeconfig[user], this.url, u.token, this.ca, `sim-${user}`);
    }
  }
  async close(): Promise<void> {
    await this.sim.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The Kubernetes version the sim pretends to be: the real server's, so both answer alike. */
function simVersion(): string {
  const env = process.env['CONTRACT_KUBE_VERSION'];
  if (env !== undefined && env !== '') return env;
  return (selectedBackends().includes('real') ? provideBinaries().binaries?.version : undefined) ?? 'v1.20.2';
}

/** Starts a backend with no scenario objects (the restricted users' RBAC is in place). */
export async function startBackend(kind: BackendKind): Promise<Backend> {
  if (kind === 'real') {
    const p = provideBinaries();
    if (p.binaries === undefined) throw new Error(`real backend unavailable: ${p.reason ?? '?'}`);
    return new RealBackend(await startRealCluster(p.binaries));
  }
  const version = simVersion();
  const sim = await startSimCluster({
    kubernetesVersion: version,
    tokens: Object.fromEntries(Object.values(USERS).map((u) => [u.token, u.name])),
    gatewayApi: false,
    strictNamespaces: true,
    controllers: { workloads: false },
    impersonators: [USERS.admin.name, USERS.impersonator.name],
  });
  for (const rule of simForbids()) sim.forbid(rule);
  const b = new SimBackend(sim, version);
  // The same RBAC objects exist on both (the sim does not enforce them: its forbid rules do).
  for (const o of rbacObjects()) {
    const kind2 = o['kind'] === 'ClusterRole' ? 'clusterroles' : 'clusterrolebindings';
    await b.api('POST', `/apis/rbac.authorization.k8s.io/v1/${kind2}`, { body: o });
  }
  return b;
}

/** Why the real backend is skipped, or undefined when it runs. */
export function realSkipReason(): string | undefined {
  const p = provideBinaries();
  return p.binaries === undefined ? `real kube-apiserver unavailable: ${p.reason ?? '?'}` : undefined;
}

/**
 * Declares `suite` once per selected backend, as `title [sim]` and `title [real]`, with a backend
 * started in `before` (and `objects` loaded) and closed in `after`.
 */
export function forEachBackend(
  title: string,
  objects: () => KubeObject[],
  suite: (backend: () => Backend, kind: BackendKind) => void,
): void {
  for (const kind of selectedBackends()) {
    const reason = kind === 'real' ? realSkipReason() : undefined;
    if (reason !== undefined && process.env['CONTRACT_REQUIRE_REAL'] !== '1') {
      describe(`${title} [${kind}]`, () => {
        it('every test of this suite', { skip: reason }, () => undefined);
      });
      continue;
    }
    describe(`${title} [${kind}]`, () => {
      let b: Backend | undefined;
      before(async () => {
        if (reason !== undefined) throw new Error(`CONTRACT_REQUIRE_REAL=1 but ${reason}`);
        b = await startBackend(kind);
        await b.load(objects());
      });
      after(async () => {
        await b?.close();
      });
      suite(() => {
        if (b === undefined) throw new Error('backend not started');
        return b;
      }, kind);
    });
  }
}
