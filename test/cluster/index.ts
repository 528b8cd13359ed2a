/**
 * The simulated Kubernetes API server: `startSimCluster` starts an in-memory kube-apiserver on
 * 127.0.0.1 that @kubernetes/client-node and kubectl can talk to.
 */
import { podsController, workloadsController } from './controllers.ts';
import { minorOf } from './defaults.ts';
import { writeKubeconfigFile } from './kubeconfig.ts';
import { present, Registry } from './registry.ts';
import { gatewayApiCrds, grKey, splitApiVersion, type ResourceDef } from './resources.ts';
import { SimServer } from './server.ts';
import { ApiError } from './status.ts';
import { Store } from './store.ts';
import { simTls } from './tls.ts';
import type {
  ConnectionRecord,
  Controller,
  FaultRule,
  ForbidRule,
  ObjectRef,
  RequestInfo,
  RequestRecord,
  SimCluster,
  SimOptions,
} from './sim-types.ts';
import { clone, type KubeObject, type StoreEvent } from './types.ts';

export type {
  ConnectionRecord,
  Controller,
  FaultRule,
  ForbidRule,
  ObjectRef,
  RequestInfo,
  RequestRecord,
  RequestVerb,
  SimCluster,
  SimOptions,
} from './sim-types.ts';
export { SIM_HOSTNAME } from './tls.ts';
export type { KubeObject, ObjectMeta, StoreEvent, WatchEventType } from './types.ts';
export { NEVER_READY_ANNOTATION } from './controllers.ts';
export { loadYamlObjects } from './fixtures.ts';

const DEFAULT_VERSION = 'v1.31.4';

