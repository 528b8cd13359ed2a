/**
 * The real backend of the contract suite: etcd and kube-apiserver on free loopback ports, with
 * service-account keys, a token file (an admin in system:masters and two restricted users), RBAC
 * for those users, and kubeconfigs. Every process is started in its own process group behind a
 * watchdog that kills it when this process goes away, and `stop()` (also run from exit handlers)
 * kills the groups and removes the temp folder, even when tests fail.
 *
 * The binaries come from scripts/kube-binaries.sh (KUBE_APISERVER/ETCD, KUBEBUILDER_ASSETS, the
 * cache, or a build from Debian's packages).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REPO = new URL('../../', import.meta.url).pathname;

/** The users every backend knows (bearer tokens). */
export const USERS = {
  /** Everything (system:masters). */
  admin: { token: 'contract-admin-token', name: 'contract-admin', uid: '1', groups: ['system:masters'] },
  /** Reads everything, writes nothing. */
  reader: { token: 'contract-reader-token', name: 'contract-reader', uid: '2', groups: [] as string[] },
  /** Reads everything except Gateways and Pods (no get/list/watch on gateways.gateway.networking.k8s.io or pods), writes nothing. */
  restricted: { token: 'contract-restricted-token', name: 'contract-restricted', uid: '3', groups: [] as string[] },
  /** May only impersonate users and groups (break-glass access through `--as`), nothing else. */
  impersonator: {
    token: 'contract-impersonator-token',
    name: 'contract-impersonator',
    uid: '4',
    groups: [] as string[],
  },
} as const;
export type User = keyof typeof USERS;

export interface Binaries {
  apiserver: string;
  etcd: string;
  /** gitVersion of the apiserver (`v1.20.2`). */
  version: string;
}

let provided: { binaries?: Binaries; reason?: string } | undefined;

/**
 * The binaries, or why they cannot be provided. `test/contract/run.ts` resolves them once and passes
 * KUBE_APISERVER/ETCD (or CONTRACT_REAL_UNAVAILABLE) to the test files; a test file run alone
 * resolves them itself.
 */
export function provideBinaries(): { binaries?: Binaries; reason?: string } {
  if (provided !== undefined) return provided;
  const unavailable = process.env['CONTRACT_REAL_UNAVAILABLE'];
  if (unavailable !== undefined && unavailable !== '') return (provided = { reason: unavailable });
  // Progress (a build takes minutes) goes straight to stderr.
  const r = spawnSync('bash', [join(REPO, 'scripts/kube-binaries.sh')], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  if (r.status !== 0)
    return (provided = {
      reason: `scripts/kube-binaries.sh failed (exit ${r.status ?? r.signal ?? '?'}): see its "kube-binaries: error:" line above`,
    });
  const vars = Object.fromEntries(
    (r.stdout ?? '')
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  const apiserver = vars['KUBE_APISERVER'] ?? '';
  const etcd = vars['ETCD'] ?? '';
  const v = spawnSync(apiserver, ['--version'], { encoding: 'utf8' });
  const version = /v\d+\.\d+\.\d+\S*/.exec(v.stdout ?? '')?.[0];
  if (version === undefined)
    return (provided = { reason: `${apiserver} --version did not print a version (${(v.stderr ?? '').trim()})` });
  return (provided = { binaries: { apiserver, etcd, version } });
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Raw HTTP(S) answer. */
export interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One request with node:http(s) (the CA of the real server trusted; no connection reuse). */
export function rawRequest(
  url: string,
  o: { method?: string; headers?: Record<string, string>; body?: string; ca?: string; timeoutMs?: number } = {},
): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const opts = {
      method: o.method ?? 'GET',
      headers: {
        ...(o.headers ?? {}),
        ...(o.body !== undefined ? { 'Content-Length': String(Buffer.byteLength(o.body)) } : {}),
      },
      agent: false as const,
      timeout: o.timeoutMs ?? 30_000,
    };
    const req =
      u.protocol === 'https:'
        ? httpsRequest(u, { ...opts, ...(o.ca !== undefined ? { ca: o.ca } : {}) })
        : httpRequest(u, opts);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () =>
      req.destroy(new Error(`timeout after ${o.timeoutMs ?? 30_000} ms: ${o.method ?? 'GET'} ${url}`)),
    );
    req.on('error', reject);
    if (o.body !== undefined) req.write(o.body);
    req.end();
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `cmd args` in its own process group behind a bash watchdog: the command is killed when this
 * Node process is gone (even after SIGKILL) or when the group is signalled; when this process is
 * gone, the watchdog also removes `cleanupDir` (no exit handler ran then).
 */
function startGuarded(name: string, cmd: string, args: string[], logFile: string, cleanupDir = ''): ChildProcess {
  const watchdog = [
    'parent=$1; dir=$2; shift 2',
    '"$@" & child=$!',
    "trap 'kill -TERM $child 2>/dev/null; wait $child; exit 0' TERM INT HUP",
    'while kill -0 "$parent" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 1 & wait $!; done',
    'kill -TERM $child 2>/dev/null; sleep 2; kill -KILL $child 2>/dev/null; wait $child',
    'if [ -n "$dir" ] && ! kill -0 "$parent" 2>/dev/null; then sleep 1; rm -rf "$dir"; fi',
  ].join('\n');
  const fd = openSync(logFile, 'a');
  const p = spawn('bash', ['-c', watchdog, `watchdog-${name}`, String(process.pid), cleanupDir, cmd, ...args], {
    detached: true,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  p.unref();
  return p;
}

/** SIGTERM the process group, SIGKILL it if still there after `graceMs`. */
async function killGroup(p: ChildProcess, graceMs = 3000): Promise<void> {
  if (p.pid === undefined || p.exitCode !== null || p.signalCode !== null) return;
  const pid = p.pid;
  const exited = new Promise<void>((r) => p.once('exit', () => r()));
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    return;
  }
  await Promise.race([exited, sleep(graceMs)]);
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // gone
  }
}

function killGroupSync(p: ChildProcess): void {
  if (p.pid === undefined || p.exitCode !== null || p.signalCode !== null) return;
  try {
    process.kill(-p.pid, 'SIGKILL');
  } catch {
    // gone
  }
}

/** A running etcd + kube-apiserver. */
export interface RealCluster {
  /** https://127.0.0.1:PORT */
  url: string;
  /** PEM the server certificate chains to. */
  ca: string;
  /** gitVersion of the server. */
  version: string;
  dir: string;
  /** Kubeconfig path of a user. */
  kubeconfig: Record<User, string>;
  stop(): Promise<void>;
}

const running = new Set<() => void>();
let handlersInstalled = false;

function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', () => {
    for (const f of [...running]) f();
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      for (const f of [...running]) f();
      process.kill(process.pid, sig);
    });
  }
}

