/**
 * `npm run validate-krew [-- --manifest plugins/ambient.yaml] [--archives out/release]`
 *
 * Checks the krew manifest the way krew-index's validate-krew-manifest does (krew itself cannot
 * be built here: no Go module proxy), against the local release archives of `npm run package`:
 * structure (apiVersion, kind, name = file name, shortDescription, semver version, platforms with
 * os/arch selectors that match a supported platform and do not overlap, https uri, sha256, bin),
 * the krew-index review rules (short shortDescription, https homepage, description, caveats), each
 * archive's sha256, and an install of every platform the way `kubectl krew install` does it
 * (unpack only regular files and folders, move `files` into store/<plugin>/<version>, link `bin`
 * into bin/ under a temporary KREW_ROOT, a LICENSE among the installed files). On linux-x64 a real
 * kubectl (1.35, from the npm package) then finds `kubectl ambient`, `kubectl ambient tags` and
 * `kubectl ambient tag-move ...` through its own plugin discovery with only KREW_ROOT/bin on PATH.
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { parse } from 'yaml';
import { kubectlBinary, log, packageVersion, readTar, releaseDir, ROOT, sha256 } from './package-lib.ts';

interface ManifestPlatform {
  selector?: {
    matchLabels?: Record<string, string>;
    matchExpressions?: { key: string; operator: string; values?: string[] }[];
  };
  uri?: string;
  sha256?: string;
  bin?: string;
  files?: { from?: string; to?: string }[];
}
export interface Manifest {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string };
  spec?: {
    version?: string;
    homepage?: string;
    shortDescription?: string;
    description?: string;
    caveats?: string;
    platforms?: ManifestPlatform[];
  };
}

/** krew's list of supported <os, arch> (validate-krew-manifest's allPlatforms). */
const KREW_PLATFORMS: [string, string][] = [
  ['windows', '386'],
  ['windows', 'amd64'],
  ['windows', 'arm64'],
  ['linux', '386'],
  ['linux', 'amd64'],
  ['linux', 'arm'],
  ['linux', 'arm64'],
  ['linux', 'ppc64le'],
  ['darwin', '386'],
  ['darwin', 'amd64'],
  ['darwin', 'arm64'],
];
const WINDOWS_FORBIDDEN = [
  'CON',
  'PRN',
  'AUX',
  'NUL',
  ...[1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((n) => [`COM${n}`, `LPT${n}`]),
];
const LICENSE_FILES = [
  'license',
  'license.txt',
  'license.md',
  'licenses',
  'licenses.txt',
  'licenses.md',
  'copying',
  'copying.txt',
];
/** krew-index review guidance: a one-line summary that fits `kubectl krew search`. */
const SHORT_DESCRIPTION_MAX = 50;

function matches(p: ManifestPlatform, os: string, arch: string): boolean {
  const labels: Record<string, string> = { os, arch };
  const ml = p.selector?.matchLabels ?? {};
  if (!Object.entries(ml).every(([k, v]) => labels[k] === v)) return false;
  return (p.selector?.matchExpressions ?? []).every((e) => {
    const v = labels[e.key];
    if (e.operator === 'In') return v !== undefined && (e.values ?? []).includes(v);
    if (e.operator === 'NotIn') return v === undefined || !(e.values ?? []).includes(v);
    if (e.operator === 'Exists') return v !== undefined;
    if (e.operator === 'DoesNotExist') return v === undefined;
    return false;
  });
}

/** The structural and review checks; returns the problems found (empty when valid). */
export function checkManifest(m: Manifest, fileName: string): string[] {
  const problems: string[] = [];
  const name = basename(fileName, '.yaml');
  if (!fileName.endsWith('.yaml')) problems.push(`the manifest file must end in .yaml: ${fileName}`);
  if (m.apiVersion !== 'krew.googlecontainertools.github.com/v1alpha2')
    problems.push(`apiVersion is ${String(m.apiVersion)}, krew supports krew.googlecontainertools.github.com/v1alpha2`);
  if (m.kind !== 'Plugin') problems.push(`kind is ${String(m.kind)}, must be Plugin`);
  if (!/^[\w-]+$/.test(name) || WINDOWS_FORBIDDEN.includes(name.toUpperCase()))
    problems.push(`plugin name ${name} is not allowed`);
  if (m.metadata?.name !== name)
    problems.push(`metadata.name is ${String(m.metadata?.name)}, the file name says ${name}`);
  const s = m.spec ?? {};
  if ((s.shortDescription ?? '') === '') problems.push('spec.shortDescription is missing');
  else if ((s.shortDescription ?? '').length > SHORT_DESCRIPTION_MAX)
    problems.push(
      `spec.shortDescription has ${(s.shortDescription ?? '').length} characters, keep it to ${SHORT_DESCRIPTION_MAX}`,
    );
  if (!/^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(s.version ?? ''))
    problems.push(`spec.version ${String(s.version)} is not a semantic version with a leading v`);
  if (!/^https:\/\/\S+$/.test(s.homepage ?? '')) problems.push('spec.homepage must be an https URL');
  if ((s.description ?? '').trim().length < 50) problems.push('spec.description must say what the plugin does');
  if ((s.caveats ?? '').trim() === '') problems.push('spec.caveats should say what the plugin needs (RBAC, set-up)');
  const platforms = s.platforms ?? [];
  if (platforms.length === 0) problems.push('spec.platforms is empty');
  platforms.forEach((p, i) => {
    const at = `spec.platforms[${i}]`;
    if (!/^https:\/\/\S+$/.test(p.uri ?? '')) problems.push(`${at}.uri must be an https URL: ${String(p.uri)}`);
    if (!/^[a-f0-9]{64}$/.test(p.sha256 ?? '')) problems.push(`${at}.sha256 is not a sha256: ${String(p.sha256)}`);
    if ((p.bin ?? '') === '') problems.push(`${at}.bin is missing`);
    if (
      p.files !== undefined &&
      (p.files.length === 0 || p.files.some((f) => (f.from ?? '') === '' || (f.to ?? '') === ''))
    )
      problems.push(`${at}.files must be unset or have from and to`);
    const keys = [
      ...Object.keys(p.selector?.matchLabels ?? {}),
      ...(p.selector?.matchExpressions ?? []).map((e) => e.key),
    ];
    if (keys.length === 0) problems.push(`${at}.selector is empty`);
    if (keys.some((k) => k !== 'os' && k !== 'arch'))
      problems.push(`${at}.selector uses keys other than os and arch: ${keys.join(', ')}`);
    if (!keys.includes('os') || !keys.includes('arch')) problems.push(`${at}.selector should select both os and arch`);
    if (!KREW_PLATFORMS.some(([os, arch]) => matches(p, os, arch)))
      problems.push(`${at}.selector matches no platform krew supports`);
  });
  for (const [os, arch] of KREW_PLATFORMS) {
    const hits = platforms.map((p, i) => (matches(p, os, arch) ? i : -1)).filter((i) => i >= 0);
    if (hits.length > 1) problems.push(`spec.platforms ${hits.join(', ')} overlap on ${os}/${arch}`);
  }
  return problems;
}

/**
 * Unpacks a tar.gz like krew's extractTARGZ: folders and regular files only (anything else, such
 * as a symbolic link, fails the install), no absolute or `..` paths, pax_global_header skipped.
 */
export function extractLikeKrew(archive: Buffer, dest: string): void {
  for (const e of readTar(gunzipSync(archive))) {
    if (e.name === 'pax_global_header') continue;
    if (e.name.includes('..') || e.name.startsWith('/') || e.name.startsWith('\\'))
      throw new Error(`refusing to unpack archive with suspicious entry "${e.name}"`);
    const path = join(dest, e.name);
    if (e.type === '5') mkdirSync(path, { recursive: true, mode: e.mode });
    else if (e.type === '0') {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, e.data, { mode: e.mode });
    } else
      throw new Error(
        `unable to handle file type ${e.type} for "${e.name}" in tar (krew unpacks only files and folders)`,
      );
  }
}

