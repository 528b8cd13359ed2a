import type { Agent as HttpAgent, ClientRequest, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { ClientHttp2Session, ClientHttp2Stream, IncomingHttpHeaders, IncomingHttpStatusHeader } from 'node:http2';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';

/**
 * The wire under src/kube: one connection per cluster for everything a command sends, like kubectl.
 *
 * HTTPS servers get one TLS connection with ALPN; when the server picks HTTP/2 (kube-apiserver
 * does), every request is a stream on it: the concurrent lists of a snapshot cost one TCP and
 * one TLS handshake. Receive windows are large (4 MiB per stream, 64 MiB per connection, like
 * client-go's 4 MiB / 1 GiB) so big list pages never wait for WINDOW_UPDATEs, and the connection
 * is unreferenced while idle: the process exits without a closing round trip. A server that only
 * speaks HTTP/1.1 gets keep-alive connections (the first one is the ALPN probe itself), plain
 * http:// servers too. HTTP(S) proxies are CONNECT tunnels (HTTP/2 through them too); a SOCKS
 * proxy goes through the agent client-node builds for it (HTTP/1.1).
 *
 * Written over Node's own http2/https rather than client-node's fetch (undici): measured in the
 * README's performance section (undici costs start-up and memory, and client-node gives each
 * request an agent of its own).
 */

/** TLS material and checks of a connection (what client-node's `applyToHTTPSOptions` yields). */
export interface TlsOptions {
  ca?: string | Buffer | undefined;
  cert?: string | Buffer | undefined;
  key?: string | Buffer | undefined;
  /** False with `insecure-skip-tls-verify`; undefined keeps Node's default (verify). */
  rejectUnauthorized?: boolean | undefined;
  /** `tls-server-name`: SNI and the name the certificate must match. */
  servername?: string | undefined;
}

/** How a connection was made (for --verbose and the tests that count connections). */
export interface ConnectionInfo {
  protocol: 'h2' | 'http/1.1';
  tls: boolean;
  /** The proxy it goes through, without credentials. */
  proxy?: string;
}

export interface WireRequest {
  method: string;
  /** Path and query. */
  path: string;
  headers: Record<string, string | string[]>;
  body?: string | undefined;
  /** Aborts the request (also while its body is read). */
  signal: AbortSignal;
  tls: TlsOptions;
  /** An agent to send through instead (client-node's SOCKS agent): HTTP/1.1 only. */
  agent?: HttpAgent | undefined;
}

export interface WireResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** The body as it arrives; errors (a reset, an abort) end the iteration by throwing. */
  body: AsyncIterable<Buffer>;
}

export interface TransportOptions {
  /** A CONNECT proxy (http:, https:) for https:// servers, or a forwarding proxy for http:// servers. */
  proxy?: URL | undefined;
  /** How long opening a connection may take (the request timeout). */
  connectTimeoutMs: number;
  onConnection?: ((c: ConnectionInfo) => void) | undefined;
}

const STREAM_WINDOW = 4 << 20;
const CONNECTION_WINDOW = 64 << 20;

/** A transport error with a stable code (classified by errors.ts). */
function wireError(code: string, message: string, cause?: unknown): Error {
  return Object.assign(new Error(message, cause !== undefined ? { cause } : undefined), { code });
}

function sameTls(a: TlsOptions, b: TlsOptions): boolean {
  const eq = (x: string | Buffer | undefined, y: string | Buffer | undefined): boolean =>
    x === y || (x !== undefined && y !== undefined && Buffer.from(x).equals(Buffer.from(y)));
  return (
    eq(a.ca, b.ca) &&
    eq(a.cert, b.cert) &&
    eq(a.key, b.key) &&
    a.rejectUnauthorized === b.rejectUnauthorized &&
    a.servername === b.servername
  );
}

function tlsConnectOptions(t: TlsOptions): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const k of ['ca', 'cert', 'key', 'rejectUnauthorized', 'servername'] as const)
    if (t[k] !== undefined) o[k] = t[k];
  return o;
}

/** Rejects with the signal's reason when it aborts first (the work itself goes on for others). */
export function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: Error) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

type Session =
  | { kind: 'h2'; tls: TlsOptions; h2: ClientHttp2Session; active: number; broken: boolean }
  | { kind: 'h1'; tls: TlsOptions; agent: HttpAgent };

export class Transport {
  private session: Promise<Session> | undefined;
  private rawSocket: Promise<Socket> | undefined;
  private readonly host: string;
  private readonly port: number;
  private readonly secure: boolean;

  constructor(
    private readonly server: URL,
    private readonly opts: TransportOptions,
  ) {
    this.secure = server.protocol === 'https:';
    this.host = server.hostname.replace(/^\[(.*)\]$/, '$1');
    this.port = server.port !== '' ? Number(server.port) : this.secure ? 443 : 80;
  }

