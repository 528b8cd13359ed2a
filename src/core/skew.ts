/**
 * `skew`: version skew and support of every component, and the upgrade plan of `--target`
 * (istio-semantics.md §3.3, §3.4, §3.7, §4.3, §5). Pure: takes the Mesh, what the CRDs say, the
 * Kubernetes version and "now"; returns findings and a plan. Every `done` is read from the cluster.
 */
import semver from 'semver';
import { crdsAtLeast, type CrdState } from './crds.ts';
import { AmbientError } from './errors.ts';
import { evaluateHazards, forwardMoveWarning, type HazardInput, type HazardRevision } from './hazards.ts';
import {
  MAX_AGENT_STEP,
  MAX_DATA_PLANE_LAG,
  MAX_REVISION_JUMP,
  asRelease,
  baseChartTemplatesCrds,
} from './istio-rules.ts';
import {
  BASE_RELEASE,
  DEFAULT_TAG,
  HELM_RELEASE_NAME,
  HELM_RELEASE_NAMESPACE,
  REV,
  USE_WAYPOINT_CANARY,
  istiodName,
} from './labels.ts';
import { nameList, revisionFromAddress, type GatewayInfo, type Mesh, type NodeAgent, type Revision } from './mesh.ts';
import { SUPPORT_DATA_AS_OF, SUPPORT_DATA_URL, SUPPORT_TABLE, supportRow } from './support-table.ts';
import { dataPlaneRevisions, revisionUsage, type RevisionUsage, type UsageCode } from './usage.ts';
import { compareVersionsDesc, minorDistance, minorLine, parseMinorLine, parseVersion } from './version.ts';

export type FindingStatus = 'ok' | 'warn' | 'fail';

/** One check of one component instance (json/yaml keys are these names). */
export interface Finding {
  component: 'istiod' | 'kubernetes' | 'ztunnel' | 'istio-cni' | 'gateway' | 'waypoint' | 'crds';
  name: string;
  namespace: string;
  version: string | null;
  /** The control-plane revision it is checked against. */
  controlPlane: string | null;
  controlPlaneVersion: string | null;
  rule:
    | 'version-known'
    | 'data-plane-skew'
    | 'kubernetes-support'
    | 'end-of-life'
    | 'support-data'
    | 'idle-revision'
    | 'crd-version'
    | 'upgrade-jump'
    | 'forward-move'
    | 'plan-window'
    | 'follows-old-revision'
    | `hazard:${string}`;
  status: FindingStatus;
  message: string;
}

/** Everything `skew` reads: the mesh, the CRDs (§4.3), the API server's version and the date. */
export interface SkewInput {
  mesh: Mesh;
  crds: CrdState;
  kubernetesVersion: string;
  now: Date;
}

const minor = (v: string): number => semver.minor(asRelease(v));
const line = (v: string): string => minorLine(asRelease(v));
const valid = (v: string | undefined): v is string => v !== undefined && semver.valid(v) !== null;
const k8sMinor = (gitVersion: string): string | undefined => {
  const m = /^v?(\d+)\.(\d+)/.exec(gitVersion);
  return m === null ? undefined : `${m[1] ?? ''}.${m[2] ?? ''}`;
};
const cmpMinor = (a: string, b: string): number => {
  const [am, an] = a.split('.').map(Number);
  const [bm, bn] = b.split('.').map(Number);
  return (am ?? 0) - (bm ?? 0) || (an ?? 0) - (bn ?? 0);
};
const istiodObject = (r: Revision): string => r.deployment?.metadata.name ?? istiodName(r.name);
const istiodNamespace = (r: Revision, ns: string): string => r.deployment?.metadata.namespace ?? ns;

/** The newest patch of `minorLine` the support table knows (`1.29` → `1.29.9`), if any. */
export function latestPatch(minorLineText: string): string | undefined {
  return supportRow(minorLineText)?.latestPatch;
}

/**
 * The next version a node agent (ztunnel, istio-cni) at `from` moves to on the way to `to`: one minor
 * up at that minor's latest known patch, or `to` itself when it is at most one minor away (§5.3).
 */
export function nextAgentVersion(from: string, to: string): string {
  const d = minorDistance(from, to);
  if (d === undefined || d <= MAX_AGENT_STEP) return to;
  const next = `${semver.major(to)}.${minor(from) + 1}`;
  return latestPatch(next) ?? `${next}.x`;
}

/**
 * The data-plane rule (§5.1): `0 <= minor(control plane) - minor(component) <= 1`. A component ahead
 * of its control plane fails, two or more minors behind fails (with the next one-minor step, §5.3),
 * unknown versions warn.
 */
