/**
 * The REST storage logic of kube-apiserver (genericregistry.Store + per-kind strategies):
 * create / update / patch / delete / list semantics on top of the Store. Used by HTTP handlers
 * and by direct store access alike, so both bump resourceVersion/generation and emit events.
 */
import { randomUUID } from 'node:crypto';
import {
  applyDefaults,
  ClusterIpAllocator,
  crdStatus,
  encodeStatus,
  LATEST_MINOR,
  prepareForCreate,
} from './defaults.ts';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, PatchError, smpSchemaFor } from './patch.ts';
import { apiVersionOf, grKey, ResourceTable, type ResourceDef } from './resources.ts';
import {
  parseFieldSelector,
  parseLabelSelector,
  SelectorError,
  type FieldSelector,
  type LabelSelector,
} from './selectors.ts';
import {
  alreadyExists,
  ApiError,
  badRequest,
  conflict,
  expired,
  forbidden,
  genericUnprocessable,
  internalUnknown,
  invalid,
  notFound,
  OPTIMISTIC_LOCK_MSG,
  unsupportedMediaType,
  type FieldError,
} from './status.ts';
import { objectKey, type Store } from './store.ts';
import { clone, isObject, jsonEqual, type KubeObject, type ObjectMeta } from './types.ts';
import { validateObjectMeta } from './validation.ts';

/** Options of a write. */
export interface WriteOptions {
  /** `dryRun=All`: validate and answer, persist nothing. */
  dryRun?: boolean;
  /** Direct store access (not an HTTP request): status kept as given, no resourceVersion preconditions. */
  direct?: boolean;
  /** `status` for the status subresource. */
  subresource?: string;
}

/** Query of a list. */
export interface ListQuery {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
}

/** Result of a list (items are the stored objects: present() them before sending). */
export interface ListResult {
  items: KubeObject[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

/** `metav1.DeleteOptions` fields the simulator interprets. */
export interface DeleteOptions {
  preconditions?: { uid?: string; resourceVersion?: string };
  propagationPolicy?: string;
  gracePeriodSeconds?: number;
}

/** The patch media types. */
export const PATCH_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

const CRD_GR = 'apiextensions.k8s.io/customresourcedefinitions';
const NS_GR = '/namespaces';
const GENERATE_CHARS = 'bcdfghjklmnpqrstvwxz2456789';
const META_ORDER = [
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
];

function strOf(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** RFC 3339 timestamp with second precision, like metav1.Time. */
export function nowTimestamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function randomSuffix(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += GENERATE_CHARS[Math.floor(Math.random() * GENERATE_CHARS.length)] ?? 'x';
  return s;
}

/** Put kind/apiVersion/metadata first and metadata fields in the upstream order. */
function normalize(o: KubeObject): KubeObject {
  const md: ObjectMeta = {};
  for (const k of META_ORDER) if (o.metadata[k] !== undefined) md[k] = o.metadata[k];
  for (const [k, v] of Object.entries(o.metadata)) if (!(k in md) && v !== undefined) md[k] = v;
  const out: KubeObject = { kind: o.kind, apiVersion: o.apiVersion, metadata: md };
  for (const [k, v] of Object.entries(o))
    if (k !== 'kind' && k !== 'apiVersion' && k !== 'metadata' && v !== undefined) out[k] = v;
  return out;
}

/** A copy of a stored object as served at `version` (apiVersion rewritten: CRD conversion strategy None). */
export function present(def: ResourceDef, o: KubeObject, version?: string): KubeObject {
  const c = clone(o);
  c.apiVersion = apiVersionOf(def.group, version ?? def.versions[0] ?? 'v1');
  c.kind = def.kind;
  return normalize(c);
}

function encodeContinue(rv: number, lastKey: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start: `${lastKey}\u0000` }), 'utf8').toString('base64');
}

