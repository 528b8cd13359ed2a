import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { CORE_SCHEMA, load } from 'js-yaml';
import { AmbientError } from '../core/errors.ts';

/** A kubeconfig entry (`clusters[]`, `users[]`, `contexts[]`) as written in the file. */
interface NamedEntry {
  name: string;
  [key: string]: unknown;
}

/** A merged kubeconfig in the file format, plus where it came from (for messages). */
export interface MergedKubeconfig {
  clusters: NamedEntry[];
  users: NamedEntry[];
  contexts: NamedEntry[];
  currentContext: string | undefined;
  /** The files that were read, in order. */
  files: string[];
}

/** Where to look: `--kubeconfig`, else `KUBECONFIG`, else `~/.kube/config` (kubectl's order). */
export interface KubeconfigSource {
  kubeconfig?: string | undefined;
  env?: string | undefined;
  home?: string | undefined;
}

/** The files kubectl would read, in order, and whether a missing file is an error. */
function candidateFiles(src: KubeconfigSource): { files: string[]; explicit: boolean } {
  if (src.kubeconfig !== undefined && src.kubeconfig !== '')
    return { files: [resolve(src.kubeconfig)], explicit: true };
  if (src.env !== undefined && src.env !== '') {
    const seen = new Set<string>();
    const files = src.env
      .split(delimiter)
      .filter((f) => f !== '')
      .map((f) => resolve(f))
      .filter((f) => (seen.has(f) ? false : (seen.add(f), true)));
    return { files, explicit: false };
  }
  return { files: [join(src.home ?? homedir(), '.kube', 'config')], explicit: false };
}

/** Path-valued fields kubectl resolves relative to the file that defines them (client-go `ResolvePaths`). */
const PATH_FIELDS: Record<'clusters' | 'users', { section: string; fields: string[] }> = {
  clusters: { section: 'cluster', fields: ['certificate-authority'] },
  users: { section: 'user', fields: ['client-certificate', 'client-key', 'tokenFile'] },
};

function resolvePaths(entry: NamedEntry, kind: 'clusters' | 'users', dir: string): NamedEntry {
  const { section, fields } = PATH_FIELDS[kind];
  const body = entry[section];
  if (typeof body !== 'object' || body === null) return entry;
  const copy: Record<string, unknown> = { ...(body as Record<string, unknown>) };
  for (const f of fields) {
    const v = copy[f];
    if (typeof v === 'string' && v !== '' && !isAbsolute(v)) copy[f] = join(dir, v);
  }
  // An exec command with a path separator is relative to the kubeconfig; a bare name is looked up on PATH.
  const exec = copy['exec'];
  if (kind === 'users' && typeof exec === 'object' && exec !== null) {
    const cmd = (exec as Record<string, unknown>)['command'];
    if (typeof cmd === 'string' && cmd.includes(sep) && !isAbsolute(cmd))
      copy['exec'] = { ...exec, command: join(dir, cmd) };
  }
  return { ...entry, [section]: copy };
}

function entries(doc: Record<string, unknown>, key: string, file: string): NamedEntry[] {
  const v = doc[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v))
    throw new AmbientError(
      'config',
      `kubeconfig ${file}: "${key}" must be a list`,
      'fix the file or pass another --kubeconfig',
    );
  return v.filter(
    (e): e is NamedEntry => typeof e === 'object' && e !== null && typeof (e as NamedEntry).name === 'string',
  );
}

/** JSON.parse, falling back to YAML for flow-style YAML that merely starts like JSON. */
function parseJsonOrYaml(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return load(text, { schema: CORE_SCHEMA, filename: file });
  }
}

/**
 * Parsed kubeconfig files of this process, by path, with the text they were parsed from. Fleet mode
 * resolves every context through loadKubeconfig: without this, N contexts cost N parses of a file
 * that holds N clusters (a 50-cluster kubeconfig: about 0.7 s of CPU; README "Performance"). A file
 * is still read each time and parsed again when its text changed; callers get their own copy.
 */
const parsedFiles = new Map<string, { text: string; doc: unknown }>();