export function dataPlaneSkew(
  component: Finding['component'],
  name: string,
  namespace: string,
  version: string | undefined,
  cp: Revision | undefined,
): Finding {
  const base = {
    component,
    name,
    namespace,
    version: version ?? null,
    controlPlane: cp?.name ?? null,
    controlPlaneVersion: cp?.version ?? null,
    rule: 'data-plane-skew' as const,
  };
  const what = `${component} ${namespace}/${name}`;
  if (cp === undefined)
    return {
      ...base,
      status: 'fail',
      message:
        `${what} follows no installed control-plane revision: point it at one (or reinstall the revision ` +
        `it expects)`,
    };
  if (version === undefined || cp.version === undefined) {
    return {
      ...base,
      status: 'warn',
      message: `cannot tell the version of ${version === undefined ? what : `revision ${cp.name}`}: check the image tag`,
    };
  }
  const d = minor(cp.version) - minor(version);
  if (d < 0) {
    return {
      ...base,
      status: 'fail',
      message:
        `${what} (${version}) is ahead of its control plane ${cp.name} (${cp.version}): the control ` +
        `plane must be upgraded first; roll ${component} back to ${line(cp.version)} or upgrade the ` +
        `control plane`,
    };
  }
  if (d > MAX_DATA_PLANE_LAG) {
    const agent = component === 'ztunnel' || component === 'istio-cni';
    const fix = agent
      ? `upgrade it one minor at a time (§5.3): next ${nextAgentVersion(version, cp.version)}`
      : `upgrade it to ${semver.major(cp.version)}.${minor(cp.version) - 1} or later`;
    return {
      ...base,
      status: 'fail',
      message:
        `${what} (${version}) is ${d} minors behind its control plane ${cp.name} (${cp.version}); at ` +
        `most 1 is supported: ${fix}`,
    };
  }
  return {
    ...base,
    status: 'ok',
    message: d === 0 ? `same minor as ${cp.name}` : `one minor behind ${cp.name} (allowed)`,
  };
}

/** A finding about a revision's istiod, checked against itself. */
function revisionFinding(
  r: Revision,
  namespace: string,
  rule: Finding['rule'],
  status: FindingStatus,
  message: string,
): Finding {
  const version = r.version ?? null;
  return {
    component: 'istiod',
    name: istiodObject(r),
    namespace,
    version,
    controlPlane: r.name,
    controlPlaneVersion: version,
    rule,
    status,
    message,
  };
}

/** A revision whose minor is not in the support table: said once, with where to check (§5.2). */
function outsideTable(r: Revision, ns = ''): Finding {
  const message =
    `Istio ${r.version !== undefined ? line(r.version) : '(unknown version)'} is not in the support ` +
    `table (data as of ${SUPPORT_DATA_AS_OF}): check its Kubernetes range and end of life at ${SUPPORT_DATA_URL}`;
  return revisionFinding(r, istiodNamespace(r, ns), 'support-data', 'warn', message);
}

/** Kubernetes against a revision's supported (fail outside) and tested-only (warn) ranges (§5.2). */
export function kubernetesSupport(gitVersion: string, r: Revision): Finding {
  const base = {
    component: 'kubernetes' as const,
    name: 'kube-apiserver',
    namespace: '',
    version: gitVersion,
    controlPlane: r.name,
    controlPlaneVersion: r.version ?? null,
    rule: 'kubernetes-support' as const,
  };
  const k = k8sMinor(gitVersion);
  const support = r.version !== undefined ? supportRow(line(r.version)) : undefined;
  if (support === undefined) return { ...base, status: 'warn', message: outsideTable(r).message };
  if (k === undefined)
    return {
      ...base,
      status: 'warn',
      message:
        `cannot read the Kubernetes version "${gitVersion}": check it against ` +
        `${support.kubernetes[0]}-${support.kubernetes[1]}`,
    };
  const [lo, hi] = support.kubernetes;
  if (cmpMinor(k, lo) >= 0 && cmpMinor(k, hi) <= 0)
    return { ...base, status: 'ok', message: `Kubernetes ${k} is supported by Istio ${support.minor} (${lo}-${hi})` };
  if (support.tested !== undefined && cmpMinor(k, support.tested[0]) >= 0 && cmpMinor(k, support.tested[1]) <= 0) {
    return {
      ...base,
      status: 'warn',
      message: `Kubernetes ${k} is tested but not supported by Istio ${support.minor} (supported: ${lo}-${hi})`,
    };
  }
  return {
    ...base,
    status: 'fail',
    message:
      `Kubernetes ${k} is outside the range Istio ${support.minor} supports (${lo}-${hi}): ` +
      `${cmpMinor(k, lo) < 0 ? 'upgrade Kubernetes or use an older Istio' : 'upgrade Istio first'}`,
  };
}

/** A revision's minor against its end-of-life date (§5.2); on the EOL day itself it is still supported. */
export function endOfLife(r: Revision, now: Date, ns = ''): Finding {
  const finding = (status: FindingStatus, message: string): Finding =>
    revisionFinding(r, istiodNamespace(r, ns), 'end-of-life', status, message);
  const support = r.version !== undefined ? supportRow(line(r.version)) : undefined;
  if (support === undefined) return outsideTable(r, ns);
  const eol = new Date(`${support.endOfLife}T00:00:00Z`).getTime() + 86_400_000;
  const when =
    support.eolApproximate === true ? `about ${support.endOfLife.slice(0, 7)} (expected)` : support.endOfLife;
  if (now.getTime() >= eol)
    return finding('warn', `Istio ${support.minor} reached end of life on ${when}: plan an upgrade`);
  return finding('ok', `Istio ${support.minor} is supported until ${when}`);
}

/** Support findings of a revision: Kubernetes range and end of life, or one "not in the table" (once per minor). */
function supportFindings(r: Revision, input: SkewInput, said: Set<string>): Finding[] {
  if (r.version === undefined) return [];
  const ns = input.mesh.istioNamespace;
  if (supportRow(line(r.version)) === undefined) {
    if (said.has(line(r.version))) return [];
    said.add(line(r.version));
    return [outsideTable(r, ns)];
  }
  return [kubernetesSupport(input.kubernetesVersion, r), endOfLife(r, input.now, ns)];
}

