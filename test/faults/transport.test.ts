/**
 * Issue 12 item 8: errors name their cause, one line each (never "credentials" or "a bug"): a TLS
 * certificate the kubeconfig does not trust, https:// to a plain HTTP port, http:// to an HTTPS
 * port (the answer a Go API server gives), a non-JSON answer (an authenticating proxy's login
 * page). (Ports fetch refuses are no concern: the transport is Node's http2/https, which refuses none.)
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttp, type Server } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ambient } from '../support/cli.ts';
import { startCluster, type TestCluster } from '../support/sim.ts';
import { assertFails } from './support.ts';

/** A kubeconfig like the sim's, pointing at another server (no CA, TLS verification on). */
function pointAt(c: TestCluster, server: string, name: string): string {
  const path = join(c.dir, `${name}.yaml`);
  writeFileSync(
    path,
    readFileSync(c.kubeconfig, 'utf8')
      .replace(c.sim.url, server)
      .replace(
        /insecure-skip-tls-verify: true/,
        server.startsWith('https:') ? 'insecure-skip-tls-verify: false' : 'insecure-skip-tls-verify: true',
      ),
  );
  return path;
}

async function listen(s: Server): Promise<string> {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return String((s.address() as { port: number }).port);
}

describe('faults: transport errors name their cause', () => {
  let c: TestCluster;
  const servers: Server[] = [];
  before(async () => (c = await startCluster('fresh', { istiod: false })));
  after(async () => {
    for (const s of servers) s.close();
    await c.close();
  });

  it('a TLS certificate the kubeconfig does not trust (self-signed): exit 78, what is wrong with it, where to fix it', async () => {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        join(c.dir, 'key.pem'),
        '-out',
        join(c.dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    const s = createHttps(
      { key: readFileSync(join(c.dir, 'key.pem')), cert: readFileSync(join(c.dir, 'cert.pem')) },
      (_q, r) => r.end('{}'),
    );
    servers.push(s);
    const port = await listen(s);
    const r = await ambient(['tags'], { kubeconfig: pointAt(c, `https://127.0.0.1:${port}`, 'untrusted') });
    assertFails(
      r,
      'config',
      new RegExp(
        `^error: the TLS certificate of the API server at https://127\\.0\\.0\\.1:${port} is not trusted: it is self-signed and not the CA of the kubeconfig \\(DEPTH_ZERO_SELF_SIGNED_CERT\\); check certificate-authority\\(-data\\) of the cluster of context "sim" in your kubeconfig`,
      ),
    );
  });

  it('https:// to a port that speaks plain HTTP: exit 78, "does not speak TLS"', async () => {
    const s = createHttp((_q, r) => r.end('{}'));
    servers.push(s);
    const port = await listen(s);
    const r = await ambient(['tags'], { kubeconfig: pointAt(c, `https://127.0.0.1:${port}`, 'https-to-http') });
    assertFails(
      r,
      'config',
      new RegExp(
        `^error: the server at https://127\\.0\\.0\\.1:${port} \\(context "sim"\\) does not speak TLS on that port \\(plain HTTP\\?\\); use http:// in the server URL`,
      ),
    );
  });

  it('http:// to an HTTPS port (the plain-text 400 a Go API server sends): exit 78, "speaks HTTPS"', async () => {
    const s = createHttp((_q, r) => {
      r.writeHead(400, { 'Content-Type': 'text/plain' });
      r.end('Client sent an HTTP request to an HTTPS server.\n');
    });
    servers.push(s);
    const port = await listen(s);
    const r = await ambient(['tags'], { kubeconfig: pointAt(c, `http://127.0.0.1:${port}`, 'http-to-https') });
    assertFails(
      r,
      'config',
      new RegExp(
        `^error: the server at http://127\\.0\\.0\\.1:${port} \\(context "sim"\\) speaks HTTPS on that port, but the kubeconfig says http://; use https://`,
      ),
    );
  });

  it("a 200 that is not JSON (an authenticating proxy's login page): exit 78, the page title, what to check", async () => {
    const s = createHttp((_q, r) => {
      r.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      r.end(
        '<!doctype html><html><head><title>Sign in - Corp SSO</title></head><body><form>password</form></body></html>',
      );
    });
    servers.push(s);
    const port = await listen(s);
    const r = await ambient(['tags'], { kubeconfig: pointAt(c, `http://127.0.0.1:${port}`, 'login-page') });
    assertFails(
      r,
      'config',
      /^error: the server at http:\/\/127\.0\.0\.1:\d+ \(context "sim"\) answered list \S+ with text\/html that is not JSON \("Sign in - Corp SSO"\): it is not a Kubernetes API server, or a proxy in front of it answered \(an authenticating proxy's login page\?\); check the server URL/,
    );
  });
});
