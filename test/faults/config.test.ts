import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { ambient } from '../support/cli.ts';
import { startCluster, type TestCluster } from '../support/sim.ts';
import { assertFails } from './support.ts';

const dir = mkdtempSync(join(tmpdir(), 'faults-config-'));

/** A copy of the sim's kubeconfig with its user replaced. */
function withUser(kubeconfig: string, name: string, user: Record<string, unknown>): string {
  const doc = parse(readFileSync(kubeconfig, 'utf8')) as { users: { name: string; user: unknown }[] };
  doc.users = doc.users.map((u) => ({ ...u, user }));
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, stringify(doc));
  return path;
}

describe('faults: configuration', () => {
  let c: TestCluster;
  before(async () => (c = await startCluster('fresh', { tokens: { 'good-token': 'admin' } })));
  after(() => c.close());
  const good = (): string => withUser(c.kubeconfig, 'good', { token: 'good-token' });

  it('no kubeconfig at all', async () => {
    const r = await ambient(['tags'], { env: { HOME: join(dir, 'nohome') } });
    assertFails(
      r,
      'config',
      new RegExp(
        `^error: no kubeconfig found \\(looked at ${join(dir, 'nohome', '.kube', 'config')}\\); pass --kubeconfig, set KUBECONFIG`,
      ),
    );
  });

  it('a malformed kubeconfig', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'clusters: [ {name: x, cluster: {server: "http://a"} ]\n  users: :');
    assertFails(
      await ambient(['tags'], { kubeconfig: bad }),
      'config',
      /^error: kubeconfig .*bad\.yaml is not valid YAML/,
    );
  });

  it('a --kubeconfig that does not exist', async () => {
    assertFails(
      await ambient(['tags'], { kubeconfig: join(dir, 'missing.yaml') }),
      'config',
      /^error: kubeconfig .*missing\.yaml does not exist/,
    );
  });

  it('KUBECONFIG listing a missing file and a good one works', async () => {
    const r = await ambient(['revisions', '-o', 'json'], {
      env: { KUBECONFIG: [join(dir, 'missing.yaml'), good()].join(delimiter) },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as unknown[]).length, 1);
  });

  it('an unknown --context lists the known ones', async () => {
    assertFails(
      await ambient(['tags', '--context', 'prod-eu'], { kubeconfig: good() }),
      'config',
      /^error: context "prod-eu" not found in .*; known contexts: sim$/,
    );
  });

  it('a credential plugin that is missing', async () => {
    const k = withUser(c.kubeconfig, 'exec-missing', {
      exec: {
        apiVersion: 'client.authentication.k8s.io/v1beta1',
        command: '/nonexistent/kubectl-login',
        args: ['token'],
      },
    });
    assertFails(
      await ambient(['tags'], { kubeconfig: k }),
      'config',
      /^error: cannot authenticate to context "sim": .*; check the user entry of this context/,
    );
  });

  it('a credential plugin that fails', async () => {
    const k = withUser(c.kubeconfig, 'exec-fails', {
      exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: '/bin/false' },
    });
    assertFails(await ambient(['tags'], { kubeconfig: k }), 'config', /^error: cannot authenticate to context "sim": /);
  });

  it('an expired token (401) says to re-authenticate for the context', async () => {
    const k = withUser(c.kubeconfig, 'expired', { token: 'expired-token' });
    assertFails(
      await ambient(['tags'], { kubeconfig: k }),
      'auth',
      /^error: the API server at https:\/\/127\.0\.0\.1:\d+ rejected the credentials of context "sim" \(401 Unauthorized\) .*; re-authenticate for context "sim"/,
    );
  });
});