/** Installs one platform of the manifest into `krewRoot` as `kubectl krew install --manifest` would; returns the bin link. */
export function installLikeKrew(
  m: Manifest,
  os: string,
  arch: string,
  archive: Buffer,
  krewRoot: string,
  manifestText = '',
): string {
  const p = (m.spec?.platforms ?? []).find((q) => matches(q, os, arch));
  if (p === undefined) throw new Error(`plugin does not offer installation for ${os}/${arch}`);
  if (sha256(archive) !== p.sha256)
    throw new Error(`checksum does not match: archive ${sha256(archive)}, manifest ${String(p.sha256)}`);
  const name = m.metadata?.name ?? '';
  const staging = mkdtempSync(join(tmpdir(), 'krew-downloads'));
  try {
    extractLikeKrew(archive, staging);
    const installDir = join(krewRoot, 'store', name, m.spec?.version ?? '');
    mkdirSync(installDir, { recursive: true });
    for (const op of p.files ?? [{ from: '*', to: '.' }]) {
      const from = op.from ?? '';
      const to = op.to ?? '.';
      const direct = join(staging, from);
      const sources = existsSync(direct)
        ? [direct]
        : from === '*'
          ? readdirSync(staging).map((f) => join(staging, f))
          : [];
      if (sources.length === 0) throw new Error(`no files in the plugin archive matched the glob pattern=${from}`);
      for (const src of sources) {
        const target =
          to === '.'
            ? join(installDir, basename(src))
            : sources.length === 1 && existsSync(direct)
              ? join(installDir, to)
              : join(installDir, to, basename(src));
        if (relative(installDir, target).startsWith('..'))
          throw new Error(`can't move ${src} out of the install folder`);
        mkdirSync(dirname(target), { recursive: true });
        renameSync(src, target);
      }
    }
    const bin = join(installDir, p.bin ?? '');
    if (!existsSync(bin))
      throw new Error(`can't create symbolic link, source binary (${bin}) cannot be found in extracted archive`);
    const link = join(krewRoot, 'bin', `kubectl-${name.replaceAll('-', '_')}${os === 'windows' ? '.exe' : ''}`);
    mkdirSync(dirname(link), { recursive: true });
    rmSync(link, { force: true });
    symlinkSync(bin, link);
    mkdirSync(join(krewRoot, 'receipts'), { recursive: true });
    writeFileSync(join(krewRoot, 'receipts', `${name}.yaml`), manifestText);
    const installed = readdirSync(installDir, { recursive: true }).map(String);
    if (!installed.some((f) => LICENSE_FILES.includes(basename(f).toLowerCase())))
      throw new Error(
        `LICENSE (or alike) file is not extracted from the archive as part of installation: ${installed.join(', ')}`,
      );
    if (os !== 'windows' && (statSync(bin).mode & 0o111) === 0) throw new Error(`${p.bin ?? ''} is not executable`);
    return link;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}
function run(cmd: string, args: string[], env: Record<string, string>): Run {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The checks a real kubectl makes possible (linux-x64 only: the npm package ships that one). */
function kubectlChecks(krewRoot: string, check: (ok: boolean, what: string, detail?: string) => void): void {
  const kubectl = kubectlBinary();
  const home = mkdtempSync(join(tmpdir(), 'krew-home-'));
  const env = {
    PATH: `${join(krewRoot, 'bin')}:${dirname(kubectl)}`,
    HOME: home,
    KUBECONFIG: join(home, 'no-such-kubeconfig'),
  };
  try {
    const list = run(kubectl, ['plugin', 'list'], env);
    check(
      list.code === 0 && list.stdout.includes(join(krewRoot, 'bin', 'kubectl-ambient')),
      'kubectl plugin list finds kubectl-ambient in KREW_ROOT/bin',
      list.stdout + list.stderr,
    );
    const version = run(kubectl, ['ambient', '--version'], env);
    check(
      version.code === 0 && version.stdout.trim() === packageVersion(),
      'kubectl ambient --version',
      version.stdout + version.stderr,
    );
    const help = run(kubectl, ['ambient', '--help'], env);
    check(
      help.code === 0 && help.stdout.startsWith('kubectl ambient <command>'),
      'kubectl ambient --help',
      help.stdout + help.stderr,
    );
    for (const cmd of [
      'revisions [revision]',
      'tags [tag]',
      'tag-move <tag> <revision>',
      'tag-rollback <tag>',
      'upgrade <revision>',
      'skew',
    ]) {
      const word = cmd.split(' ')[0] ?? '';
      const r = run(kubectl, ['ambient', word, '--help'], env);
      check(
        r.code === 0 && r.stdout.startsWith(`kubectl ambient ${cmd}`),
        `kubectl ambient ${word} --help`,
        r.stdout + r.stderr,
      );
    }
    // The words reach the command: it validates them, then fails on the missing kubeconfig (78).
    const move = run(kubectl, ['ambient', 'tag-move', 'prod', '1-28-10', '--dry-run'], env);
    check(
      move.code === 78 && /kubeconfig/.test(move.stderr),
      'kubectl ambient tag-move prod 1-28-10 --dry-run reaches the command (exit 78: no kubeconfig)',
      move.stdout + move.stderr,
    );
    const bad = run(kubectl, ['ambient', 'tag-move', 'prod', 'Not_A_Revision'], env);
    check(bad.code === 65, 'kubectl ambient tag-move with an invalid revision name exits 65', bad.stdout + bad.stderr);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

export function validate(manifestPath: string, archives: string): { passed: number; failed: number } {
  let passed = 0;
  let failed = 0;
  const check = (ok: boolean, what: string, detail = ''): void => {
    if (ok) passed++;
    else failed++;
    log(
      `${ok ? 'ok  ' : 'FAIL'} ${what}${ok || detail === '' ? '' : `\n       ${detail.trim().split('\n').join('\n       ')}`}`,
    );
  };
  const text = readFileSync(manifestPath, 'utf8');
  const m = parse(text) as Manifest;
  const problems = checkManifest(m, basename(manifestPath));
  check(
    problems.length === 0,
    `${relative(ROOT, manifestPath)}: krew structure and krew-index rules`,
    problems.join('\n'),
  );
  check(
    m.spec?.version === `v${packageVersion()}`,
    `spec.version is v${packageVersion()} (package.json)`,
    String(m.spec?.version),
  );
  const roots: string[] = [];
  try {
    for (const p of m.spec?.platforms ?? []) {
      const os = p.selector?.matchLabels?.['os'] ?? '';
      const arch = p.selector?.matchLabels?.['arch'] ?? '';
      const file = join(archives, basename(p.uri ?? ''));
      if (!existsSync(file)) {
        check(false, `${os}/${arch}: archive ${basename(file)} exists in ${archives}`, 'run "npm run package" first');
        continue;
      }
      const root = mkdtempSync(join(tmpdir(), 'krew-root-'));
      roots.push(root);
      try {
        const link = installLikeKrew(m, os, arch, readFileSync(file), root, text);
        const installed = `${relative(root, link)} -> ${relative(root, readlinkSync(link))}`;
        check(true, `${os}/${arch}: sha256 matches, installs like krew (LICENSE present, ${installed})`);
        if (os === 'linux' && arch === 'amd64' && process.platform === 'linux' && process.arch === 'x64')
          kubectlChecks(root, check);
      } catch (e) {
        check(false, `${os}/${arch}: installs like krew`, e instanceof Error ? e.message : String(e));
      }
    }
  } finally {
    for (const r of roots) rmSync(r, { recursive: true, force: true });
  }
  if (!(process.platform === 'linux' && process.arch === 'x64'))
    log('skipped: the kubectl plugin discovery checks (the npm package ships a linux-x64 kubectl only)');
  log(`${passed} passed, ${failed} failed`);
  return { passed, failed };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const opt = (name: string, def: string): string => {
    const i = args.indexOf(name);
    return i >= 0 ? resolve(args[i + 1] ?? '') : def;
  };
  const { failed } = validate(
    opt('--manifest', join(ROOT, 'plugins', 'ambient.yaml')),
    opt('--archives', releaseDir()),
  );
  process.exit(failed === 0 ? 0 : 1);
}