function decodeContinue(token: string): { rv: number; start: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
  } catch {
    throw badRequest(`invalid continue token: continue key is not valid: illegal base64 data at input byte 0`);
  }
  if (
    !isObject(parsed) ||
    parsed['v'] !== 'meta.k8s.io/v1' ||
    typeof parsed['rv'] !== 'number' ||
    typeof parsed['start'] !== 'string'
  ) {
    throw badRequest(
      'invalid continue token: continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
    );
  }
  return { rv: parsed['rv'], start: parsed['start'] };
}

/** Parse label and field selectors for a resource, with the upstream 400 errors. */
export function parseSelectors(
  def: ResourceDef,
  labelSelector: string | undefined,
  fieldSelector: string | undefined,
): { label?: LabelSelector; field?: FieldSelector } {
  const out: { label?: LabelSelector; field?: FieldSelector } = {};
  try {
    if (labelSelector !== undefined && labelSelector !== '') out.label = parseLabelSelector(labelSelector);
    if (fieldSelector !== undefined && fieldSelector !== '') out.field = parseFieldSelector(fieldSelector);
  } catch (e) {
    if (e instanceof SelectorError) throw badRequest(e.message);
    throw e;
  }
  for (const t of out.field?.terms ?? []) {
    if (!def.fieldSelector.fields.includes(t.field)) throw badRequest(def.fieldSelector.message(t.field));
  }
  return out;
}

/** Everything that makes the simulated API server's storage behave like kube-apiserver's. */
export class Registry {
  readonly table = new ResourceTable();
  private readonly ipAllocator = new ClusterIpAllocator();
  private readonly timers = new Set<NodeJS.Immediate>();
  private disposed = false;

  /** The Kubernetes minor version served (version-dependent defaults and responses). */
  readonly minor: number;

  constructor(
    readonly store: Store,
    private readonly opts: { strictNamespaces: boolean; minor?: number },
  ) {
    this.minor = opts.minor ?? LATEST_MINOR;
    store.subscribe((e) => {
      if (e.gr === CRD_GR) this.table.setCrds(this.store.list(CRD_GR));
    });
  }

  /** Stop background work (namespace finalization). */
  dispose(): void {
    this.disposed = true;
    for (const t of this.timers) clearImmediate(t);
    this.timers.clear();
  }

  private later(fn: () => void): void {
    const t = setImmediate(() => {
      this.timers.delete(t);
      if (!this.disposed) fn();
    });
    this.timers.add(t);
  }

  /** The GroupResource of a def, for errors. */
  gr(def: ResourceDef): { group: string; resource: string } {
    return { group: def.group, resource: def.resource };
  }

  /** GET one object (stored form). */
  get(def: ResourceDef, namespace: string, name: string): KubeObject {
    const o = this.store.get(grKey(def), def.namespaced ? namespace : '', name);
    if (o === undefined) throw notFound(this.gr(def), name);
    return o;
  }

  /** LIST with selectors and limit/continue pagination. `namespace` undefined = all namespaces. */
  list(def: ResourceDef, namespace: string | undefined, q: ListQuery): ListResult {
    const { label, field } = parseSelectors(def, q.labelSelector, q.fieldSelector);
    const gr = grKey(def);
    let source: KubeObject[];
    let rv: number;
    let start: string | undefined;
    if (q.continue !== undefined && q.continue !== '') {
      const tok = decodeContinue(q.continue);
      const snap = this.store.getSnapshot(gr, tok.rv);
      if (snap === undefined) {
        throw expired(
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
        );
      }
      source = snap;
      rv = tok.rv;
      start = tok.start;
    } else {
      source = this.store.list(gr);
      rv = this.store.currentRv();
    }
    const matching = source.filter((o) => {
      const ns = o.metadata.namespace ?? '';
      if (def.namespaced && namespace !== undefined && ns !== namespace) return false;
      if (start !== undefined && objectKey(ns, o.metadata.name ?? '') < start) return false;
      if (label !== undefined && !label.matches(o.metadata.labels)) return false;
      if (field !== undefined && !field.matches(o)) return false;
      return true;
    });
    // A list with resourceVersion=0 is served from the watch cache, which ignores limit (1.20 behaviour);
    // with a continue token it goes to storage, which pages.
    const limit = q.resourceVersion === '0' && start === undefined ? 0 : (q.limit ?? 0);
    if (limit > 0 && matching.length > limit) {
      const page = matching.slice(0, limit);
      const last = page[page.length - 1];
      const snapRv = start === undefined ? this.store.snapshot(gr) : rv;
      const res: ListResult = {
        items: page,
        resourceVersion: String(snapRv),
        continue: encodeContinue(snapRv, objectKey(last?.metadata.namespace ?? '', last?.metadata.name ?? '')),
      };
      // remainingItemCount is only known when nothing filters the keys (etcd3 store: pred.Empty()).
      if (label === undefined && field === undefined) res.remainingItemCount = matching.length - limit;
      return res;
    }
    return { items: matching, resourceVersion: String(rv) };
  }

