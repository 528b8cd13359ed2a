/**
 * The HTTP front end: routing like kube-apiserver's RequestInfoFactory, discovery, Status errors,
 * authentication, RBAC-lite, fault injection and the request log. On the wire like kube-apiserver:
 * HTTPS with HTTP/2 offered by ALPN and HTTP/1.1 still accepted (node:http2's compatibility API),
 * or, when asked, HTTPS with HTTP/1.1 only or plain HTTP (node:https, node:http).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  constants as h2,
  createSecureServer,
  type Http2SecureServer,
  type Http2ServerRequest,
  type Http2ServerResponse,
} from 'node:http2';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { parse as parseYaml } from 'yaml';
import { openApiV3GroupVersion, openApiV3Root } from './openapi.ts';
import { apiVersionOf, type ResourceDef } from './resources.ts';
import { parseSelectors, present, type DeleteOptions, type Registry, type WriteOptions } from './registry.ts';
import {
  ApiError,
  badRequest,
  failure,
  forbidden,
  forCode,
  invalid,
  methodNotAllowed,
  pathNotFound,
  unauthorized,
  internalUnknown,
} from './status.ts';
import type { ConnectionRecord, FaultRule, ForbidRule, RequestInfo, RequestRecord } from './sim-types.ts';
import type { SimTls } from './tls.ts';
import { isObject, type KubeObject } from './types.ts';
import { startWatch } from './watch.ts';

/** Everything the HTTP layer needs from the cluster. */
export interface ServerContext {
  registry: Registry;
  gitVersion: string;
  tokens: Record<string, string> | undefined;
  anonymousAuth: boolean;
  /** Users allowed to impersonate others (RBAC verb `impersonate`); Impersonate-* headers from anyone else get 403. */
  impersonators: ReadonlySet<string>;
  faults: FaultRule[];
  forbids: ForbidRule[];
  requests: RequestRecord[];
  hook: () => ((r: RequestInfo) => void | Promise<void>) | undefined;
  bookmarkIntervalMs: number;
  connections: ConnectionRecord[];
}

/** How the server speaks: HTTPS (with HTTP/2 unless `http2` is false) when `tls` is given, else plain HTTP/1.1. */
export interface WireOptions {
  tls: SimTls | undefined;
  http2: boolean;
}

/** A request of either protocol (HTTP/1.1's IncomingMessage, or HTTP/2's compatibility API). */
type Req = IncomingMessage | Http2ServerRequest;

/** What the server uses of a response, common to HTTP/1.1's ServerResponse and HTTP/2's compatibility API. */
interface Res {
  readonly headersSent: boolean;
  readonly writableEnded: boolean;
  /** HTTP/1.1 only. */
  readonly destroyed?: boolean;
  /** HTTP/2 only: the response's stream. */
  readonly stream?: { readonly destroyed: boolean; close(code: number): void };
  writeHead(status: number, headers: Record<string, string | number>): unknown;
  write(chunk: string | Buffer, cb?: () => void): boolean;
  end(chunk?: string | Buffer): unknown;
  flushHeaders(): void;
  on(event: 'close', fn: () => void): unknown;
}

/** True once nothing more can be sent on `res`. */
function gone(res: Res): boolean {
  return res.writableEnded || (res.stream !== undefined ? res.stream.destroyed : res.destroyed === true);
}

/**
 * Cuts one request off: HTTP/2 resets its stream (the other streams of the connection go on, as
 * when a proxy or the server drops one request); HTTP/1.1 destroys its connection.
 */
function cut(req: Req, res: Res): void {
  if (res.stream !== undefined) res.stream.close(h2.NGHTTP2_INTERNAL_ERROR);
  else req.socket.destroy();
}

/** Result of routing a URL: the request's coordinates (as in RequestInfo) and what kind of path it is. */
type Route = Pick<RequestInfo, 'verb' | 'group' | 'version' | 'resource' | 'subresource' | 'namespace' | 'name'> & {
  kind: 'resource' | 'discovery' | 'version' | 'health' | 'openapi' | 'unknown';
  /** Extra path segments after the subresource (→ 404). */
  extra?: boolean;
};

const TRUE_VALUES = new Set(['1', 't', 'T', 'true', 'TRUE', 'True']);
const ANONYMOUS = 'system:anonymous';

