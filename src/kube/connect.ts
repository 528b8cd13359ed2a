import { AmbientError } from '../core/errors.ts';
import type { Cluster } from '../core/ports.ts';
import { DEFAULT_CLIENT_OPTIONS, KubeClient, type RequestRecord } from './client.ts';
import type { Credentials } from './credentials.ts';
import { loadKubeconfig, pickContext } from './kubeconfig.ts';
import { proxyFor } from './proxy.ts';
import { Transport, type ConnectionInfo } from './transport.ts';

/** What the CLI knows about how to reach the cluster (kubectl's flags). */
export interface ConnectOptions {
  kubeconfig?: string | undefined;
  context?: string | undefined;
  /** Per-request timeout in milliseconds. */
  requestTimeoutMs: number;
  /** Environment to read KUBECONFIG, HOME and the proxy variables from (injected so tests never touch the real one). */
  env: Record<string, string | undefined>;
  signal: AbortSignal;
  pageSize?: number;
  metadataPageSize?: number;
  /** Extra headers on every request (impersonation: see ClientOptions.headers). */
  headers?: Record<string, string | string[]>;
  onRequest?: (r: RequestRecord) => void;
  onConnection?: (c: ConnectionInfo) => void;
}

/**
 * Resolves kubeconfig and context the way kubectl does (one YAML parse), and returns the cluster
 * port. Nothing is sent yet: the first request opens the connection, and client-node (the
 * credentials) is loaded while its TCP handshake is under way.
 */
export function connect(o: ConnectOptions): Cluster {
  const cfg = loadKubeconfig({ kubeconfig: o.kubeconfig, env: o.env['KUBECONFIG'], home: o.env['HOME'] });
  const contextName = pickContext(cfg, o.context);
  const ctx = cfg.contexts.find((c) => c.name === contextName)?.['context'] as
    { cluster?: string; user?: string } | undefined;
  const clusterEntry = cfg.clusters.find((c) => c.name === ctx?.cluster);
  if (clusterEntry === undefined) {
    throw new AmbientError(
      'config',
      `context "${contextName}" refers to cluster "${ctx?.cluster ?? ''}", which is not defined in ${cfg.files.join(', ')}`,
      'fix the context entry in your kubeconfig',
    );
  }
  const cluster = (clusterEntry['cluster'] ?? {}) as Record<string, unknown>;
  const server = cluster['server'];
  if (typeof server !== 'string' || server === '') {
    throw new AmbientError(
      'config',
      `cluster "${clusterEntry.name}" has no server URL in ${cfg.files.join(', ')}`,
      'fix the cluster entry in your kubeconfig',
    );
  }
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    url = new URL('invalid:');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new AmbientError(
      'config',
      `cluster "${clusterEntry.name}" has an invalid server URL "${server}" in ${cfg.files.join(', ')}`,
      'use https://host:port (or http://) as the server of the cluster entry',
    );
  }
  const user = cfg.users.find((u) => u.name === ctx?.user);
  const proxyUrl = typeof cluster['proxy-url'] === 'string' ? cluster['proxy-url'] : undefined;
  const proxy = proxyFor(url, proxyUrl, o.env);
  // HTTP(S) proxies are tunnels of the transport; SOCKS proxies go through client-node's agent (credentials.ts).
  // kubectl's SOCKS5 dialer lets the proxy resolve names (socks-proxy-agent calls that socks5h).
  const socks =
    proxy !== undefined && !/^https?:$/.test(proxy.protocol) ? proxy.href.replace(/^socks5?:/, 'socks5h:') : undefined;
  const transport = new Transport(url, {
    proxy: socks === undefined ? proxy : undefined,
    connectTimeoutMs: o.requestTimeoutMs,
    ...(o.onConnection !== undefined ? { onConnection: o.onConnection } : {}),
  });
  let source: (() => Promise<Credentials>) | undefined;
  const credentials = async (): Promise<Credentials> => {
    if (source === undefined) {
      const { credentialSource } = await import('./credentials.ts');
      try {
        source = credentialSource(clusterEntry, user, ctx?.user ?? 'anonymous', contextName, socks);
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        throw new AmbientError(
          'config',
          `kubeconfig context "${contextName}" is invalid: ${why}`,
          'fix the entry in your kubeconfig',
          { cause: e },
        );
      }
    }
    return source();
  };
  return new KubeClient(credentials, transport, contextName, server, {
    ...DEFAULT_CLIENT_OPTIONS,
    timeoutMs: o.requestTimeoutMs,
    signal: o.signal,
    pageSize: o.pageSize ?? DEFAULT_CLIENT_OPTIONS.pageSize,
    metadataPageSize: o.metadataPageSize ?? DEFAULT_CLIENT_OPTIONS.metadataPageSize,
    ...(o.headers !== undefined ? { headers: o.headers } : {}),
    ...(o.onRequest !== undefined ? { onRequest: o.onRequest } : {}),
    ...(o.onConnection !== undefined ? { onConnection: o.onConnection } : {}),
  });
}

/** A context of the merged kubeconfig, as fleet mode lists them. */
export interface KubeContext {
  name: string;
  /** The kubeconfig cluster entry it uses, and that cluster's server URL (undefined when missing). */
  cluster: string | undefined;
  server: string | undefined;
}

/** Every context of the merged kubeconfig (kubectl's merge rules), in file order. */
export function listContexts(o: Pick<ConnectOptions, 'kubeconfig' | 'env'>): KubeContext[] {
  const cfg = loadKubeconfig({ kubeconfig: o.kubeconfig, env: o.env['KUBECONFIG'], home: o.env['HOME'] });
  return cfg.contexts.map((c) => {
    const cluster = (c['context'] as { cluster?: string } | undefined)?.cluster;
    const entry = cfg.clusters.find((x) => x.name === cluster)?.['cluster'] as { server?: unknown } | undefined;
    return { name: c.name, cluster, server: typeof entry?.server === 'string' ? entry.server : undefined };
  });
}
