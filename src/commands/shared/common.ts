import type { Deps } from '../../cli/deps.ts';
import { paint, PromptInterrupted } from '../../cli/io.ts';
import type { KubeArgs } from '../../cli/options.ts';
import { AmbientError } from '../../core/errors.ts';
import { buildMesh, type Mesh } from '../../core/mesh.ts';
import type { Cluster } from '../../core/ports.ts';
import { revisionForVersion } from '../../core/names.ts';
import { gatherSnapshot } from '../../core/snapshot.ts';
import { versionHint } from '../../core/views.ts';

/**
 * Connects, gathers the snapshot (spinner on a TTY) and joins it into a Mesh; refuses when the
 * Istio namespace holds no control plane at all.
 */
export async function loadMesh(deps: Deps, args: KubeArgs): Promise<{ cluster: Cluster; mesh: Mesh }> {
  const cluster = await deps.connect(args);
  const spinner = deps.io.spinner(`Reading Istio objects from context ${cluster.contextName}`);
  try {
    const mesh = await readMesh(cluster, args['istio-namespace']);
    spinner.stop();
    for (const line of unavailableWarnings(mesh))
      deps.io.err(`${paint(deps.io.colorErr, 'yellow', 'warning:')} ${line}\n`);
    return { cluster, mesh };
  } catch (e) {
    spinner.stop();
    throw e;
  }
}

/** One snapshot of a connected cluster joined into a Mesh; refuses a namespace without a control plane. */
export async function readMesh(cluster: Cluster, istioNamespace: string): Promise<Mesh> {
  const mesh = buildMesh(await gatherSnapshot(cluster, istioNamespace));
  requireControlPlane(mesh);
  return mesh;
}

/** What the snapshot could not read, one line each (the verdicts that need it are UNKNOWN). */
export function unavailableWarnings(mesh: Mesh): string[] {
  return mesh.unavailable.map((u) => `${u.what} could not be read (${u.reason}): what depends on them is UNKNOWN`);
}

/** Refuses to go on when the namespace holds no control plane at all (the usual cause: Istio lives elsewhere). */
function requireControlPlane(mesh: Mesh): void {
  if (mesh.revisions.size === 0 && mesh.tags.size === 0) {
    throw new AmbientError(
      'input',
      `no Istio control plane found in namespace ${mesh.istioNamespace} (no istiod Deployment, injector webhook or revision Service)`,
      'if Istio runs in another namespace, pass -i/--istio-namespace <namespace>',
    );
  }
}

/**
 * A version typed where a revision name belongs (`tag-move prod 1.28.10`) can never be one (no
 * dots in a DNS-1123 label): refused before anything else, with the installed revision that runs
 * that version, read from one snapshot (without the cluster: the name Istio's docs would give it).
 */
export async function refuseVersionAsRevision(deps: Deps, args: KubeArgs, word: string | undefined): Promise<void> {
  const guess = word === undefined ? undefined : revisionForVersion(word, []);
  if (word === undefined || guess === undefined) return;
  let hint = `revision names use dashes: did you mean "${guess.name}"? (could not read the installed revisions)`;
  try {
    const cluster = await deps.connect(args);
    hint = versionHint(buildMesh(await gatherSnapshot(cluster, args['istio-namespace'])), word) ?? hint;
  } catch (e) {
    if (deps.signal.aborted) throw e;
  }
  throw new AmbientError('input', `"${word}" is a version, not a revision name`, hint);
}

/**
 * Asks a yes/no question before a change (`action`: what is refused when stdin is not a terminal):
 * true for y or yes; anything else says "aborted" and is false. Ctrl-C at the prompt (or a signal)
 * is an interrupt before any change; any other failure of the prompt is not, and goes on as it is.
 */
export async function confirm(deps: Deps, question: string, action: string): Promise<boolean> {
  if (!deps.io.stdinIsTTY)
    throw new AmbientError(
      'usage',
      `refusing to ${action} without confirmation: stdin is not a terminal`,
      'pass --yes to confirm, or --dry-run to only look',
    );
  let answer: string;
  try {
    answer = await deps.io.prompt(question, deps.signal);
  } catch (e) {
    deps.io.err('\n');
    if (!(e instanceof PromptInterrupted) && !deps.signal.aborted) throw e;
    throw new AmbientError('interrupted', 'interrupted at the confirmation prompt: nothing was changed', undefined, {
      cause: e,
    });
  }
  if (/^y(es)?$/i.test(answer.trim())) return true;
  deps.io.err('aborted: nothing was changed\n');
  return false;
}
