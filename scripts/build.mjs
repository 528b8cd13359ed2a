// Bundles each src/bin/*.ts entry with esbuild into dist/lib/<name>.cjs (one self-contained
// CommonJS file per executable: what pkg and Node's SEA package), plus a tiny dist/<name>.cjs that
// turns on Node's on-disk compile cache before loading it (parsing the 1.8 MB bundle is most of the
// start-up; the cache skips it from the second run on). client-node stays lazily initialised (see
// src/cli/deps.ts), so --help never evaluates it.
import { build } from 'esbuild';
import { chmodSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { buildCredentials, COMMON_OPTIONS, startupPlugin } from './lean-start.mjs';

const root = new URL('..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const entries = readdirSync(join(root, 'src/bin')).filter((f) => f.endsWith('.ts'));
// BUILD_OUTDIR: another folder than dist/ (the benchmark's ablation builds); LEAN_START_OFF: lean-start
// measures to leave out, comma-separated (see scripts/lean-start.mjs), only for measuring what each buys.
const outRoot = process.env.BUILD_OUTDIR ?? join(root, 'dist');
const off = new Set((process.env.LEAN_START_OFF ?? '').split(',').filter((x) => x !== ''));
rmSync(outRoot, { recursive: true, force: true });
const started = Date.now();
// Stage 1: the credentials module and client-node on their own (see startupPlugin).
const credentialsEntry = join(root, 'src/kube/credentials.ts');
const stage1 = await buildCredentials(credentialsEntry, off);
console.error(`stage 1 (credentials.ts + client-node) in ${Date.now() - started} ms`);
if (process.env.BUILD_METAFILE) writeFileSync(`${process.env.BUILD_METAFILE}.stage1`, JSON.stringify(stage1.metafile));
const prebuilt = off.has('client-node') ? undefined : { entry: credentialsEntry, code: stage1.code };
const result = await build({
  entryPoints: Object.fromEntries(entries.map((f) => [basename(f, '.ts'), join(root, 'src/bin', f)])),
  outdir: join(outRoot, 'lib'),
  outExtension: { '.js': '.cjs' },
  ...COMMON_OPTIONS,
  metafile: true,
  plugins: [startupPlugin(prebuilt, off, prebuilt === undefined)],
  define: { __VERSION__: JSON.stringify(pkg.version), 'import.meta.url': 'importMetaUrl' },
  banner: { js: '#!/usr/bin/env node\nconst importMetaUrl = require("url").pathToFileURL(__filename).href;' },
});
for (const f of entries) {
  const name = basename(f, '.ts');
  const loader = join(outRoot, `${name}.cjs`);
  writeFileSync(
    loader,
    `#!/usr/bin/env node\ntry { require('node:module').enableCompileCache?.(); } catch {}\nrequire('./lib/${name}.cjs');\n`,
  );
  chmodSync(loader, 0o755);
}
if (process.env.BUILD_METAFILE) writeFileSync(process.env.BUILD_METAFILE, JSON.stringify(result.metafile));
for (const [file, out] of Object.entries(result.metafile.outputs)) {
  if (file.endsWith('.cjs')) console.error(`${file.replace(root, '')}  ${(out.bytes / 1024).toFixed(0)} KiB`);
}
console.error(`built ${entries.length} bundles in ${Date.now() - started} ms`);
