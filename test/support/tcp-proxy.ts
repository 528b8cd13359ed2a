/**
 * A TCP proxy of our own on 127.0.0.1, for tests and the benchmark: it forwards bytes (adding a
 * delay in each direction to simulate a round-trip time) and counts what crosses it: connections
 * and TLS handshakes (connections that start with a TLS ClientHello), so that "one connection and
 * one TLS handshake per command" is measured on the wire, for our commands and kubectl alike.
 *
 * Modes: `forward` to a fixed target; `connect`, an HTTP CONNECT proxy (optionally asking for
 * basic auth) that resolves names itself (so a kubeconfig can name a host that DNS does not know:
 * only the proxy can reach it); `socks5`, a SOCKS5 proxy (no authentication, CONNECT only).
 */
import { once } from 'node:events';
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface ProxyOptions {
  mode: 'forward' | 'connect' | 'socks5';
  /** forward: where to. */
  target?: { host: string; port: number };
  /** connect/socks5: maps a requested host to the one to dial (default: as requested). */
  resolve?: (host: string) => string;
  /** Added to every chunk in each direction: the round-trip time grows by twice this (forward mode: the TCP handshake too). */
  delayMs?: number;
  /** connect: the `user:password` a client must send (Proxy-Authorization: Basic); else 407. */
  auth?: string;
}

export interface ProxyStats {
  /** Client connections accepted. */
  connections: number;
  /** Connections whose first bytes to the server were a TLS ClientHello. */
  tlsHandshakes: number;
  /** connect/socks5: the `host:port` each tunnel asked for. */
  tunnels: string[];
  /** connect: tunnels refused (wrong or missing credentials). */
  refused: number;
  bytesUp: number;
  bytesDown: number;
}

export interface TcpProxy {
  port: number;
  url: string;
  stats: ProxyStats;
  reset(): void;
  close(): Promise<void>;
}

const fresh = (): ProxyStats => ({
  connections: 0,
  tlsHandshakes: 0,
  tunnels: [],
  refused: 0,
  bytesUp: 0,
  bytesDown: 0,
});

/** Copies `from` to `to` after `delayMs` per chunk (order kept: equal timeouts fire in order). */
function pipeDelayed(
  from: Socket,
  to: Socket,
  delayMs: number,
  count: (n: number) => void,
  first?: (chunk: Buffer) => void,
): void {
  let seenFirst = false;
  const later = (fn: () => void): void => {
    if (delayMs > 0) setTimeout(fn, delayMs);
    else fn();
  };
  from.on('data', (chunk: Buffer) => {
    if (!seenFirst) {
      seenFirst = true;
      first?.(chunk);
    }
    count(chunk.length);
    later(() => {
      if (!to.destroyed) to.write(chunk);
    });
  });
  from.on('end', () => later(() => to.end()));
  from.on('error', () => later(() => to.destroy()));
  from.on('close', () => later(() => to.destroy()));
}

export async function startTcpProxy(o: ProxyOptions): Promise<TcpProxy> {
  let stats = fresh();
  const sockets = new Set<Socket>();
  const delay = o.delayMs ?? 0;
  const dial = (host: string, port: number): Socket => {
    const s = connect({ host: o.resolve?.(host) ?? host, port, noDelay: true });
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    return s;
  };
  const join = (client: Socket, upstream: Socket, head: Buffer): void => {
    const hello = (chunk: Buffer): void => {
      // TLS record type 22 (handshake), handshake type 1 (ClientHello).
      if (chunk[0] === 0x16 && chunk[5] === 0x01) stats.tlsHandshakes++;
    };
    if (head.length > 0) {
      hello(head);
      stats.bytesUp += head.length;
      upstream.write(head);
    }
    pipeDelayed(client, upstream, delay, (n) => (stats.bytesUp += n), head.length > 0 ? undefined : hello);
    pipeDelayed(upstream, client, delay, (n) => (stats.bytesDown += n));
  };

  const server: Server = createServer((client) => {
    stats.connections++;
    sockets.add(client);
    client.setNoDelay(true);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    if (o.mode === 'forward') {
      const t = o.target ?? { host: '127.0.0.1', port: 0 };
      // With a delay, the TCP handshake costs a round trip too: the client's first bytes wait for it
      // (a socket buffers until it has a 'data' listener).
      if (delay > 0) setTimeout(() => join(client, dial(t.host, t.port), Buffer.alloc(0)), 2 * delay);
      else join(client, dial(t.host, t.port), Buffer.alloc(0));
      return;
    }
    // Read the tunnel request, then pipe.
    let buf = Buffer.alloc(0);
    let stage = 0;
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      if (o.mode === 'connect') {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        client.removeListener('data', onData);
        const head = buf.subarray(0, end).toString('latin1').split('\r\n');
        const rest = buf.subarray(end + 4);
        const [method, target] = (head[0] ?? '').split(' ');
        const auth = head.find((h) => /^proxy-authorization:/i.test(h))?.replace(/^[^:]*:\s*/, '');
        if (method !== 'CONNECT' || target === undefined) {
          client.end('HTTP/1.1 405 Method Not Allowed\r\n\r\n');
          return;
        }
        if (o.auth !== undefined && auth !== `Basic ${Buffer.from(o.auth).toString('base64')}`) {
          stats.refused++;
          client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\n\r\n');
          return;
        }
        stats.tunnels.push(target);
        const i = target.lastIndexOf(':');
        const upstream = dial(target.slice(0, i).replace(/^\[(.*)\]$/, '$1'), Number(target.slice(i + 1)));
        upstream.once('connect', () => {
          client.write('HTTP/1.1 200 Connection established\r\n\r\n');
          join(client, upstream, rest);
        });
        upstream.once('error', () => client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n'));
        return;
      }
      // SOCKS5: greeting [5, n, methods...] -> [5, 0]; request [5, 1, 0, atyp, addr, port] -> [5, 0, 0, 1, 0*6].
      if (stage === 0) {
        if (buf.length < 2 || buf.length < 2 + (buf[1] ?? 0)) return;
        buf = buf.subarray(2 + (buf[1] ?? 0));
        client.write(Buffer.from([5, 0]));
        stage = 1;
      }
      if (buf.length < 5) return;
      const atyp = buf[3];
      const addrLen = atyp === 1 ? 4 : atyp === 4 ? 16 : 1 + (buf[4] ?? 0);
      if (buf.length < 4 + addrLen + 2) return;
      client.removeListener('data', onData);
      const addr = buf.subarray(4, 4 + addrLen);
      const host =
        atyp === 1
          ? [...addr].join('.')
          : atyp === 4
            ? (addr.toString('hex').match(/.{4}/g) ?? []).join(':')
            : addr.subarray(1).toString('latin1');
      const port = buf.readUInt16BE(4 + addrLen);
      const rest = buf.subarray(4 + addrLen + 2);
      stats.tunnels.push(`${host}:${port}`);
      const upstream = dial(host, port);
      upstream.once('connect', () => {
        client.write(Buffer.from([5, 0, 0, 1, 0, 0, 0, 0, 0, 0]));
        join(client, upstream, rest);
      });
      upstream.once('error', () => client.end(Buffer.from([5, 4, 0, 1, 0, 0, 0, 0, 0, 0])));
    };
    client.on('data', onData);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: `${o.mode === 'socks5' ? 'socks5' : 'http'}://127.0.0.1:${port}`,
    get stats() {
      return stats;
    },
    reset: () => void (stats = fresh()),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
