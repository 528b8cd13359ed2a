/**
 * Kubeconfig writing for the simulated cluster.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { stringify } from 'yaml';

/** Write a kubeconfig with one cluster, user and context (named `context`), selected as current-context. */
export async function writeKubeconfigFile(path: string, server: string, opts: { context?: string; token?: string; namespace?: string } = {}): Promise<void> {
  const name = opts.context ?? 'sim';
  const context: Record<string, string> = { cluster: name, user: name };
  if (opts.namespace !== undefined) context['namespace'] = opts.namespace;
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    // client-node refuses plain http unless skipTLSVerify is set (kubectl ignores it for http).
    clusters: [{ name, cluster: { server, 'insecure-skip-tls-verify': true } }],
    users: [{ name, user: opts.token !== undefined ? { token: opts.token } : {} }],
    contexts: [{ name, context }],
    'current-context': name,
    preferences: {},
  };
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, stringify(doc), { mode: 0o600 });
}
