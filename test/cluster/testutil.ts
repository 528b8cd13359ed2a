/**
 * Helpers for the simulator's own tests: a started cluster with a kubeconfig and client-node clients.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { startSimCluster } from './index.ts';
import type { SimCluster, SimOptions } from './sim-types.ts';
import { simTls } from './tls.ts';
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

/**
 * A node:http(s) request to a simulator, trusting its CA (an https:// URL) and on a connection of
 * its own (HTTP/1.1): `onResponse` gets the response as it starts.
 */
export function simRequest(
  url: string,
  opts: RequestOptions,
  onResponse: (res: IncomingMessage) => void,
): ClientRequest {
  const u = new URL(url);
  return u.protocol === 'https:'
    ? httpsRequest(u, { agent: false, ca: simTls().ca, ...opts }, onResponse)
    : httpRequest(u, { agent: false, ...opts }, onResponse);
}

/** Raw HTTP call returning status, headers and parsed JSON body. */
export async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const { status, head, text } = await new Promise<{ status: number; head: Headers; text: string }>(
    (resolve, reject) => {
      const length = payload !== undefined ? { 'Content-Length': String(Buffer.byteLength(payload)) } : {};
      const req = simRequest(
        base + path,
        { method, headers: { 'Content-Type': 'application/json', ...length, ...headers } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const head = new Headers();
            for (const [k, v] of Object.entries(res.headers))
              if (v !== undefined) head.set(k, Array.isArray(v) ? v.join(', ') : v);
            resolve({ status: res.statusCode ?? 0, head, text: Buffer.concat(chunks).toString('utf8') });
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    },
  );
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = { text };
  }
  return { status, headers: head, json };
}

/** A ConfigMap object. */
export function configMap(
  name: string,
  namespace = 'default',
  labels: Record<string, string> = {},
  data: Record<string, string> = {},
): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels }, data };
}

/** A minimal Deployment. */
export function deployment(
  name: string,
  namespace = 'default',
  replicas = 1,
  annotations: Record<string, string> = {},
): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: { app: name }, annotations },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'main', image: 'example/app:1.0' }] },
      },
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
