import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { deployment, startTestSim, type TestSim } from './testutil.ts';

function kubectlAvailable(): boolean {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const skip = kubectlAvailable() ? false : 'kubectl is not on PATH';

describe('a real kubectl against the simulator', { skip }, () => {
  let t: TestSim;
  const kubectl = (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile('kubectl', args, { env: { ...process.env, KUBECONFIG: t.kubeconfig } }, (err, stdout, stderr) => {
        resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr });
      });
    });
  before(async () => {
    t = await startTestSim({
      objects: [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system' } },
        deployment('istiod', 'istio-system'),
      ],
    });
  });
  after(async () => t.close());

  it('get, apply (with server-side field validation), patch, wait and error messages', async () => {
    const ns = await kubectl('get', 'ns', '-o', 'name');
    assert.equal(ns.stdout.trim(), 'namespace/istio-system');
    const file = join(dirname(t.kubeconfig), 'cm.yaml');
    writeFileSync(
      file,
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\n  namespace: istio-system\ndata:\n  a: "1"\n',
    );
    assert.match((await kubectl('apply', '-f', file)).stdout, /configmap\/applied created/);
    assert.match((await kubectl('apply', '-f', file)).stdout, /configmap\/applied unchanged/);
    const patched = await kubectl(
      '-n',
      'istio-system',
      'patch',
      'deploy',
      'istiod',
      '-p',
      '{"spec":{"template":{"spec":{"containers":[{"name":"main","image":"example/app:2.0"}]}}}}',
    );
    assert.equal(patched.code, 0, patched.stderr);
    const image = await kubectl(
      '-n',
      'istio-system',
      'get',
      'deploy',
      'istiod',
      '-o',
      'jsonpath={.spec.template.spec.containers[0].image}',
    );
    assert.equal(image.stdout, 'example/app:2.0');
    const wait = await kubectl(
      '-n',
      'istio-system',
      'wait',
      '--for=condition=Available',
      'deploy/istiod',
      '--timeout=5s',
    );
    assert.equal(wait.code, 0, wait.stderr);
    const missing = await kubectl('-n', 'istio-system', 'get', 'cm', 'nope');
    assert.match(missing.stderr, /Error from server \(NotFound\): configmaps "nope" not found/);
    const badSel = await kubectl('get', 'cm', '-l', 'a b');
    assert.match(badSel.stderr, /unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt/);
    const res = await kubectl('api-resources', '--api-group=gateway.networking.k8s.io', '-o', 'name');
    assert.deepEqual(res.stdout.trim().split('\n').sort(), [
      'gatewayclasses.gateway.networking.k8s.io',
      'gateways.gateway.networking.k8s.io',
      'httproutes.gateway.networking.k8s.io',
    ]);
  });
});