  /**
   * Starts the TCP connection (and the proxy's CONNECT) before the TLS material is known, so that
   * the round trips overlap loading the credential machinery. Idempotent; a no-op once connected.
   */
  warm(): void {
    if (this.session !== undefined || this.rawSocket !== undefined || !this.secure) return;
    if (this.opts.proxy !== undefined && !this.opts.proxy.protocol.startsWith('http')) return;
    this.rawSocket = this.openRaw();
    // Unused (credentials failed): it must not keep the process alive or go unhandled.
    this.rawSocket.then(
      (s) => s.unref(),
      () => undefined,
    );
  }

  /** Sends one request; resolves when the response headers arrive. */
  async request(req: WireRequest): Promise<WireResponse> {
    if (req.agent !== undefined) return this.viaAgent(req, req.agent);
    // Concurrent requests share the connection being opened (and its failure: one attempt, not one per request).
    // A broken one, or one made with other TLS material (a credential plugin rotated the client
    // certificate), is replaced once, by whichever request notices first.
    for (let attempt = 0; ; attempt++) {
      const current = this.session ?? this.startSession(req.tls);
      const s = await abortable(current, req.signal);
      const usable = (s.kind === 'h1' || !(s.broken || s.h2.destroyed || s.h2.closed)) && sameTls(s.tls, req.tls);
      if (usable || attempt >= 2) return s.kind === 'h2' ? this.viaH2(s, req) : this.viaAgent(req, s.agent);
      if (this.session === current) this.session = undefined;
    }
  }

  private startSession(tls: TlsOptions): Promise<Session> {
    const session = this.open(tls);
    this.session = session;
    // A failed connection is not kept: the next request (a retry) connects again.
    session.catch(() => {
      if (this.session === session) this.session = undefined;
    });
    return session;
  }

  /** Drops every connection at once (no GOAWAY round trip). */
  close(): void {
    const session = this.session;
    this.session = undefined;
    void session?.then(
      (s) => (s.kind === 'h2' ? s.h2.destroy() : s.agent.destroy()),
      () => undefined,
    );
    void this.rawSocket?.then(
      (s) => s.destroy(),
      () => undefined,
    );
    this.rawSocket = undefined;
  }

  private proxyLabel(): string | undefined {
    const p = this.opts.proxy;
    return p === undefined ? undefined : `${p.protocol}//${p.host}`;
  }

  /** TCP to the server, or a CONNECT tunnel through the proxy. */
  private openRaw(): Promise<Socket> {
    const proxy = this.opts.proxy;
    const timeoutMs = this.opts.connectTimeoutMs;
    if (proxy === undefined) {
      return new Promise((resolve, reject) => {
        const s = netConnect({ host: this.host, port: this.port, noDelay: true });
        const timer = setTimeout(
          () => s.destroy(wireError('ETIMEDOUT', `connecting to ${this.host}:${this.port} timed out`)),
          timeoutMs,
        );
        s.once('connect', () => {
          clearTimeout(timer);
          s.removeListener('error', reject);
          resolve(s);
        });
        s.once('error', (e) => {
          clearTimeout(timer);
          reject(e);
        });
      });
    }
    return this.tunnel(proxy, timeoutMs);
  }

  /** An HTTP CONNECT tunnel to host:port (node:http(s) parses the proxy's answer). */
  private async tunnel(proxy: URL, timeoutMs: number): Promise<Socket> {
    const { request } = proxy.protocol === 'https:' ? await import('node:https') : await import('node:http');
    const target = `${isIP(this.host) === 6 ? `[${this.host}]` : this.host}:${this.port}`;
    const headers: OutgoingHttpHeaders = { host: target };
    if (proxy.username !== '' || proxy.password !== '') {
      headers['proxy-authorization'] =
        `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}`;
    }
    return new Promise((resolve, reject) => {
      const req: ClientRequest = request({
        host: proxy.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: proxy.port !== '' ? Number(proxy.port) : proxy.protocol === 'https:' ? 443 : 80,
        method: 'CONNECT',
        path: target,
        headers,
        agent: false,
        setHost: false,
        timeout: timeoutMs,
      });
      req.once('connect', (res: IncomingMessage, socket: Socket, head: Buffer) => {
        req.removeAllListeners('error');
        if (res.statusCode !== 200) {
          socket.destroy();
          reject(
            wireError(
              'ERR_AMBIENT_PROXY',
              `the proxy ${this.proxyLabel() ?? ''} refused to connect to ${target} (HTTP ${res.statusCode ?? '?'})`,
            ),
          );
          return;
        }
        if (head.length > 0) socket.unshift(head);
        socket.setNoDelay(true);
        resolve(socket);
      });
      req.once('timeout', () =>
        req.destroy(
          wireError(
            'ETIMEDOUT',
            `the proxy ${this.proxyLabel() ?? ''} did not open a tunnel within ${timeoutMs / 1000}s`,
          ),
        ),
      );
      req.once('error', (e: NodeJS.ErrnoException) => {
        reject(
          e.code === 'ECONNREFUSED' || e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN'
            ? wireError('ERR_AMBIENT_PROXY', `cannot reach the proxy ${this.proxyLabel() ?? ''} (${e.code})`, e)
            : e,
        );
      });
      req.end();
    });
  }

