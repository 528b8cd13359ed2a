// The only module that loads @kubernetes/client-node, through its public API (the package index):
// client-node resolves what a kubeconfig user and cluster mean on the wire (tokens, client
// certificates, CA files, basic auth, impersonation, exec and auth-provider plugins with their
// caches, SOCKS proxies). The build bundles only what `KubeConfig` needs (scripts/build.mjs).
import type { Agent } from 'node:http';
import type { RequestOptions } from 'node:https';
import { KubeConfig, type Cluster as KcCluster, type User as KcUser } from '@kubernetes/client-node';
import type { TlsOptions } from './transport.ts';

/** A kubeconfig `clusters[]`/`users[]` entry as written in the file. */
export interface FileEntry {
  name: string;
  [key: string]: unknown;
}

/** What one request needs to authenticate: headers, TLS material, and for SOCKS proxies an agent. */
export interface Credentials {
  headers: Record<string, string>;
  tls: TlsOptions;
  agent?: Agent | undefined;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** A cluster entry in client-node's terms (its own kubeconfig loader maps the same fields). */
function toCluster(entry: FileEntry): KcCluster {
  const c = (entry['cluster'] ?? {}) as Record<string, unknown>;
  const server = (str(c['server']) ?? '').replace(/\/$/, '');
  const cluster: Record<string, unknown> = {
    name: entry.name,
    server,
    // client-node refuses http:// unless TLS checks are marked off; kubectl just talks plain HTTP.
    skipTLSVerify: c['insecure-skip-tls-verify'] === true || server.startsWith('http://'),
    caData: str(c['certificate-authority-data']),
    caFile: str(c['certificate-authority']),
    tlsServerName: str(c['tls-server-name']),
    proxyUrl: str(c['proxy-url']),
  };
  for (const k of Object.keys(cluster)) if (cluster[k] === undefined) delete cluster[k];
  return cluster as unknown as KcCluster;
}

/**
 * A user entry in client-node's terms; kubectl's `tokenFile` becomes client-node's token-file
 * provider (re-read every minute, as client-go does).
 */
function toUser(entry: FileEntry | undefined, fallbackName: string): KcUser {
  if (entry === undefined) return { name: fallbackName };
  const u = (entry['user'] ?? {}) as Record<string, unknown>;
  const tokenFile = str(u['tokenFile']) ?? str(u['token-file']);
  const authProvider =
    u['auth-provider'] ??
    (tokenFile !== undefined && u['exec'] === undefined ? { name: 'tokenFile', config: { tokenFile } } : undefined);
  const user: Record<string, unknown> = {
    name: entry.name,
    token: tokenFile !== undefined ? undefined : str(u['token']),
    certData: str(u['client-certificate-data']),
    certFile: str(u['client-certificate']),
    keyData: str(u['client-key-data']),
    keyFile: str(u['client-key']),
    exec: u['exec'],
    authProvider,
    username: str(u['username']),
    password: str(u['password']),
    impersonateUser: str(u['as']),
  };
  for (const k of Object.keys(user)) if (user[k] === undefined) delete user[k];
  return user as unknown as KcUser;
}

/**
 * The credentials of one context, from client-node. Each call asks client-node again: its plugin
 * caches hand back the same token until it expires and run the plugin again after, so a long
 * `--wait` re-authenticates when its token runs out.
 */
export function credentialSource(
  cluster: FileEntry,
  user: FileEntry | undefined,
  userName: string,
  contextName: string,
  socksProxy: string | undefined,
): () => Promise<Credentials> {
  const kc = new KubeConfig();
  const kcUser = toUser(user, userName);
  // A SOCKS proxy (proxy-url, or HTTPS_PROXY=socks5://...) goes through client-node's SOCKS agent.
  const kcCluster: KcCluster =
    socksProxy !== undefined ? { ...toCluster(cluster), proxyUrl: socksProxy } : toCluster(cluster);
  kc.loadFromOptions({
    clusters: [kcCluster],
    users: [kcUser],
    contexts: [{ name: contextName, cluster: cluster.name, user: kcUser.name }],
    currentContext: contextName,
  });
  return async () => {
    const o: RequestOptions & { headers?: Record<string, string | number | string[]> } = {};
    await kc.applyToHTTPSOptions(o);
    const headers: Record<string, string> = {};
    // Trimmed: client-node keeps a token file's trailing newline (client-go trims it), which no header may carry.
    for (const [k, v] of Object.entries(o.headers ?? {}))
      headers[k] = (Array.isArray(v) ? v.join(', ') : String(v)).trim();
    if (typeof o.auth === 'string' && headers['Authorization'] === undefined)
      headers['Authorization'] = `Basic ${Buffer.from(o.auth).toString('base64')}`;
    const tls: TlsOptions = {
      ca: o.ca as string | Buffer | undefined,
      cert: o.cert as string | Buffer | undefined,
      key: o.key as string | Buffer | undefined,
      rejectUnauthorized: o.rejectUnauthorized,
      servername: o.servername,
    };
    return { headers, tls, ...(socksProxy !== undefined && o.agent instanceof Object ? { agent: o.agent } : {}) };
  };
}
