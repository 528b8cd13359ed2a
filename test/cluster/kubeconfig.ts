/**
 * Kubeconfig writing for the simulated cluster.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { stringify } from 'yaml';

/**
 * Write a kubeconfig with one cluster, user and context (named `context`), selected as
 * current-context. With `ca` (PEM) the cluster trusts it (`certificate-authority-data`), as a
 * kubeconfig of a real cluster does; a plain http:// server needs nothing.
 */
export async function writeKubeconfigFile(
  path: string,
  server: string,
  opts: { context?: string; token?: string; namespace?: string; ca?: string } = {},
): Promise<void> {
  const name = opts.context ?? 'sim';
  const context: Record<string, string> = { cluster: name, user: name };
  if (opts.namespace !== undefined) context['namespace'] = opts.namespace;
  const cluster: Record<string, unknown> = { server };
  if (opts.ca !== undefined) cluster['certificate-authority-data'] = Buffer.from(opts.ca).toString('base64');
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster }],
    users: [{ name, user: opts.token !== undefined ? { token: opts.token } : {} }],
    contexts: [{ name, context }],
    'current-context': name,
    preferences: {},
  };
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, stringify(doc), { mode: 0o600 });
}
