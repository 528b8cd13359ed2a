// The start-up plugins of the esbuild build (scripts/build.mjs), in a module of their own so that
// test/unit/lean-start.test.ts can check the string-width wrapper against the real copies.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The package.json that governs a resolved file. */
function packageOf(file) {
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    } catch {
      // not here
    }
  }
  return {};
}

/** The esbuild options every bundle of the build shares. */
export const COMMON_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node22',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
};

/**
 * Stage 1 of the build (see startupPlugin, point 1): src/kube/credentials.ts and what it reaches of
 * client-node, as CommonJS source. test/unit/client-node-bundle.test.ts runs this very bundle
 * against the unbundled module, since marking client-node's modules side-effect free relies on its
 * internals (hence the exact version pin in package.json).
 */
export async function buildCredentials(entry, off = new Set()) {
  const result = await build({
    ...COMMON_OPTIONS,
    entryPoints: [entry],
    write: false,
    outfile: 'credentials.cjs',
    metafile: true,
    plugins: [startupPlugin(undefined, off)],
  });
  return { code: result.outputFiles[0].text, metafile: result.metafile };
}

/**
 * Start-up plugins (README "Performance": each measured; `off` leaves measures out for the
 * benchmark's ablation: string-width, lazy, undici, client-node). Nothing here changes behaviour; they
 * only keep code from being evaluated before it is needed.
 *
 * 1. client-node: src/kube/credentials.ts imports `KubeConfig` from its public index, and is loaded
 *    lazily. esbuild cannot tree-shake `export *` chains inside a lazily initialised module (they
 *    become run-time re-exports of every generated API class and model), so credentials.ts is
 *    bundled on its own first, where its imports are static and client-node's modules are marked
 *    side-effect free (its index's one side effect, a `File` polyfill for Node 18, does nothing on
 *    Node 22); that bundle is embedded as a lazily required CommonJS module. What remains is
 *    `KubeConfig` and what it reaches.
 * 2. Modules most runs never use are evaluated on first use instead of at load (LAZY, lazyModule).
 * 3. string-width (several copies: yargs' cliui, wrap-ansi, ora and src/cli/render/table.ts) builds
 *    Unicode regexes and an Intl.Segmenter when loaded; our output is ASCII. Each copy is wrapped:
 *    printable ASCII (after colour codes, plus the "…" of cut cells) is measured as its length,
 *    anything else goes to the real copy, loaded on first need (a test compares both).
 */
export function startupPlugin(prebuilt, off = new Set(), clientNodeInline = false) {
  return {
    name: 'lean-start',
    setup(b) {
      const real = async (args) => {
        const r = await b.resolve(args.path, {
          kind: args.kind,
          resolveDir: args.resolveDir,
          importer: args.importer,
          pluginData: 'real',
        });
        return r.errors.length > 0 ? undefined : r.path;
      };
      b.onResolve({ filter: /^string-width$/ }, async (args) => {
        if (args.pluginData === 'real' || off.has('string-width')) return undefined;
        const path = await real(args);
        return path === undefined ? undefined : { path, namespace: 'ascii-width' };
      });
      b.onResolve({ filter: /^[^./]/ }, async (args) => {
        // A stand-in's own require() of the real module (a Node built-in's is by name): the real one.
        if (args.pluginData === 'real' || args.namespace === 'lazy') return undefined;
        const lazy = LAZY.find(
          (l) =>
            l.name === args.path &&
            (l.from === 'ours' ? !args.importer.includes('/node_modules/') : args.importer.includes(l.from)),
        );
        if (lazy === undefined) return undefined;
        const omit = lazy.omit === true && !off.has('undici');
        if (!omit && off.has('lazy')) return undefined;
        const path = await real(args);
        return path === undefined
          ? undefined
          : { path, namespace: 'lazy', pluginData: { omit, wrap: lazy.wrap === true } };
      });
      // Stage 1 only (stage 2 never reaches client-node: a callback per relative import would only cost build time).
      if (prebuilt === undefined && !clientNodeInline)
        b.onResolve({ filter: /^(\.|@kubernetes\/client-node)/ }, async (args) => {
          if (
            args.pluginData === 'real' ||
            !(args.importer.includes('/@kubernetes/client-node/') || args.path.startsWith('@kubernetes/client-node'))
          )
            return undefined;
          const path = await real(args);
          if (path === undefined || !path.includes('/@kubernetes/client-node/dist/')) return undefined;
          return { path, sideEffects: false };
        });
      if (prebuilt !== undefined) {
        b.onResolve({ filter: /credentials\.ts$/ }, (args) =>
          join(args.resolveDir, args.path) === prebuilt.entry
            ? { path: prebuilt.entry, namespace: 'prebuilt' }
            : undefined,
        );
        b.onLoad({ filter: /.*/, namespace: 'prebuilt' }, () => ({ contents: prebuilt.code, loader: 'js' }));
      }
      b.onLoad({ filter: /.*/, namespace: 'ascii-width' }, (args) => ({
        contents: asciiWidthShim(args.path, packageOf(args.path).type === 'module'),
        loader: 'js',
        resolveDir: dirname(args.path),
      }));
      b.onLoad({ filter: /.*/, namespace: 'lazy' }, async (args) => ({
        loader: 'js',
        resolveDir: args.path.startsWith('node:') ? process.cwd() : dirname(args.path),
        contents: await lazyModule(args.path, args.pluginData),
      }));
      // A dynamic import() of a Node built-in (src/kube loads node:http2/https/http on demand) would
      // start Node's ESM loader at run time (a dozen internal modules): a require() does the same job.
      b.onResolve({ filter: /^node:/ }, (args) =>
        args.kind === 'dynamic-import' && !off.has('lazy') ? { path: args.path, namespace: 'builtin' } : undefined,
      );
      b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({
        loader: 'js',
        contents: `module.exports = require(${JSON.stringify(args.path)});`,
      }));
    },
  };
}