  /** Connects (TLS with ALPN for https://) and sets up HTTP/2 or HTTP/1.1 on it. */
  private async open(tls: TlsOptions): Promise<Session> {
    if (!this.secure) return { kind: 'h1', tls, agent: await this.h1Agent(undefined, tls) };
    const raw = this.rawSocket ?? this.openRaw();
    this.rawSocket = undefined;
    const socket = await raw;
    socket.ref();
    // node:http2 is loaded while the server works on the handshake (it is needed for h2 only, which is almost always).
    const http2 = import('node:http2');
    http2.catch(() => undefined);
    const secure = await new Promise<TLSSocket>((resolve, reject) => {
      const servername = tls.servername ?? (isIP(this.host) === 0 ? this.host : undefined);
      const t = tlsConnect({
        ...tlsConnectOptions(tls),
        socket,
        host: this.host,
        ...(servername !== undefined ? { servername } : {}),
        ALPNProtocols: ['h2', 'http/1.1'],
      });
      const timer = setTimeout(
        () => t.destroy(wireError('ETIMEDOUT', `the TLS handshake with ${this.host}:${this.port} timed out`)),
        this.opts.connectTimeoutMs,
      );
      t.once('secureConnect', () => {
        clearTimeout(timer);
        t.removeListener('error', reject);
        resolve(t);
      });
      t.once('error', (e: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(e);
      });
    });
    const proxy = this.proxyLabel();
    if (secure.alpnProtocol !== 'h2') {
      this.opts.onConnection?.({ protocol: 'http/1.1', tls: true, ...(proxy !== undefined ? { proxy } : {}) });
      return { kind: 'h1', tls, agent: await this.h1Agent(secure, tls) };
    }
    this.opts.onConnection?.({ protocol: 'h2', tls: true, ...(proxy !== undefined ? { proxy } : {}) });
    const { connect } = await http2;
    const h2 = connect(`https://${isIP(this.host) === 6 ? `[${this.host}]` : this.host}:${this.port}`, {
      createConnection: () => secure,
      settings: { enablePush: false, initialWindowSize: STREAM_WINDOW },
      maxSessionMemory: 64,
    });
    const session: Session = { kind: 'h2', tls, h2, active: 0, broken: false };
    h2.once('connect', () => {
      try {
        h2.setLocalWindowSize(CONNECTION_WINDOW);
      } catch {
        // an old peer; the default window only costs round trips
      }
    });
    // In-flight streams get their own errors; the session is just not reused afterwards.
    h2.on('error', () => void (session.broken = true));
    h2.on('goaway', () => void (session.broken = true));
    h2.on('close', () => void (session.broken = true));
    h2.unref();
    return session;
  }

  /** Keep-alive connections for HTTP/1.1; `first` (the ALPN probe) serves the first request. */
  private async h1Agent(first: TLSSocket | undefined, tls: TlsOptions): Promise<HttpAgent> {
    if (!this.secure) {
      const { Agent } = await import('node:http');
      return new Agent({ keepAlive: true });
    }
    const { Agent } = await import('node:https');
    const agent = new Agent({ keepAlive: true, ...tlsConnectOptions(tls) });
    let probe = first;
    const base = agent.createConnection.bind(agent) as (
      o: Record<string, unknown>,
      cb: (e: Error | null, s?: Socket) => void,
    ) => Socket | undefined;
    const proxied = this.opts.proxy !== undefined;
    // Documented extension point of http.Agent: hand out the probe, then open new ones (through the proxy if any).
    (
      agent as unknown as {
        createConnection: (o: Record<string, unknown>, cb: (e: Error | null, s?: Socket) => void) => Socket | undefined;
      }
    ).createConnection = (o, cb) => {
      if (probe !== undefined && !probe.destroyed) {
        const s = probe;
        probe = undefined;
        return s;
      }
      if (!proxied) return base(o, cb);
      this.openRaw().then(
        (socket) => {
          const t = tlsConnect({ ...o, socket, ALPNProtocols: ['http/1.1'] });
          this.opts.onConnection?.({
            protocol: 'http/1.1',
            tls: true,
            ...(this.proxyLabel() !== undefined ? { proxy: this.proxyLabel() ?? '' } : {}),
          });
          cb(null, t);
        },
        (e: Error) => cb(e),
      );
      return undefined;
    };
    return agent;
  }