/** Support of the target: the same findings, an end of life already past says to aim higher. */
function targetSupport(r: Revision, input: SkewInput): Finding[] {
  return supportFindings(r, input, new Set()).map((f) => {
    if (f.rule !== 'end-of-life' || f.status !== 'warn') return f;
    const newer = SUPPORT_TABLE.filter(
      (row) =>
        cmpMinor(row.minor, line(r.version ?? '0.0.0')) > 0 &&
        input.now.getTime() < new Date(`${row.endOfLife}T00:00:00Z`).getTime() + 86_400_000,
    ).map((row) => row.minor);
    return {
      ...f,
      message:
        `${f.message.replace(/: plan an upgrade$/, '')}: the target is past end of ` +
        `life${newer.length > 0 ? `; supported now: ${newer.join(', ')}` : ''}`,
    };
  });
}

/** istiod's container environment (§5.4 rows read AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY and ISTIO_GPRC_MAXRECVMSGSIZE). */
function istiodEnv(r: Revision | undefined): Record<string, string> {
  const containers = r?.deployment?.spec?.template?.spec?.containers ?? [];
  const c = containers.find((x) => x.name === 'discovery') ?? containers[0];
  return Object.fromEntries((c?.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value ?? '']));
}

/**
 * The revisions the data plane uses (§3.7 via usage.ts, §5.3): what istio-cni is judged against,
 * what a downgrade is measured from and what tags move away from. Helm ownership alone does not count.
 */
function inUseRevisions(mesh: Mesh, use: Map<string, RevisionUsage>): Revision[] {
  const names = new Set(dataPlaneRevisions(use));
  return [...mesh.revisions.values()].filter((r) => names.has(r.name)).sort(byName);
}

const CODE_WORDS: Record<UsageCode, string> = {
  tags: 'tag objects',
  validator: 'the default validator',
  ns: 'namespaces',
  pods: 'pods',
  gw: 'gateways/waypoints',
  ztunnel: 'ztunnel',
  helm: 'Helm-owned objects',
  incomplete: 'an interrupted tag move',
};

/** The verdict of usage.ts for a revision as step notes: counts per kind of referrer, the first reasons and their fix. */
function usageNotes(u: RevisionUsage | undefined): string[] {
  if (u === undefined || u.status === 'safe') return ['nothing uses it (§3.7): safe to remove'];
  if (u.status === 'unknown') return [`nothing seen using it, but ${u.unknown.join('; ')}: check before removing`];
  const counts = new Map<UsageCode, number>();
  for (const r of u.reasons) counts.set(r.code, (counts.get(r.code) ?? 0) + r.count);
  const first = u.reasons.slice(0, 3).map((r) => `${r.message} (fix: ${r.fix})`);
  return [
    `still in use (§3.7): ${[...counts].map(([c, n]) => `${CODE_WORDS[c]} ${n}`).join(', ')}`,
    ...first,
    ...(u.reasons.length > 3
      ? [`and ${u.reasons.length - 3} more reason(s): kubectl ambient revisions ${u.revision}`]
      : []),
  ];
}
const byName = (a: { name: string }, b: { name: string }): number =>
  a.name.localeCompare(b.name, 'en', { numeric: true });

function hazardRevision(mesh: Mesh, r: Revision): HazardRevision {
  const gws = mesh.gateways.filter((g) => g.revision === r.name);
  return {
    name: r.name,
    version: r.version,
    env: istiodEnv(r),
    gateways: gws.length,
    tagLabelledGateways: gws.filter((g) => g.source === 'gateway' && g.tag !== undefined && g.requested === g.tag)
      .length,
  };
}

/** Whether istiod-default-validator exists and calls (or is labelled with) a revision whose istiod runs (§3.8). */
function validatorWorks(mesh: Mesh): boolean {
  const v = mesh.defaultValidator;
  if (v === undefined) return false;
  const names = [
    v.metadata.labels?.[REV],
    ...(v.webhooks ?? []).map((w) => revisionFromAddress(w.clientConfig.service?.name)),
  ];
  return names.some((n) => n !== undefined && (mesh.revisions.get(n)?.ready ?? 0) > 0);
}

function hazardInput(mesh: Mesh, use: Map<string, RevisionUsage>): HazardInput {
  return {
    inUse: inUseRevisions(mesh, use).map((r) => hazardRevision(mesh, r)),
    installedCount: mesh.revisions.size,
    ztunnels: mesh.ztunnels.map((z) => ({ name: z.name, version: z.version, pin: z.pinnedRevision })),
    cnis: mesh.cnis.map((c) => ({ name: c.name, version: c.version })),
    canaryNamespaces: mesh.namespaces
      .filter((n) => n.metadata.labels?.[USE_WAYPOINT_CANARY] !== undefined)
      .map((n) => n.metadata.name),
    validatorWorks: validatorWorks(mesh),
  };
}

function hazardFindings(
  mesh: Mesh,
  input: HazardInput,
  target: { revision: string; version: string } | undefined,
): Finding[] {
  return evaluateHazards(input).map((h) => {
    const first = h.subjects[0];
    const r = first !== undefined ? mesh.revisions.get(first.name) : undefined;
    const agent =
      h.hazard.component === 'istio-cni'
        ? mesh.cnis[0]
        : h.hazard.component === 'ztunnel'
          ? mesh.ztunnels[0]
          : undefined;
    const planned = target !== undefined && h.planned;
    return {
      component: h.hazard.component,
      name: agent?.name ?? (r !== undefined ? istiodObject(r) : istiodName(first?.name)),
      namespace: agent?.namespace ?? mesh.istioNamespace,
      version: agent !== undefined ? (agent.version ?? null) : (first?.version ?? null),
      controlPlane: planned ? target.revision : (first?.name ?? null),
      controlPlaneVersion: planned ? target.version : (first?.version ?? null),
      rule: `hazard:${h.hazard.id}` as const,
      status: h.hazard.severity,
      message: h.message,
    };
  });
}