/** Route a request like `RequestInfoFactory.NewRequestInfo`. */
export function routeRequest(method: string, pathname: string, query: Record<string, string>): Route {
  const segs = pathname.split('/').filter((s) => s !== '');
  const m = method.toUpperCase();
  if (segs.length === 1 && segs[0] === 'version') return { verb: 'version', kind: 'version' };
  if (segs.length === 1 && ['healthz', 'livez', 'readyz'].includes(segs[0] ?? ''))
    return { verb: 'other', kind: 'health' };
  if (segs[0] === 'openapi') return { verb: 'discovery', kind: 'openapi' };
  let group: string;
  let version: string;
  let rest: string[];
  if (segs[0] === 'api') {
    if (segs.length <= 2)
      return {
        verb: 'discovery',
        kind: 'discovery',
        group: '',
        ...(segs[1] !== undefined ? { version: segs[1] } : {}),
      };
    group = '';
    version = segs[1] ?? '';
    rest = segs.slice(2);
  } else if (segs[0] === 'apis') {
    if (segs.length <= 3) {
      return {
        verb: 'discovery',
        kind: 'discovery',
        ...(segs[1] !== undefined ? { group: segs[1] } : {}),
        ...(segs[2] !== undefined ? { version: segs[2] } : {}),
      };
    }
    group = segs[1] ?? '';
    version = segs[2] ?? '';
    rest = segs.slice(3);
  } else {
    return { verb: 'other', kind: 'unknown' };
  }
  let watchPrefix = false;
  if (rest[0] === 'watch') {
    watchPrefix = true;
    rest = rest.slice(1);
  }
  const r: Route = { verb: 'other', kind: 'resource', group, version };
  let parts = rest;
  if (parts[0] === 'namespaces' && parts.length > 1) {
    r.namespace = parts[1] ?? '';
    if (parts.length > 2 && parts[2] !== 'status' && parts[2] !== 'finalize') parts = parts.slice(2);
  }
  if (parts[0] !== undefined) r.resource = parts[0];
  if (parts[1] !== undefined) r.name = parts[1];
  if (parts[2] !== undefined) r.subresource = parts[2];
  if (parts.length > 3) r.extra = true;
  const watchParam = query['watch'] !== undefined && TRUE_VALUES.has(query['watch']);
  switch (m) {
    case 'GET':
    case 'HEAD':
      if (watchPrefix || (watchParam && r.name === undefined)) r.verb = 'watch';
      else r.verb = r.name === undefined ? 'list' : 'get';
      break;
    case 'POST':
      r.verb = 'create';
      break;
    case 'PUT':
      r.verb = 'update';
      break;
    case 'PATCH':
      r.verb = 'patch';
      break;
    case 'DELETE':
      r.verb = r.name === undefined ? 'deletecollection' : 'delete';
      break;
    default:
      r.verb = 'other';
  }
  return r;
}

/** Thrown for the mux's plain-text 404 (`404 page not found`), which is no Status. */
const PLAIN_404 = new ApiError({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message: '404 page not found',
  code: 404,
});

/** What the client asked the body to be converted to (the first acceptable `as=` clause of Accept, like content negotiation). */
type Conversion = 'Table' | 'PartialObjectMetadata' | 'PartialObjectMetadataList' | undefined;

