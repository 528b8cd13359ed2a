/**
 * Public types of the simulated cluster (options, request log, faults, controllers).
 */
import type { KubeObject, StoreEvent } from './types.ts';

/** The request verb, as kube-apiserver's RequestInfo names it (plus discovery/version/other). */
export type RequestVerb =
  | 'get'
  | 'list'
  | 'watch'
  | 'create'
  | 'update'
  | 'patch'
  | 'delete'
  | 'deletecollection'
  | 'discovery'
  | 'version'
  | 'other';

/** What a request is, after routing (given to onRequest hooks and matched by faults/forbid rules). */
export interface RequestInfo {
  method: string;
  /** URL path without the query. */
  path: string;
  query: Record<string, string>;
  verb: RequestVerb;
  /** API group ('' for core); undefined for non-resource requests. */
  group?: string;
  version?: string;
  resource?: string;
  subresource?: string;
  /** Namespace of the request (for a Namespace object itself, its name, like upstream RequestInfo). */
  namespace?: string;
  name?: string;
  /** Authenticated user ('admin' without tokens). */
  user: string;
  /** Parsed JSON (or YAML) body, if any. */
  body?: unknown;
  userAgent?: string;
  /** The header fields, by lower-case name; a field sent several times has several values. */
  headers?: Record<string, string[]>;
}

/** One served request in the log. */
export interface RequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  verb: RequestVerb;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  /** HTTP status sent; 0 while in flight, or when the connection was dropped / hung without a status line. */
  status: number;
  /** Response body bytes written (grows while a watch streams). */
  bytes: number;
  userAgent?: string;
  /** The id of the connection it came on (see SimCluster.connections). */
  connection?: number;
  /** The HTTP version it was sent with. */
  protocol?: 'h2' | 'http/1.1';
}

/** One TCP connection accepted by the server. */
export interface ConnectionRecord {
  /** 1, 2, ... in accepting order. */
  id: number;
  /** Whether it is a TLS connection (one TLS handshake each). */
  tls: boolean;
  /** What ALPN chose ('none' until the TLS handshake completes, or when it never does). */
  protocol: 'h2' | 'http/1.1' | 'none';
  /** Requests served on it. */
  requests: number;
}

/** A fault to inject into matching requests. */
export interface FaultRule {
  /** Every given field must match. `path` is compared with the URL path (no query): string = exact, RegExp = test. */
  match: {
    method?: string;
    verb?: string;
    resource?: string;
    namespace?: string;
    name?: string;
    path?: string | RegExp;
    subresource?: string;
  };
  /** Use this many times, then the rule is removed. Default: forever. */
  times?: number;
  /** Answer with this code and a real Status body. */
  status?: number;
  message?: string;
  headers?: Record<string, string>;
  /** Wait before handling (then handle normally unless status/drop/hang). */
  delayMs?: number;
  /** Destroy the socket before any response, or after the headers and part of the body. */
  drop?: 'immediately' | 'mid-body';
  /** Never answer (until close()). */
  hang?: boolean;
}

/** An RBAC-lite deny rule: a request matching every given field gets 403. */
export interface ForbidRule {
  verb?: string;
  resource?: string;
  namespace?: string;
  user?: string;
}