function parseKubeconfigText(text: string, file: string): unknown {
  const cached = parsedFiles.get(file);
  if (cached !== undefined && cached.text === text) return structuredClone(cached.doc);
  const doc = /^\s*\{/.test(text) ? parseJsonOrYaml(text, file) : load(text, { schema: CORE_SCHEMA, filename: file });
  parsedFiles.set(file, { text, doc });
  return structuredClone(doc);
}

/**
 * Loads and merges kubeconfig files exactly as kubectl does (client-go `ClientConfigLoadingRules`):
 * the first file that sets `current-context` wins, the first definition of a cluster, user or
 * context name wins, and missing files in `KUBECONFIG` are skipped. An explicit `--kubeconfig`
 * must exist. client-node's own `loadFromDefault` differs on all three rules, hence this.
 */
export function loadKubeconfig(src: KubeconfigSource): MergedKubeconfig {
  const { files, explicit } = candidateFiles(src);
  const merged: MergedKubeconfig = { clusters: [], users: [], contexts: [], currentContext: undefined, files: [] };
  for (const file of files) {
    if (!existsSync(file)) {
      if (explicit)
        throw new AmbientError(
          'config',
          `kubeconfig ${file} does not exist`,
          'pass an existing file with --kubeconfig',
        );
      continue;
    }
    let doc: unknown;
    try {
      // A JSON kubeconfig (JSON is YAML) is read natively; else js-yaml, client-node's own kubeconfig
      // parser (YAML 1.2 core schema: timestamps stay strings, as in kubectl), a third of the `yaml`
      // package's cost at start-up (README "Performance").
      doc = parseKubeconfigText(readFileSync(file, 'utf8'), file);
    } catch (e) {
      const why = e instanceof Error ? (e.message.split('\n')[0] ?? e.message) : String(e);
      throw new AmbientError(
        'config',
        `kubeconfig ${file} is not valid YAML: ${why}`,
        'fix the file or point --kubeconfig/KUBECONFIG at a valid one',
        { cause: e },
      );
    }
    merged.files.push(file);
    if (doc === null || doc === undefined) continue; // an empty file is an empty config, as in kubectl
    if (typeof doc !== 'object' || Array.isArray(doc)) {
      throw new AmbientError(
        'config',
        `kubeconfig ${file} is not a kubeconfig (expected a mapping)`,
        'fix the file or point --kubeconfig/KUBECONFIG at a valid one',
      );
    }
    const d = doc as Record<string, unknown>;
    const dir = dirname(file);
    for (const key of ['clusters', 'users', 'contexts'] as const) {
      const have = new Set(merged[key].map((e) => e.name));
      for (const e of entries(d, key, file)) {
        if (have.has(e.name)) continue;
        have.add(e.name);
        merged[key].push(key === 'contexts' ? e : resolvePaths(e, key, dir));
      }
    }
    const cc = d['current-context'];
    if (merged.currentContext === undefined && typeof cc === 'string' && cc !== '') merged.currentContext = cc;
  }
  if (merged.files.length === 0) {
    const where = files.length === 1 ? files[0] : `any of ${files.join(', ')}`;
    throw new AmbientError(
      'config',
      `no kubeconfig found (looked at ${where})`,
      'pass --kubeconfig, set KUBECONFIG, or create ~/.kube/config',
    );
  }
  return merged;
}

/** The context to use: `--context`, else the merged current-context; a config error when unknown or unset. */
export function pickContext(cfg: MergedKubeconfig, context: string | undefined): string {
  const name = context ?? cfg.currentContext;
  const known = cfg.contexts.map((c) => c.name);
  if (name === undefined) {
    throw new AmbientError(
      'config',
      `no current context set in ${cfg.files.join(', ')}`,
      `pass --context (known: ${known.join(', ') || 'none'}) or run "kubectl config use-context <name>"`,
    );
  }
  if (!known.includes(name)) {
    throw new AmbientError(
      'config',
      `context "${name}" not found in ${cfg.files.join(', ')}`,
      `known contexts: ${known.join(', ') || 'none'}`,
    );
  }
  return name;
}