class SimClusterImpl implements SimCluster {
  url = '';
  readonly ca: string | undefined;
  readonly requests: RequestRecord[] = [];
  readonly connections: ConnectionRecord[] = [];
  private readonly store: Store;
  private readonly registry: Registry;
  private readonly server: SimServer;
  private readonly faults: FaultRule[] = [];
  private readonly forbids: ForbidRule[] = [];
  private readonly controllers: Controller[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private hook: ((r: RequestInfo) => void | Promise<void>) | undefined;
  private unhealthy: ReadonlySet<string>;
  private closed = false;

  constructor(private readonly options: SimOptions) {
    this.unhealthy = new Set(options.unhealthyRevisions ?? []);
    this.store = new Store({ historyLimit: options.watchHistory ?? 1000 });
    this.registry = new Registry(this.store, {
      strictNamespaces: options.strictNamespaces ?? false,
      minor: minorOf(options.kubernetesVersion ?? DEFAULT_VERSION),
    });
    this.store.subscribe((e) => {
      if (this.controllers.length === 0) return;
      const event: StoreEvent = { type: e.type, object: clone(e.object) };
      if (e.prev !== undefined) event.oldObject = clone(e.prev);
      for (const c of [...this.controllers]) {
        try {
          c(clone(event), this);
        } catch (err) {
          console.error('sim controller failed:', err);
        }
      }
    });
    const wl = options.controllers?.workloads ?? true;
    if (wl !== false) {
      this.controllers.push(
        workloadsController({
          readyDelayMs: typeof wl === 'object' ? (wl.readyDelayMs ?? 0) : 0,
          nodes: options.nodes ?? 3,
          unhealthy: () => this.unhealthy,
          schedule: (fn, ms) => this.schedule(fn, ms),
        }),
      );
      if (typeof wl !== 'object' || wl.pods !== false)
        this.controllers.push(podsController({ nodes: options.nodes ?? 3 }));
    }
    const wire = options.wire ?? 'h2';
    const tls = wire === 'http' ? undefined : simTls();
    this.ca = tls?.ca;
    this.server = new SimServer(
      {
        registry: this.registry,
        gitVersion: options.kubernetesVersion ?? DEFAULT_VERSION,
        anonymousAuth: options.anonymousAuth ?? true,
        impersonators: new Set(options.impersonators ?? ['admin']),
        tokens: options.tokens,
        faults: this.faults,
        forbids: this.forbids,
        requests: this.requests,
        hook: () => this.hook,
        bookmarkIntervalMs: options.watchBookmarkIntervalMs ?? 60_000,
        connections: this.connections,
      },
      { tls, http2: wire === 'h2' },
    );
  }

  private schedule(fn: () => void, ms: number): void {
    if (this.closed) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.closed) fn();
    }, ms);
    this.timers.add(t);
  }

  /** Load the initial objects (CRDs first, so custom resources of the same set can follow). */
  load(objects: KubeObject[]): void {
    const crdKey = (o: KubeObject): number =>
      o.kind === 'CustomResourceDefinition' && o.apiVersion === 'apiextensions.k8s.io/v1' ? 0 : 1;
    const all = [...objects];
    if (this.options.gatewayApi ?? true) {
      for (const crd of gatewayApiCrds()) {
        if (!all.some((o) => crdKey(o) === 0 && o.metadata?.name === crd.metadata.name)) all.unshift(crd);
      }
    }
    const ordered = all
      .map((o, i) => ({ o, i }))
      .sort((a, b) => crdKey(a.o) - crdKey(b.o) || a.i - b.i)
      .map((x) => x.o);
    for (const o of ordered) this.upsert(o);
  }

  async start(): Promise<void> {
    this.url = await this.server.listen(this.options.host ?? '127.0.0.1', this.options.port ?? 0);
  }

  private defFor(apiVersion: string, kind: string): ResourceDef | undefined {
    return this.registry.table.byKind(apiVersion, kind);
  }

  private requireDef(o: {
    apiVersion?: unknown;
    kind?: unknown;
    metadata?: { name?: string | undefined; namespace?: string | undefined };
  }): ResourceDef {
    const apiVersion = typeof o.apiVersion === 'string' ? o.apiVersion : '';
    const kind = typeof o.kind === 'string' ? o.kind : '';
    const def = this.defFor(apiVersion, kind);
    if (def === undefined) {
      const where = `${o.metadata?.namespace !== undefined ? `${o.metadata.namespace}/` : ''}${o.metadata?.name ?? '<no name>'}`;
      const served = this.registry.table
        .all()
        .map((d) => `${d.kind} (${d.group === '' ? '' : `${d.group}/`}${d.versions.join('|')})`)
        .join(', ');
      throw new Error(
        `sim cluster: unknown kind "${kind}" in apiVersion "${apiVersion}" (object ${where}); served kinds: ${served}`,
      );
    }
    return def;
  }

  private ns(def: ResourceDef, namespace: string | undefined): string {
    return def.namespaced ? (namespace ?? 'default') : '';
  }

  async writeKubeconfig(
    path: string,
    opts: { context?: string; token?: string; namespace?: string; server?: string } = {},
  ): Promise<void> {
    // Without a token table every request is admin; a token is still written, because a kubeconfig
    // user with no credentials at all makes kubectl prompt for a password on an https:// server.
    const token =
      opts.token ??
      Object.keys(this.options.tokens ?? {})[0] ??
      (this.options.tokens === undefined ? 'sim-admin' : undefined);
    const { server, ...rest } = opts;
    await writeKubeconfigFile(path, server ?? this.url, {
      ...rest,
      ...(token !== undefined ? { token } : {}),
      ...(this.ca !== undefined ? { ca: this.ca } : {}),
    });
  }

  get(ref: ObjectRef): KubeObject | undefined {
    const def = this.defFor(ref.apiVersion, ref.kind);
    if (def === undefined) return undefined;
    const o = this.store.get(grKey(def), this.ns(def, ref.namespace), ref.name);
    return o === undefined ? undefined : present(def, o, splitApiVersion(ref.apiVersion).version);
  }

  list(ref: { apiVersion: string; kind: string; namespace?: string; labelSelector?: string }): KubeObject[] {
    const def = this.defFor(ref.apiVersion, ref.kind);
    if (def === undefined) return [];
    const ns = def.namespaced && ref.namespace !== '' ? ref.namespace : undefined;
    const { items } = this.registry.list(
      def,
      ns,
      ref.labelSelector !== undefined ? { labelSelector: ref.labelSelector } : {},
    );
    return items.map((o) => present(def, o, splitApiVersion(ref.apiVersion).version));
  }

  upsert(obj: KubeObject): KubeObject {
    const def = this.requireDef(obj);
    const ns = this.ns(def, obj.metadata?.namespace);
    const name = obj.metadata?.name ?? '';
    const version = splitApiVersion(obj.apiVersion).version;
    if (name === '' || this.store.get(grKey(def), ns, name) === undefined) {
      return present(def, this.registry.create(def, ns, obj, { direct: true }, version), version);
    }
    return present(def, this.registry.update(def, ns, name, obj, { direct: true }, version).object, version);
  }

  remove(ref: ObjectRef): boolean {
    const def = this.defFor(ref.apiVersion, ref.kind);
    if (def === undefined) return false;
    try {
      this.registry.delete(def, this.ns(def, ref.namespace), ref.name, {}, { direct: true });
      return true;
    } catch (e) {
      if (e instanceof ApiError && e.code === 404) return false;
      throw e;
    }
  }

  dump(): KubeObject[] {
    const out: KubeObject[] = [];
    const defs = this.registry.table.all();
    for (const gr of this.store.resources()) {
      const def = defs.find((d) => grKey(d) === gr);
      for (const o of this.store.list(gr)) out.push(def !== undefined ? present(def, o) : clone(o));
    }
    const key = (o: KubeObject): string =>
      `${o.apiVersion}\u0000${o.kind}\u0000${o.metadata.namespace ?? ''}\u0000${o.metadata.name ?? ''}`;
    return out.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  }

  clearRequests(): void {
    this.requests.length = 0;
    this.connections.length = 0;
  }

  inject(rule: FaultRule): void {
    this.faults.push({ ...rule });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  onRequest(hook: ((r: RequestInfo) => void | Promise<void>) | undefined): void {
    this.hook = hook;
  }

  forbid(rule: ForbidRule): void {
    this.forbids.push({ ...rule });
  }

  setUnhealthyRevisions(revisions: string[]): void {
    this.unhealthy = new Set(revisions);
  }

  addController(fn: Controller): void {
    this.controllers.push(fn);
  }

  resourceVersion(): string {
    return String(this.store.currentRv());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.registry.dispose();
    await this.server.close();
  }
}

/** Start a simulated cluster (resolves once it listens). Throws on objects of unknown kinds. */
export async function startSimCluster(options: SimOptions = {}): Promise<SimCluster> {
  const sim = new SimClusterImpl(options);
  sim.load(options.objects ?? []);
  await sim.start();
  return sim;
}
