/**
 * What keeps a control-plane revision in use, and why: the one rule behind `revisions`' SAFE TO
 * REMOVE, `skew --target`'s "remove revision" step and tag-move's warnings. Every referrer of
 * istio-semantics.md §3.7 that the API server can show is checked (rows 1-11); row 12 (live xDS
 * connections) is not read. Pure: takes the joined Mesh.
 */
import { DEFAULT_TAG, DEFAULT_VALIDATOR, ISTIO_INJECTION, REV, istiodName } from './labels.ts';
import { operationCommands } from './history.ts';
import { helmOwner, nameList, type Mesh, type Revision } from './mesh.ts';
import type { KubeObject } from './model.ts';

/** Short codes of the reasons, as the `revisions` table prints them. */
export type UsageCode = 'tags' | 'validator' | 'ns' | 'pods' | 'gw' | 'ztunnel' | 'helm' | 'incomplete';

/** The object that causes a reason (kind, namespace/name). */
export interface ObjectRef {
  kind: string;
  namespace?: string;
  name: string;
}

/** One thing that still depends on a revision. */
export interface UsageReason {
  code: UsageCode;
  /** The §3.7 row this reason implements. */
  row: number;
  object: ObjectRef;
  /** How many objects of that kind this reason stands for (pods are counted per namespace). */
  count: number;
  message: string;
  /** What to do before the revision can be removed. */
  fix: string;
}

/** `in-use`: something depends on it; `unknown`: nothing seen, but some of it could not be read; `safe`: remove it. */
export type UsageStatus = 'in-use' | 'unknown' | 'safe';

export interface RevisionUsage {
  revision: string;
  status: UsageStatus;
  reasons: UsageReason[];
  /** What could not be read (each makes a reason-less revision UNKNOWN, never SAFE TO REMOVE). */
  unknown: string[];
  /** Running pods whose proxy connects to it (§3.7 rows 6, 9), its Gateways' own pods included. */
  pods: number;
}

const ref = (o: KubeObject): ObjectRef => ({
  kind: o.kind,
  ...(o.metadata.namespace !== undefined ? { namespace: o.metadata.namespace } : {}),
  name: o.metadata.name,
});
const label = (o: KubeObject | undefined, key: string): string | undefined => o?.metadata.labels?.[key];

/** The Helm release of a revision: its istiod's `meta.helm.sh/release-name`, else the runbook's `istiod-<rev>`. */
function helmReleaseOf(r: Revision): string {
  return r.helmRelease ?? `istiod-${r.name}`;
}

/** The revision whose injector handles `istio.io/rev=<value>` (a tag's webhook decides injection, §1.3), if any. */
function injectorOf(mesh: Mesh, value: string): string | undefined {
  const t = mesh.tags.get(value);
  if (t !== undefined) return label(t.webhook, REV);
  return mesh.revisions.has(value) ? value : undefined;
}

/** Collects reasons per revision. */
class Reasons {
  readonly byRevision = new Map<string, UsageReason[]>();
  add(revisions: Iterable<string>, reason: UsageReason): void {
    for (const rev of revisions) {
      const list = this.byRevision.get(rev);
      if (list === undefined) this.byRevision.set(rev, [reason]);
      else list.push(reason);
    }
  }
}

/** Rows 1 and 2: tag webhooks and (1.28+) tag Services, each object separately, so a split or duplicated tag keeps both revisions. */
function tagObjects(mesh: Mesh, out: Reasons): void {
  for (const t of mesh.tags.values()) {
    for (const m of t.webhooks) {
      const rev = label(m, REV);
      if (rev === undefined) continue;
      out.add([rev], {
        code: 'tags',
        row: 1,
        object: ref(m),
        count: 1,
        message: `tag ${t.name}: webhook ${m.metadata.name} points at it, so pods of namespaces labelled ${t.name} are injected by it`,
        fix: `move the tag: kubectl ambient tag-move ${t.name} <revision>`,
      });
    }
    for (const v of t.services) {
      const rev = label(v, REV);
      if (rev === undefined || !t.claimants.includes(rev)) continue; // a <1.28 istiod reads no tag Services (§3.1)
      const split = t.webhook !== undefined && label(t.webhook, REV) !== rev;
      out.add([rev], {
        code: 'tags',
        row: 2,
        object: ref(v),
        count: 1,
        message: split
          ? `tag ${t.name} is split: its Service ${v.metadata.name} still points at it while its webhook ` +
            `points at ${label(t.webhook, REV) ?? '?'}, so this istiod still claims the tag (§3.1)`
          : `tag ${t.name}: Service ${v.metadata.name} points at it, so its istiod claims the tag`,
        fix: `move the whole tag: kubectl ambient tag-move ${t.name} <revision>`,
      });
    }
  }
}

