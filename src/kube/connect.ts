import { KubeConfig } from '@kubernetes/client-node/dist/config.js'; // deep import: see client.ts
import { AmbientError } from '../core/errors.ts';
import type { Cluster } from '../core/ports.ts';
import { DEFAULT_CLIENT_OPTIONS, KubeClient, type RequestRecord } from './client.ts';
import { loadKubeconfig, pickContext } from './kubeconfig.ts';

/** What the CLI knows about how to reach the cluster (kubectl's flags). */
export interface ConnectOptions {
  kubeconfig?: string | undefined;
  context?: string | undefined;
  /** Per-request timeout in milliseconds. */
  requestTimeoutMs: number;
  /** Environment to read KUBECONFIG and HOME from (injected so tests never touch the real one). */
  env: Record<string, string | undefined>;
  signal: AbortSignal;
  pageSize?: number;
  onRequest?: (r: RequestRecord) => void;
}

/**
 * Resolves kubeconfig and context the way kubectl does, and returns the cluster port. Nothing is
 * sent yet: the first request happens when the command lists something.
 */
export function connect(o: ConnectOptions): Cluster {
  const cfg = loadKubeconfig({ kubeconfig: o.kubeconfig, env: o.env['KUBECONFIG'], home: o.env['HOME'] });
  const contextName = pickContext(cfg, o.context);
  const ctx = cfg.contexts.find((c) => c.name === contextName)?.['context'] as { cluster?: string; user?: string } | undefined;
  const clusterEntry = cfg.clusters.find((c) => c.name === ctx?.cluster);
  if (clusterEntry === undefined) {
    throw new AmbientError('config', `context "${contextName}" refers to cluster "${ctx?.cluster ?? ''}", which is not defined in ${cfg.files.join(', ')}`, 'fix the context entry in your kubeconfig');
  }
  const cluster = { ...((clusterEntry['cluster'] ?? {}) as Record<string, unknown>) };
  const server = cluster['server'];
  if (typeof server !== 'string' || server === '') {
    throw new AmbientError('config', `cluster "${clusterEntry.name}" has no server URL in ${cfg.files.join(', ')}`, 'fix the cluster entry in your kubeconfig');
  }
  // kubectl talks plain HTTP to an http:// server; client-node refuses unless TLS checks are marked off.
  if (server.startsWith('http://')) cluster['insecure-skip-tls-verify'] = true;
  const users = cfg.users.filter((u) => u.name === ctx?.user);
  const kc = new KubeConfig();
  try {
    kc.loadFromString(
      JSON.stringify({
        clusters: [{ ...clusterEntry, cluster }],
        users: users.length > 0 ? users : [{ name: ctx?.user ?? 'anonymous', user: {} }],
        contexts: cfg.contexts.filter((c) => c.name === contextName),
        'current-context': contextName,
      }),
    );
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new AmbientError('config', `kubeconfig context "${contextName}" is invalid: ${why}`, 'fix the entry in your kubeconfig', { cause: e });
  }
  return new KubeClient(kc, contextName, server, {
    ...DEFAULT_CLIENT_OPTIONS,
    timeoutMs: o.requestTimeoutMs,
    signal: o.signal,
    pageSize: o.pageSize ?? DEFAULT_CLIENT_OPTIONS.pageSize,
    ...(o.onRequest !== undefined ? { onRequest: o.onRequest } : {}),
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
