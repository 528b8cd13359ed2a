/**
 * The build's stage 1 (scripts/lean-start.mjs buildCredentials) bundles client-node with every one
 * of its modules marked side-effect free and some of its dependencies loaded lazily or left out
 * (undici): assumptions about client-node's internals, which package.json pins to one exact
 * version. This runs that very bundle next to the unbundled src/kube/credentials.ts for each kind
 * of kubeconfig user and cluster we hand to client-node, and asserts both give the same
 * credentials: a client-node release that breaks an assumption fails here, not in an operator's
 * terminal.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runInThisContext } from 'node:vm';
import { buildCredentials } from '../../scripts/lean-start.mjs';
import * as source from '../../src/kube/credentials.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const ENTRY = join(ROOT, 'src/kube/credentials.ts');

type Module = typeof source;

/** The stage-1 bundle, evaluated as CommonJS the way the release's bundle embeds it. */
async function bundled(): Promise<Module> {
  const { code } = await buildCredentials(ENTRY);
  const module = { exports: {} as Module };
  const wrapper = `(function (module, exports, require, __filename, __dirname) {${code}\n})`;
  const load = runInThisContext(wrapper) as (
    m: typeof module,
    e: Module,
    r: NodeJS.Require,
    f: string,
    d: string,
  ) => void;
  load(module, module.exports, createRequire(ENTRY), ENTRY, join(ROOT, 'src/kube'));
  return module.exports;
}

/** Credentials as plain data: Buffers as text, an agent by the proxy it goes through (class names are minified). */
function plain(c: source.Credentials): unknown {
  const text = (v: unknown): unknown => (Buffer.isBuffer(v) ? v.toString('utf8') : v);
  return {
    headers: c.headers,
    tls: Object.fromEntries(Object.entries(c.tls).map(([k, v]) => [k, text(v)])),
    agent: c.agent === undefined ? undefined : 'proxy' in c.agent ? c.agent.proxy : 'an agent without a proxy',
  };
}

describe('client-node as the build bundles it (exact version pinned in package.json)', () => {
  let dir = '';
  let mod: Module;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ambient-cn-'));
    mod = await bundled();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const cluster = (extra: Record<string, unknown> = {}): source.FileEntry => ({
    name: 'c',
    cluster: { server: 'https://127.0.0.1:6443', ...extra },
  });
  const user = (u: Record<string, unknown>): source.FileEntry => ({ name: 'u', user: u });
  const pem = (): string =>
    Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64');

  const cases: [string, () => [source.FileEntry, source.FileEntry | undefined, string | undefined]][] = [
    ['a token and a CA', () => [cluster({ 'certificate-authority-data': pem() }), user({ token: 'abc' }), undefined]],
    [
      'a token file (re-read, trimmed)',
      () => {
        const f = join(dir, 'token');
        writeFileSync(f, 'from-file\n');
        return [cluster(), user({ tokenFile: f }), undefined];
      },
    ],
    ['basic auth', () => [cluster(), user({ username: 'admin', password: 's3cret' }), undefined]],
    [
      'client certificate and key',
      () => [
        cluster({ 'insecure-skip-tls-verify': true }),
        user({ 'client-certificate-data': pem(), 'client-key-data': pem() }),
        undefined,
      ],
    ],
    [
      'tls-server-name and impersonation from the kubeconfig',
      () => [
        cluster({ 'tls-server-name': 'kubernetes', 'certificate-authority-data': pem() }),
        user({ token: 't', as: 'jane' }),
        undefined,
      ],
    ],
    [
      'an exec credential plugin',
      () => {
        const plugin = join(dir, 'plugin.sh');
        writeFileSync(
          plugin,
          `#!/bin/sh\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"exec-token"}}'\n`,
        );
        chmodSync(plugin, 0o755);
        return [
          cluster(),
          user({ exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin, interactiveMode: 'Never' } }),
          undefined,
        ];
      },
    ],
    ['plain HTTP', () => [{ name: 'c', cluster: { server: 'http://127.0.0.1:8080' } }, undefined, undefined]],
    [
      'a SOCKS proxy (client-node builds the agent)',
      () => [cluster(), user({ token: 't' }), 'socks5://127.0.0.1:1080'],
    ],
  ];

  for (const [name, make] of cases) {
    it(`${name}: the same credentials as the unbundled module`, async () => {
      const [c, u, socks] = make();
      const expected = plain(await source.credentialSource(c, u, 'u', 'ctx', socks)());
      const actual = plain(await mod.credentialSource(c, u, 'u', 'ctx', socks)());
      assert.deepEqual(actual, expected);
    });
  }

  it('the exec plugin really ran (the bundle did not merely fail the same way)', async () => {
    const plugin = join(dir, 'plugin2.sh');
    writeFileSync(
      plugin,
      `#!/bin/sh\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"ran"}}'\n`,
    );
    chmodSync(plugin, 0o755);
    const creds = await mod.credentialSource(
      cluster(),
      user({ exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin, interactiveMode: 'Never' } }),
      'u',
      'ctx',
      undefined,
    )();
    assert.equal(creds.headers['Authorization'], 'Bearer ran');
  });

  it('package.json pins client-node to the exact version installed', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const installed = JSON.parse(
      readFileSync(join(ROOT, 'node_modules/@kubernetes/client-node/package.json'), 'utf8'),
    ) as { version: string };
    assert.equal(pkg.dependencies['@kubernetes/client-node'], installed.version);
  });
});