/** A reference to an object for direct store access. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

/** Options of `startSimCluster`. */
export interface SimOptions {
  /** Initial objects (any served kind, CRDs first). Namespaces are not auto-created; missing ones are fine. */
  objects?: KubeObject[];
  host?: '127.0.0.1';
  /** 0 = a free port (default). */
  port?: number;
  /**
   * How the server speaks (default 'h2'): 'h2' is HTTPS with HTTP/2 offered by ALPN and HTTP/1.1
   * still accepted, like kube-apiserver; 'https' is HTTPS with HTTP/1.1 only; 'http' is plain
   * HTTP/1.1. HTTPS uses the simulator's own CA (see tls.ts), which its kubeconfigs carry.
   */
  wire?: 'h2' | 'https' | 'http';
  /**
   * gitVersion of GET /version (default 'v1.31.4'). Its minor version also selects version-dependent
   * behaviour: defaults added later (namespace name label 1.21, Service ipFamilies 1.21 and
   * internalTrafficPolicy 1.22, DaemonSet maxSurge 1.22) and the Service DELETE answer (object from 1.23).
   */
  kubernetesVersion?: string;
  /** Serve gateway.networking.k8s.io/v1 through seeded Gateway API CRDs (default true). */
  gatewayApi?: boolean;
  /**
   * Bearer token → user name. If given, a request with an unknown token gets 401; one without a token
   * is `system:anonymous` (see anonymousAuth).
   */
  tokens?: Record<string, string>;
  /**
   * Like kube-apiserver's --anonymous-auth (default true): with `tokens`, a request without a token is
   * `system:anonymous`, which may read /version and the health endpoints (system:public-info-viewer)
   * and gets 403 for everything else. False: such requests get 401.
   */
  anonymousAuth?: boolean;
  /** Users that may impersonate others (`Impersonate-User`), default `admin` (the user without tokens). */
  impersonators?: string[];
  /** Like the NamespaceLifecycle admission plugin: creating in a missing namespace → 404, in a terminating one → 403. Default false (lenient). */
  strictNamespaces?: boolean;
  /** Built-in controllers. */
  controllers?: {
    workloads?:
      boolean | { readyDelayMs?: number; /** Pods for Deployments and DaemonSets (default true). */ pods?: boolean };
  };
  /**
   * Revisions whose proxies never become ready: a Deployment whose pod template carries
   * `istio.io/rev` of one of them stays unready (its old pods stay too), as a broken data plane would.
   */
  unhealthyRevisions?: string[];
  /** Number of nodes DaemonSets are scheduled on (default 3). */
  nodes?: number;
  /** Interval of BOOKMARK events for watches with allowWatchBookmarks (default 60000, like the watch cache). */
  watchBookmarkIntervalMs?: number;
  /** How many store events are kept for watches from a resourceVersion (default 1000). */
  watchHistory?: number;
}

/** A controller: called synchronously, in order, for every store change (a write it makes is delivered after the current event). */
export type Controller = (event: StoreEvent, sim: SimCluster) => void;

/** A running simulated cluster. */
export interface SimCluster {
  /** https://127.0.0.1:PORT (http:// with `wire: 'http'`) */
  url: string;
  /** PEM of the CA the server's certificate chains to (undefined for plain HTTP). */
  readonly ca: string | undefined;
  /** Every TCP connection accepted, in order (with its TLS/ALPN outcome and request count). */
  readonly connections: ConnectionRecord[];
  /** Write a kubeconfig (cluster + user + context, current-context set; context default 'sim'). */
  writeKubeconfig(
    path: string,
    opts?: { context?: string; token?: string; namespace?: string; server?: string },
  ): Promise<void>;
  /** Direct store access (not logged; bumps resourceVersion/generation and emits events like a request). */
  get(ref: ObjectRef): KubeObject | undefined;
  list(ref: { apiVersion: string; kind: string; namespace?: string; labelSelector?: string }): KubeObject[];
  /** Create or replace unconditionally (status included as given). */
  upsert(obj: KubeObject): KubeObject;
  remove(ref: ObjectRef): boolean;
  /** Deep copy of every object, sorted by apiVersion/kind/namespace/name. */
  dump(): KubeObject[];
  /** Every HTTP request served, in arrival order. */
  readonly requests: RequestRecord[];
  /** Forgets the request and connection logs. */
  clearRequests(): void;
  inject(rule: FaultRule): void;
  clearFaults(): void;
  onRequest(hook: ((r: RequestInfo) => void | Promise<void>) | undefined): void;
  forbid(rule: ForbidRule): void;
  /** Replace the unhealthy revisions (SimOptions.unhealthyRevisions); applies to rollouts from now on. */
  setUnhealthyRevisions(revisions: string[]): void;
  /** Register an extra controller (see Controller). */
  addController(fn: Controller): void;
  /** The current resourceVersion of the store. */
  resourceVersion(): string;
  close(): Promise<void>;
}
