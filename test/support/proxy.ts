/**
 * A proxy of our own between the CLI and an API server (the simulator or a real kube-apiserver):
 * plain HTTP on 127.0.0.1 towards the CLI, HTTP or HTTPS (with the server's CA) upstream. By
 * default it passes every request through, streaming (watches included); an `intercept` rule gets
 * the matching request as an Exchange and decides: forward it and answer, forward it and drop the
 * connection (the write landed, its answer is lost), hold it (until the test releases it: past
 * --request-timeout, or until a barrier fills), or kill the CLI between the server's answer and
 * the client's. Every request is logged; tests synchronise on the log, never on sleeps.
 */
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';

/** A request as the proxy received it. */
export interface ProxyRequest {
  /** 1, 2, ... in arrival order. */
  id: number;
  method: string;
  /** Path without the query. */
  path: string;
  query: URLSearchParams;
  /** The request body (buffered for intercepted requests only). */
  body: string;
}

/** The upstream answer to a forwarded request. */
export interface Upstream {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** An intercepted request. Exactly one of reply/drop must end it. */
export interface Exchange extends ProxyRequest {
  /** Sends the request upstream and resolves with the answer (the server has then processed it). */
  forward(): Promise<Upstream>;
  /** Answers the client. */
  reply(u: Upstream): void;
  /** Closes the client's connection without an answer. */
  drop(): void;
}

/** One line of the proxy's request log. */
export interface ProxyLogEntry {
  id: number;
  method: string;
  path: string;
  query: Record<string, string>;
  /** `passed` (streamed through), `intercepted`, then the end: `answered` or `dropped`. */
  outcome: 'pending' | 'answered' | 'dropped';
  /** The status sent to the client (0 when dropped). */
  status: number;
  /** The status the server gave (0 when the request never reached it). */
  upstreamStatus: number;
}

export interface Proxy {
  /** http://127.0.0.1:PORT */
  url: string;
  readonly log: ProxyLogEntry[];
  /**
   * Hands the next `times` (default 1) requests matching `match` to `handle`. Rules are tried in the
   * order they were added; an exhausted rule is removed.
   */
  intercept(match: (r: ProxyRequest) => boolean, handle: (x: Exchange) => void | Promise<void>, times?: number): void;
  /** Resolves with the first log entry (past or future) for which `pred` holds. */
  waitFor(pred: (e: ProxyLogEntry) => boolean, what?: string): Promise<ProxyLogEntry>;
  clearRules(): void;
  /** Closes the client connections of requests still streaming (a watch) whose log entry matches. */
  cut(pred: (e: ProxyLogEntry) => boolean): number;
  close(): Promise<void>;
}

/** A write that changes the cluster (dry runs excluded). */
export function isWrite(r: ProxyRequest): boolean {
  return r.method !== 'GET' && r.method !== 'HEAD' && !r.query.has('dryRun');
}

interface Rule {
  match: (r: ProxyRequest) => boolean;
  handle: (x: Exchange) => void | Promise<void>;
  times: number;
}

/** Starts a proxy in front of `upstream` (its CA for https). */
export async function startProxy(upstream: { url: string; ca?: string | undefined }): Promise<Proxy> {
  const base = new URL(upstream.url);
  const rules: Rule[] = [];
  const log: ProxyLogEntry[] = [];
  const waiters = new Set<() => void>();
  const sockets = new Set<Socket>();
  const streaming = new Map<ProxyLogEntry, ServerResponse>();
  let next = 0;
  const changed = (): void => {
    for (const w of [...waiters]) w();
  };

  const send = (method: string, path: string, headers: IncomingHttpHeaders): ReturnType<typeof httpRequest> => {
    const h = { ...headers, host: base.host };
    delete h['connection'];
    const opts = { method, host: base.hostname, port: base.port, path, headers: h, agent: false as const };
    return base.protocol === 'https:'
      ? httpsRequest({ ...opts, ...(upstream.ca !== undefined ? { ca: upstream.ca } : {}) })
      : httpRequest(opts);
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const id = ++next;
    const u = new URL(req.url ?? '/', 'http://proxy');
    const entry: ProxyLogEntry = {
      id,
      method: req.method ?? 'GET',
      path: u.pathname,
      query: Object.fromEntries(u.searchParams),
      outcome: 'pending',
      status: 0,
      upstreamStatus: 0,
    };
    log.push(entry);
    const head: ProxyRequest = { id, method: entry.method, path: u.pathname, query: u.searchParams, body: '' };
    const rule = rules.find((r) => r.match(head));
    const finish = (outcome: 'answered' | 'dropped', status: number): void => {
      entry.outcome = outcome;
      entry.status = status;
      changed();
    };
    if (rule === undefined) {
      // Pass through, streaming both ways.
      const up = send(entry.method, req.url ?? '/', req.headers);
      up.on('response', (r) => {
        entry.upstreamStatus = r.statusCode ?? 0;
        res.writeHead(r.statusCode ?? 502, r.headers);
        res.flushHeaders(); // a watch's headers go out before its first event, as the server sent them
        streaming.set(entry, res);
        changed();
        r.pipe(res);
        r.on('end', () => {
          streaming.delete(entry);
          finish('answered', r.statusCode ?? 0);
        });
        r.on('error', () => res.destroy());
      });
      up.on('error', () => {
        res.destroy();
        finish('dropped', 0);
      });
      res.on('close', () => {
        up.destroy();
        if (streaming.delete(entry)) finish('dropped', 0);
      });
      req.pipe(up);
      return;
    }
    if (--rule.times <= 0) rules.splice(rules.indexOf(rule), 1);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const x: Exchange = {
        ...head,
        body: body.toString('utf8'),
        forward: () =>
          new Promise<Upstream>((resolve, reject) => {
            const up = send(entry.method, req.url ?? '/', { ...req.headers, 'content-length': String(body.length) });
            up.on('response', (r) => {
              const parts: Buffer[] = [];
              r.on('data', (c: Buffer) => parts.push(c));
              r.on('end', () => {
                entry.upstreamStatus = r.statusCode ?? 0;
                changed();
                resolve({ status: r.statusCode ?? 0, headers: r.headers, body: Buffer.concat(parts) });
              });
              r.on('error', reject);
            });
            up.on('error', reject);
            up.end(body);
          }),
        reply: (a) => {
          const headers = { ...a.headers, 'content-length': String(a.body.length) };
          delete headers['transfer-encoding'];
          res.writeHead(a.status, headers);
          res.end(a.body);
          finish('answered', a.status);
        },
        drop: () => {
          req.socket.destroy();
          finish('dropped', 0);
        },
      };
      Promise.resolve(rule.handle(x)).catch((e: unknown) => {
        console.error('proxy rule failed:', e);
        x.drop();
      });
    });
  };

  const server: Server = createServer(onRequest);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    intercept: (match, handle, times = 1) => void rules.push({ match, handle, times }),
    clearRules: () => void rules.splice(0),
    cut: (pred) => {
      const hit = [...streaming.entries()].filter(([e]) => pred(e));
      for (const [, res] of hit) res.socket?.destroy();
      return hit.length;
    },
    waitFor: (pred, what = 'a matching request') =>
      new Promise<ProxyLogEntry>((resolve, reject) => {
        const check = (): void => {
          const e = log.find(pred);
          if (e === undefined) return;
          waiters.delete(check);
          clearTimeout(t);
          resolve(e);
        };
        // A safety net only (a test that would hang fails instead); nothing waits on time to pass.
        const t = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `proxy: no ${what} within 60 s; log: ${log.map((l) => `${l.method} ${l.path} ${l.outcome}`).join(', ')}`,
            ),
          );
        }, 60_000);
        waiters.add(check);
        check();
      }),
    close: async () => {
      rules.splice(0);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A barrier for `n` requests: each matching request is held until `n` have arrived, then all are
 * forwarded at once and answered in arrival order of their answers (two writers racing on the
 * same resourceVersion, without sleeps).
 */
export function barrier(proxy: Proxy, n: number, match: (r: ProxyRequest) => boolean): Promise<Upstream[]> {
  const held: Exchange[] = [];
  return new Promise<Upstream[]>((resolve, reject) => {
    proxy.intercept(
      match,
      (x) => {
        held.push(x);
        if (held.length < n) return;
        Promise.all(
          held.map(async (h) => {
            const a = await h.forward();
            h.reply(a);
            return a;
          }),
        ).then(resolve, reject);
      },
      n,
    );
  });
}

/** Holds the next matching request; `release` forwards it (resolving with the answer), `answer` also replies. */
export function hold(proxy: Proxy, match: (r: ProxyRequest) => boolean): { arrived: Promise<Exchange> } {
  let arrived!: (x: Exchange) => void;
  const p = new Promise<Exchange>((resolve) => (arrived = resolve));
  proxy.intercept(match, (x) => arrived(x));
  return { arrived: p };
}
