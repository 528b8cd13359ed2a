/**
 * CLI: start a simulated cluster from YAML fixtures and/or a named scenario.
 *
 *   node --import tsx test/cluster/main.ts --fixture <file|dir> [--fixture ...] [--scenario name]
 *        [--port N] --kubeconfig <path> [--k8s-version v1.31.4] [--context sim] [--namespace ns]
 *        [--unhealthy-revision REV ...]   (proxies re-rendered for REV never become ready)
 *
 * Prints exactly one line `ready <url>` on stdout once serving; exits 0 on SIGINT/SIGTERM.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadYamlObjects } from './fixtures.ts';
import { istiodController, istiodStartup } from './istiod.ts';
import { startSimCluster } from './index.ts';
import type { SimOptions } from './sim-types.ts';
import type { KubeObject } from './types.ts';

/** Parsed command line. */
export interface MainArgs {
  fixtures: string[];
  scenario?: string;
  port: number;
  kubeconfig: string;
  k8sVersion?: string;
  context?: string;
  namespace?: string;
  unhealthyRevisions: string[];
}

/** Parse argv (without node and script). Throws with a usage message on bad input. */
export function parseArgs(argv: string[]): MainArgs {
  const args: MainArgs = { fixtures: [], port: 0, kubeconfig: '', unhealthyRevisions: [] };
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i] ?? '';
    const eq = raw.indexOf('=');
    const flag = raw.startsWith('--') && eq > 0 ? raw.slice(0, eq) : raw;
    const value = (): string => {
      if (raw.startsWith('--') && eq > 0) return raw.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--fixture':
        args.fixtures.push(value());
        break;
      case '--scenario':
        args.scenario = value();
        break;
      case '--port': {
        const v = value();
        if (!/^\d+$/.test(v)) throw new Error(`--port must be a number, got ${v}`);
        args.port = Number(v);
        break;
      }
      case '--kubeconfig':
        args.kubeconfig = value();
        break;
      case '--k8s-version':
        args.k8sVersion = value();
        break;
      case '--context':
        args.context = value();
        break;
      case '--namespace':
        args.namespace = value();
        break;
      case '--unhealthy-revision':
        args.unhealthyRevisions.push(value());
        break;
      default:
        throw new Error(`unknown argument: ${raw}`);
    }
  }
  if (args.kubeconfig === '') throw new Error('--kubeconfig <path> is required');
  return args;
}

async function main(): Promise<void> {
  let args: MainArgs;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(
      `${e instanceof Error ? e.message : String(e)}\nusage: main.ts --fixture <file|dir> [--fixture ...] [--scenario name] [--port N] --kubeconfig <path> [--k8s-version vX.Y.Z]\n`,
    );
    process.exit(2);
  }
  const objects: KubeObject[] = loadYamlObjects(args.fixtures);
  let options: Partial<SimOptions> = {};
  if (args.scenario !== undefined) {
    const { scenarios } = await import('./scenarios.ts');
    const make = scenarios[args.scenario];
    if (make === undefined)
      throw new Error(`unknown scenario "${args.scenario}"; known: ${Object.keys(scenarios).join(', ') || '(none)'}`);
    const s: { objects: KubeObject[]; options?: Partial<SimOptions>; kubernetesVersion?: string } = make();
    objects.push(...s.objects);
    options = {
      ...(s.kubernetesVersion !== undefined ? { kubernetesVersion: s.kubernetesVersion } : {}),
      ...(s.options ?? {}),
    };
  }
  const sim = await startSimCluster({
    ...options,
    objects: [...(options.objects ?? []), ...objects],
    port: args.port,
    unhealthyRevisions: args.unhealthyRevisions,
    ...(args.k8sVersion !== undefined ? { kubernetesVersion: args.k8sVersion } : {}),
  });
  // Tags that move re-render the Gateways/waypoints that follow them, as istiod would.
  sim.addController(istiodController());
  istiodStartup(sim);
  await sim.writeKubeconfig(args.kubeconfig, {
    ...(args.context !== undefined ? { context: args.context } : {}),
    ...(args.namespace !== undefined ? { namespace: args.namespace } : {}),
  });
  process.stdout.write(`ready ${sim.url}\n`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    sim.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

// Run only as the entry point (tests import parseArgs).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((e: unknown) => {
    process.stderr.write(`sim: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
