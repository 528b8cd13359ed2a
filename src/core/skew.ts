/**
 * `skew`: version skew and support of every component (istio-semantics.md §3.3, §3.4, §5).
 * Pure: takes the Mesh, the Kubernetes version and "now"; returns findings and an upgrade plan.
 */
import semver from 'semver';
import { DEFAULT_TAG } from './labels.ts';
import type { Mesh, Revision } from './mesh.ts';
import { SUPPORT_TABLE, type SupportRow } from './support-table.ts';
import { minorLine } from './version.ts';

export type FindingStatus = 'ok' | 'warn' | 'fail';

/** One check of one component instance (json/yaml keys are these names). */
export interface Finding {
  component: 'istiod' | 'kubernetes' | 'ztunnel' | 'istio-cni' | 'gateway' | 'waypoint';
  name: string;
  namespace: string;
  version: string | null;
  /** The control-plane revision it is checked against. */
  controlPlane: string | null;
  controlPlaneVersion: string | null;
  rule: 'version-known' | 'data-plane-skew' | 'kubernetes-support' | 'end-of-life' | 'cni-older-revision' | 'upgrade-jump' | 'follows-old-revision';
  status: FindingStatus;
  message: string;
}

const minor = (v: string): number => semver.minor(semver.coerce(v)?.version ?? v);
const row = (version: string): SupportRow | undefined => SUPPORT_TABLE.find((r) => r.minor === minorLine(semver.coerce(version)?.version ?? version));
const k8sMinor = (gitVersion: string): string | undefined => {
  const m = /^v?(\d+)\.(\d+)/.exec(gitVersion);
  return m === null ? undefined : `${m[1] ?? ''}.${m[2] ?? ''}`;
};
const cmpMinor = (a: string, b: string): number => {
  const [am, an] = a.split('.').map(Number);
  const [bm, bn] = b.split('.').map(Number);
  return (am ?? 0) - (bm ?? 0) || (an ?? 0) - (bn ?? 0);
};

/**
 * The data-plane rule (§5.1): `0 <= minor(control plane) - minor(component) <= 1`. A component ahead
 * of its control plane fails, two or more minors behind fails, unknown versions warn.
 */
export function dataPlaneSkew(component: Finding['component'], name: string, namespace: string, version: string | undefined, cp: Revision | undefined): Finding {
  const base = { component, name, namespace, version: version ?? null, controlPlane: cp?.name ?? null, controlPlaneVersion: cp?.version ?? null, rule: 'data-plane-skew' as const };
  const what = `${component} ${namespace}/${name}`;
  if (cp === undefined) return { ...base, status: 'fail', message: `${what} follows no installed control-plane revision: point it at one (or reinstall the revision it expects)` };
  if (version === undefined || cp.version === undefined) {
    return { ...base, status: 'warn', message: `cannot tell the version of ${version === undefined ? what : `revision ${cp.name}`}: check the image tag` };
  }
  const d = minor(cp.version) - minor(version);
  if (d < 0) {
    return { ...base, status: 'fail', message: `${what} (${version}) is ahead of its control plane ${cp.name} (${cp.version}): the control plane must be upgraded first; roll ${component} back to ${minorLine(cp.version)} or upgrade the control plane` };
  }
  if (d > 1) {
    return { ...base, status: 'fail', message: `${what} (${version}) is ${d} minors behind its control plane ${cp.name} (${cp.version}); at most 1 is supported: upgrade it to ${minor(cp.version) - 1 >= 0 ? `1.${minor(cp.version) - 1}` : cp.version} or later` };
  }
  return { ...base, status: 'ok', message: d === 0 ? `same minor as ${cp.name}` : `one minor behind ${cp.name} (allowed)` };
}

/** Kubernetes against a revision's supported (fail outside) and tested-only (warn) ranges (§5.2). */
export function kubernetesSupport(gitVersion: string, r: Revision): Finding {
  const base = { component: 'kubernetes' as const, name: 'kube-apiserver', namespace: '', version: gitVersion, controlPlane: r.name, controlPlaneVersion: r.version ?? null, rule: 'kubernetes-support' as const };
  const k = k8sMinor(gitVersion);
  const support = r.version !== undefined ? row(r.version) : undefined;
  if (k === undefined || support === undefined) {
    return { ...base, status: 'warn', message: `no support data for Istio ${r.version ?? 'of unknown version'} on Kubernetes ${gitVersion}: check istio.io's supported releases` };
  }
  const [lo, hi] = support.kubernetes;
  if (cmpMinor(k, lo) >= 0 && cmpMinor(k, hi) <= 0) return { ...base, status: 'ok', message: `Kubernetes ${k} is supported by Istio ${support.minor} (${lo}-${hi})` };
  if (support.tested !== undefined && cmpMinor(k, support.tested[0]) >= 0 && cmpMinor(k, support.tested[1]) <= 0) {
    return { ...base, status: 'warn', message: `Kubernetes ${k} is tested but not supported by Istio ${support.minor} (supported: ${lo}-${hi})` };
  }
  return { ...base, status: 'fail', message: `Kubernetes ${k} is outside the range Istio ${support.minor} supports (${lo}-${hi}): ${cmpMinor(k, lo) < 0 ? 'upgrade Kubernetes or use an older Istio' : 'upgrade Istio first'}` };
}

