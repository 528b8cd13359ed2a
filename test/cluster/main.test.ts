import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import { loadYamlObjects } from './fixtures.ts';
import { parseArgs } from './main.ts';

const here = fileURLToPath(new URL('.', import.meta.url));

const FIXTURE = `# leading comment-only document
---
apiVersion: v1
kind: Namespace
metadata:
  name: istio-system
---
# comment only
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: no-namespace
data:
  a: "1"
---
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: ServiceAccount
    metadata: { name: sa, namespace: istio-system }
`;

describe('fixtures and CLI', () => {
  it('loadYamlObjects reads files and directories, skipping empty documents', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-fixture-'));
    try {
      writeFileSync(join(dir, 'b.yaml'), FIXTURE);
      writeFileSync(join(dir, 'a.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: first, namespace: x}\n');
      writeFileSync(join(dir, 'ignored.txt'), 'not yaml: [');
      const objs = loadYamlObjects([dir]);
      assert.deepEqual(
        objs.map((o) => `${o.kind}/${o.metadata.name}`),
        ['ConfigMap/first', 'Namespace/istio-system', 'ConfigMap/no-namespace', 'ServiceAccount/sa'],
      );
      assert.deepEqual(loadYamlObjects([join(dir, 'a.yaml')]).length, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('parseArgs', () => {
    assert.deepEqual(
      parseArgs(['--fixture', 'a', '--fixture=b', '--port', '0', '--kubeconfig', 'k', '--k8s-version', 'v1.30.0']),
      { fixtures: ['a', 'b'], port: 0, kubeconfig: 'k', k8sVersion: 'v1.30.0', unhealthyRevisions: [] },
    );
    assert.deepEqual(
      parseArgs(['--kubeconfig', 'k', '--unhealthy-revision', '1-28-10', '--unhealthy-revision=1-29-0'])
        .unhealthyRevisions,
      ['1-28-10', '1-29-0'],
    );
    assert.throws(() => parseArgs(['--fixture', 'a']), /--kubeconfig <path> is required/);
    assert.throws(() => parseArgs(['--kubeconfig', 'k', '--bogus']), /unknown argument/);
  });

  it('main.ts prints `ready <url>`, serves the fixtures and exits 0 on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-main-'));
    try {
      const fixture = join(dir, 'f.yaml');
      writeFileSync(fixture, FIXTURE);
      const kubeconfig = join(dir, 'kc');
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          join(here, 'main.ts'),
          '--fixture',
          fixture,
          '--kubeconfig',
          kubeconfig,
          '--k8s-version',
          'v1.30.2',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
      });
      const lines = createInterface(child.stdout);
      const first = await new Promise<string>((resolve, reject) => {
        lines.once('line', resolve);
        child.once('exit', (code) => reject(new Error(`exited ${String(code)}: ${stderr}`)));
      });
      assert.match(first, /^ready https:\/\/127\.0\.0\.1:\d+$/);
      const url = first.slice('ready '.length);
      assert.match(readFileSync(kubeconfig, 'utf8'), new RegExp(`server: ${url.replace(/\./g, '\\.')}`));
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(kubeconfig);
      const cm = await kc
        .makeApiClient(k8s.CoreV1Api)
        .readNamespacedConfigMap({ name: 'no-namespace', namespace: 'default' });
      assert.deepEqual(cm.data, { a: '1' });
      const v = await kc.makeApiClient(k8s.VersionApi).getCode();
      assert.equal(v.gitVersion, 'v1.30.2');
      const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      assert.equal(await exit, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
