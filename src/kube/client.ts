import { AmbientError } from '../core/errors.ts';
import type { KubeObject, ServerVersion, KindTypes } from '../core/model.ts';
import { KINDS, type Cluster, type KindName, type ListQuery, type WriteOp } from '../core/ports.ts';
import type { Credentials } from './credentials.ts';
import {
  ApiError,
  apiError,
  nonJsonAnswer,
  malformedJson,
  parseJsonAnswer,
  parseStatus,
  transportError,
  type Target,
} from './errors.ts';
import { ListSplitter, NotAListError, withoutManagedFields } from './json.ts';
import { abortable, type ConnectionInfo, type Transport, type WireResponse } from './transport.ts';

/** One request as the client saw it (for `--verbose` and benchmarks). */
export interface RequestRecord {
  method: string;
  path: string;
  status: number;
  bytes: number;
  ms: number;
}

export interface ClientOptions {
  /** Per-request timeout (kubectl's `--request-timeout`); watches are bounded by the caller's signal instead. */
  timeoutMs: number;
  /** Aborted on Ctrl-C: every in-flight request stops at once. */
  signal: AbortSignal;
  userAgent: string;
  /** Items per list page (limit/continue). */
  pageSize: number;
  /** Items per page of a metadata-only list. */
  metadataPageSize: number;
  /** How many times a read is retried on 429/5xx or a dropped connection. Writes are retried on 429 only. */
  retries: number;
  /** Longest wait honoured from Retry-After. */
  maxRetryAfterMs: number;
  /**
   * Headers added to every request of this cluster, after the credentials' (kubectl's --as,
   * --as-group, --as-uid become Impersonate-* headers here; a list value repeats the header).
   */
  headers?: Record<string, string | string[]>;
  onRequest?: (r: RequestRecord) => void;
  onConnection?: (c: ConnectionInfo) => void;
}

/**
 * Items per list page. Full objects: 500, kubectl's chunk size. Metadata-only lists (namespaces,
 * the only list that grows into the thousands) are small per item: 5,000 per page makes 10,000
 * namespaces two round trips instead of twenty, and one page stays a few MiB (peak RSS measured
 * in the README's performance section).
 */
export const DEFAULT_CLIENT_OPTIONS = {
  pageSize: 500,
  metadataPageSize: 5000,
  retries: 3,
  maxRetryAfterMs: 10_000,
  userAgent: 'kubectl-ambient',
} as const;

interface Response {
  status: number;
  headers: Record<string, string>;
  /** The body; for a list page read by items (see sendOnce), the body without its items. */
  text: string;
  /** A list page read by items: each item as `listItem` made it; undefined when it was not valid JSON. */
  items?: KubeObject[] | undefined;
}

const neverAborted = new AbortController().signal;

/** Header names in lower case (HTTP/2 requires it; HTTP/1.1 does not care). */
function lower(h: Record<string, string | string[]>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = v;
  return out;
}

async function readText(res: WireResponse): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res.body) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A list page, item by item as it arrives (ListSplitter): `listItem` turns each item's JSON into
 * what the caller keeps. Items that are not valid JSON leave `items` undefined (the body is still
 * read to its end, so the connection stays usable).
 */
async function readItems(
  res: WireResponse,
  listItem: (json: string) => KubeObject,
): Promise<{ text: string; bytes: number; items: KubeObject[] | undefined }> {
  let items: KubeObject[] | undefined = [];
  const splitter = new ListSplitter((json) => {
    if (items === undefined) return;
    try {
      items.push(listItem(json));
    } catch (e) {
      if (!(e instanceof SyntaxError)) throw e;
      items = undefined;
    }
  });
  let bytes = 0;
  for await (const c of res.body) {
    bytes += c.length;
    if (items === undefined) continue;
    try {
      splitter.push(c);
    } catch (e) {
      if (!(e instanceof NotAListError)) throw e;
      items = undefined;
    }
  }
  return { text: splitter.end(), bytes, items };
}

