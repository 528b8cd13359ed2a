/**
 * The three patch formats kube-apiserver accepts for built-in kinds:
 * JSON patch (RFC 6902, error texts of gopkg.in/evanphx/json-patch.v4), JSON merge patch
 * (RFC 7386) and strategic merge patch (k8s.io/apimachinery/pkg/util/strategicpatch), with the
 * patchMergeKey / patchStrategy tags of the k8s.io/api types the simulator serves.
 */
import { clone, isObject, jsonEqual, type JsonObject } from './types.ts';

/** A patch could not be applied; `kind` tells which Status the server answers with. */
export class PatchError extends Error {
  /** 'bad-request' → 400; 'unprocessable' → 422 (generic server response); 'internal' → 500. */
  readonly kind: 'bad-request' | 'unprocessable' | 'internal';
  constructor(kind: 'bad-request' | 'unprocessable' | 'internal', message: string) {
    super(message);
    this.name = 'PatchError';
    this.kind = kind;
  }
}

// ---------------------------------------------------------------- JSON patch (RFC 6902)

/** One RFC 6902 operation. */
export interface JsonPatchOp {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

function parsePointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/'))
    throw new PatchError('unprocessable', `add operation failed to decode path: missing value`);
  return path
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Locate the container holding the last segment of `path` (evanphx `findObject`). */
function findContainer(doc: { root: unknown }, segs: string[]): { con: unknown; key: string } | undefined {
  let cur: unknown = doc.root;
  for (let i = 0; i < segs.length - 1; i++) {
    const s = segs[i] ?? '';
    if (isObject(cur)) cur = cur[s];
    else if (Array.isArray(cur)) {
      if (!/^\d+$/.test(s)) return undefined;
      cur = cur[Number(s)];
    } else return undefined;
    if (cur === undefined) return undefined;
  }
  if (!isObject(cur) && !Array.isArray(cur)) return undefined;
  return { con: cur, key: segs[segs.length - 1] ?? '' };
}

function getAt(con: unknown, key: string): unknown {
  if (isObject(con)) return Object.hasOwn(con, key) ? con[key] : undefined;
  if (Array.isArray(con)) {
    if (!/^\d+$/.test(key)) return undefined;
    return con[Number(key)];
  }
  return undefined;
}

/** Apply an RFC 6902 patch to a copy of `doc`. */
export function applyJsonPatch(doc: unknown, patchBody: unknown): unknown {
  if (!Array.isArray(patchBody))
    throw new PatchError('bad-request', 'json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  const state = { root: clone(doc) };
  for (const raw of patchBody) {
    if (!isObject(raw))
      throw new PatchError('bad-request', 'json: cannot unmarshal into Go value of type jsonpatch.Operation');
    const op = typeof raw['op'] === 'string' ? raw['op'] : '';
    const path = typeof raw['path'] === 'string' ? raw['path'] : undefined;
    if (path === undefined)
      throw new PatchError('unprocessable', `${op} operation failed to decode path: missing value`);
    const segs = parsePointer(path);
    switch (op) {
      case 'add':
        add(state, segs, path, clone(raw['value']), 'add');
        break;
      case 'remove':
        remove(state, segs, path);
        break;
      case 'replace': {
        if (segs.length === 0) {
          state.root = clone(raw['value']);
          break;
        }
        const f = findContainer(state, segs);
        if (f === undefined)
          throw new PatchError(
            'unprocessable',
            `replace operation does not apply: doc is missing path: ${path}: missing value`,
          );
        if (getAt(f.con, f.key) === undefined)
          throw new PatchError(
            'unprocessable',
            `replace operation does not apply: doc is missing key: ${path}: missing value`,
          );
        if (isObject(f.con)) f.con[f.key] = clone(raw['value']);
        else if (Array.isArray(f.con)) f.con[Number(f.key)] = clone(raw['value']);
        break;
      }
      case 'move':
      case 'copy': {
        const from = typeof raw['from'] === 'string' ? raw['from'] : '';
        const fsegs = parsePointer(from);
        const f = findContainer(state, fsegs);
        const val = f === undefined ? undefined : getAt(f.con, f.key);
        if (f === undefined || val === undefined)
          throw new PatchError(
            'unprocessable',
            `${op} operation does not apply: doc is missing from path: ${from}: missing value`,
          );
        if (op === 'move') remove(state, fsegs, from);
        add(state, segs, path, clone(val), op);
        break;
      }
      case 'test': {
        let actual: unknown;
        if (segs.length === 0) actual = state.root;
        else {
          const f = findContainer(state, segs);
          if (f === undefined)
            throw new PatchError(
              'unprocessable',
              `test operation does not apply: is missing path: ${path}: missing value`,
            );
          actual = getAt(f.con, f.key);
        }
        const expected = raw['value'];
        const equal = actual === undefined ? expected === null || expected === undefined : jsonEqual(actual, expected);
        if (!equal) throw new PatchError('unprocessable', `testing value ${path} failed: test failed`);
        break;
      }
      default:
        throw new PatchError('unprocessable', `Unexpected kind: ${op}: unknown object type`);
    }
  }
  return state.root;
}

function add(state: { root: unknown }, segs: string[], path: string, value: unknown, op: string): void {
  if (segs.length === 0) {
    state.root = value;
    return;
  }
  const f = findContainer(state, segs);
  if (f === undefined)
    throw new PatchError(
      'unprocessable',
      `${op} operation does not apply: doc is missing path: "${path}": missing value`,
    );
  if (isObject(f.con)) {
    f.con[f.key] = value;
  } else if (Array.isArray(f.con)) {
    if (f.key === '-') {
      f.con.push(value);
      return;
    }
    if (!/^\d+$/.test(f.key))
      throw new PatchError(
        'unprocessable',
        `error in ${op} for path: '${path}': Unable to access invalid index: ${f.key}: invalid index referenced`,
      );
    const idx = Number(f.key);
    if (idx > f.con.length)
      throw new PatchError(
        'unprocessable',
        `error in ${op} for path: '${path}': Unable to access invalid index: ${idx}: invalid index referenced`,
      );
    f.con.splice(idx, 0, value);
  }
}

function remove(state: { root: unknown }, segs: string[], path: string): void {
  const f = findContainer(state, segs);
  if (f === undefined)
    throw new PatchError(
      'unprocessable',
      `remove operation does not apply: doc is missing path: "${path}": missing value`,
    );
  if (isObject(f.con)) {
    if (!Object.hasOwn(f.con, f.key))
      throw new PatchError(
        'unprocessable',
        `error in remove for path: '${path}': Unable to remove nonexistent key: ${f.key}: missing value`,
      );
    delete f.con[f.key];
  } else if (Array.isArray(f.con)) {
    const idx = /^\d+$/.test(f.key) ? Number(f.key) : -1;
    if (idx < 0 || idx >= f.con.length)
      throw new PatchError(
        'unprocessable',
        `error in remove for path: '${path}': Unable to access invalid index: ${f.key}: invalid index referenced`,
      );
    f.con.splice(idx, 1);
  }
}

// ---------------------------------------------------------------- JSON merge patch (RFC 7386)

/** Apply an RFC 7386 merge patch. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = isObject(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}

// ---------------------------------------------------------------- strategic merge patch

/** Patch metadata of one field (the `patchMergeKey` / `patchStrategy` struct tags). */
export interface SmpNode {
  /** A list of objects merged by this key (patchStrategy merge). */
  mergeKey?: string;
  /** A list of scalars merged as a set (patchStrategy merge, e.g. finalizers). */
  primitiveMerge?: boolean;
  /** Schema of the nested object, or of the list items. */
  fields?: SmpSchema;
}

/** Patch metadata of an object's fields; fields not listed merge as maps / replace as lists. */
export type SmpSchema = Record<string, SmpNode>;

const objectMeta: SmpSchema = { ownerReferences: { mergeKey: 'uid' }, finalizers: { primitiveMerge: true } };
const container: SmpSchema = {
  ports: { mergeKey: 'containerPort' },
  env: { mergeKey: 'name' },
  volumeMounts: { mergeKey: 'mountPath' },
  volumeDevices: { mergeKey: 'devicePath' },
};
const podSpec: SmpSchema = {
  volumes: { mergeKey: 'name' },
  initContainers: { mergeKey: 'name', fields: container },
  containers: { mergeKey: 'name', fields: container },
  ephemeralContainers: { mergeKey: 'name', fields: container },
  imagePullSecrets: { mergeKey: 'name' },
  hostAliases: { mergeKey: 'ip' },
  topologySpreadConstraints: { mergeKey: 'topologyKey' },
  resourceClaims: { mergeKey: 'name' },
  schedulingGates: { mergeKey: 'name' },
};
const podTemplate: SmpSchema = { metadata: { fields: objectMeta }, spec: { fields: podSpec } };
const conditionsStatus: SmpNode = { fields: { conditions: { mergeKey: 'type' } } };
const workload: SmpSchema = {
  metadata: { fields: objectMeta },
  spec: { fields: { template: { fields: podTemplate } } },
  status: conditionsStatus,
};

/** Strategic-merge metadata for each built-in kind served (key: `group/Kind`). */
export const SMP_SCHEMAS: Record<string, SmpSchema> = {
  '/Pod': {
    metadata: { fields: objectMeta },
    spec: { fields: podSpec },
    status: { fields: { conditions: { mergeKey: 'type' }, podIPs: { mergeKey: 'ip' }, hostIPs: { mergeKey: 'ip' } } },
  },
  'apps/Deployment': workload,
  'apps/DaemonSet': workload,
  'apps/ReplicaSet': workload,
  '/Service': {
    metadata: { fields: objectMeta },
    spec: { fields: { ports: { mergeKey: 'port' } } },
    status: conditionsStatus,
  },
  '/ServiceAccount': {
    metadata: { fields: objectMeta },
    secrets: { mergeKey: 'name' },
    imagePullSecrets: { mergeKey: 'name' },
  },
  '/Namespace': { metadata: { fields: objectMeta }, status: conditionsStatus },
  'admissionregistration.k8s.io/MutatingWebhookConfiguration': {
    metadata: { fields: objectMeta },
    webhooks: { mergeKey: 'name' },
  },
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration': {
    metadata: { fields: objectMeta },
    webhooks: { mergeKey: 'name' },
  },
  'policy/PodDisruptionBudget': { metadata: { fields: objectMeta }, status: conditionsStatus },
  'autoscaling/HorizontalPodAutoscaler': { metadata: { fields: objectMeta }, status: conditionsStatus },
};

/** The schema for a kind (metadata-only for kinds without list merge keys). */
export function smpSchemaFor(group: string, kind: string): SmpSchema {
  return SMP_SCHEMAS[`${group}/${kind}`] ?? { metadata: { fields: objectMeta } };
}

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ORDER = '$setElementOrder/';
const DELETE_PRIMITIVE = '$deleteFromPrimitiveList/';

function isDirectiveKey(k: string): boolean {
  return k === DIRECTIVE || k === RETAIN_KEYS || k.startsWith(SET_ORDER) || k.startsWith(DELETE_PRIMITIVE);
}

function goMapString(obj: JsonObject): string {
  const inner = Object.keys(obj)
    .sort()
    .map((k) => {
      const v = obj[k];
      return `${k}:${typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v)}`;
    })
    .join(' ');
  return `map[${inner}]`;
}

/** Apply a strategic merge patch to `original` using `schema` for list semantics. */
export function applyStrategicMergePatch(original: unknown, patch: unknown, schema: SmpSchema): unknown {
  if (!isObject(patch)) throw new PatchError('bad-request', 'invalid JSON document');
  const base = isObject(original) ? original : {};
  const merged = mergeMap(base, patch, schema);
  return merged ?? {};
}

function mergeMap(orig: JsonObject, patch: JsonObject, schema: SmpSchema | undefined): JsonObject | undefined {
  const directive = patch[DIRECTIVE];
  if (directive !== undefined) {
    if (directive === 'replace') return stripDirectives(patch);
    if (directive === 'delete') return undefined;
    if (directive !== 'merge')
      throw new PatchError(
        'bad-request',
        `Unknown patch type: ${JSON.stringify(directive)} in map: ${goMapString(patch)}`,
      );
  }
  const out: JsonObject = clone(orig);
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith(DELETE_PRIMITIVE)) {
      const field = k.slice(DELETE_PRIMITIVE.length);
      const cur = out[field];
      if (!Array.isArray(v))
        throw new PatchError('bad-request', 'invalid patch: $deleteFromPrimitiveList must be a list');
      if (Array.isArray(cur)) {
        const next = cur.filter((x) => !v.some((d) => jsonEqual(d, x)));
        if (next.length === 0) delete out[field];
        else out[field] = next;
      }
      continue;
    }
    if (isDirectiveKey(k)) continue;
    const node = schema?.[k];
    if (v === null) {
      delete out[k];
    } else if (isObject(v)) {
      const cur = out[k];
      const m = mergeMap(isObject(cur) ? cur : {}, v, node?.fields);
      if (m === undefined) delete out[k];
      else out[k] = m;
    } else if (Array.isArray(v)) {
      const cur = Array.isArray(out[k]) ? (out[k] as unknown[]) : [];
      if (node?.mergeKey !== undefined) out[k] = mergeList(cur, v, node.mergeKey, node.fields);
      else if (node?.primitiveMerge === true) out[k] = mergePrimitiveList(cur, v);
      else out[k] = (v as unknown[]).map((x): unknown => (isObject(x) ? (stripDirectives(x) ?? {}) : clone(x)));
    } else {
      out[k] = v;
    }
  }
  // $setElementOrder/<field>: reorder the merged list like the patch's order list.
  for (const [k, order] of Object.entries(patch)) {
    if (!k.startsWith(SET_ORDER) || !Array.isArray(order)) continue;
    const field = k.slice(SET_ORDER.length);
    const list = out[field];
    if (!Array.isArray(list)) continue;
    const key = schema?.[field]?.mergeKey;
    const pos = (x: unknown): number =>
      order.findIndex((o) =>
        key !== undefined && isObject(o) && isObject(x) ? jsonEqual(o[key], x[key]) : jsonEqual(o, x),
      );
    const ordered = (list as unknown[]).map((x, i) => ({ x, i, p: pos(x) }));
    ordered.sort((a, b) => {
      if (a.p === -1 || b.p === -1) return a.i - b.i;
      return a.p - b.p;
    });
    out[field] = ordered.map((e) => e.x);
  }
  const retain = patch[RETAIN_KEYS];
  if (retain !== undefined) {
    if (!Array.isArray(retain)) throw new PatchError('bad-request', 'invalid patch: $retainKeys must be a list');
    for (const k of Object.keys(out)) if (!retain.includes(k)) delete out[k];
  }
  return out;
}

