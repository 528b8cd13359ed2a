/**
 * Contract (issue 12 item 8): the transport errors of a real HTTPS API server, one classified line
 * each: its certificate without the kubeconfig's CA, and the other scheme on its port (http:// to
 * the HTTPS port, which both backends answer with Go's 400).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { EXIT_CODES } from '../../src/cli/errors.ts';
import { namespace } from '../support/builders.ts';
import { ambient, type CliResult } from '../support/cli.ts';
import { forEachBackend, USERS } from './backend.ts';
import { writeKubeconfig } from './harness.ts';

function assertConfigError(r: CliResult, message: RegExp): void {
  assert.equal(r.code, EXIT_CODES.config.code, r.stderr);
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('error: '));
  assert.equal(errors.length, 1, r.stderr);
  assert.match(errors[0] ?? '', message);
  assert.doesNotMatch(r.stderr, /bug|credentials/);
  assert.equal(r.stdout, '');
}

forEachBackend(
  'transport errors',
  () => [namespace('istio-system')],
  (backend) => {
    let dir: string;
    before(() => (dir = mkdtempSync(join(tmpdir(), 'ambient-transport-'))));
    after(() => rmSync(dir, { recursive: true, force: true }));

    it("the other scheme on the server's port says which one it speaks", async () => {
      const u = new URL(backend().url);
      const https = u.protocol === 'https:';
      const other = `${https ? 'http' : 'https'}://${u.host}`;
      const path = join(dir, 'other-scheme');
      writeKubeconfig(path, other, USERS.admin.token, undefined, 'other');
      const r = await ambient(['tags'], { kubeconfig: path });
      if (https) assertConfigError(r, /speaks HTTPS on that port, but the kubeconfig says http:\/\/; use https:\/\//);
      else assertConfigError(r, /does not speak TLS on that port \(plain HTTP\?\); use http:\/\//);
    });

    it('a server certificate the kubeconfig has no CA for is "not trusted", with the reason', async () => {
      const path = join(dir, 'no-ca');
      // The real server's CA left out (and verification on): the system roots do not know it.
      const name = 'no-ca';
      writeFileSync(
        path,
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [{ name, cluster: { server: backend().url } }],
          users: [{ name, user: { token: USERS.admin.token } }],
          contexts: [{ name, context: { cluster: name, user: name } }],
          'current-context': name,
        }),
      );
      const r = await ambient(['tags'], { kubeconfig: path });
      assertConfigError(
        r,
        /^error: the TLS certificate of the API server at https:\/\/127\.0\.0\.1:\d+ is not trusted: .* \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\); check certificate-authority\(-data\)/,
      );
    });
  },
);