/** A revision's minor against its end-of-life date (§5.2); on the EOL day itself it is still supported. */
export function endOfLife(r: Revision, now: Date): Finding {
  const base = { component: 'istiod' as const, name: r.deployment?.metadata.name ?? `istiod-${r.name}`, namespace: r.deployment?.metadata.namespace ?? '', version: r.version ?? null, controlPlane: r.name, controlPlaneVersion: r.version ?? null, rule: 'end-of-life' as const };
  const support = r.version !== undefined ? row(r.version) : undefined;
  if (support === undefined) return { ...base, status: 'warn', message: `no support data for Istio ${r.version ?? '(unknown version)'}: check its end of life on istio.io` };
  const eol = new Date(`${support.endOfLife}T00:00:00Z`).getTime() + 86_400_000;
  const when = support.eolApproximate === true ? `about ${support.endOfLife.slice(0, 7)} (expected)` : support.endOfLife;
  if (now.getTime() >= eol) return { ...base, status: 'warn', message: `Istio ${support.minor} reached end of life on ${when}: plan an upgrade` };
  return { ...base, status: 'ok', message: `Istio ${support.minor} is supported until ${when}` };
}

/** The revision with the highest known version (the CNI's reference, §3.4). */
function newest(mesh: Mesh): Revision | undefined {
  return [...mesh.revisions.values()].filter((r) => r.version !== undefined).sort((a, b) => semver.compare(b.version ?? '0.0.0', a.version ?? '0.0.0'))[0];
}

/** Every finding for the mesh as it is (issue #4 step 1). */
export function evaluateSkew(mesh: Mesh, kubernetesVersion: string, now: Date): Finding[] {
  const findings: Finding[] = [];
  const revisions = [...mesh.revisions.values()].sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
  for (const r of revisions) {
    const name = r.deployment?.metadata.name ?? `istiod-${r.name}`;
    if (r.version === undefined) {
      findings.push({ component: 'istiod', name, namespace: mesh.istioNamespace, version: null, controlPlane: r.name, controlPlaneVersion: null, rule: 'version-known', status: 'warn', message: `cannot tell the version of revision ${r.name} (image ${r.image ?? 'none'}): skew cannot be checked against it` });
    }
    findings.push(kubernetesSupport(kubernetesVersion, r), endOfLife(r, now));
  }
  // ztunnel does not resolve tags: it is pinned to a revision, or dials `istiod` (the default) (§3.3).
  for (const z of mesh.ztunnels) {
    // A pin of "default" dials the `istiod` Service of a revision-less install, never a tag's revision.
    const cp = z.pinnedRevision !== undefined ? mesh.revisions.get(z.pinnedRevision) : undefined;
    findings.push(dataPlaneSkew('ztunnel', z.name, z.namespace, z.version, cp));
  }
  // The CNI talks to no istiod; the runbook upgrades it after the new control plane (§3.4, §5.1).
  const top = newest(mesh);
  for (const c of mesh.cnis) {
    findings.push(dataPlaneSkew('istio-cni', c.name, c.namespace, c.version, top));
    if (c.version === undefined) continue;
    for (const r of revisions) {
      if (r === top || r.version === undefined || minor(r.version) >= minor(c.version)) continue;
      findings.push({ component: 'istio-cni', name: c.name, namespace: c.namespace, version: c.version, controlPlane: r.name, controlPlaneVersion: r.version, rule: 'cni-older-revision', status: 'ok', message: `note: revision ${r.name} (${r.version}) is older than the CNI; fine while it is being replaced, remove it when no longer in use` });
    }
  }
  for (const g of mesh.gateways) {
    if (g.proxy === undefined) continue;
    findings.push(dataPlaneSkew(g.kind, g.name, g.namespace, g.proxy.version, g.revision !== undefined ? mesh.revisions.get(g.revision) : undefined));
  }
  return findings;
}

/** One step of the runbook's order (issue #4 step 3). */
export interface UpgradeStep {
  step: string;
  done: boolean;
  command: string;
}

/** `skew --target`: the findings as they would be and the safe order of the upgrade. */
export interface UpgradePlan {
  targetVersion: string;
  targetRevision: string;
  findings: Finding[];
  steps: UpgradeStep[];
}

/**
 * Plans an upgrade to `target` (a version, or the name of an installed revision): what would break
 * and the runbook's order (CRDs, new control plane, CNI, ztunnel, tags one at a time, old control
 * planes removed), with the steps already done marked.
 */