function tail(file: string, lines = 25): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Writes a kubeconfig for `server` with a bearer token (and the CA, for https). */
export function writeKubeconfig(
  path: string,
  server: string,
  token: string,
  ca: string | undefined,
  name: string,
): void {
  const cluster: Record<string, unknown> = { server };
  if (ca !== undefined) cluster['certificate-authority-data'] = Buffer.from(ca).toString('base64');
  // client-node refuses plain http unless skipTLSVerify is set (kubectl ignores it for http).
  else cluster['insecure-skip-tls-verify'] = true;
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster }],
    users: [{ name, user: { token } }],
    contexts: [{ name, context: { cluster: name, user: name } }],
    'current-context': name,
  };
  writeFileSync(path, JSON.stringify(doc, null, 2), { mode: 0o600 });
}

/** ClusterRoles and bindings of the restricted users (what `rbac.test.ts` and the CLI tests rely on). */
export function rbacObjects(): Record<string, unknown>[] {
  const read = ['get', 'list', 'watch'];
  const role = (name: string, rules: Record<string, unknown>[]): Record<string, unknown> => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name },
    rules,
  });
  const binding = (name: string, user: string): Record<string, unknown> => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
  });
  return [
    role('contract-reader', [{ apiGroups: ['*'], resources: ['*'], verbs: read }]),
    binding('contract-reader', USERS.reader.name),
    role('contract-restricted', [
      {
        apiGroups: ['apps', 'admissionregistration.k8s.io', 'apiextensions.k8s.io', 'rbac.authorization.k8s.io'],
        resources: ['*'],
        verbs: read,
      },
      {
        apiGroups: [''],
        resources: [
          'namespaces',
          'services',
          'configmaps',
          'secrets',
          'serviceaccounts',
          'endpoints',
          'events',
          'nodes',
        ],
        verbs: read,
      },
      { apiGroups: ['gateway.networking.k8s.io'], resources: ['gatewayclasses', 'httproutes'], verbs: read },
    ]),
    binding('contract-restricted', USERS.restricted.name),
    role('contract-impersonator', [{ apiGroups: [''], resources: ['users', 'groups'], verbs: ['impersonate'] }]),
    binding('contract-impersonator', USERS.impersonator.name),
  ];
}