/** The CRDs against the newest revision in use (or installed): the base chart goes first (§1.5, §4.3). */
function crdFinding(input: SkewInput, against: Revision | undefined): Finding {
  const { crds, mesh } = input;
  const base = {
    component: 'crds' as const,
    name: 'istio-crds',
    namespace: '',
    version: crds.oldest ?? null,
    controlPlane: against?.name ?? null,
    controlPlaneVersion: against?.version ?? null,
    rule: 'crd-version' as const,
  };
  const release = crds.helmRelease ?? BASE_RELEASE;
  const baseNs = crds.helmNamespace ?? mesh.istioNamespace;
  const upgrade = (v: string): string =>
    `helm upgrade ${release} istio/base -n ${baseNs} --version ${v} --reuse-values`;
  const install = (v: string): string => `helm install ${release} istio/base -n ${baseNs} --version ${v}`;
  if (crds.unreadable !== undefined)
    return {
      ...base,
      status: 'warn',
      message: `cannot tell the version of the Istio CRDs: they could not be listed (${crds.unreadable})`,
    };
  if (crds.count === 0)
    return {
      ...base,
      status: 'warn',
      message:
        `no Istio CRDs found (none labelled app.kubernetes.io/part-of=istio or chart=istio): istiod ` +
        `needs them; install the istio/base chart${against?.version !== undefined ? ` (${install(against.version)})` : ''}`,
    };
  if (against?.version === undefined)
    return {
      ...base,
      status: 'ok',
      message: `${crds.count} Istio CRDs${crds.oldest !== undefined ? ` at ${crds.oldest}` : ''}`,
    };
  const v = crdsAtLeast(crds, against.version);
  if (v.status === 'done')
    return { ...base, status: 'ok', message: `${v.reason}, not older than ${against.name} (${against.version})` };
  if (v.status === 'unknown')
    return {
      ...base,
      status: 'warn',
      message:
        `cannot tell whether the CRDs match ${against.name} (${against.version}): ${v.reason}; upgrade ` +
        `them with the istio/base chart (${upgrade(against.version)})`,
    };
  return {
    ...base,
    status: 'warn',
    message:
      `${v.reason}, older than ${against.name} (${against.version}): upgrade them first ` +
      `(${upgrade(against.version)})`,
  };
}

/** Every finding for the mesh as it is. */
export function evaluateSkew(input: SkewInput): Finding[] {
  const { mesh } = input;
  const use = revisionUsage(mesh);
  const findings: Finding[] = [];
  const revisions = [...mesh.revisions.values()].sort(byName);
  const said = new Set<string>();
  for (const r of revisions) {
    if (r.version === undefined) {
      const message = `cannot tell the version of revision ${r.name} (image ${r.image ?? 'none'}): skew cannot be checked against it`;
      findings.push(revisionFinding(r, mesh.istioNamespace, 'version-known', 'warn', message));
    }
    findings.push(...supportFindings(r, input, said));
  }
  const inUse = inUseRevisions(mesh, use);
  const newest = [...(inUse.length > 0 ? inUse : revisions)]
    .filter((r) => valid(r.version))
    .sort((a, b) => compareVersionsDesc(a.version, b.version))[0];
  findings.push(crdFinding(input, newest));
  // ztunnel does not resolve tags: it is judged against the revision it is pinned to (§3.3).
  for (const z of mesh.ztunnels) {
    const cp = z.pinnedRevision !== undefined ? mesh.revisions.get(z.pinnedRevision) : undefined;
    findings.push(dataPlaneSkew('ztunnel', z.name, z.namespace, z.version, cp));
  }
  // istio-cni talks to no istiod: it is judged against every revision the data plane uses (§5.3);
  // an installed revision nothing uses is noted, not judged. With none in use, every installed one counts.
  const judgedAgainst = inUse.length > 0 ? inUse : revisions;
  for (const c of mesh.cnis)
    for (const r of judgedAgainst) findings.push(dataPlaneSkew('istio-cni', c.name, c.namespace, c.version, r));
  if (inUse.length > 0) {
    for (const r of revisions.filter((x) => !inUse.includes(x))) {
      const message =
        `note: nothing in the data plane uses revision ${r.name}${r.version !== undefined ? ` (${r.version})` : ''}: ` +
        'istio-cni is not judged against it; move tags to it or remove it';
      findings.push(revisionFinding(r, mesh.istioNamespace, 'idle-revision', 'ok', message));
    }
  }
  for (const g of mesh.gateways) {
    if (g.proxy === undefined) continue;
    findings.push(
      dataPlaneSkew(
        g.kind,
        g.name,
        g.namespace,
        g.proxy.version,
        g.revision !== undefined ? mesh.revisions.get(g.revision) : undefined,
      ),
    );
  }
  findings.push(...hazardFindings(mesh, hazardInput(mesh, use), undefined));
  return findings;
}

// ---------------------------------------------------------------------------------------------
// --target

