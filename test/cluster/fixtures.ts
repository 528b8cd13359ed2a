/**
 * Loading objects from multi-document YAML fixture files.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { isObject, type KubeObject } from './types.ts';

/**
 * Load every object from the given YAML files or directories (a directory: all `*.yaml`/`*.yml`
 * in it, sorted). Empty and comment-only documents are skipped; `kind: List` documents are expanded.
 */
export function loadYamlObjects(paths: string[]): KubeObject[] {
  const files: string[] = [];
  for (const p of paths) {
    if (statSync(p).isDirectory()) {
      for (const f of readdirSync(p)
        .filter((n) => n.endsWith('.yaml') || n.endsWith('.yml'))
        .sort())
        files.push(join(p, f));
    } else files.push(p);
  }
  const out: KubeObject[] = [];
  for (const file of files) {
    const docs = parseAllDocuments(readFileSync(file, 'utf8'));
    const list = Array.isArray(docs) ? docs : [docs];
    list.forEach((doc, i) => {
      if (doc.errors.length > 0)
        throw new Error(`${file}: document ${i + 1}: ${doc.errors[0]?.message ?? 'YAML error'}`);
      const value: unknown = doc.toJS();
      if (value === null || value === undefined) return;
      const items =
        isObject(value) && value['kind'] === 'List' && Array.isArray(value['items']) ? value['items'] : [value];
      for (const item of items) {
        if (!isObject(item) || typeof item['apiVersion'] !== 'string' || typeof item['kind'] !== 'string') {
          throw new Error(`${file}: document ${i + 1} is not a Kubernetes object (apiVersion and kind are required)`);
        }
        if (!isObject(item['metadata'])) item['metadata'] = {};
        out.push(item as KubeObject);
      }
    });
  }
  return out;
}