/** Starts etcd and kube-apiserver; resolves once /readyz answers 200 and the restricted users' RBAC is in place. */
export async function startRealCluster(bin: Binaries): Promise<RealCluster> {
  installExitHandlers();
  const dir = mkdtempSync(join(tmpdir(), 'ambient-contract-'));
  const procs: ChildProcess[] = [];
  const killAll = (): void => {
    for (const p of procs) killGroupSync(p);
    rmSync(dir, { recursive: true, force: true });
  };
  running.add(killAll);
  const stop = async (): Promise<void> => {
    running.delete(killAll);
    for (const p of [...procs].reverse()) await killGroup(p);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    // Service-account keys and the token file.
    const { publicKey, privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    });
    writeFileSync(join(dir, 'sa.pub'), publicKey);
    writeFileSync(join(dir, 'sa.key'), privateKey, { mode: 0o600 });
    writeFileSync(
      join(dir, 'tokens.csv'),
      Object.values(USERS)
        .map((u) => `${u.token},${u.name},${u.uid}${u.groups.length > 0 ? `,"${u.groups.join(',')}"` : ''}`)
        .join('\n') + '\n',
      { mode: 0o600 },
    );
    mkdirSync(join(dir, 'certs'));

    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    procs.push(
      startGuarded(
        'etcd',
        bin.etcd,
        [
          '--name',
          'contract',
          '--data-dir',
          join(dir, 'etcd'),
          '--listen-client-urls',
          etcdUrl,
          '--advertise-client-urls',
          etcdUrl,
          '--listen-peer-urls',
          peerUrl,
          '--initial-advertise-peer-urls',
          peerUrl,
          '--initial-cluster',
          `contract=${peerUrl}`,
          '--unsafe-no-fsync',
          '--log-level',
          'warn',
        ],
        join(dir, 'etcd.log'),
        dir,
      ),
    );
    await waitFor(
      async () => (await rawRequest(`${etcdUrl}/health`, { timeoutMs: 2000 })).text.includes('true'),
      30_000,
      'etcd health',
      join(dir, 'etcd.log'),
      procs[0]!,
    );
    // Some history before the apiserver starts, so that resourceVersion 1 is older than every watch
    // cache (as on any cluster that has run for a while: a watch from it gets 410 Expired).
    const b64 = (t: string): string => Buffer.from(t).toString('base64');
    for (let i = 0; i < 20; i++) {
      const r = await rawRequest(`${etcdUrl}/v3/kv/put`, {
        method: 'POST',
        body: JSON.stringify({ key: b64('/contract-seed'), value: b64(String(i)) }),
      });
      if (r.status !== 200) throw new Error(`seeding etcd failed: ${r.status} ${r.text}`);
    }

    const minor = Number(/^v1\.(\d+)/.exec(bin.version)?.[1] ?? '99');
    const url = `https://127.0.0.1:${apiPort}`;
    procs.push(
      startGuarded(
        'kube-apiserver',
        bin.apiserver,
        [
          `--etcd-servers=${etcdUrl}`,
          '--bind-address=127.0.0.1',
          `--secure-port=${apiPort}`,
          `--cert-dir=${join(dir, 'certs')}`,
          `--token-auth-file=${join(dir, 'tokens.csv')}`,
          '--authorization-mode=RBAC',
          `--service-account-issuer=${url}`,
          `--service-account-key-file=${join(dir, 'sa.pub')}`,
          `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
          '--service-cluster-ip-range=10.0.0.0/24',
          '--disable-admission-plugins=ServiceAccount',
          ...(minor < 24 ? ['--insecure-port=0'] : []),
          '--v=0',
        ],
        join(dir, 'apiserver.log'),
      ),
    );
    const apiserver = procs[1]!;
    const certFile = join(dir, 'certs', 'apiserver.crt');
    const admin = { Authorization: `Bearer ${USERS.admin.token}` };
    let ca = '';
    await waitFor(
      async () => {
        if (!existsSync(certFile)) return false;
        ca = readFileSync(certFile, 'utf8');
        return (await rawRequest(`${url}/readyz`, { headers: admin, ca, timeoutMs: 5000 })).status === 200;
      },
      90_000,
      'kube-apiserver /readyz',
      join(dir, 'apiserver.log'),
      apiserver,
    );

    const kubeconfig = {} as Record<User, string>;
    for (const [user, u] of Object.entries(USERS) as [User, (typeof USERS)[User]][]) {
      kubeconfig[user] = join(dir, `kubeconfig-${user}`);
      writeKubeconfig(kubeconfig[user], url, u.token, ca, `real-${user}`);
    }
    for (const o of rbacObjects()) {
      const kind = o['kind'] === 'ClusterRole' ? 'clusterroles' : 'clusterrolebindings';
      const r = await rawRequest(`${url}/apis/rbac.authorization.k8s.io/v1/${kind}`, {
        method: 'POST',
        headers: { ...admin, 'Content-Type': 'application/json' },
        body: JSON.stringify(o),
        ca,
      });
      if (r.status !== 201) throw new Error(`creating RBAC ${kind} failed: ${r.status} ${r.text}`);
    }
    return { url, ca, version: bin.version, dir, kubeconfig, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
  log: string,
  proc: ChildProcess,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null)
      throw new Error(`${what}: the process exited (${proc.exitCode ?? proc.signalCode}); log:\n${tail(log)}`);
    try {
      if (await check()) return;
    } catch (e) {
      last = e;
    }
    await sleep(200);
  }
  throw new Error(
    `${what}: not ready after ${timeoutMs / 1000} s (${last instanceof Error ? last.message : 'no answer'}); log:\n${tail(log)}`,
  );
}