/**
 * A tag move or rollback that was interrupted (its operation record is still on the webhook): until
 * it is finished or undone, the tag may end up on either revision, so both stay in use.
 */
function incomplete(mesh: Mesh, out: Reasons): void {
  for (const t of mesh.tags.values()) {
    const op = t.intent;
    if (op === undefined || t.webhook === undefined) continue;
    const { finish, undo } = operationCommands(t.name, op);
    out.add([...new Set([op.from, op.to].filter((r): r is string => r !== null))], {
      code: 'incomplete',
      row: 1,
      object: ref(t.webhook),
      count: 1,
      message: `tag ${t.name} is half-way through a ${op.op} from ${op.from ?? '(new)'} to ${op.to}: either revision may end up serving it`,
      fix: `finish it: ${finish}, or undo it: ${undo}`,
    });
  }
}

/** Row 3: `istiod-default-validator` labelled with the revision or calling its Service (§3.8). */
function validator(mesh: Mesh, out: Reasons): void {
  const v = mesh.defaultValidator;
  if (v === undefined) return;
  const revs = new Set<string>();
  const labelled = label(v, REV);
  if (labelled !== undefined) revs.add(labelled);
  for (const r of mesh.revisions.values()) {
    if (
      (v.webhooks ?? []).some(
        (w) =>
          w.clientConfig.service?.name === istiodName(r.name) &&
          w.clientConfig.service.namespace === mesh.istioNamespace,
      )
    )
      revs.add(r.name);
  }
  out.add(
    [...revs].filter((r) => mesh.revisions.has(r)),
    {
      code: 'validator',
      row: 3,
      object: ref(v),
      count: 1,
      message:
        `${DEFAULT_VALIDATOR} is served by it (failurePolicy Fail once its istiod ran): removing it ` +
        `rejects every write of Istio config`,
      fix:
        `point the validator at another revision: helm upgrade istio-base istio/base -n ` +
        `${mesh.istioNamespace} --reuse-values --set defaultRevision=<revision> (or kubectl ambient ` +
        `tag-move ${DEFAULT_TAG} <revision>)`,
    },
  );
}

/**
 * Rows 4 and 5: namespaces whose new pods it injects: `istio.io/rev=<rev or tag>` (the tag's webhook
 * decides injection), and `istio-injection=enabled` for the default injector.
 */
function namespaces(mesh: Mesh, out: Reasons): void {
  const defaultInjector = injectorOf(mesh, DEFAULT_TAG);
  for (const n of mesh.namespaces) {
    const requested = label(n, REV);
    const injection = label(n, ISTIO_INJECTION);
    if (injection === 'enabled' && defaultInjector !== undefined) {
      out.add([defaultInjector], {
        code: 'ns',
        row: 5,
        object: ref(n),
        count: 1,
        message:
          `namespace ${n.metadata.name} is labelled ${ISTIO_INJECTION}=enabled: the default injector (this ` +
          `revision) injects its new pods`,
        fix: `move the ${DEFAULT_TAG} tag, or relabel the namespace`,
      });
      continue; // istio-injection wins over istio.io/rev for injection (§3.7 row 5)
    }
    if (requested === undefined || requested === '' || injection !== undefined) continue;
    const rev = injectorOf(mesh, requested);
    if (rev === undefined) continue;
    out.add([rev], {
      code: 'ns',
      row: 4,
      object: ref(n),
      count: 1,
      message:
        `namespace ${n.metadata.name} is labelled ` +
        `${REV}=${requested}${requested !== rev ? ` (tag ${requested} -> ${rev})` : ''}: its new pods ` +
        `are injected by it`,
      fix:
        requested === rev
          ? `relabel it: kubectl label namespace ${n.metadata.name} ${REV}=<tag> --overwrite`
          : `move the tag: kubectl ambient tag-move ${requested} <revision>`,
    });
  }
}