function mergeList(orig: unknown[], patch: unknown[], mergeKey: string, itemSchema: SmpSchema | undefined): unknown[] {
  if (patch.some((e) => isObject(e) && e[DIRECTIVE] === 'replace')) {
    return patch
      .filter((e) => !(isObject(e) && e[DIRECTIVE] === 'replace'))
      .map((e) => (isObject(e) ? (stripDirectives(e) ?? {}) : e));
  }
  const out = clone(orig);
  for (const el of patch) {
    if (!isObject(el)) {
      throw new PatchError(
        'internal',
        `unable to find api field in struct for the list element: ${JSON.stringify(el)}`,
      );
    }
    const keyVal = el[mergeKey];
    if (keyVal === undefined)
      throw new PatchError('internal', `map: ${goMapString(el)} does not contain declared merge key: ${mergeKey}`);
    const matches = (x: unknown): boolean => isObject(x) && jsonEqual(x[mergeKey], keyVal);
    if (el[DIRECTIVE] === 'delete') {
      for (let i = out.length - 1; i >= 0; i--) if (matches(out[i])) out.splice(i, 1);
      continue;
    }
    const idx = out.findIndex(matches);
    const cur = idx >= 0 ? out[idx] : undefined;
    const merged = mergeMap(isObject(cur) ? cur : {}, el, itemSchema);
    if (idx >= 0) {
      if (merged === undefined) out.splice(idx, 1);
      else out[idx] = merged;
    } else if (merged !== undefined) out.push(merged);
  }
  return out;
}

function mergePrimitiveList(orig: unknown[], patch: unknown[]): unknown[] {
  const out = clone(orig);
  for (const v of patch) if (!out.some((x) => jsonEqual(x, v))) out.push(clone(v));
  return out;
}

/** Remove every `$…` directive from a patch fragment (what the merge result keeps of a new value). */
function stripDirectives(obj: JsonObject): JsonObject | undefined {
  if (obj[DIRECTIVE] === 'delete') return undefined;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(obj)) {
    if (isDirectiveKey(k)) continue;
    if (v === null) continue;
    if (isObject(v)) {
      const s = stripDirectives(v);
      if (s !== undefined) out[k] = s;
    } else if (Array.isArray(v)) {
      out[k] = (v as unknown[])
        .filter((x) => !(isObject(x) && (x[DIRECTIVE] === 'delete' || x[DIRECTIVE] === 'replace')))
        .map((x): unknown => (isObject(x) ? (stripDirectives(x) ?? {}) : x));
    } else out[k] = v;
  }
  return out;
}