/** `--target` as understood: a version to plan for, its revision name, and how the input was read. */
export interface ResolvedTarget {
  version: string;
  revision: string;
  /** The installed revision it names (or whose version it is), if any. */
  existing: Revision | undefined;
  form: 'revision' | 'version' | 'minor';
  /** What the input was taken to mean, when that is not literal (`1.29` = `1.29.9`). */
  note: string | undefined;
}

const ACCEPTED = 'a released version (1.29.6), a minor (1.29, meaning its latest known patch) or an installed revision';

/**
 * Reads `--target`: an installed revision name, a version (`1.29.6`, `v1.31.0-rc.0`) or a minor
 * (`1.29`, its latest known patch from the support table, or a newer installed patch). Anything else,
 * and versions outside Istio 1.x, are `input` errors saying what is accepted.
 */
export function resolveTarget(mesh: Mesh, text: string): ResolvedTarget {
  const installed = [...mesh.revisions.keys()].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const accepted = `use ${ACCEPTED} (installed: ${installed.join(', ') || 'none'})`;
  const input = text.trim();
  if (input === '') throw new AmbientError('input', '--target is empty', accepted);
  const byName = mesh.revisions.get(input);
  if (byName !== undefined) {
    if (byName.version === undefined)
      throw new AmbientError(
        'input',
        `cannot tell the Istio version of revision ${input} (image ${byName.image ?? 'unknown'})`,
        'fix its image tag or pass a version',
      );
    return { version: byName.version, revision: byName.name, existing: byName, form: 'revision', note: undefined };
  }
  const minorText = parseMinorLine(input);
  let version = parseVersion(input);
  let note: string | undefined;
  if (version === undefined && minorText !== undefined) {
    const known = latestPatch(minorText);
    const newestInstalled = [...mesh.revisions.values()]
      .map((r) => r.version)
      .filter((v): v is string => valid(v) && line(v) === minorText && semver.prerelease(v) === null)
      .sort(compareVersionsDesc)[0];
    if (known === undefined && newestInstalled === undefined) {
      throw new AmbientError(
        'input',
        `no patch release of Istio ${minorText} is known (support data as of ${SUPPORT_DATA_AS_OF})`,
        `give the full version, e.g. ${minorText}.0 (see ${SUPPORT_DATA_URL})`,
      );
    }
    version =
      known !== undefined && (newestInstalled === undefined || semver.gte(known, newestInstalled))
        ? known
        : newestInstalled;
    note =
      version === known
        ? `${minorText} means ${version}, its latest patch in the support table (as of ${SUPPORT_DATA_AS_OF})`
        : `${minorText} means ${version ?? '?'}, the newest installed ${minorText} patch (the support ` +
          `table knows ${known ?? 'none'})`;
  }
  if (version === undefined)
    throw new AmbientError('input', `--target "${text}" is not a version, a minor or an installed revision`, accepted);
  if (semver.major(version) !== 1) {
    throw new AmbientError(
      'input',
      `--target ${version} is not an Istio 1.x release: the skew rules and support data cover Istio ` +
        `1.x (newest known: ${newestKnown()})`,
      `check ${SUPPORT_DATA_URL}, then pass a 1.x version`,
    );
  }
  const same = [...mesh.revisions.values()].filter((r) => r.version === version).sort(byName);
  const existing = same[0];
  return {
    version,
    revision: existing?.name ?? version.replaceAll('.', '-'),
    existing,
    form: minorText !== undefined ? 'minor' : 'version',
    note,
  };
}
/** The newest release the support table knows (its last row's latest patch). */
function newestKnown(): string {
  const last = SUPPORT_TABLE.at(-1);
  return last?.latestPatch ?? `${last?.minor ?? '?'}.x`;
}

/** One step of the runbook's order (§1.5). `done` is read from the cluster; `unknown` when it cannot be. */
export interface UpgradeStep {
  step: string;
  done: boolean;
  status: 'done' | 'todo' | 'unknown';
  command: string;
  /** Why the status is what it is, and what else to know (values, Helm 4, reasons still in use). */
  notes: string[];
}

/** `skew --target`: what the upgrade meets and the safe order, with the steps already done marked. */
export interface UpgradePlan {
  targetVersion: string;
  targetRevision: string;
  findings: Finding[];
  steps: UpgradeStep[];
}

function step(text: string, status: UpgradeStep['status'], command: string, notes: string[] = []): UpgradeStep {
  return { step: text, done: status === 'done', status, command, notes };
}

/** The Helm release and namespace of a chart-installed object (the runbook's names when not Helm-owned). */
function release(o: NodeAgent | undefined, fallback: string, ns: string): { name: string; namespace: string } {
  const a = o?.daemonSet.metadata.annotations ?? {};
  return { name: a[HELM_RELEASE_NAME] ?? fallback, namespace: a[HELM_RELEASE_NAMESPACE] ?? o?.namespace ?? ns };
}

/**
 * Why a target is a downgrade, or undefined: older than a revision in use, than ztunnel or than the
 * CNI (the control plane goes first and never behind the data plane, §5.1). Idle revisions do not count.
 */