/**
 * Rows 6, 7 and 9: running pods whose proxy connects to the revision (annotation), and pods that ask
 * for it by label where their namespace names no revision, counted per namespace.
 */
function pods(mesh: Mesh, out: Reasons, proxies: Map<string, number>): void {
  const nsLabels = new Map(mesh.namespaces.map((n) => [n.metadata.name, n.metadata.labels ?? {}]));
  const running = new Map<string, Map<string, string[]>>(); // revision -> namespace -> pod names
  const requesting = new Map<string, Map<string, string[]>>();
  const push = (m: Map<string, Map<string, string[]>>, rev: string, ns: string, name: string): void => {
    const byNs = m.get(rev) ?? new Map<string, string[]>();
    m.set(rev, byNs);
    const names = byNs.get(ns);
    if (names === undefined) byNs.set(ns, [name]);
    else names.push(name);
  };
  // A Gateway's own proxy pods on the revision that manages it add nothing to its `gw` reason (row 8).
  const managedBy = new Map(mesh.gateways.map((g) => [`${g.namespace}/${g.name}`, g.claimants]));
  for (const p of mesh.pods) {
    if (p.runs === undefined || p.runs === '') continue;
    proxies.set(p.runs, (proxies.get(p.runs) ?? 0) + 1);
    if (p.gateway !== undefined && managedBy.get(`${p.namespace}/${p.gateway}`)?.includes(p.runs) === true) continue;
    push(running, p.runs, p.namespace, p.name);
  }
  for (const p of mesh.pods) {
    const ns = nsLabels.get(p.namespace) ?? {};
    if (
      p.requests === undefined ||
      p.requests === '' ||
      p.injectionOff ||
      ns[REV] !== undefined ||
      ns[ISTIO_INJECTION] !== undefined
    )
      continue;
    const rev = injectorOf(mesh, p.requests);
    if (rev !== undefined && rev !== p.runs) push(requesting, rev, p.namespace, p.name);
  }
  for (const [rev, byNs] of running) {
    for (const [ns, names] of byNs) {
      out.add([rev], {
        code: 'pods',
        row: 6,
        object: { kind: 'Pod', namespace: ns, name: names[0] ?? '' },
        count: names.length,
        message: `${names.length} running pod(s) in ${ns} have its proxy (${nameList(names, 3)})`,
        fix: `restart them once their tag or namespace points elsewhere: kubectl rollout restart deployment -n ${ns} ...`,
      });
    }
  }
  for (const [rev, byNs] of requesting) {
    for (const [ns, names] of byNs) {
      out.add([rev], {
        code: 'pods',
        row: 7,
        object: { kind: 'Pod', namespace: ns, name: names[0] ?? '' },
        count: names.length,
        message: `${names.length} pod(s) in ${ns} are labelled ${REV} for it: recreated, they are injected by it (${nameList(names, 3)})`,
        fix: `relabel their workloads with a tag that points elsewhere`,
      });
    }
  }
}

/** Row 8: Gateways and waypoints of every Istio class whose `IsMine` it is (§3.1, §3.9, §3.11), even without pods. */
function gateways(mesh: Mesh, out: Reasons): void {
  for (const g of mesh.gateways) {
    const via =
      g.source === 'default' || g.requested === ''
        ? 'the default'
        : `${REV}=${g.requested ?? ''}${g.source === 'namespace' ? ' on its namespace' : ''}`;
    out.add(
      g.claimants.filter((r) => mesh.revisions.has(r)),
      {
        code: 'gw',
        row: 8,
        object: { kind: 'Gateway', namespace: g.namespace, name: g.name },
        count: 1,
        message: `${g.kind} ${g.namespace}/${g.name} follows it through ${via}: its istiod renders the proxy`,
        fix:
          g.tag !== undefined
            ? `move the tag: kubectl ambient tag-move ${g.tag} <revision>`
            : `relabel it: kubectl label gateway -n ${g.namespace} ${g.name} ${REV}=<tag> --overwrite`,
      },
    );
  }
}

