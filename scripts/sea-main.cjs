// The main script of the linux-x64 executable (Node SEA): it runs the bundle, stored as an asset,
// with the V8 code cache of a training run (scripts/train-cache.cjs, made at packaging time), so
// that the functions a command needs come compiled; SEA's own `useCodeCache` covers only what the
// bundle compiles before it runs. The wrapper text must stay the one of train-cache.cjs (the cache
// is tied to the exact source). If V8 rejects the cache (another Node), the bundle is compiled as usual.
'use strict';
const { getAsset } = require('node:sea');
const { Script } = require('node:vm');
const source = `(function (exports, require, module, __filename, __dirname) {${getAsset('bundle.cjs', 'utf8')}\n})`;
let cachedData;
try {
  // KUBECTL_AMBIENT_CODE_CACHE=0 starts without it (to measure what it buys, or to rule it out).
  cachedData = process.env.KUBECTL_AMBIENT_CODE_CACHE === '0' ? undefined : Buffer.from(getAsset('bundle.cache'));
} catch {
  cachedData = undefined;
}
const script = new Script(source, {
  filename: 'kubectl-ambient.cjs',
  ...(cachedData !== undefined ? { cachedData } : {}),
});
// For tests and the benchmark: whether V8 took the cache (a rejected one silently costs start-up time).
if (process.env.KUBECTL_AMBIENT_TRACE_CODE_CACHE === '1')
  process.stderr.write(
    `code cache: ${cachedData === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'accepted'}\n`,
  );
script.runInThisContext().call(module.exports, module.exports, require, module, __filename, __dirname);