function downgradeReason(mesh: Mesh, inUse: Revision[], version: string): string | undefined {
  const newer: string[] = [];
  for (const r of inUse)
    if (valid(r.version) && semver.lt(version, r.version)) newer.push(`revision ${r.name} (${r.version}, in use)`);
  for (const z of mesh.ztunnels)
    if (valid(z.version) && semver.lt(version, z.version))
      newer.push(`ztunnel ${z.namespace}/${z.name} (${z.version})`);
  for (const c of mesh.cnis)
    if (valid(c.version) && semver.lt(version, c.version))
      newer.push(`istio-cni ${c.namespace}/${c.name} (${c.version})`);
  return newer.length === 0 ? undefined : `${version} is older than ${newer.join(', ')}`;
}

/** The versions a node agent goes through from `from` to `to`: one per minor, then `to` (§5.3). */
function agentPath(from: string, to: string): string[] {
  const path: string[] = [];
  let at = from;
  while ((minorDistance(at, to) ?? 0) > 1) {
    at = nextAgentVersion(at, to);
    path.push(at);
    if (at.endsWith('.x')) at = `${at.slice(0, -2)}.0`;
  }
  path.push(to);
  return path;
}

/** Gateways that name a revision other than the target directly (label or namespace): moving tags does not move them. */
function pinnedGateways(mesh: Mesh, target: string): GatewayInfo[] {
  return mesh.gateways.filter(
    (g) =>
      g.tag === undefined &&
      g.requested !== undefined &&
      g.requested !== '' &&
      g.revision !== undefined &&
      g.revision !== target,
  );
}

/**
 * Plans an upgrade to `target` in the runbook's order (§1.5): CRDs, the new istiod, then istio-cni and
 * ztunnel one minor per step (latest known patch of each minor, ztunnel re-pinned to the target at
 * each step, §5.3), tags, gateways that name an old revision, and the removal of older revisions.
 * istiod itself may jump two minors (§5.1). Refuses downgrades (`input`).
 */
