// The start-up plugins of the esbuild build (scripts/build.mjs), in a module of their own so that
// test/unit/lean-start.test.ts can check the string-width wrapper against the real copies.
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

/**
 * Start-up plugins (README "Performance": each measured). Nothing here changes behaviour; they
 * only keep code from being evaluated before it is needed.
 *
 * 1. client-node: src/kube/credentials.ts imports `KubeConfig` from its public index, and is loaded
 *    lazily. esbuild cannot tree-shake `export *` chains inside a lazily initialised module (they
 *    become run-time re-exports of every generated API class and model), so credentials.ts is
 *    bundled on its own first, where its imports are static and client-node's modules are marked
 *    side-effect free (its index's one side effect, a `File` polyfill for Node 18, does nothing on
 *    Node 22); that bundle is embedded as a lazily required CommonJS module. What remains is
 *    `KubeConfig` and what it reaches.
 * 2. undici (client-node's fetch, ~700 KiB) is only reached by client-node code paths we never
 *    call (its own request functions); it is wrapped so it is evaluated on first use, not at load.
 * 3. string-width (four copies, pulled in by yargs' cliui, wrap-ansi, cli-table3 and ora) builds
 *    Unicode regexes and an Intl.Segmenter when loaded; our output is ASCII. Each copy is wrapped:
 *    printable ASCII (after colour codes, plus cli-table3's "…") is measured as its length,
 *    anything else goes to the real copy, loaded on first need (a test compares both).
 */
export function startupPlugin(prebuilt) {
  return {
    name: 'lean-start',
    setup(b) {
      const real = async (args) => {
        const r = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: 'real' });
        return r.errors.length > 0 ? undefined : r.path;
      };
      b.onResolve({ filter: /^string-width$/ }, async (args) => {
        if (args.pluginData === 'real') return undefined;
        const path = await real(args);
        return path === undefined ? undefined : { path, namespace: 'ascii-width' };
      });
      b.onResolve({ filter: /^undici$/ }, async (args) => {
        if (args.pluginData === 'real' || !args.importer.includes('/@kubernetes/client-node/')) return undefined;
        const path = await real(args);
        return path === undefined ? undefined : { path, namespace: 'lazy-undici' };
      });
      // Stage 1 only (stage 2 never reaches client-node: a callback per relative import would only cost build time).
      if (prebuilt === undefined) b.onResolve({ filter: /^(\.|@kubernetes\/client-node)/ }, async (args) => {
        if (args.pluginData === 'real' || !(args.importer.includes('/@kubernetes/client-node/') || args.path.startsWith('@kubernetes/client-node'))) return undefined;
        const path = await real(args);
        if (path === undefined || !path.includes('/@kubernetes/client-node/dist/')) return undefined;
        return { path, sideEffects: false };
      });
      if (prebuilt !== undefined) {
        b.onResolve({ filter: /credentials\.ts$/ }, (args) => (join(args.resolveDir, args.path) === prebuilt.entry ? { path: prebuilt.entry, namespace: 'prebuilt' } : undefined));
        b.onLoad({ filter: /.*/, namespace: 'prebuilt' }, () => ({ contents: prebuilt.code, loader: 'js' }));
      }
      b.onLoad({ filter: /.*/, namespace: 'ascii-width' }, (args) => ({ contents: asciiWidthShim(args.path, packageOf(args.path).type === 'module'), loader: 'js', resolveDir: dirname(args.path) }));
      b.onLoad({ filter: /.*/, namespace: 'lazy-undici' }, (args) => ({
        loader: 'js',
        resolveDir: dirname(args.path),
        contents: `
let undici;
const load = () => (undici ??= require(${JSON.stringify(args.path)}));
export class Agent { constructor(...a) { return new (load().Agent)(...a); } }
export class ProxyAgent { constructor(...a) { return new (load().ProxyAgent)(...a); } }
export function fetch(...a) { return load().fetch(...a); }
`,
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
  return `
// Printable ASCII, and the ellipsis cli-table3 measures for every table (width 1 in every copy
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
` + (esm ? 'export default stringWidth;\n' : 'module.exports = stringWidth;\n');
}