  private decode(def: ResourceDef, body: unknown, version: string | undefined): KubeObject {
    if (!isObject(body))
      throw badRequest(
        `the object provided is unrecognized (must be of type ${def.kind}): couldn't get version/kind; json parse error: json: cannot unmarshal ${Array.isArray(body) ? 'array' : typeof body} into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }`,
      );
    const expected = apiVersionOf(def.group, version ?? def.versions[0] ?? 'v1');
    const av = body['apiVersion'];
    const kind = body['kind'];
    if (typeof kind === 'string' && kind !== '' && kind !== def.kind) {
      throw badRequest(
        `${kind} in version "${typeof av === 'string' ? (av.split('/').pop() ?? '') : ''}" cannot be handled as a ${def.kind}: no kind "${kind}" is registered for version "${typeof av === 'string' ? av : ''}"`,
      );
    }
    if (typeof av === 'string' && av !== '' && av !== expected) {
      throw badRequest(`the API version in the data (${av}) does not match the expected API version (${expected})`);
    }
    const o = clone(body) as KubeObject;
    if (!isObject(o.metadata)) o.metadata = {};
    o.apiVersion = apiVersionOf(def.group, def.versions[0] ?? 'v1');
    o.kind = def.kind;
    return o;
  }

  private admitNamespace(def: ResourceDef, namespace: string, name: string): void {
    if (!this.opts.strictNamespaces) return;
    const ns = this.store.get(NS_GR, '', namespace);
    if (ns === undefined) throw notFound({ group: '', resource: 'namespaces' }, namespace);
    if (ns.metadata.deletionTimestamp !== undefined) {
      throw forbidden(
        this.gr(def),
        name,
        `unable to create new content in namespace ${namespace} because it is being terminated`,
      );
    }
  }

  private kindErrors(def: ResourceDef, o: KubeObject): FieldError[] {
    const errs: FieldError[] = [];
    if (def.group === 'apiextensions.k8s.io' && def.kind === 'CustomResourceDefinition') {
      const spec = isObject(o['spec']) ? o['spec'] : {};
      const names = isObject(spec['names']) ? spec['names'] : {};
      const want = `${strOf(names['plural'])}.${strOf(spec['group'])}`;
      if (o.metadata.name !== want)
        errs.push({
          type: 'FieldValueInvalid',
          field: 'metadata.name',
          value: o.metadata.name,
          detail: 'must be spec.names.plural+"."+spec.group',
        });
      const versions = Array.isArray(spec['versions']) ? spec['versions'].filter(isObject) : [];
      if (versions.length === 0)
        errs.push({
          type: 'FieldValueInvalid',
          field: 'spec.versions',
          value: [],
          detail: 'must have exactly one version marked as storage version',
        });
      else if (versions.filter((v) => v['storage'] === true).length !== 1)
        errs.push({
          type: 'FieldValueInvalid',
          field: 'spec.versions',
          value: versions.map((v) => v['name']),
          detail: 'must have exactly one version marked as storage version',
        });
    }
    return errs;
  }

