import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';
import { AmbientError } from '../../src/core/errors.ts';
import { loadKubeconfig, pickContext } from '../../src/kube/kubeconfig.ts';

const dir = mkdtempSync(join(tmpdir(), 'kubeconfig-'));
function file(
  name: string,
  cfg: { current?: string; clusters?: [string, string][]; users?: string[]; contexts?: [string, string, string][] },
): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      ...(cfg.current !== undefined ? { 'current-context': cfg.current } : {}),
      clusters: (cfg.clusters ?? []).map(([n, server]) => ({
        name: n,
        cluster: { server, 'certificate-authority': 'ca.crt' },
      })),
      users: (cfg.users ?? []).map((n) => ({ name: n, user: { token: `token-of-${n}-in-${name}` } })),
      contexts: (cfg.contexts ?? []).map(([n, c, u]) => ({ name: n, context: { cluster: c, user: u } })),
    }),
  );
  return path;
}

const a = file('a.yaml', {
  current: 'ctx-a',
  clusters: [['c1', 'https://a.example:6443']],
  users: ['u1'],
  contexts: [
    ['ctx-a', 'c1', 'u1'],
    ['shared', 'c1', 'u1'],
  ],
});
const b = file('b.yaml', {
  current: 'ctx-b',
  clusters: [
    ['c1', 'https://b.example:6443'],
    ['c2', 'https://b2.example'],
  ],
  users: ['u1', 'u2'],
  contexts: [
    ['ctx-b', 'c2', 'u2'],
    ['shared', 'c2', 'u2'],
  ],
});
const noCurrent = file('none.yaml', {
  clusters: [['c3', 'https://c.example']],
  users: ['u3'],
  contexts: [['ctx-c', 'c3', 'u3']],
});
const missing = join(dir, 'missing.yaml');

describe('kubeconfig merging follows kubectl, not client-node', () => {
  it('the first file that sets current-context wins', () => {
    assert.equal(loadKubeconfig({ env: [a, b].join(delimiter) }).currentContext, 'ctx-a');
    assert.equal(loadKubeconfig({ env: [noCurrent, b, a].join(delimiter) }).currentContext, 'ctx-b');
  });
  it('the first definition of a name wins', () => {
    const cfg = loadKubeconfig({ env: [a, b].join(delimiter) });
    const c1 = cfg.clusters.find((c) => c.name === 'c1')?.['cluster'] as Record<string, string>;
    assert.equal(c1['server'], 'https://a.example:6443');
    const shared = cfg.contexts.find((c) => c.name === 'shared')?.['context'] as Record<string, string>;
    assert.equal(shared['cluster'], 'c1');
    const u1 = cfg.users.find((u) => u.name === 'u1')?.['user'] as Record<string, string>;
    assert.equal(u1['token'], 'token-of-u1-in-a.yaml');
    assert.deepEqual(
      cfg.clusters.map((c) => c.name),
      ['c1', 'c2'],
    );
  });
  it('missing files in KUBECONFIG are skipped', () => {
    const cfg = loadKubeconfig({ env: [missing, b].join(delimiter) });
    assert.deepEqual(cfg.files, [b]);
    assert.equal(cfg.currentContext, 'ctx-b');
  });
  it('relative certificate paths resolve against the file that defines them', () => {
    const c1 = loadKubeconfig({ env: a }).clusters[0]?.['cluster'] as Record<string, string>;
    assert.equal(c1['certificate-authority'], join(dir, 'ca.crt'));
  });
  it('--kubeconfig wins over KUBECONFIG and must exist', () => {
    assert.equal(loadKubeconfig({ kubeconfig: b, env: a }).currentContext, 'ctx-b');
    assert.throws(
      () => loadKubeconfig({ kubeconfig: missing }),
      (e: unknown) => e instanceof AmbientError && e.kind === 'config' && /does not exist/.test(e.message),
    );
  });
  it('no file at all is a config error naming where it looked', () => {
    assert.throws(
      () => loadKubeconfig({ env: missing }),
      (e: unknown) => e instanceof AmbientError && e.kind === 'config' && e.message.includes(missing),
    );
    assert.throws(
      () => loadKubeconfig({ home: dir }),
      (e: unknown) => e instanceof AmbientError && e.message.includes(join(dir, '.kube', 'config')),
    );
  });
  it('malformed YAML is a config error', () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'clusters: [\n  - name: x\n   bad indent: {');
    assert.throws(
      () => loadKubeconfig({ kubeconfig: bad }),
      (e: unknown) => e instanceof AmbientError && e.kind === 'config' && /not valid YAML/.test(e.message),
    );
  });
  it('unknown or unset contexts are config errors listing the known ones', () => {
    const cfg = loadKubeconfig({ env: [a, b].join(delimiter) });
    assert.equal(pickContext(cfg, undefined), 'ctx-a');
    assert.equal(pickContext(cfg, 'ctx-b'), 'ctx-b');
    assert.throws(
      () => pickContext(cfg, 'nope'),
      (e: unknown) => e instanceof AmbientError && e.kind === 'config' && /ctx-a, shared, ctx-b/.test(e.hint ?? ''),
    );
    assert.throws(
      () => pickContext(loadKubeconfig({ env: noCurrent }), undefined),
      (e: unknown) => e instanceof AmbientError && /no current context/.test(e.message),
    );
  });
});

