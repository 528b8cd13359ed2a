// Makes the V8 code cache the executable starts with (scripts/sea-main.cjs): runs the bundle in one
// process, as each of a list of command lines in turn (against the cluster of $KUBECONFIG), then
// saves the cache of every function they compiled. Run by the base Node binary of the executable
// (a code cache only fits the V8 that made it), with --random-seed fixed for a reproducible cache.
//
//   node --random-seed=1 train-cache.cjs <bundle.cjs> <out.cache> <runs.json>
//   runs.json: [{ "argv": ["tags"], "invokedAs": "kubectl-ambient-tags" }, ...]
'use strict';
const { readFileSync, writeFileSync } = require('node:fs');
const { Script } = require('node:vm');
const [bundle, out, runsFile] = process.argv.slice(2);
const source = `(function (exports, require, module, __filename, __dirname) {${readFileSync(bundle, 'utf8').replace(/^#!.*/, '')}\n})`;
const script = new Script(source, { filename: 'kubectl-ambient.cjs' });
const runs = JSON.parse(readFileSync(runsFile, 'utf8'));

// Each command ends by setting process.exitCode (src/cli/run.ts main): that is when the next starts.
const finished = () =>
  new Promise((resolve) => {
    const check = () => (process.exitCode !== undefined ? resolve(process.exitCode) : setTimeout(check, 2));
    check();
  });

(async () => {
  const codes = [];
  for (const r of runs) {
    process.argv = [process.execPath, '/kubectl-ambient', ...r.argv];
    if (r.invokedAs !== undefined) process.env.KUBECTL_AMBIENT_INVOKED_AS = r.invokedAs;
    else delete process.env.KUBECTL_AMBIENT_INVOKED_AS;
    process.exitCode = undefined;
    const module = { exports: {} };
    script.runInThisContext().call(module.exports, module.exports, require, module, '/kubectl-ambient.cjs', '/');
    codes.push(await finished());
  }
  writeFileSync(out, script.createCachedData());
  process.stderr.write(`train-cache: ${runs.length} command lines (exit codes ${codes.join(' ')})\n`);
  process.exitCode = 0;
})();