  private allocateIp(): string {
    const inUse = new Set<string>();
    for (const s of this.store.list('/services')) {
      const spec = s['spec'];
      if (isObject(spec) && typeof spec['clusterIP'] === 'string') inUse.add(spec['clusterIP']);
    }
    return this.ipAllocator.allocate(inUse);
  }

  /** POST: create. `namespace` is the request's namespace ('' for cluster scope). */
  create(def: ResourceDef, namespace: string, body: unknown, wo: WriteOptions = {}, version?: string): KubeObject {
    const o = this.decode(def, body, version);
    const md = o.metadata;
    if (def.namespaced) {
      const objNs = md.namespace ?? '';
      if (wo.direct) {
        if (objNs === '') md.namespace = namespace === '' ? 'default' : namespace;
      } else {
        // rest.EnsureObjectNamespaceMatchesRequestNamespace
        if (objNs !== '' && objNs !== namespace)
          throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
        md.namespace = namespace;
      }
    } else {
      delete md.namespace;
    }
    if (!wo.direct && def.namespaced) this.admitNamespace(def, md.namespace ?? '', md.name ?? '');
    applyDefaults(def, o, undefined, this.minor);
    // rest.BeforeCreate
    delete md.deletionTimestamp;
    delete md.deletionGracePeriodSeconds;
    if (!wo.direct && def.statusSubresource) delete o['status'];
    prepareForCreate(def, o, () => this.allocateIp(), this.minor);
    encodeStatus(def, o);
    if (!wo.direct || typeof md.uid !== 'string' || md.uid === '') md.uid = randomUUID();
    if (!wo.direct || typeof md.creationTimestamp !== 'string') md.creationTimestamp = nowTimestamp();
    if ((md.name === undefined || md.name === '') && typeof md.generateName === 'string' && md.generateName !== '') {
      md.name = md.generateName.slice(0, 58) + randomSuffix(5);
    }
    if (def.generation !== undefined) {
      md.generation = wo.direct && typeof md.generation === 'number' && md.generation > 0 ? md.generation : 1;
    }
    const errs = [...validateObjectMeta(o, def.nameRule, def.namespaced), ...this.kindErrors(def, o)];
    if (errs.length > 0) throw invalid(def.group, def.kind, md.name ?? '', errs);
    if (!wo.direct && md.resourceVersion !== undefined && md.resourceVersion !== '' && md.resourceVersion !== '0') {
      // etcd3 store.Create: a plain error, so the handler answers 500 with reason Unknown.
      throw internalUnknown('resourceVersion should not be set on objects to be created');
    }
    delete md.resourceVersion;
    const gr = grKey(def);
    const existing = this.store.get(gr, md.namespace ?? '', md.name ?? '');
    if (existing !== undefined) {
      const err = alreadyExists(this.gr(def), md.name ?? '');
      if (existing.metadata.deletionTimestamp !== undefined)
        err.status.message = `object is being deleted: ${err.status.message ?? ''}`;
      throw err;
    }
    const out = normalize(o);
    if (wo.dryRun) return out;
    return this.store.put(gr, out);
  }

  /** PUT: update (or create when the kind allows it). */
  update(
    def: ResourceDef,
    namespace: string,
    name: string,
    body: unknown,
    wo: WriteOptions = {},
    version?: string,
  ): { object: KubeObject; created: boolean } {
    const o = this.decode(def, body, version);
    const md = o.metadata;
    if (!wo.direct) {
      const objName = md.name ?? '';
      if (objName !== name)
        throw badRequest(`the name of the object (${objName}) does not match the name on the URL (${name})`);
      if (def.namespaced) {
        const objNs = md.namespace ?? '';
        if (objNs !== '' && objNs !== namespace)
          throw badRequest(
            `the namespace of the object (${objNs}) does not match the namespace on the URL (${namespace})`,
          );
      }
    }
    if (def.namespaced) md.namespace = (md.namespace ?? '') === '' ? namespace : md.namespace;
    else delete md.namespace;
    const existing = this.store.get(grKey(def), md.namespace ?? '', name);
    if (existing === undefined) {
      if (wo.subresource === undefined && (def.allowCreateOnUpdate || wo.direct)) {
        const c = clone(o);
        delete c.metadata.resourceVersion;
        return { object: this.create(def, namespace, c, wo, version), created: true };
      }
      throw notFound(this.gr(def), name);
    }
    return { object: this.applyUpdate(def, existing, o, wo), created: false };
  }