/** The conversion of the first Accept clause the server can serve (`application/json`, or one with as/g/v it knows). */
export function negotiateConversion(accept: string | undefined): Conversion {
  for (const clause of (accept ?? '').split(',')) {
    const [type, ...params] = clause.split(';').map((p) => p.trim());
    if (type !== 'application/json' && type !== '*/*' && type !== 'application/*') continue;
    const p = Object.fromEntries(
      params.map((x) => [x.slice(0, x.indexOf('=')).trim(), x.slice(x.indexOf('=') + 1).trim()]),
    );
    const as = p['as'];
    if (as === undefined) return undefined;
    if (p['g'] !== 'meta.k8s.io' || !['v1', 'v1beta1'].includes(p['v'] ?? '')) continue;
    if (as === 'Table' || as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') return as;
  }
  return undefined;
}

/** 406 for a conversion that does not fit the answer (`as=PartialObjectMetadataList` on a single object, and the reverse). */
function notAcceptable(asked: string, isList: boolean, kind: string): ApiError {
  const what = isList ? `is a list (*${kind}List)` : `is not a list (*${kind})`;
  return new ApiError(failure(406, 'NotAcceptable', `you requested ${asked}, but the requested object ${what}`));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function readBody(req: Req): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function matchesFault(rule: FaultRule, method: string, path: string, route: Route): boolean {
  const m = rule.match;
  if (m.method !== undefined && m.method.toUpperCase() !== method.toUpperCase()) return false;
  if (m.verb !== undefined && m.verb !== route.verb) return false;
  if (m.resource !== undefined && m.resource !== route.resource) return false;
  if (m.namespace !== undefined && m.namespace !== route.namespace) return false;
  if (m.name !== undefined && m.name !== route.name) return false;
  if (m.subresource !== undefined && m.subresource !== route.subresource) return false;
  if (m.path !== undefined) {
    if (typeof m.path === 'string' ? m.path !== path : !m.path.test(path)) return false;
  }
  return true;
}

interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** The simulated API server's HTTP listener. */
export class SimServer {
  private readonly server: Server | Http2SecureServer;
  private readonly sockets = new Set<Socket>();
  private readonly stops = new Set<() => void>();
  /** Connection records by the client's port (HTTP/2 hands out proxies of the socket, so no identity). */
  private readonly byPort = new Map<number, ConnectionRecord>();
  private nextConnection = 1;
  private closing = false;
  /**
   * With TLS: the listener that sees each connection's first byte. A TLS handshake goes on to the
   * HTTPS server; anything else (plain HTTP to the HTTPS port) gets the 400 Go's net/http (and so
   * kube-apiserver) answers: "Client sent an HTTP request to an HTTPS server."
   */
  private readonly front: NetServer | undefined;

  constructor(
    private readonly ctx: ServerContext,
    private readonly wire: WireOptions,
  ) {
    const onRequest = (req: Req, res: ServerResponse | Http2ServerResponse): void => this.serve(req, res as Res);
    const tls = wire.tls;
    if (tls === undefined) this.server = createServer(onRequest);
    else if (!wire.http2)
      this.server = createHttpsServer({ key: tls.key, cert: tls.cert, ALPNProtocols: ['http/1.1'] }, onRequest);
    // kube-apiserver's HTTP/2 settings allow 100 concurrent streams per connection (we allow more; the client should not care).
    else
      this.server = createSecureServer(
        { key: tls.key, cert: tls.cert, allowHTTP1: true, settings: { maxConcurrentStreams: 250 } },
        onRequest,
      );
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      const record: ConnectionRecord = {
        id: this.nextConnection++,
        tls: tls !== undefined,
        protocol: tls === undefined ? 'http/1.1' : 'none',
        requests: 0,
      };
      this.ctx.connections.push(record);
      const port = s.remotePort ?? 0;
      this.byPort.set(port, record);
      s.on('close', () => {
        this.sockets.delete(s);
        if (this.byPort.get(port) === record) this.byPort.delete(port);
      });
    });
    this.front =
      tls === undefined
        ? undefined
        : createNetServer((sock) => {
            // The byte read here is handed back (unshift); TLS picks up what the socket buffered.
            const peek = (): void => {
              const first = sock.read(1) as Buffer | null;
              if (first === null) return;
              sock.removeListener('readable', peek);
              sock.unshift(first);
              if (first[0] === 0x16) this.server.emit('connection', sock);
              else sock.end('HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n');
            };
            this.sockets.add(sock);
            sock.on('close', () => this.sockets.delete(sock));
            sock.on('readable', peek);
            sock.on('error', () => sock.destroy());
          });
    // One event per completed TLS handshake: its ALPN result is the connection's protocol.
    this.server.on('secureConnection', (s: TLSSocket) => {
      const record = this.byPort.get(s.remotePort ?? 0);
      if (record !== undefined) record.protocol = s.alpnProtocol === 'h2' ? 'h2' : 'http/1.1';
    });
  }

  private serve(req: Req, res: Res): void {
    this.handle(req, res).catch((e: unknown) => {
      if (!res.headersSent && !gone(res)) {
        const err = e instanceof ApiError ? e : internalUnknown(e instanceof Error ? e.message : String(e));
        res.writeHead(err.code, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(err.status));
      }
    });
  }

  /** The connection a request came on. */
  private connectionOf(req: Req): ConnectionRecord | undefined {
    return this.byPort.get(req.socket.remotePort ?? 0);
  }

  /** Listen on host:port (0 = free port); resolves to the base URL. */
  listen(host: string, port: number): Promise<string> {
    const listener = this.front ?? this.server;
    return new Promise((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(port, host, () => {
        const addr = listener.address();
        if (addr === null || typeof addr === 'string') {
          reject(new Error('unexpected server address'));
          return;
        }
        resolve(`${this.wire.tls !== undefined ? 'https' : 'http'}://${host}:${addr.port}`);
      });
    });
  }

  /** Stop listening, end open watches and hung requests, destroy every socket. */
  close(): Promise<void> {
    this.closing = true;
    for (const stop of [...this.stops]) stop();
    this.stops.clear();
    return new Promise((resolve) => {
      if (this.front !== undefined) this.front.close(() => resolve());
      else this.server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
    });
  }

  private async handle(req: Req, res: Res): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) if (!(k in query)) query[k] = v;
    const route = routeRequest(method, url.pathname, query);
    const userAgent = req.headers['user-agent'];
    const record: RequestRecord = { method, path: url.pathname, query, verb: route.verb, status: 0, bytes: 0 };
    if (route.resource !== undefined) record.resource = route.resource;
    if (route.subresource !== undefined) record.subresource = route.subresource;
    if (route.namespace !== undefined) record.namespace = route.namespace;
    if (route.name !== undefined) record.name = route.name;
    if (userAgent !== undefined) record.userAgent = userAgent;
    const connection = this.connectionOf(req);
    if (connection !== undefined) {
      connection.requests++;
      record.connection = connection.id;
    }
    record.protocol = req.httpVersion === '2.0' ? 'h2' : 'http/1.1';
    this.ctx.requests.push(record);

    const rawBody = await readBody(req);

    // Fault injection.
    let midBody = false;
    const idx = this.ctx.faults.findIndex((f) => matchesFault(f, method, url.pathname, route));
    const fault = idx >= 0 ? this.ctx.faults[idx] : undefined;
    if (fault !== undefined) {
      if (fault.times !== undefined) {
        fault.times -= 1;
        if (fault.times <= 0) this.ctx.faults.splice(idx, 1);
      }
      if (fault.delayMs !== undefined && fault.delayMs > 0) await sleep(fault.delayMs);
      if (this.closing) return;
      if (fault.hang === true) {
        // Never answer; close() destroys the socket.
        return;
      }
      if (fault.drop === 'immediately') {
        cut(req, res);
        return;
      }
      if (fault.status !== undefined) {
        const retry = fault.headers?.['Retry-After'] ?? fault.headers?.['retry-after'];
        const retrySeconds = retry !== undefined && /^\d+$/.test(retry) ? Number(retry) : undefined;
        const err = forCode(
          fault.status,
          fault.message,
          fault.status === 429 || fault.status === 503 || fault.status === 504 ? retrySeconds : undefined,
        );
        this.send(
          req,
          res,
          record,
          { status: fault.status, body: err.status, headers: fault.headers ?? {} },
          fault.drop === 'mid-body',
        );
        return;
      }
      midBody = fault.drop === 'mid-body';
    }

    try {
      // Authentication.
      let user = 'admin';
      if (this.ctx.tokens !== undefined && route.kind !== 'health') {
        const auth = req.headers['authorization'];
        if ((auth === undefined || auth === '') && this.ctx.anonymousAuth) {
          // The anonymous authenticator; RBAC lets system:unauthenticated read /version only.
          user = ANONYMOUS;
        } else {
          const m = /^Bearer\s+(.+)$/i.exec(auth ?? '');
          const u = m?.[1] !== undefined ? this.ctx.tokens[m[1].trim()] : undefined;
          if (u === undefined) throw unauthorized();
          user = u;
        }
      }
      // Impersonation (k8s.io/apiserver filters/impersonation.go): act as Impersonate-User when the
      // authenticated user may impersonate; groups and a UID only come with a user.
      const asUser = req.headers['impersonate-user'];
      if (typeof asUser === 'string' && asUser !== '') {
        if (!this.ctx.impersonators.has(user))
          throw forbidden(
            { group: '', resource: 'users' },
            asUser,
            `User "${user}" cannot impersonate resource "users" in API group "" at the cluster scope`,
          );
        user = asUser;
      } else if (req.headers['impersonate-group'] !== undefined || req.headers['impersonate-uid'] !== undefined) {
        throw internalUnknown('requested [{Group} {UID}] without impersonating a user');
      }
      // Body.
      let body: unknown;
      if (rawBody.trim() !== '' && method !== 'PATCH') body = this.parseBody(req, rawBody);
      const info: RequestInfo = { method, path: url.pathname, query, verb: route.verb, user };
      for (const k of ['group', 'version', 'resource', 'subresource', 'namespace', 'name'] as const) {
        const v = route[k];
        if (v !== undefined) info[k] = v;
      }
      if (body !== undefined) info.body = body;
      if (userAgent !== undefined) info.userAgent = userAgent;
      // Every header field as sent, lower-case names, repeated fields kept apart (Impersonate-Group).
      const headers: Record<string, string[]> = {};
      for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
        const name = (req.rawHeaders[i] ?? '').toLowerCase();
        if (!name.startsWith(':')) (headers[name] ??= []).push(req.rawHeaders[i + 1] ?? '');
      }
      info.headers = headers;
      const hook = this.ctx.hook();
      if (hook !== undefined) await hook(info);
      this.checkForbidden(info, route);
      if (route.verb === 'watch' && route.kind === 'resource') {
        this.serveWatch(req, res, record, route, query, midBody);
        return;
      }
      const reply = this.dispatch(req, route, query, url.searchParams, rawBody, body);
      this.send(req, res, record, reply, midBody);
    } catch (e) {
      if (e === PLAIN_404) {
        this.send(
          req,
          res,
          record,
          { status: 404, body: '404 page not found\n', headers: { 'X-Content-Type-Options': 'nosniff' } },
          midBody,
        );
        return;
      }
      const err = e instanceof ApiError ? e : internalUnknown(e instanceof Error ? e.message : String(e));
      this.send(req, res, record, { status: err.code, body: err.status, headers: err.headers }, midBody);
    }
  }

  private parseBody(req: Req, raw: string): unknown {
    const ct = (req.headers['content-type'] ?? 'application/json').toLowerCase();
    try {
      if (ct.includes('yaml')) return parseYaml(raw) as unknown;
      return JSON.parse(raw) as unknown;
    } catch (e) {
      throw badRequest(`the object provided is unrecognized: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private checkForbidden(info: RequestInfo, route: Route): void {
    const rules =
      info.user === ANONYMOUS && route.kind !== 'version'
        ? [{ user: ANONYMOUS }, ...this.ctx.forbids]
        : this.ctx.forbids;
    for (const rule of rules) {
      if (rule.user !== undefined && rule.user !== info.user) continue;
      if (rule.verb !== undefined && rule.verb !== info.verb) continue;
      if (route.kind === 'resource') {
        if (rule.resource !== undefined && rule.resource !== info.resource) continue;
        if (rule.namespace !== undefined && rule.namespace !== info.namespace) continue;
        const group = info.group ?? '';
        const res =
          info.subresource !== undefined ? `${info.resource ?? ''}/${info.subresource}` : (info.resource ?? '');
        const scope =
          info.namespace !== undefined && info.namespace !== ''
            ? `in the namespace "${info.namespace}"`
            : 'at the cluster scope';
        throw forbidden(
          { group, resource: info.resource ?? '' },
          info.name ?? '',
          `User "${info.user}" cannot ${info.verb} resource "${res}" in API group "${group}" ${scope}`,
        );
      }
      if (rule.resource !== undefined || rule.namespace !== undefined) continue;
      throw forbidden(
        { group: '', resource: '' },
        '',
        `User "${info.user}" cannot ${info.method.toLowerCase()} path "${info.path}"`,
      );
    }
  }

  private send(req: Req, res: Res, record: RequestRecord, reply: Reply, midBody: boolean): void {
    if (gone(res) || res.headersSent) return;
    const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    const buf = Buffer.from(text, 'utf8');
    const headers: Record<string, string | number> = {
      'Content-Type': typeof reply.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
      'Cache-Control': 'no-cache, private',
      'Content-Length': buf.length,
      ...(reply.headers ?? {}),
    };
    record.status = reply.status;
    if (midBody) {
      const part = buf.subarray(0, Math.max(1, Math.floor(buf.length / 2)));
      record.bytes = part.length;
      res.writeHead(reply.status, headers);
      res.write(part, () => cut(req, res));
      return;
    }
    record.bytes = buf.length;
    res.writeHead(reply.status, headers);
    res.end(buf);
  }

  /**
   * The 404 for a path: a built-in group version answers a NotFound Status; a group nobody serves, or
   * one served only by CRDs (the apiextensions handler delegates), ends in the mux's plain-text 404.
   */
  private notFoundFor(route: Route): ApiError {
    const group = route.group ?? '';
    const builtin = group === '' || this.ctx.registry.table.all().some((d) => d.group === group && !d.custom);
    return builtin ? pathNotFound() : PLAIN_404;
  }

  private resolveDef(route: Route): ResourceDef {
    const def = this.ctx.registry.table.byResource(route.group ?? '', route.version ?? '', route.resource ?? '');
    if (def === undefined) throw this.notFoundFor(route);
    if (route.extra === true) throw pathNotFound();
    if (route.subresource !== undefined && !(route.subresource === 'status' && def.statusSubresource))
      throw pathNotFound();
    const isNamespaceObject = def.group === '' && def.resource === 'namespaces';
    if (!def.namespaced && route.namespace !== undefined && !isNamespaceObject) throw pathNotFound();
    return def;
  }

  private dispatch(
    req: Req,
    route: Route,
    query: Record<string, string>,
    params: URLSearchParams,
    rawBody: string,
    body: unknown,
  ): Reply {
    const reg = this.ctx.registry;
    if (route.kind === 'health') return { status: 200, body: 'ok' };
    if (route.kind === 'version') {
      const m = /^v(\d+)\.(\d+)/.exec(this.ctx.gitVersion);
      return {
        status: 200,
        body: {
          major: m?.[1] ?? '1',
          minor: m?.[2] ?? '31',
          gitVersion: this.ctx.gitVersion,
          gitCommit: '0000000000000000000000000000000000000000',
          gitTreeState: 'clean',
          buildDate: '2024-12-10T11:36:13Z',
          goVersion: 'go1.22.9',
          compiler: 'gc',
          platform: 'linux/amd64',
        },
      };
    }
    if (route.kind === 'discovery') return this.discovery(req, route);
    if (route.kind === 'openapi') {
      // Only v3 (JSON) is served; v2 is protobuf-only for kubectl, so it stays 404.
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const rest = url.pathname.replace(/^\/openapi\/v3\/?/, '').replace(/\/$/, '');
      if (!url.pathname.startsWith('/openapi/v3')) throw pathNotFound();
      const doc = rest === '' ? openApiV3Root(reg.table) : openApiV3GroupVersion(reg.table, rest);
      if (doc === undefined) throw pathNotFound();
      return { status: 200, body: doc };
    }
    if (route.kind !== 'resource') throw pathNotFound();
    const def = this.resolveDef(route);
    const version = route.version ?? def.versions[0] ?? 'v1';
    const isNamespaceObject = def.group === '' && def.resource === 'namespaces';
    const ns = def.namespaced ? route.namespace : undefined;
    const nsParam = ns ?? '';
    const conversion = negotiateConversion(req.headers['accept']);
    const asTable = conversion === 'Table';
    if (def.namespaced && ns === undefined && route.name !== undefined) throw pathNotFound();
    if (route.subresource !== undefined && !['get', 'update', 'patch'].includes(route.verb)) throw methodNotAllowed();
    const wo = (kind: string): WriteOptions => {
      const w: WriteOptions = {};
      // DELETE decodes its options from the body when there is one, and only then ignores the query (handlers/delete.go).
      const fromBody = kind === 'DeleteOptions' && body !== undefined;
      const dry = fromBody
        ? isObject(body) && Array.isArray(body['dryRun'])
          ? body['dryRun'].map(String)
          : []
        : params.getAll('dryRun');
      const bad = dry.filter((d) => d !== 'All');
      if (bad.length > 0) {
        throw invalid('meta.k8s.io', kind, '', [
          { type: 'FieldValueNotSupported', field: 'dryRun', value: dry, detail: 'supported values: "All"' },
        ]);
      }
      if (dry.length > 0) w.dryRun = true;
      if (route.subresource !== undefined) w.subresource = route.subresource;
      return w;
    };
    switch (route.verb) {
      case 'get': {
        const o = present(def, reg.get(def, nsParam, route.name ?? ''), version);
        if (conversion === 'PartialObjectMetadataList') throw notAcceptable(conversion, false, def.kind);
        if (conversion === 'PartialObjectMetadata' && route.subresource === undefined)
          return {
            status: 200,
            body: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
          };
        return {
          status: 200,
          body: asTable ? this.table(def, [o], { resourceVersion: o.metadata.resourceVersion ?? '' }) : o,
        };
      }
      case 'list': {
        let limit: number | undefined;
        if (query['limit'] !== undefined && query['limit'] !== '') {
          if (!/^-?\d+$/.test(query['limit']))
            throw badRequest(`strconv.ParseInt: parsing ${JSON.stringify(query['limit'])}: invalid syntax`);
          limit = Math.max(0, Number(query['limit']));
        }
        // etcd3 store: a continue token carries its own resourceVersion ("0" passes: it only picks the cache).
        const rvParam = query['resourceVersion'] ?? '';
        if ((query['continue'] ?? '') !== '' && rvParam !== '' && rvParam !== '0') {
          throw badRequest('specifying resource version is not allowed when using continue');
        }
        if (conversion === 'PartialObjectMetadata') throw notAcceptable(conversion, true, def.kind);
        const result = reg.list(def, ns, {
          ...(query['labelSelector'] !== undefined ? { labelSelector: query['labelSelector'] } : {}),
          ...(query['fieldSelector'] !== undefined ? { fieldSelector: query['fieldSelector'] } : {}),
          ...(limit !== undefined ? { limit } : {}),
          ...(query['continue'] !== undefined ? { continue: query['continue'] } : {}),
          ...(query['resourceVersion'] !== undefined ? { resourceVersion: query['resourceVersion'] } : {}),
        });
        const meta: Record<string, unknown> = { resourceVersion: result.resourceVersion };
        if (result.continue !== undefined) meta['continue'] = result.continue;
        if (result.remainingItemCount !== undefined) meta['remainingItemCount'] = result.remainingItemCount;
        const items = result.items.map((o) => present(def, o, version));
        if (asTable) return { status: 200, body: this.table(def, items, meta) };
        if (conversion === 'PartialObjectMetadataList') {
          // Built by appending to a nil slice: an empty list encodes its items as null.
          const partial = items.map((o) => ({
            kind: 'PartialObjectMetadata',
            apiVersion: 'meta.k8s.io/v1',
            metadata: o.metadata,
          }));
          return {
            status: 200,
            body: {
              kind: 'PartialObjectMetadataList',
              apiVersion: 'meta.k8s.io/v1',
              metadata: meta,
              items: partial.length > 0 ? partial : null,
            },
          };
        }
        return {
          status: 200,
          body: {
            kind: def.listKind,
            apiVersion: apiVersionOf(def.group, version),
            metadata: meta,
            // Built-in list items carry no apiVersion/kind on the wire; custom resources (unstructured) do.
            items: items.map((o) => (def.custom ? o : stripTypeMeta(o))),
          },
        };
      }
      case 'create': {
        if (route.name !== undefined || (isNamespaceObject && route.namespace !== undefined)) throw methodNotAllowed();
        if (def.namespaced && ns === undefined) throw methodNotAllowed();
        const o = reg.create(def, nsParam, body, wo('CreateOptions'), version);
        return { status: 201, body: present(def, o, version) };
      }
      case 'update': {
        const r = reg.update(def, nsParam, route.name ?? '', body, wo('UpdateOptions'), version);
        return { status: r.created ? 201 : 200, body: present(def, r.object, version) };
      }
      case 'patch': {
        const o = reg.patch(
          def,
          nsParam,
          route.name ?? '',
          req.headers['content-type'] ?? '',
          rawBody,
          wo('PatchOptions'),
          version,
        );
        return { status: 200, body: present(def, o, version) };
      }
      case 'delete': {
        const opts = deleteOptions(body, query);
        const r = reg.delete(def, nsParam, route.name ?? '', opts, wo('DeleteOptions'));
        const out = isObject(r.body) && r.body['kind'] === 'Status' ? r.body : present(def, r.object, version);
        return { status: 200, body: out };
      }
      case 'deletecollection': {
        if (!def.verbs.includes('deletecollection')) throw methodNotAllowed();
        const q = {
          ...(query['labelSelector'] !== undefined ? { labelSelector: query['labelSelector'] } : {}),
          ...(query['fieldSelector'] !== undefined ? { fieldSelector: query['fieldSelector'] } : {}),
        };
        const deleted = reg.deleteCollection(def, ns, q, deleteOptions(body, query), wo('DeleteOptions'));
        const items = deleted.map((o) => present(def, o, version));
        return {
          status: 200,
          body: {
            kind: def.listKind,
            apiVersion: apiVersionOf(def.group, version),
            metadata: { resourceVersion: reg.store.currentRv().toString() },
            items: items.map((o) => (def.custom ? o : stripTypeMeta(o))),
          },
        };
      }
      default:
        throw methodNotAllowed();
    }
  }

  private table(def: ResourceDef, objs: KubeObject[], meta: Record<string, unknown>): Record<string, unknown> {
    return {
      kind: 'Table',
      apiVersion: 'meta.k8s.io/v1',
      metadata: meta,
      columnDefinitions: [
        {
          name: 'Name',
          type: 'string',
          format: 'name',
          description: 'Name must be unique within a namespace.',
          priority: 0,
        },
        {
          name: 'Created At',
          type: 'date',
          format: '',
          description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
          priority: 0,
        },
      ],
      rows: objs.map((o) => ({
        cells: [o.metadata.name ?? '', o.metadata.creationTimestamp ?? ''],
        object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
      })),
    };
  }

  private discovery(req: Req, route: Route): Reply {
    if ((req.method ?? 'GET').toUpperCase() !== 'GET') throw methodNotAllowed();
    const table = this.ctx.registry.table;
    if (route.group === '') {
      if (route.version === undefined) {
        const host = req.headers['host'] ?? '127.0.0.1';
        return {
          status: 200,
          body: {
            kind: 'APIVersions',
            versions: ['v1'],
            serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: host }],
          },
        };
      }
      if (route.version !== 'v1') throw pathNotFound();
      return { status: 200, body: table.resourceList('', 'v1') };
    }
    if (route.group === undefined) return { status: 200, body: table.groupList() };
    if (route.version === undefined) {
      const g = table.group(route.group);
      if (g === undefined) throw this.notFoundFor(route);
      return { status: 200, body: g };
    }
    if (!table.servesGroupVersion(route.group, route.version)) throw this.notFoundFor(route);
    return { status: 200, body: table.resourceList(route.group, route.version) };
  }

  private serveWatch(
    req: Req,
    res: Res,
    record: RequestRecord,
    route: Route,
    query: Record<string, string>,
    midBody: boolean,
  ): void {
    const def = this.resolveDef(route);
    if (route.subresource !== undefined) throw methodNotAllowed();
    const version = route.version ?? def.versions[0] ?? 'v1';
    const ns = def.namespaced ? route.namespace : undefined;
    let fieldSelector = query['fieldSelector'];
    if (route.name !== undefined)
      fieldSelector = `metadata.name=${route.name}${fieldSelector !== undefined && fieldSelector !== '' ? `,${fieldSelector}` : ''}`;
    const { label, field } = parseSelectors(def, query['labelSelector'], fieldSelector);
    const rv = query['resourceVersion'];
    if (rv !== undefined && rv !== '' && !/^\d+$/.test(rv)) {
      throw invalid('meta.k8s.io', 'ListOptions', '', [
        { type: 'FieldValueInvalid', field: 'resourceVersion', value: rv, detail: 'must be a valid resource version' },
      ]);
    }
    const timeout =
      query['timeoutSeconds'] !== undefined && /^\d+$/.test(query['timeoutSeconds'])
        ? Number(query['timeoutSeconds'])
        : undefined;
    record.status = 200;
    // HTTP/1.1 streams the body chunked; HTTP/2 has no such header (its frames are the chunks).
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-cache, private',
      ...(req.httpVersion === '2.0' ? {} : { 'Transfer-Encoding': 'chunked' }),
    });
    res.flushHeaders();
    let stop: () => void = () => undefined;
    let ended = false;
    let wasCut = false;
    const end = (): void => {
      ended = true;
      this.stops.delete(stopAll);
      stop();
      if (!wasCut && !gone(res)) res.end();
    };
    // Fault 'mid-body': write a fragment, then destroy the socket without terminating the chunked body.
    const cutAfter = (fragment: string): void => {
      wasCut = true;
      record.bytes += Buffer.byteLength(fragment);
      res.write(fragment, () => cut(req, res));
      end();
    };
    const stopAll = (): void => end();
    this.stops.add(stopAll);
    stop = startWatch(
      this.ctx.registry,
      {
        def,
        version,
        namespace: ns,
        ...(label !== undefined ? { label } : {}),
        ...(field !== undefined ? { field } : {}),
        ...(rv !== undefined ? { resourceVersion: rv } : {}),
        ...(timeout !== undefined ? { timeoutSeconds: timeout } : {}),
        allowWatchBookmarks:
          query['allowWatchBookmarks'] !== undefined && TRUE_VALUES.has(query['allowWatchBookmarks']),
        bookmarkIntervalMs: this.ctx.bookmarkIntervalMs,
      },
      {
        write: (line) => {
          if (ended || gone(res)) return;
          if (midBody) {
            midBody = false;
            cutAfter(line.slice(0, Math.max(1, Math.floor(line.length / 2))));
            return;
          }
          record.bytes += Buffer.byteLength(line);
          res.write(line);
        },
        end,
      },
    );
    if (ended) {
      stop();
      return;
    }
    if (midBody) {
      // Nothing to send yet: cut the stream after the headers and a fragment.
      cutAfter('{"type":"ADD');
      return;
    }
    req.on('close', end);
    res.on('close', end);
  }
}

function stripTypeMeta(o: KubeObject): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (k !== 'apiVersion' && k !== 'kind') out[k] = v;
  return out;
}

/** `metav1.DeleteOptions` of a DELETE: decoded from the body when there is one, else from the query. */
function deleteOptions(body: unknown, query: Record<string, string>): DeleteOptions {
  const opts: DeleteOptions = {};
  if (body !== undefined) {
    if (!isObject(body)) return opts;
    const pre = body['preconditions'];
    if (isObject(pre)) {
      opts.preconditions = {};
      if (typeof pre['uid'] === 'string') opts.preconditions.uid = pre['uid'];
      if (typeof pre['resourceVersion'] === 'string') opts.preconditions.resourceVersion = pre['resourceVersion'];
    }
    if (typeof body['propagationPolicy'] === 'string') opts.propagationPolicy = body['propagationPolicy'];
    if (typeof body['gracePeriodSeconds'] === 'number') opts.gracePeriodSeconds = body['gracePeriodSeconds'];
    return opts;
  }
  if (query['propagationPolicy'] !== undefined) opts.propagationPolicy = query['propagationPolicy'];
  if (query['gracePeriodSeconds'] !== undefined && /^\d+$/.test(query['gracePeriodSeconds']))
    opts.gracePeriodSeconds = Number(query['gracePeriodSeconds']);
  return opts;
}