/** What the domain reads of an object in a `summary` list (see ListQuery.summary). */
export function summarise(o: KubeObject, keep?: ListQuery['keep']): KubeObject {
  const { name, namespace, generation, resourceVersion, creationTimestamp } = o.metadata;
  const pick = (
    m: Record<string, string> | undefined,
    keys: readonly string[] | undefined,
  ): Record<string, string> | undefined =>
    m === undefined || keys === undefined
      ? m
      : Object.fromEntries(keys.filter((k) => k in m).map((k) => [k, m[k] ?? '']));
  const labels = pick(o.metadata.labels, keep?.labels);
  const annotations = pick(o.metadata.annotations, keep?.annotations);
  const spec = (o['spec'] ?? {}) as {
    replicas?: number;
    gatewayClassName?: string;
    template?: {
      metadata?: { annotations?: Record<string, string> };
      spec?: { containers?: { name: string; image?: string }[] };
    };
  };
  const template = spec.template;
  const slimSpec = {
    ...(spec.replicas !== undefined ? { replicas: spec.replicas } : {}),
    ...(spec.gatewayClassName !== undefined ? { gatewayClassName: spec.gatewayClassName } : {}),
    ...(template !== undefined
      ? {
          template: {
            metadata: { annotations: template.metadata?.annotations ?? {} },
            spec: {
              containers: (template.spec?.containers ?? []).map((c) => ({
                name: c.name,
                ...(c.image !== undefined ? { image: c.image } : {}),
              })),
            },
          },
        }
      : {}),
  };
  const meta = {
    name,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(labels !== undefined ? { labels } : {}),
    ...(annotations !== undefined ? { annotations } : {}),
    ...(generation !== undefined ? { generation } : {}),
    ...(resourceVersion !== undefined ? { resourceVersion } : {}),
    ...(creationTimestamp !== undefined ? { creationTimestamp } : {}),
  };
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    metadata: meta,
    spec: slimSpec,
    ...(o['status'] !== undefined ? { status: o['status'] } : {}),
  };
}

/** `PartialObjectMetadataList`: the server sends metadata only (kubectl uses the same media-type parameters). */
const METADATA_ACCEPT = 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io, application/json';

function basePath(kind: KindName, apiVersion?: string): string {
  const v = apiVersion ?? KINDS[kind].apiVersion;
  return v === 'v1' ? '/api/v1' : `/apis/${v}`;
}

