// Conventions ESLint cannot express cheaply (krew's verify-code-patterns.sh style). Each rule says how to fix.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const walk = (dir) =>
  readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));
const files = walk(join(root, 'src')).filter((f) => f.endsWith('.ts'));

// Comments may cite labels (`istio.io/rev`); only code counts. Good enough for our sources: no '//' inside strings matters here.
const stripComments = (text) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|\s)\/\/.*$/gm, '$1');

const rules = [
  {
    name: 'process/console only in src/cli/run.ts and src/cli/io.ts',
    test: (rel, text) =>
      !['src/cli/run.ts', 'src/cli/io.ts'].includes(rel) && /\b(process|console)\.\w/.test(stripComments(text)),
    fix: 'write through deps.io and throw AmbientError; only run.ts/io.ts touch the process',
  },
  {
    name: 'literal istio.io/ strings only in src/core/labels.ts',
    test: (rel, text) =>
      rel !== 'src/core/labels.ts' && /['"`][^'"`\n]*\bistio\.io\/[^'"`\n]*['"`]/.test(stripComments(text)),
    fix: 'add a constant to src/core/labels.ts and import it',
  },
  {
    // The lazy loaders of the start-up path (README "Performance"): deps.ts loads src/kube after the
    // arguments are parsed; connect.ts loads client-node (credentials.ts) while the TCP connection
    // is opening; transport.ts loads node:http2/https/http only for the protocol the server speaks.
    name: 'no dynamic import() outside the lazy loaders (src/cli/deps.ts, src/kube/connect.ts, src/kube/transport.ts)',
    test: (rel, text) =>
      !['src/cli/deps.ts', 'src/kube/connect.ts', 'src/kube/transport.ts'].includes(rel) && /\bimport\(/.test(text),
    fix: 'register modules statically; lazy loading belongs to the loaders of the start-up path',
  },
];

let failed = 0;
for (const f of files) {
  const rel = relative(root, f);
  const text = readFileSync(f, 'utf8');
  for (const r of rules) {
    if (r.test(rel, text)) {
      console.error(`${rel}: ${r.name} (fix: ${r.fix})`);
      failed++;
    }
  }
}
if (failed > 0) process.exit(1);
console.error(`check-patterns: ${files.length} files ok`);