/**
 * The source of a string-width wrapper (see startupPlugin): narrow text is measured as its length,
 * anything else by the real module at `realPath`, required on first need. `esm`: export default
 * (else module.exports).
 */
export function asciiWidthShim(realPath, esm) {
  return (
    `
// Printable ASCII, and the ellipsis of cut table cells (width 1 in every copy
// unless ambiguous characters are asked to be wide).
const narrow = /^[\\x20-\\x7e\\u2026]*$/;
const sgr = /\\x1b\\[[0-9;]*m/g;
let realWidth;
function stringWidth(s, options) {
  if (typeof s === 'string' && !(options && options.ambiguousIsNarrow === false)) {
    const plain = options && options.countAnsiEscapeCodes ? s : s.includes('\\x1b') ? s.replace(sgr, '') : s;
    if (narrow.test(plain)) return plain.length;
  }
  if (realWidth === undefined) {
    const m = require(${JSON.stringify(realPath)});
    realWidth = typeof m === 'function' ? m : m.default;
  }
  return realWidth(s, options);
}
` + (esm ? 'export default stringWidth;\n' : 'module.exports = stringWidth;\n')
  );
}

/**
 * Packages evaluated on first use instead of at load, and whose imports get the stand-in: `ours`
 * (src/), or a package folder. undici: client-node's fetch, reached only by client-node functions
 * we never call; yaml: only `-o yaml` (kubeconfigs are read with js-yaml); ora: spinners only on a
 * terminal; and what client-node's KubeConfig imports for one kind of user or proxy each: OIDC
 * (openid-client), Azure/GCP auth providers (jsonpath-plus), SOCKS proxies (socks, socks-proxy-
 * agent), and js-yaml for its own kubeconfig loader (we hand it parsed entries).
 */
const LAZY = [
  { name: 'yaml', from: 'ours' },
  { name: 'ora', from: 'ours' },
  // The confirmation prompt only.
  { name: 'node:readline', from: 'ours' },
  // client-node keeps child_process.spawn at construction (ExecAuth): wrapped (`wrap`), loaded when a plugin runs.
  { name: 'node:child_process', from: '/@kubernetes/client-node/', wrap: true },
  // Not bundled at all (`omit`): only client-node's own request functions use it, and we never call them.
  { name: 'undici', from: '/@kubernetes/client-node/', omit: true },
  ...['openid-client', 'jsonpath-plus', 'socks', 'socks-proxy-agent', 'js-yaml'].map((name) => ({
    name,
    from: '/@kubernetes/client-node/',
  })),
];

/**
 * A CommonJS stand-in for the module at `realPath` that requires it on first use: one getter per
 * export (the names are read from the real module at build time, so none can be missing), and for
 * a module whose default export is a function (ora) a callable module object, so that both of
 * esbuild's default-import conventions get a function. `wrap`: functions are wrappers instead of
 * getters (for importers that copy them at load, like yargs); `omit`: the module is not bundled.
 */
async function lazyModule(realPath, { omit, wrap }) {
  let mod;
  try {
    mod = await import(realPath);
  } catch (e) {
    const fix = "build with the project's Node 22: npm run build";
    throw new Error(`lean-start: cannot read the exports of ${realPath} (${e.message}); ${fix}`, { cause: e });
  }
  // A Node built-in's default export is the module itself: the stand-in stands for it too.
  const builtin = realPath.startsWith('node:');
  const names = Object.keys(mod).filter(
    (k) => k !== 'module.exports' && k !== '__esModule' && !(builtin && k === 'default'),
  );
  const callable = typeof mod.default === 'function' && !('module.exports' in mod);
  const why = 'kubectl-ambient never sends requests through client-node';
  const omitted = `${realPath.replace(/^.*node_modules\//, '')} is not part of this build (${why})`;
  const load = omit
    ? `const load = () => { throw new Error(${JSON.stringify(omitted)}); };`
    : `let real;\nconst load = () => (real ??= require(${JSON.stringify(realPath)}));`;
  const getters = JSON.stringify(names.filter((k) => !(wrap && typeof mod[k] === 'function')));
  const wrappers = JSON.stringify(wrap ? names.filter((k) => typeof mod[k] === 'function') : []);
  return `${load}
${callable ? 'module.exports = function (...a) { const d = load().default; return new.target ? new d(...a) : d(...a); };' : ''}
Object.defineProperty(module.exports, '__esModule', { value: true });
// A CommonJS module (a Node built-in) read through import() has its exports as \`default\`.
const pick = (m, k) => (k === 'default' && m.default === undefined ? m : m[k]);
for (const k of ${getters}) Object.defineProperty(module.exports, k, { enumerable: true, get: () => pick(load(), k) });
for (const k of ${wrappers}) {
  const value = function (...a) { const f = load()[k]; return new.target ? Reflect.construct(f, a, new.target) : f.apply(this, a); };
  Object.defineProperty(module.exports, k, { enumerable: true, value });
}
${builtin ? "Object.defineProperty(module.exports, 'default', { enumerable: true, value: module.exports });" : ''}
`;
}