/** Row 10: ztunnel dials the revision it is pinned to (§3.3). */
function ztunnel(mesh: Mesh, out: Reasons): void {
  for (const z of mesh.ztunnels) {
    if (z.pinnedRevision === undefined) continue;
    out.add([z.pinnedRevision], {
      code: 'ztunnel',
      row: 10,
      object: ref(z.daemonSet),
      count: 1,
      message: `ztunnel ${z.namespace}/${z.name} is pinned to it (XDS_ADDRESS ${istiodName(z.pinnedRevision)})`,
      fix: `re-pin ztunnel: helm upgrade ztunnel istio/ztunnel -n ${z.namespace} --reuse-values --set revision=<revision>`,
    });
  }
}

/** Row 11: objects the revision's Helm release owns that outlive it (§1.6): `helm uninstall` deletes them wherever they point. */
function helmOwned(mesh: Mesh, out: Reasons): void {
  const objects: KubeObject[] = [...mesh.tags.values()].flatMap((t) => [...t.webhooks, ...t.services]);
  if (mesh.defaultValidator !== undefined) objects.push(mesh.defaultValidator);
  for (const r of mesh.revisions.values()) {
    const release = helmReleaseOf(r);
    for (const o of objects) {
      if (helmOwner(o) !== release) continue;
      out.add([r.name], {
        code: 'helm',
        row: 11,
        object: ref(o),
        count: 1,
        message:
          `${o.kind} ${o.metadata.name} belongs to Helm release ` +
          `${release}${label(o, REV) !== r.name ? ` although it points at ${label(o, REV) ?? '?'}` : ''}: ` +
          `"helm uninstall ${release}" deletes it`,
        fix:
          `re-home it first: kubectl annotate ${o.kind.toLowerCase()} ` +
          `${o.metadata.namespace !== undefined ? `-n ${o.metadata.namespace} ` : ''}${o.metadata.name} ` +
          `helm.sh/resource-policy=keep, then helm upgrade ${release} istio/istiod -n ` +
          `${mesh.istioNamespace} --reuse-values --set revisionTags=null`,
      });
    }
  }
}

/**
 * Per installed revision: IN USE with every reason (§3.7), UNKNOWN when nothing was found but a list
 * it depends on could not be read, else SAFE TO REMOVE.
 */
export function revisionUsage(mesh: Mesh): Map<string, RevisionUsage> {
  const out = new Reasons();
  tagObjects(mesh, out);
  incomplete(mesh, out);
  validator(mesh, out);
  namespaces(mesh, out);
  const proxies = new Map<string, number>();
  pods(mesh, out, proxies);
  gateways(mesh, out);
  ztunnel(mesh, out);
  helmOwned(mesh, out);
  const unknown = mesh.unavailable.map((u) => `${u.what} could not be read (${u.reason})`);
  const usage = new Map<string, RevisionUsage>();
  for (const r of [...mesh.revisions.keys()].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))) {
    const reasons = out.byRevision.get(r) ?? [];
    usage.set(r, {
      revision: r,
      status: reasons.length > 0 ? 'in-use' : unknown.length > 0 ? 'unknown' : 'safe',
      reasons,
      unknown,
      pods: proxies.get(r) ?? 0,
    });
  }
  return usage;
}

/** Reasons that hold no proxy to the revision: Helm ownership and validation serve no data plane. */
const CONTROL_ONLY: ReadonlySet<UsageCode> = new Set(['helm', 'validator']);

/**
 * The revisions something in the data plane uses (§5.3: what istio-cni is judged against): tags,
 * namespaces, pods, gateways and ztunnel's pin; not Helm ownership or the default validator.
 */
export function dataPlaneRevisions(usage: Map<string, RevisionUsage>): string[] {
  return [...usage.values()].filter((u) => u.reasons.some((r) => !CONTROL_ONLY.has(r.code))).map((u) => u.revision);
}