/** URL path of a collection or an object; `apiVersion` overrides the kind's own (ListQuery.apiVersion). */
export function resourcePath(
  kind: KindName,
  namespace: string | undefined,
  name?: string,
  apiVersion?: string,
): string {
  const k = KINDS[kind];
  const nsPart = k.namespaced && namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${basePath(kind, apiVersion)}${nsPart}/${k.plural}${name !== undefined ? `/${encodeURIComponent(name)}` : ''}`;
}

function describe(verb: string, kind: KindName, namespace: string | undefined, name?: string): string {
  const k = KINDS[kind];
  const group = k.apiVersion.includes('/') ? `.${k.apiVersion.split('/')[0] ?? ''}` : '';
  const where = !k.namespaced
    ? ''
    : namespace !== undefined
      ? ` -n ${namespace}`
      : verb === 'list'
        ? ' --all-namespaces'
        : '';
  return `${verb} ${k.plural}${group}${name !== undefined ? ` ${name}` : ''}${where}`;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });

/**
 * The cluster seam: credentials come from client-node (credentials.ts), requests go over one
 * connection per cluster (transport.ts); this class adds what a CLI needs on top: one timeout per
 * request, Ctrl-C, pagination, bounded retries, classified errors, plain JSON objects (no class
 * deserialisation: big lists stay cheap) and a request log.
 */
export class KubeClient implements Cluster {
  private pendingCredentials: Promise<Credentials> | undefined;

  constructor(
    private readonly credentialSource: () => Promise<Credentials>,
    private readonly transport: Transport,
    readonly contextName: string,
    readonly server: string,
    private readonly opts: ClientOptions,
  ) {}

  private get target(): Target {
    return { server: this.server, context: this.contextName };
  }

  /**
   * The credentials for the next request. Requests that start together share one call (the
   * lists of a snapshot run an exec plugin once); later requests ask client-node again, whose
   * caches refresh an expired exec or auth-provider token (a long --wait re-authenticates).
   */
  private credentials(): Promise<Credentials> {
    if (this.pendingCredentials === undefined) {
      const p = this.credentialSource();
      this.pendingCredentials = p;
      const clear = (): void => {
        if (this.pendingCredentials === p) this.pendingCredentials = undefined;
      };
      p.then(clear, clear);
    }
    return this.pendingCredentials;
  }

  private url(path: string, query: Record<string, string>): string {
    const prefix = new URL(this.server).pathname.replace(/\/+$/, '');
    const q = new URLSearchParams(query).toString();
    return `${prefix}${path}${q !== '' ? `?${q}` : ''}`;
  }

  /**
   * Starts a request: the transport's TCP connect, then the credentials (loading client-node the
   * first time), then the request. The credentials are not under the request timeout (as before:
   * an exec plugin may prompt), only under Ctrl-C; `timeoutMs` starts once they are there.
   */
  private async send(
    method: string,
    path: string,
    headers: Record<string, string>,
    body: string | undefined,
    signal: AbortSignal,
    timeoutMs?: number,
  ): Promise<WireResponse> {
    this.transport.warm();
    const creds = await abortable(this.credentials(), method === 'GET' ? signal : neverAborted);
    const s =
      timeoutMs === undefined
        ? signal
        : method === 'GET'
          ? AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)])
          : AbortSignal.timeout(timeoutMs);
    return this.transport.request({
      method,
      path,
      headers: {
        ...creds.headers,
        'user-agent': this.opts.userAgent,
        ...lower(this.opts.headers ?? {}),
        ...lower(headers),
      },
      body,
      signal: s,
      tls: creds.tls,
      agent: creds.agent,
    });
  }

  /**
   * Reads stop at once on Ctrl-C. A write is never cut off by Ctrl-C (only by its timeout): an
   * aborted write may or may not have landed, and the caller must know which.
   */
  private async sendOnce(
    method: string,
    path: string,
    query: Record<string, string>,
    body: string | undefined,
    headers: Record<string, string>,
    timeoutMs: number,
    ignoreAbort = false,
    listItem?: (json: string) => KubeObject,
  ): Promise<Response> {
    const target = this.url(path, query);
    const started = Date.now(); // not performance.now(): that global loads perf_hooks, for a log in whole ms
    const res = await this.send(
      method,
      target,
      headers,
      body,
      ignoreAbort ? neverAborted : this.opts.signal,
      timeoutMs,
    );
    // A 2xx list page is read item by item; anything else (an error Status) whole.
    const read =
      listItem !== undefined && res.status >= 200 && res.status < 300
        ? await readItems(res, listItem)
        : await readText(res).then((text) => ({ text, bytes: Buffer.byteLength(text), items: undefined }));
    this.opts.onRequest?.({
      method,
      path: target,
      status: res.status,
      bytes: read.bytes,
      ms: Date.now() - started,
    });
    return { status: res.status, headers: res.headers, text: read.text, items: read.items };
  }

  /** Sends one request with retries; returns the parsed JSON of a 2xx body or throws a classified error. */
  private async request(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    what: string,
    opts: {
      query?: Record<string, string>;
      body?: unknown;
      contentType?: string;
      accept?: string;
      notFoundOk?: boolean;
      /** A list page: each item's JSON becomes what this returns, as it arrives (readItems). */
      listItem?: (json: string) => KubeObject;
      ignoreAbort?: boolean;
    } = {},
  ): Promise<unknown> {
    const read = method === 'GET';
    const cancellable = read && opts.ignoreAbort !== true;
    const headers: Record<string, string> = { Accept: opts.accept ?? 'application/json' };
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['Content-Type'] = opts.contentType ?? 'application/json';
    }
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await this.sendOnce(
          method,
          path,
          opts.query ?? {},
          body,
          headers,
          this.opts.timeoutMs,
          !cancellable,
          opts.listItem,
        );
      } catch (e) {
        const err = transportError(e, what, this.target, this.opts.timeoutMs, cancellable && this.opts.signal.aborted);
        // A dropped connection on a read is retried; a write may have landed, so it is not.
        if (
          read &&
          err.kind === 'unreachable' &&
          attempt < this.opts.retries &&
          /lost the connection|reset|closed|timed out connecting/.test(err.message)
        )
          continue;
        throw err;
      }
      if (res.status >= 200 && res.status < 300) {
        const answer = parseJsonAnswer(res.status, res.headers['content-type'], res.text, what, this.target);
        if (opts.listItem === undefined) return answer;
        // A list page: its items were taken out as they came (sendOnce).
        if (res.items === undefined || typeof answer !== 'object' || answer === null) throw malformedJson(what);
        return { ...answer, items: res.items };
      }
      if (res.status === 404 && opts.notFoundOk === true) return undefined;
      const status = parseStatus(res.text);
      const nonJson =
        status === undefined
          ? nonJsonAnswer(res.status, res.headers['content-type'], res.text, what, this.target)
          : undefined;
      if (nonJson !== undefined) throw nonJson;
      const err = apiError(res.status, status, what, this.target, res.headers['retry-after'] ?? null);
      const retriable = res.status === 429 || (read && (res.status >= 500 || res.status === 504));
      if (!retriable || attempt >= this.opts.retries) throw err;
      const waitMs = Math.min((err.retryAfterSeconds ?? 2 ** attempt * 0.2) * 1000, this.opts.maxRetryAfterMs);
      try {
        await sleep(waitMs, this.opts.signal);
      } catch (e) {
        throw new AmbientError('interrupted', `interrupted during ${what}`, undefined, { cause: e });
      }
    }
  }

  /** One paginated list (limit/continue). Items get their apiVersion/kind back (the server omits them in lists). */
  async list<K extends KindName>(q: ListQuery<K>): Promise<KindTypes[K][]> {
    const k = KINDS[q.kind];
    const path = resourcePath(q.kind, q.namespace, undefined, q.apiVersion);
    const what = describe('list', q.kind, q.namespace);
    let items: KindTypes[K][] = [];
    let cont: string | undefined;
    let paged = true;
    // Each item as it arrives: apiVersion/kind back, without managedFields (server bookkeeping, often
    // half an object, dropped before parsing; a replace without them keeps them), cut to the summary.
    const listItem = (json: string): KubeObject => {
      const item = JSON.parse(withoutManagedFields(json)) as KubeObject;
      item.apiVersion = q.apiVersion ?? k.apiVersion;
      item.kind = q.kind;
      delete item.metadata['managedFields'];
      return q.summary === true ? summarise(item, q.keep) : item;
    };
    for (;;) {
      const limit = q.pageSize ?? (q.metadataOnly === true ? this.opts.metadataPageSize : this.opts.pageSize);
      const query: Record<string, string> = paged ? { limit: String(limit) } : {};
      if (q.labelSelector !== undefined) query['labelSelector'] = q.labelSelector;
      if (q.fieldSelector !== undefined) query['fieldSelector'] = q.fieldSelector;
      if (cont !== undefined) query['continue'] = cont;
      let page: { items?: KubeObject[]; metadata?: { continue?: string } } | undefined;
      try {
        page = (await this.request('GET', path, what, {
          query,
          notFoundOk: q.optional === true,
          listItem,
          ...(q.metadataOnly === true ? { accept: METADATA_ACCEPT } : {}),
        })) as typeof page;
      } catch (e) {
        // 410: the continue token expired (the cluster changed a lot between pages). Like client-go's
        // pager, list everything again in one request rather than fail.
        if (!(e instanceof ApiError && e.status === 410 && cont !== undefined)) throw e;
        items = [];
        cont = undefined;
        paged = false;
        continue;
      }
      if (page === undefined) return []; // optional API not installed
      for (const item of page.items ?? []) items.push(item);
      cont =
        page.metadata?.continue !== undefined && page.metadata.continue !== '' ? page.metadata.continue : undefined;
      if (cont === undefined) return items;
    }
  }

  async get<K extends KindName>(
    kind: K,
    name: string,
    namespace?: string,
    opts: { ignoreAbort?: boolean } = {},
  ): Promise<KindTypes[K] | undefined> {
    const obj = (await this.request(
      'GET',
      resourcePath(kind, namespace, name),
      describe('get', kind, namespace, name),
      { notFoundOk: true, ignoreAbort: opts.ignoreAbort === true },
    )) as KindTypes[K] | undefined;
    return obj;
  }

  async write(op: WriteOp, opts: { dryRun: boolean; fieldManager: string }): Promise<KubeObject> {
    const kind = op.object.kind as KindName;
    if (!(kind in KINDS)) throw new AmbientError('internal', `cannot write kind ${op.object.kind}`);
    const { name, namespace } = op.object.metadata;
    const query: Record<string, string> = { fieldManager: opts.fieldManager };
    if (opts.dryRun) query['dryRun'] = 'All';
    switch (op.op) {
      case 'create':
        return (await this.request('POST', resourcePath(kind, namespace), describe('create', kind, namespace, name), {
          query,
          body: op.object,
        })) as KubeObject;
      case 'replace':
        return (await this.request(
          'PUT',
          resourcePath(kind, namespace, name),
          describe('update', kind, namespace, name),
          { query, body: op.object },
        )) as KubeObject;
      case 'delete': {
        // With a body, the server reads the options from the body only and ignores the query: dryRun
        // must be in the body too, or a dry-run delete really deletes (test/contract checks it on kube-apiserver).
        const body = {
          kind: 'DeleteOptions',
          apiVersion: 'v1',
          preconditions: { resourceVersion: op.object.metadata.resourceVersion },
          ...(opts.dryRun ? { dryRun: ['All'] } : {}),
        };
        delete query['fieldManager'];
        return (await this.request(
          'DELETE',
          resourcePath(kind, namespace, name),
          describe('delete', kind, namespace, name),
          { query, body },
        )) as KubeObject;
      }
    }
  }

  async serverVersion(): Promise<ServerVersion> {
    return (await this.request('GET', '/version', 'get /version')) as ServerVersion;
  }

  /**
   * List, then watch from the list's resourceVersion, re-listing when the watch ends or expires (410).
   * `onChange` gets the full current set after the list and after each event; returning true stops.
   */
  async watch<K extends KindName>(
    q: ListQuery<K>,
    onChange: (objects: KindTypes[K][]) => boolean,
    signal: AbortSignal,
    opts: { onOpen?: () => void } = {},
  ): Promise<void> {
    const key = (o: KubeObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    const what = describe('watch', q.kind, q.namespace);
    // A watch that ends or drops is resumed by listing again; only repeated failures give up, and a
    // watch that ends without any event backs off (a proxy cutting idle streams must not cause a list storm).
    let failures = 0;
    let events = 0;
    let idle = 0;
    while (!signal.aborted) {
      const listed = await this.listWithVersion(q);
      const current = new Map(listed.items.map((o) => [key(o), o]));
      if (onChange([...current.values()])) return;
      const query: Record<string, string> = {
        watch: 'true',
        resourceVersion: listed.resourceVersion,
        allowWatchBookmarks: 'true',
        timeoutSeconds: '300',
      };
      if (q.labelSelector !== undefined) query['labelSelector'] = q.labelSelector;
      const path = this.url(resourcePath(q.kind, q.namespace), query);
      try {
        const res = await this.send(
          'GET',
          path,
          { accept: 'application/json' },
          undefined,
          AbortSignal.any([signal, this.opts.signal]),
        );
        this.opts.onRequest?.({ method: 'WATCH', path, status: res.status, bytes: 0, ms: 0 });
        if (res.status !== 200) {
          const text = await readText(res);
          throw apiError(res.status, parseStatus(text), what, this.target, null);
        }
        opts.onOpen?.();
        const stream = res.body;
        const eventsBefore = events;
        const decoder = new TextDecoder();
        let buf = '';
        stream: for await (const chunk of stream) {
          buf += decoder.decode(chunk, { stream: true });
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (line === '') continue;
            const ev = parseJsonAnswer(200, res.headers['content-type'], line, what, this.target) as {
              type: string;
              object: KubeObject;
            };
            if (ev.type === 'ERROR') break stream; // 410 Expired and friends: list again
            if (ev.type === 'BOOKMARK') continue;
            ev.object.apiVersion = KINDS[q.kind].apiVersion;
            ev.object.kind = q.kind;
            failures = 0;
            events++;
            if (ev.type === 'DELETED') current.delete(key(ev.object));
            else current.set(key(ev.object), ev.object);
            if (onChange([...current.values()] as KindTypes[K][])) return;
          }
        }
        idle = events === eventsBefore ? idle + 1 : 0;
        if (idle > 0) await sleep(Math.min(5_000, 100 * 2 ** idle), signal).catch(() => undefined);
      } catch (e) {
        if (signal.aborted) return;
        const err =
          e instanceof AmbientError
            ? e
            : transportError(e, what, this.target, this.opts.timeoutMs, this.opts.signal.aborted);
        if (err.kind !== 'unreachable' && err.kind !== 'server') throw err;
        if (++failures > this.opts.retries) throw err;
        await sleep(200 * failures, signal).catch(() => undefined);
      }
    }
  }

  private async listWithVersion<K extends KindName>(
    q: ListQuery<K>,
  ): Promise<{ items: KindTypes[K][]; resourceVersion: string }> {
    // A list without pagination gives one consistent resourceVersion to watch from.
    const query: Record<string, string> = {};
    if (q.labelSelector !== undefined) query['labelSelector'] = q.labelSelector;
    const page = (await this.request('GET', resourcePath(q.kind, q.namespace), describe('list', q.kind, q.namespace), {
      query,
    })) as {
      items?: KindTypes[K][];
      metadata?: { resourceVersion?: string };
    };
    const items = (page.items ?? []).map((i) => ({ ...i, apiVersion: KINDS[q.kind].apiVersion, kind: q.kind }));
    return { items, resourceVersion: page.metadata?.resourceVersion ?? '0' };
  }
}