describe('kubeconfig parsing (one parse, js-yaml; JSON natively)', () => {
  const doc = {
    'current-context': 'x',
    clusters: [{ name: 'c', cluster: { server: 'https://j.example', 'certificate-authority': 'ca.crt' } }],
    users: [{ name: 'u', user: { 'auth-provider': { name: 'oidc', config: { expiry: '2026-01-01T00:00:00Z' } } } }],
    contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
  };
  it('a JSON kubeconfig reads like the same YAML one, paths resolved alike', () => {
    const json = join(dir, 'as.json');
    const yaml = join(dir, 'as.yaml');
    writeFileSync(json, JSON.stringify(doc, null, 2));
    writeFileSync(yaml, stringify(doc));
    const fromJson = loadKubeconfig({ kubeconfig: json });
    const fromYaml = loadKubeconfig({ kubeconfig: yaml });
    assert.deepEqual({ ...fromJson, files: [] }, { ...fromYaml, files: [] });
    assert.equal(
      (fromJson.clusters[0]?.['cluster'] as Record<string, string>)['certificate-authority'],
      join(dir, 'ca.crt'),
    );
  });
  it('a file read again (fleet mode: once per context) is parsed again when its text changed, and never served stale', () => {
    const path = join(dir, 'again.yaml');
    writeFileSync(path, stringify(doc));
    assert.equal(loadKubeconfig({ kubeconfig: path }).currentContext, 'x');
    assert.equal(loadKubeconfig({ kubeconfig: path }).currentContext, 'x');
    writeFileSync(path, stringify({ ...doc, 'current-context': 'y' }));
    assert.equal(loadKubeconfig({ kubeconfig: path }).currentContext, 'y');
    writeFileSync(path, 'clusters: [\n');
    assert.throws(
      () => loadKubeconfig({ kubeconfig: path }),
      (e: unknown) => e instanceof AmbientError && e.kind === 'config',
    );
  });
  it('each load is its own copy: changing one result leaves the next load as the file says', () => {
    const path = join(dir, 'copies.yaml');
    writeFileSync(path, stringify(doc));
    const first = loadKubeconfig({ kubeconfig: path });
    (first.contexts[0]?.['context'] as Record<string, unknown>)['cluster'] = 'other';
    (first.users[0]?.['user'] as { 'auth-provider': { config: Record<string, unknown> } })['auth-provider'].config[
      'expiry'
    ] = 'changed';
    const second = loadKubeconfig({ kubeconfig: path });
    assert.deepEqual(second.contexts, doc.contexts);
    assert.deepEqual(second.users, doc.users);
  });
  it('timestamps stay strings (YAML 1.2 core schema, as kubectl reads them)', () => {
    const path = join(dir, 'ts.yaml');
    writeFileSync(
      path,
      'users:\n- name: u\n  user:\n    auth-provider:\n      name: oidc\n      config:\n        expiry: 2026-01-01T00:00:00Z\n',
    );
    const user = loadKubeconfig({ kubeconfig: path }).users[0]?.['user'] as {
      'auth-provider': { config: { expiry: unknown } };
    };
    assert.equal(user['auth-provider'].config.expiry, '2026-01-01T00:00:00Z');
  });
});
