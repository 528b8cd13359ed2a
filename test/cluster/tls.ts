/**
 * The simulated API server's own certificate authority: a CA and a server certificate for
 * 127.0.0.1, ::1, localhost and SIM_HOSTNAME, made once per process with the `openssl` command
 * (Node can verify certificates but not issue them; tests may shell out, the product never does).
 * EC P-256 keys: a few milliseconds, so every test process gets a fresh CA.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A name that never resolves (RFC 6761 `.invalid`) but is in the server certificate: a kubeconfig
 * pointing at it only works through a proxy that maps it to the simulator (the proxy tests).
 */
export const SIM_HOSTNAME = 'kubernetes.ambient.invalid';

/** PEM texts of the CA certificate and of the server's certificate and key. */
export interface SimTls {
  ca: string;
  cert: string;
  key: string;
}

let made: SimTls | undefined;

/** The CA and server certificate of this process (made on first use). */
export function simTls(): SimTls {
  if (made !== undefined) return made;
  const dir = mkdtempSync(join(tmpdir(), 'sim-tls-'));
  try {
    const openssl = (...args: string[]): void =>
      void execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    openssl(
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '3650',
      '-subj',
      '/CN=kubectl-ambient simulator CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    );
    openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=kube-apiserver');
    writeFileSync(
      join(dir, 'ext.cnf'),
      [
        `subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost,DNS:${SIM_HOSTNAME},DNS:kubernetes.default.svc`,
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature',
        'extendedKeyUsage=serverAuth',
      ].join('\n'),
    );
    openssl(
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.crt',
      '-days',
      '825',
      '-extfile',
      'ext.cnf',
    );
    made = {
      ca: readFileSync(join(dir, 'ca.crt'), 'utf8'),
      cert: readFileSync(join(dir, 'server.crt'), 'utf8'),
      key: readFileSync(join(dir, 'server.key'), 'utf8'),
    };
    return made;
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(
      `sim cluster: making its TLS certificates with openssl failed${stderr !== undefined && stderr !== '' ? `: ${stderr}` : ''}`,
      { cause: e },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