  /** The update path shared by PUT, PATCH and direct upserts (`next` is a fresh decoded object). */
  private applyUpdate(def: ResourceDef, existing: KubeObject, incoming: KubeObject, wo: WriteOptions): KubeObject {
    const name = existing.metadata.name ?? '';
    const rv = incoming.metadata.resourceVersion;
    if (!wo.direct && rv !== undefined && rv !== '' && rv !== existing.metadata.resourceVersion) {
      throw conflict(this.gr(def), name, OPTIMISTIC_LOCK_MSG);
    }
    let next: KubeObject;
    if (wo.subresource === 'status') {
      next = clone(existing);
      if (incoming['status'] === undefined) delete next['status'];
      else next['status'] = incoming['status'];
      encodeStatus(def, next);
    } else {
      next = incoming;
      const md = next.metadata;
      const old = existing.metadata;
      applyDefaults(def, next, existing, this.minor);
      if (!wo.direct && def.statusSubresource) {
        if (existing['status'] === undefined) delete next['status'];
        else next['status'] = clone(existing['status']);
      }
      const errs: FieldError[] = [];
      if (md.uid === undefined || md.uid === '') md.uid = old.uid;
      else if (md.uid !== old.uid)
        errs.push({ type: 'FieldValueInvalid', field: 'metadata.uid', value: md.uid, detail: 'field is immutable' });
      if (md.name !== old.name)
        errs.push({ type: 'FieldValueInvalid', field: 'metadata.name', value: md.name, detail: 'field is immutable' });
      md.creationTimestamp = old.creationTimestamp;
      if (old.deletionTimestamp !== undefined) {
        md.deletionTimestamp = old.deletionTimestamp;
        if (old.deletionGracePeriodSeconds !== undefined)
          md.deletionGracePeriodSeconds = old.deletionGracePeriodSeconds;
        const added = (md.finalizers ?? []).filter((f) => !(old.finalizers ?? []).includes(f));
        if (added.length > 0)
          errs.push({
            type: 'FieldValueForbidden',
            field: 'metadata.finalizers',
            detail: `no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(', ')}}`,
          });
      } else {
        delete md.deletionTimestamp;
        delete md.deletionGracePeriodSeconds;
      }
      if (def.group === 'apiextensions.k8s.io' && def.kind === 'CustomResourceDefinition' && !wo.direct)
        crdStatus(next, existing);
      encodeStatus(def, next);
      errs.push(
        ...validateObjectMeta(next, def.nameRule, def.namespaced).filter(
          (e) => e.field !== 'metadata.name' || e.type !== 'FieldValueRequired',
        ),
      );
      errs.push(...this.kindErrors(def, next));
      if (errs.length > 0) throw invalid(def.group, def.kind, name, errs);
    }
    if (def.generation !== undefined) {
      const base = typeof existing.metadata.generation === 'number' ? existing.metadata.generation : 1;
      next.metadata.generation =
        wo.subresource === undefined && this.generationChanged(def, next, existing) ? base + 1 : base;
    } else if (existing.metadata.generation !== undefined && next.metadata.generation === undefined) {
      next.metadata.generation = existing.metadata.generation;
    }
    next.metadata.resourceVersion = existing.metadata.resourceVersion;
    next = normalize(next);
    // etcd3 GuaranteedUpdate: an update that changes nothing is not written (no new RV, no event).
    if (jsonEqual(next, existing)) return existing;
    if (wo.dryRun) return next;
    const gr = grKey(def);
    if (
      next.metadata.deletionTimestamp !== undefined &&
      (next.metadata.finalizers ?? []).length === 0 &&
      gr !== NS_GR
    ) {
      // Store.Update → deleteWithoutFinalizers: the last finalizer is gone, the object is deleted.
      return this.store.remove(gr, next.metadata.namespace ?? '', name) ?? next;
    }
    return this.store.put(gr, next);
  }

