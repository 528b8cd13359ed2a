/**
 * Helpers for the simulator's own tests: a started cluster with a kubeconfig and client-node clients.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { startSimCluster } from './index.ts';
import type { SimCluster, SimOptions } from './sim-types.ts';
import { isObject, type KubeObject } from './types.ts';

/** A started simulator plus a KubeConfig pointing at it. */
export interface TestSim {
  sim: SimCluster;
  kc: k8s.KubeConfig;
  kubeconfig: string;
  close(): Promise<void>;
}

/** Start a simulator and write its kubeconfig into a temp dir. */
export async function startTestSim(opts: SimOptions = {}, kubeconfigOpts: { token?: string } = {}): Promise<TestSim> {
  const sim = await startSimCluster(opts);
  const dir = mkdtempSync(join(tmpdir(), 'sim-test-'));
  const kubeconfig = join(dir, 'kubeconfig');
  await sim.writeKubeconfig(kubeconfig, kubeconfigOpts);
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  return {
    sim,
    kc,
    kubeconfig,
    close: async () => {
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The Status body of a client-node ApiException (parsed if it came as a string). */
export function statusOf(e: unknown): Record<string, unknown> {
  const body = isObject(e) ? e['body'] : undefined;
  if (typeof body === 'string') return JSON.parse(body) as Record<string, unknown>;
  if (isObject(body)) return body;
  throw new Error(`not an ApiException with a Status body: ${String(e)}`);
}

/** Raw HTTP call returning status, headers and parsed JSON body. */
export async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const init: RequestInit = { method, headers: { 'Content-Type': 'application/json', ...headers } };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await fetch(base + path, init);
  const text = await res.text();
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = { text };
  }
  return { status: res.status, headers: res.headers, json };
}

/** A ConfigMap object. */
export function configMap(name: string, namespace = 'default', labels: Record<string, string> = {}, data: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels }, data };
}

/** A minimal Deployment. */
export function deployment(name: string, namespace = 'default', replicas = 1, annotations: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: { app: name }, annotations },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image: 'example/app:1.0' }] } },
    },
  };
}

/** Wait until `pred` holds (polling), or fail after `ms`. */
export async function eventually(pred: () => boolean, ms = 2000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