  private viaH2(s: Extract<Session, { kind: 'h2' }>, req: WireRequest): Promise<WireResponse> {
    return new Promise<WireResponse>((resolve, reject) => {
      let stream: ClientHttp2Stream;
      try {
        stream = s.h2.request(
          { ':method': req.method, ':path': req.path, ...req.headers },
          { endStream: req.body === undefined },
        );
      } catch (e) {
        s.broken = true;
        reject(
          wireError(
            'ERR_HTTP2_SESSION_ERROR',
            `the connection to the API server closed: ${e instanceof Error ? e.message : String(e)}`,
            e,
          ),
        );
        return;
      }
      if (s.active++ === 0) s.h2.ref();
      let settled = false;
      const onAbort = (): void => stream.close(0x8); // CANCEL
      const done = (): void => {
        req.signal.removeEventListener('abort', onAbort);
        if (--s.active === 0 && !s.h2.destroyed) s.h2.unref();
      };
      req.signal.addEventListener('abort', onAbort, { once: true });
      stream.once('close', () => {
        done();
        if (!settled) {
          settled = true;
          reject(req.signal.aborted ? (req.signal.reason as Error) : streamClosedError(stream));
        }
      });
      stream.on('error', (e: Error) => {
        if (!settled) {
          settled = true;
          reject(req.signal.aborted ? (req.signal.reason as Error) : e);
        }
      });
      stream.once('response', (h: IncomingHttpHeaders & IncomingHttpStatusHeader) => {
        settled = true;
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(h))
          if (!k.startsWith(':') && v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : String(v);
        resolve({
          status: Number(h[':status'] ?? 0),
          headers,
          body: bodyOf(stream, req.signal, () => streamClosedError(stream)),
        });
      });
      if (req.body !== undefined) stream.end(req.body);
    });
  }

  private viaAgent(req: WireRequest, agent: HttpAgent): Promise<WireResponse> {
    return (async () => {
      const { request } = this.secure ? await import('node:https') : await import('node:http');
      const forward = !this.secure && this.opts.proxy !== undefined ? this.opts.proxy : undefined;
      return new Promise<WireResponse>((resolve, reject) => {
        const headers: OutgoingHttpHeaders = { ...req.headers };
        if (req.body !== undefined) headers['content-length'] = Buffer.byteLength(req.body);
        const r = request({
          ...(this.secure ? tlsConnectOptions(req.tls) : {}),
          // An http:// server behind an HTTP proxy: the request goes to the proxy with an absolute URL.
          host: forward !== undefined ? forward.hostname : this.host,
          port: forward !== undefined ? Number(forward.port !== '' ? forward.port : 80) : this.port,
          path: forward !== undefined ? new URL(req.path, this.server).toString() : req.path,
          method: req.method,
          headers,
          agent,
          signal: req.signal,
        });
        r.once('response', (res: IncomingMessage) => {
          const h: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers))
            if (v !== undefined) h[k] = Array.isArray(v) ? v.join(', ') : v;
          resolve({
            status: res.statusCode ?? 0,
            headers: h,
            body: bodyOf(res, req.signal, () =>
              wireError('ECONNRESET', 'the API server closed the connection in the middle of the answer'),
            ),
          });
        });
        r.once('error', (e: Error) => reject(req.signal.aborted ? (req.signal.reason as Error) : e));
        r.end(req.body);
      });
    })();
  }
}

/** Why a stream ended without (the rest of) its answer. */
function streamClosedError(stream: ClientHttp2Stream): Error {
  return wireError(
    'ERR_HTTP2_STREAM_ERROR',
    `the API server reset the request (HTTP/2 error code ${stream.rstCode ?? '?'})`,
  );
}

/** The chunks of a response body; an abort or a cut connection ends the iteration with an error. */
async function* bodyOf(
  stream: AsyncIterable<Buffer> & { destroy(e?: Error): void; readableEnded?: boolean },
  signal: AbortSignal,
  cutError: () => Error,
): AsyncIterable<Buffer> {
  const onAbort = (): void => stream.destroy(signal.reason as Error);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const chunk of stream) yield chunk;
    if (stream.readableEnded === false) throw cutError();
  } catch (e) {
    throw signal.aborted
      ? (signal.reason as Error)
      : e instanceof Error && (e as { code?: string }).code === 'ERR_STREAM_PREMATURE_CLOSE'
        ? cutError()
        : e;
  } finally {
    signal.removeEventListener('abort', onAbort);
    stream.destroy();
  }
}