  private generationChanged(def: ResourceDef, a: KubeObject, b: KubeObject): boolean {
    const p = def.generation;
    if (p === undefined) return false;
    if (p.annotations === true && !jsonEqual(a.metadata.annotations ?? {}, b.metadata.annotations ?? {})) return true;
    if (p.fields === 'all') {
      const skip = new Set(['apiVersion', 'kind', 'metadata']);
      if (def.statusSubresource) skip.add('status');
      const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
      return [...keys].some((k) => !skip.has(k) && !jsonEqual(a[k], b[k]));
    }
    return p.fields.some((f) => !jsonEqual(a[f], b[f]));
  }

  /** PATCH with one of the patch media types. */
  patch(
    def: ResourceDef,
    namespace: string,
    name: string,
    contentType: string,
    rawBody: string,
    wo: WriteOptions = {},
    version?: string,
  ): KubeObject {
    const mediaType = (contentType.split(';')[0] ?? '').trim().toLowerCase();
    const accepted = def.custom
      ? [PATCH_TYPES.json, PATCH_TYPES.merge, PATCH_TYPES.apply]
      : [PATCH_TYPES.json, PATCH_TYPES.merge, PATCH_TYPES.strategic, PATCH_TYPES.apply];
    if (!accepted.includes(mediaType as (typeof accepted)[number])) {
      throw unsupportedMediaType(
        `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
      );
    }
    if (mediaType === PATCH_TYPES.apply)
      throw unsupportedMediaType('server-side apply is not supported by the simulator');
    const existing = this.get(def, namespace, name);
    let body: unknown;
    try {
      body = JSON.parse(rawBody);
    } catch (e) {
      throw badRequest(`error decoding patch: ${e instanceof Error ? e.message : String(e)}`);
    }
    const current = present(def, existing, version);
    let patched: unknown;
    try {
      if (mediaType === PATCH_TYPES.json) patched = applyJsonPatch(current, body);
      else if (mediaType === PATCH_TYPES.merge) {
        if (!isObject(body)) throw new PatchError('bad-request', 'Invalid JSON Patch');
        patched = applyMergePatch(current, body);
      } else patched = applyStrategicMergePatch(current, body, smpSchemaFor(def.group, def.kind));
    } catch (e) {
      if (e instanceof PatchError) {
        if (e.kind === 'bad-request') throw badRequest(e.message);
        if (e.kind === 'unprocessable') throw genericUnprocessable(e.message);
        throw internalUnknown(e.message);
      }
      throw e;
    }
    if (!isObject(patched) || !isObject(patched['metadata']))
      throw badRequest('the patched object is not a valid object');
    const o = this.decode(def, patched, version);
    const objNs = o.metadata.namespace ?? '';
    if (def.namespaced && objNs !== namespace)
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    if (!def.namespaced) delete o.metadata.namespace;
    // The patch handler checks the patched name against the URL (rest.BeforeUpdate is never reached).
    if (o.metadata.name !== name)
      throw badRequest(
        `the name of the object (${o.metadata.name ?? ''}) does not match the name on the URL (${name})`,
      );
    return this.applyUpdate(def, existing, o, wo);
  }

  /** DELETE one object. Returns the response body (the object or a Success Status) and the affected object. */
  delete(
    def: ResourceDef,
    namespace: string,
    name: string,
    options: DeleteOptions,
    wo: WriteOptions = {},
  ): { body: unknown; object: KubeObject } {
    const existing = this.get(def, namespace, name);
    const gr = grKey(def);
    const pre = options.preconditions;
    // rest.BeforeDelete: the conflict names the Kind (GroupResource{gvk.Group, gvk.Kind}), not the resource.
    const gk = { group: def.group, resource: def.kind };
    if (pre?.uid !== undefined && pre.uid !== existing.metadata.uid) {
      throw conflict(
        gk,
        name,
        `the UID in the precondition (${pre.uid}) does not match the UID in record (${existing.metadata.uid ?? ''}). The object might have been deleted and then recreated`,
      );
    }
    if (pre?.resourceVersion !== undefined && pre.resourceVersion !== existing.metadata.resourceVersion) {
      throw conflict(
        gk,
        name,
        `the ResourceVersion in the precondition (${pre.resourceVersion}) does not match the ResourceVersion in record (${existing.metadata.resourceVersion ?? ''}). The object might have been modified`,
      );
    }
    const graceful = gr === NS_GR || (existing.metadata.finalizers ?? []).length > 0;
    if (graceful) {
      if (existing.metadata.deletionTimestamp !== undefined) return { body: existing, object: existing };
      const next = clone(existing);
      next.metadata.deletionTimestamp = nowTimestamp();
      next.metadata.deletionGracePeriodSeconds = 0;
      if (gr === NS_GR) next['status'] = { ...(isObject(next['status']) ? next['status'] : {}), phase: 'Terminating' };
      if (wo.dryRun) return { body: next, object: next };
      const stored = this.store.put(gr, normalize(next));
      if (gr === NS_GR) this.later(() => this.finalizeNamespace(name));
      return { body: stored, object: stored };
    }
    const returnObject = def.returnDeletedObject && this.minor >= (def.returnDeletedObjectSince ?? 0);
    if (wo.dryRun) return { body: returnObject ? existing : this.successStatus(def, existing), object: existing };
    if (gr === CRD_GR) this.deleteCustomResources(existing);
    const removed = this.store.remove(gr, existing.metadata.namespace ?? '', name) ?? existing;
    return { body: returnObject ? removed : this.successStatus(def, removed), object: removed };
  }

  /** DELETE on a collection: deletes every matching object, answers with the list of them. */
  deleteCollection(
    def: ResourceDef,
    namespace: string | undefined,
    q: ListQuery,
    options: DeleteOptions,
    wo: WriteOptions = {},
  ): KubeObject[] {
    const { items } = this.list(def, namespace, {
      ...(q.labelSelector !== undefined ? { labelSelector: q.labelSelector } : {}),
      ...(q.fieldSelector !== undefined ? { fieldSelector: q.fieldSelector } : {}),
    });
    const out: KubeObject[] = [];
    for (const o of items) {
      try {
        out.push(
          this.delete(def, o.metadata.namespace ?? '', o.metadata.name ?? '', { ...options, preconditions: {} }, wo)
            .object,
        );
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 404)) throw e;
      }
    }
    return out;
  }

  private successStatus(def: ResourceDef, o: KubeObject): Record<string, unknown> {
    const details: Record<string, unknown> = { name: o.metadata.name };
    if (def.group !== '') details['group'] = def.group;
    details['kind'] = def.resource;
    if (o.metadata.uid !== undefined) details['uid'] = o.metadata.uid;
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details };
  }

  private deleteCustomResources(crd: KubeObject): void {
    const spec = isObject(crd['spec']) ? crd['spec'] : {};
    const names = isObject(spec['names']) ? spec['names'] : {};
    const gr = `${strOf(spec['group'])}/${strOf(names['plural'])}`;
    for (const o of this.store.list(gr)) this.store.remove(gr, o.metadata.namespace ?? '', o.metadata.name ?? '');
  }

  /** The namespace controller: delete everything in a terminating namespace, then the namespace. */
  private finalizeNamespace(name: string): void {
    const ns = this.store.get(NS_GR, '', name);
    if (ns === undefined || ns.metadata.deletionTimestamp === undefined) return;
    for (const gr of this.store.resources()) {
      if (gr === NS_GR) continue;
      for (const o of this.store.list(gr))
        if (o.metadata.namespace === name) this.store.remove(gr, name, o.metadata.name ?? '');
    }
    if ((ns.metadata.finalizers ?? []).length === 0) this.store.remove(NS_GR, '', name);
  }
}
