import type { Cluster } from '../core/ports.ts';
import type { Io } from './io.ts';
import { parseDuration, type KubeArgs } from './options.ts';

/** Everything a command needs from the outside world, injected (tests pass their own). */
export interface Deps {
  io: Io;
  /** The environment (KUBECONFIG, HOME, NO_COLOR...). */
  env: Record<string, string | undefined>;
  /** Aborted on Ctrl-C. */
  signal: AbortSignal;
  now: () => Date;
  /** Connects with the kube flags; client-node is loaded only here, after the arguments are parsed. */
  connect: (args: KubeArgs) => Promise<Cluster>;
  /** Where `--verbose` request logs go (stderr). */
  verboseLog?: (line: string) => void;
}

/**
 * The production `connect`: the composition root, and the only runtime import of `src/kube/`
 * from `src/cli/`. The import is dynamic so that `--help` and argument errors never load
 * @kubernetes/client-node (esbuild turns it into lazy initialisation inside the same bundle).
 */
export function kubeConnector(env: Record<string, string | undefined>, signal: AbortSignal, log: (line: string) => void): Deps['connect'] {
  return async (args) => {
    const timeoutMs = parseDuration(args['request-timeout'], '--request-timeout');
    const { connect } = await import('../kube/connect.ts');
    return connect({
      kubeconfig: args.kubeconfig,
      context: args.context,
      requestTimeoutMs: timeoutMs === 0 ? 2_147_483_647 : timeoutMs,
      env,
      signal,
      ...(args.verbose ? { onRequest: (r) => log(`${r.method} ${r.path} ${r.status} ${r.bytes}B ${r.ms.toFixed(0)}ms`) } : {}),
    });
  };
}