export function planUpgrade(mesh: Mesh, target: string, kubernetesVersion: string, now: Date): UpgradePlan {
  const byName = mesh.revisions.get(target);
  const targetVersion = byName?.version ?? semver.valid(semver.coerce(target, { includePrerelease: true })?.version ?? '') ?? target;
  const existing = byName ?? [...mesh.revisions.values()].find((r) => r.version === targetVersion);
  const targetRevision = existing?.name ?? targetVersion.replaceAll('.', '-');
  const hypothetical: Revision = existing ?? {
    name: targetRevision,
    version: targetVersion,
    versionSource: 'unknown',
    image: undefined,
    ready: 0,
    desired: 1,
    deployment: undefined,
    canonicalWebhooks: [],
    canonicalServices: [],
    helmRelease: undefined,
    created: undefined,
  };
  const old = [...mesh.revisions.values()].filter((r) => r.name !== targetRevision);
  const findings: Finding[] = [kubernetesSupport(kubernetesVersion, hypothetical), endOfLife(hypothetical, now)];
  for (const r of old) {
    if (r.version === undefined) continue;
    const jump = minor(targetVersion) - minor(r.version);
    findings.push({
      component: 'istiod', name: r.deployment?.metadata.name ?? `istiod-${r.name}`, namespace: mesh.istioNamespace, version: r.version, controlPlane: targetRevision, controlPlaneVersion: targetVersion, rule: 'upgrade-jump',
      status: jump < 0 ? 'fail' : jump > 2 ? 'fail' : 'ok',
      message: jump < 0 ? `${targetVersion} is older than installed revision ${r.name} (${r.version}): that is a downgrade` : jump > 2 ? `${r.version} -> ${targetVersion} skips ${jump - 1} minors; revision-based upgrades may skip at most one: upgrade through 1.${minor(r.version) + 2} first` : `${r.version} -> ${targetVersion} is a supported revision-based jump`,
    });
  }
  // CNI and ztunnel keep running their version next to the new control plane until their own step.
  for (const c of mesh.cnis) findings.push(dataPlaneSkew('istio-cni', c.name, c.namespace, c.version, hypothetical));
  for (const z of mesh.ztunnels) findings.push(dataPlaneSkew('ztunnel', z.name, z.namespace, z.version, hypothetical));
  // Gateways labelled with an old revision itself do not follow any tag: they stay behind.
  for (const g of mesh.gateways) {
    if (g.tag === undefined && g.revision !== undefined && g.revision !== targetRevision) {
      findings.push({
        component: g.kind, name: g.name, namespace: g.namespace, version: g.proxy?.version ?? null, controlPlane: g.revision, controlPlaneVersion: mesh.revisions.get(g.revision)?.version ?? null, rule: 'follows-old-revision', status: 'fail',
        message: `${g.kind} ${g.namespace}/${g.name} is labelled with revision ${g.revision} itself, so moving tags will not move it: relabel it with a tag (or ${targetRevision}) before removing ${g.revision}`,
      });
    }
  }
  const cniDone = mesh.cnis.length > 0 && mesh.cnis.every((c) => c.version === targetVersion);
  const ztDone = mesh.ztunnels.length > 0 && mesh.ztunnels.every((z) => z.version === targetVersion && z.pinnedRevision === targetRevision);
  const cpDone = existing !== undefined;
  const tags = [...mesh.tags.values()].sort((a, b) => (a.name === DEFAULT_TAG ? 1 : b.name === DEFAULT_TAG ? -1 : a.name.localeCompare(b.name)));
  const steps: UpgradeStep[] = [
    { step: `upgrade the Istio CRDs (istio/base chart) to ${targetVersion}`, done: cpDone, command: `helm upgrade istio-base istio/base -n ${mesh.istioNamespace} --version ${targetVersion}` },
    { step: `install control-plane revision ${targetRevision}`, done: cpDone && hypothetical.ready > 0, command: `helm install istiod-${targetRevision} istio/istiod -n ${mesh.istioNamespace} --version ${targetVersion} --set revision=${targetRevision} --set profile=ambient` },
    { step: `upgrade istio-cni to ${targetVersion}`, done: cniDone, command: `helm upgrade istio-cni istio/cni -n ${mesh.istioNamespace} --version ${targetVersion} --set profile=ambient` },
    { step: `upgrade ztunnel to ${targetVersion}, pinned to ${targetRevision}`, done: ztDone, command: `helm upgrade ztunnel istio/ztunnel -n ${mesh.istioNamespace} --version ${targetVersion} --set revision=${targetRevision}` },
    ...tags.map((t) => ({ step: `move tag ${t.name} to ${targetRevision}`, done: t.revision === targetRevision, command: `kubectl ambient tag-move ${t.name} ${targetRevision}` })),
    ...old.map((r) => ({ step: `remove control-plane revision ${r.name} once nothing follows it`, done: false, command: `helm uninstall ${r.helmRelease ?? `istiod-${r.name}`} -n ${mesh.istioNamespace}` })),
  ];
  return { targetVersion, targetRevision, findings, steps };
}