export function planUpgrade(input: SkewInput, target: ResolvedTarget): UpgradePlan {
  const { mesh } = input;
  const ns = mesh.istioNamespace;
  const use = revisionUsage(mesh);
  const inUse = inUseRevisions(mesh, use);
  const tv = target.version;
  const tr = target.revision;
  const down = downgradeReason(mesh, inUse, tv);
  if (down !== undefined) {
    throw new AmbientError(
      'input',
      `--target ${target.form === 'revision' ? `${tr} (${tv})` : tv} is a downgrade: ${down}`,
      'skew plans upgrades only; to go back, move tags with "kubectl ambient tag-rollback <tag>"',
    );
  }
  const existing = target.existing;
  const hypothetical: Revision = existing ?? {
    name: tr,
    version: tv,
    image: undefined,
    ready: 0,
    desired: 1,
    deployment: undefined,
    canonicalWebhooks: [],
    canonicalServices: [],
    helmRelease: undefined,
    created: undefined,
  };
  const findings: Finding[] = [];
  findings.push(...targetSupport(hypothetical, input));

  // istiod jumps (§5.1): two minors allowed (a warning: ztunnel and CNI follow one at a time), more is a failure.
  const from = inUse.filter((r): r is Revision & { version: string } => r.name !== tr && valid(r.version));
  for (const r of from) {
    const version = r.version;
    const jump = minor(tv) - minor(version);
    const forward = forwardMoveWarning(version, tv);
    const tooFar = jump > MAX_REVISION_JUMP;
    const skips =
      `${version} -> ${tv} skips ${jump - 1} minors; revision-based upgrades may skip at most one: ` +
      `upgrade to ${semver.major(tv)}.${minor(version) + MAX_REVISION_JUMP} first`;
    findings.push({
      component: 'istiod',
      name: istiodObject(r),
      namespace: ns,
      version,
      controlPlane: tr,
      controlPlaneVersion: tv,
      rule: 'upgrade-jump',
      status: tooFar ? 'fail' : forward !== undefined ? 'warn' : 'ok',
      message: tooFar ? skips : (forward ?? `${version} -> ${tv} is a supported revision-based step`),
    });
  }
  if (from.length === 0 && forwardMoveWarning(undefined, tv) !== undefined) {
    findings.push(revisionFinding(hypothetical, ns, 'forward-move', 'warn', forwardMoveWarning(undefined, tv) ?? ''));
  }
  // Newer revisions nothing uses are no part of the plan.
  for (const r of [...mesh.revisions.values()]
    .filter((x) => x.name !== tr && !inUse.includes(x) && valid(x.version) && semver.gt(x.version, tv))
    .sort(byName)) {
    const message = `note: revision ${r.name} (${r.version ?? '?'}) is newer than the target and nothing uses it: not part of this plan`;
    findings.push(revisionFinding(r, ns, 'idle-revision', 'ok', message));
  }

  // Node agents: where each starts, and the one-minor path to the target (§5.3).
  const agentsFrom = (agents: NodeAgent[]): string | undefined =>
    agents
      .map((a) => a.version)
      .filter(valid)
      .sort(semver.compare)[0];
  const cniFrom = agentsFrom(mesh.cnis);
  const ztFrom = agentsFrom(mesh.ztunnels);
  const oldestInUse = from.map((r) => r.version).sort(semver.compare)[0];
  const baseline = [cniFrom, ztFrom, oldestInUse].filter(valid).sort(semver.compare)[0] ?? tv;
  const path = agentPath(baseline, tv);
  const pinnedOnTheWay = path.filter(
    (v) => v !== tv && (ztFrom === undefined || semver.gt(v.replace(/\.x$/, '.0'), ztFrom)),
  );

  // A plan window (§5.3 last bullet): the revisions in use while tags move are two minors apart.
  const spread = from.filter((r) => (minorDistance(r.version, tv) ?? 0) > MAX_DATA_PLANE_LAG);
  if (spread.length > 0 && mesh.cnis.length > 0) {
    const olds = spread.map((r) => `${r.name} (${r.version})`).join(', ');
    findings.push({
      component: 'istio-cni',
      name: mesh.cnis[0]?.name ?? 'istio-cni-node',
      namespace: mesh.cnis[0]?.namespace ?? ns,
      version: cniFrom ?? null,
      controlPlane: tr,
      controlPlaneVersion: tv,
      rule: 'plan-window',
      status: 'warn',
      message:
        `until every tag, namespace and gateway has left ${olds}, revisions two minors apart are in use ` +
        `and no istio-cni version is within one minor of both (§5.3): for a plan without that window, ` +
        `upgrade to ${semver.major(tv)}.${minor(tv) - 1} first (skew --target ` +
        `${semver.major(tv)}.${minor(tv) - 1})`,
    });
  }
  for (const g of pinnedGateways(mesh, tr)) {
    findings.push({
      component: g.kind,
      name: g.name,
      namespace: g.namespace,
      version: g.proxy?.version ?? null,
      controlPlane: g.revision ?? null,
      controlPlaneVersion: (g.revision !== undefined ? mesh.revisions.get(g.revision)?.version : undefined) ?? null,
      rule: 'follows-old-revision',
      status: 'warn',
      message:
        `${g.kind} ${g.namespace}/${g.name} is labelled ` +
        `${g.source === 'namespace' ? 'through its namespace ' : ''}with revision ${g.revision ?? '?'} ` +
        `itself, so moving tags will not move it: relabel it (see the gateway step) before removing ` +
        `${g.revision ?? '?'}`,
    });
  }
  const hz = hazardInput(mesh, use);
  hz.target = {
    revision: { ...hazardRevision(mesh, hypothetical), env: existing !== undefined ? istiodEnv(existing) : {} },
    installed: existing !== undefined,
    movesFrom: from.map((r) => hazardRevision(mesh, r)),
    ztunnelVersionsPinned: pinnedOnTheWay,
  };
  findings.push(...hazardFindings(mesh, hz, { revision: tr, version: tv }));

  // The steps (§1.5 order). Every status is read from the cluster, never from another step.
  const steps: UpgradeStep[] = [];
  const crd = crdsAtLeast(input.crds, tv);
  const baseRel = input.crds.helmRelease ?? BASE_RELEASE;
  const baseNs = input.crds.helmNamespace ?? ns;
  const crdNotes = [crd.reason, 'Helm 4: add --force-conflicts (server-side apply; Helm 3 has no such flag) (§1.5)'];
  if (input.crds.count > 0 && input.crds.helmRelease === undefined && baseChartTemplatesCrds(tv)) {
    crdNotes.push(
      `CRDs not installed by Helm: adopt them into ${baseRel} first: kubectl label crds -l chart=istio ` +
        `app.kubernetes.io/managed-by=Helm && kubectl annotate crds -l chart=istio ` +
        `meta.helm.sh/release-name=${baseRel} meta.helm.sh/release-namespace=${baseNs}`,
    );
  }
  steps.push(
    step(
      `upgrade the Istio CRDs (istio/base chart) to ${tv}`,
      crd.status,
      `helm upgrade ${baseRel} istio/base -n ${baseNs} --version ${tv} --reuse-values`,
      crdNotes,
    ),
  );

  const valuesFrom = from.find((r) => r.helmRelease !== undefined)?.helmRelease;
  const getValues = (release: string): string => `helm get values ${release} -n ${ns} -o yaml > istiod-values.yaml`;
  const install = `install control-plane revision ${tr}`;
  const installCommand =
    `helm install istiod-${tr} istio/istiod -n ${ns} --version ${tv} -f istiod-values.yaml ` +
    `--set revision=${tr} --set profile=ambient --wait`;
  if (existing === undefined) {
    const saved = valuesFrom !== undefined ? ` (${getValues(valuesFrom)})` : '';
    const values = `istiod-values.yaml: your istiod values${saved}, without revisionTags (§1.6)`;
    steps.push(step(install, 'todo', installCommand, [values]));
  } else if (existing.ready === 0 || existing.ready < existing.desired) {
    steps.push(
      step(
        `wait for ${istiodObject(existing)} to become ready (${existing.ready}/${existing.desired})`,
        'todo',
        `kubectl rollout status deployment/${istiodObject(existing)} -n ${ns}`,
        ['the revision is installed but not ready: do not move tags or pin ztunnel to it yet'],
      ),
    );
  } else {
    steps.push(
      step(install, 'done', installCommand, [
        `${istiodObject(existing)} is ready (${existing.ready}/${existing.desired})`,
      ]),
    );
  }

  const cniRel = release(mesh.cnis[0], 'istio-cni', ns);
  const ztRel = release(mesh.ztunnels[0], 'ztunnel', ns);
  for (const v of path) {
    const last = v === tv;
    const concrete = !v.endsWith('.x');
    const reached = (agentVersion: string | undefined): boolean =>
      valid(agentVersion) &&
      (last ? semver.gte(agentVersion, tv) : minor(agentVersion) >= minor(v.replace(/\.x$/, '.0')));
    const unknownPatch = concrete
      ? []
      : [
          `no ${v.slice(0, -2)} patch in the support table (as of ${SUPPORT_DATA_AS_OF}): --version ${v} is a ` +
            `Helm version range, Helm installs that minor's latest patch (check it at ${SUPPORT_DATA_URL})`,
        ];
    const oneMinor = last ? [] : [`one minor per step (§5.3): ${v} on the way to ${tv}`];
    if (mesh.cnis.length > 0) {
      const done = mesh.cnis.every((c) => reached(c.version));
      steps.push(
        step(
          `upgrade istio-cni to ${v}`,
          done ? 'done' : 'todo',
          `helm upgrade ${cniRel.name} istio/cni -n ${cniRel.namespace} --version ${v} --reuse-values ` +
            `--set profile=ambient --wait`,
          [...oneMinor, ...unknownPatch, `istio-cni now: ${mesh.cnis.map((c) => c.version ?? 'unknown').join(', ')}`],
        ),
      );
    }
    if (mesh.ztunnels.length > 0) {
      const done = mesh.ztunnels.every((z) => reached(z.version) && (!last || z.pinnedRevision === tr));
      steps.push(
        step(
          `upgrade ztunnel to ${v}, pinned to ${tr}`,
          done ? 'done' : 'todo',
          `helm upgrade ${ztRel.name} istio/ztunnel -n ${ztRel.namespace} --version ${v} --reuse-values ` +
            `--set revision=${tr} --wait`,
          [
            ...oneMinor,
            ...unknownPatch,
            `ztunnel now: ${mesh.ztunnels.map((z) => `${z.version ?? 'unknown'} pinned to ${z.pinnedRevision ?? 'nothing'}`).join(', ')}`,
            'restarts ztunnel on every node: long-lived TCP connections are reset (§3.3)',
          ],
        ),
      );
    }
  }

  const tags = [...mesh.tags.values()].sort((a, b) =>
    a.name === DEFAULT_TAG ? 1 : b.name === DEFAULT_TAG ? -1 : a.name.localeCompare(b.name),
  );
  for (const t of tags)
    steps.push(
      step(
        `move tag ${t.name} to ${tr}`,
        t.revision === tr ? 'done' : 'todo',
        `kubectl ambient tag-move ${t.name} ${tr}`,
        t.revision === tr ? [] : [`now on ${t.revision || 'nothing'}`],
      ),
    );

  if (mesh.gateways.length > 0) {
    const pinned = pinnedGateways(mesh, tr);
    // Done when every one is managed by the target and its pods run it (pods, not the template: §3.7 row 9).
    const behind = mesh.gateways.filter(
      (g) =>
        g.revision !== tr || g.runningRevisions.some((x) => x !== tr) || (g.proxy !== undefined && !g.proxy.rolledOut),
    );
    const first = pinned[0];
    const command =
      first === undefined
        ? `kubectl ambient revisions ${tr}`
        : first.source === 'namespace'
          ? `kubectl label namespace ${first.namespace} ${REV}=${tr} --overwrite`
          : `kubectl label gateway -n ${first.namespace} ${first.name} ${REV}=${tr} --overwrite`;
    const notes = [
      ...(pinned.length > 0
        ? [
            `${pinned.length} gateway(s)/waypoint(s) name an old revision directly: ` +
              `${nameList(pinned.map((g) => `${g.namespace}/${g.name}`))}; relabel each (a tag instead of ` +
              `${tr} follows later moves)`,
          ]
        : []),
      ...(behind.length > 0
        ? [
            `${behind.length} of ${mesh.gateways.length} gateway(s)/waypoint(s) do not run ${tr} yet: ` +
              `${nameList(behind.map((g) => `${g.namespace}/${g.name}`))}`,
          ]
        : []),
      'gateways installed with the istio/gateway chart: helm upgrade <release> istio/gateway ' +
        '--reuse-values --set revision=<tag>, then restart them (§1.5)',
    ];
    steps.push(
      step(
        `gateways and waypoints run ${tr}`,
        pinned.length === 0 && behind.length === 0 ? 'done' : 'todo',
        command,
        notes,
      ),
    );
  }

  // Older revisions: done when gone (so when none is left); todo with what keeps each in use (§3.7).
  const older = [...mesh.revisions.values()]
    .filter((r) => r.name !== tr && (!valid(r.version) || semver.lt(r.version, tv)))
    .sort(byName);
  for (const r of older) {
    const notes = usageNotes(use.get(r.name));
    if (!valid(r.version)) notes.push('its version is unknown: check it is older than the target');
    steps.push(
      step(
        `remove control-plane revision ${r.name}`,
        'todo',
        `helm uninstall ${r.helmRelease ?? `istiod-${r.name}`} -n ${ns}`,
        notes,
      ),
    );
  }
  if (older.length === 0)
    steps.push(
      step('remove the old control-plane revisions', 'done', `kubectl ambient revisions`, [
        'no revision older than the target is installed',
      ]),
    );

  return { targetVersion: tv, targetRevision: tr, findings, steps };
}

/** Counts per status, for the one-line summary. */
export function countByStatus(findings: Finding[]): Record<FindingStatus, number> {
  const counts: Record<FindingStatus, number> = { fail: 0, warn: 0, ok: 0 };
  for (const f of findings) counts[f.status]++;
  return counts;
}

/** The first step not done (1-based), if any. */
export function nextStep(plan: UpgradePlan): { index: number; step: UpgradeStep } | undefined {
  const i = plan.steps.findIndex((s) => s.status !== 'done');
  const s = plan.steps[i];
  return s === undefined ? undefined : { index: i + 1, step: s };
}
