import type { Cluster } from '../core/ports.ts';

/** A kubeconfig context: its name, cluster entry and server URL. */
export interface KubeContextInfo {
  name: string;
  cluster: string | undefined;
  server: string | undefined;
}
import type { ConnectionInfo } from '../kube/transport.ts';
import type { Io } from './io.ts';
import { parseDuration, validateKubeArgs, type KubeArgs } from './options.ts';

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
  /** The contexts of the merged kubeconfig (fleet mode); client-node is not loaded for this. */
  contexts: (args: Pick<KubeArgs, 'kubeconfig'>) => Promise<KubeContextInfo[]>;
  /** Where `--verbose` request logs go (stderr). */
  verboseLog?: (line: string) => void;
  /**
   * One line about the state a writing command would leave if it stopped now: set while it writes,
   * printed by a second interrupt, which exits at once (src/cli/run.ts).
   */
  interruptNote?: { current: string | undefined };
  /** A new operation id (recorded on a tag while a move runs). Default: derived from `now`. */
  newId?: () => string;
}

/** An operation id from the injected generator, else from the clock. */
export function operationId(deps: Deps): string {
  return deps.newId?.() ?? deps.now().getTime().toString(36);
}

/**
 * The production `connect`: the composition root, and the only runtime import of `src/kube/`
 * from `src/cli/`. The import is dynamic so that `--help` and argument errors never load
 * @kubernetes/client-node (esbuild turns it into lazy initialisation inside the same bundle).
 */
export function kubeConnector(
  env: Record<string, string | undefined>,
  signal: AbortSignal,
  log: (line: string) => void,
): Deps['connect'] {
  return async (args) => {
    validateKubeArgs(args);
    const timeoutMs = parseDuration(args['request-timeout'], '--request-timeout');
    const { connect } = await import('../kube/connect.ts');
    const headers = impersonationHeaders(args);
    if (args.verbose && headers !== undefined) log(`impersonating: ${describeImpersonation(args)}`);
    return connect({
      ...(headers !== undefined ? { headers } : {}),
      kubeconfig: args.kubeconfig,
      context: args.context,
      requestTimeoutMs: timeoutMs === 0 ? 2_147_483_647 : timeoutMs,
      env,
      signal,
      ...(args.verbose
        ? {
            onRequest: (r) => log(`${r.method} ${r.path} ${r.status} ${r.bytes}B ${r.ms.toFixed(0)}ms`),
            onConnection: (c) => log(connectionLine(c)),
          }
        : {}),
    });
  };
}

/** The -v line of a new connection: `connected: TLS, HTTP/2, through the proxy http://proxy:3128`. */
function connectionLine(c: ConnectionInfo): string {
  const proxy = c.proxy !== undefined ? `, through the proxy ${c.proxy}` : '';
  return `connected: ${c.tls ? 'TLS' : 'plain'}, ${c.protocol === 'h2' ? 'HTTP/2' : 'HTTP/1.1'}${proxy}`;
}

/** The production `contexts`: kubectl's kubeconfig merge, loaded lazily like `connect`. */
export function kubeContexts(env: Record<string, string | undefined>): Deps['contexts'] {
  return async (args) => {
    const { listContexts } = await import('../kube/connect.ts');
    return listContexts({ kubeconfig: args.kubeconfig, env });
  };
}

/**
 * kubectl's --as, --as-group (repeated) and --as-uid as the API server's Impersonate-* headers (a
 * list repeats the header); undefined without --as (options.ts refuses groups or a UID alone).
 */
export function impersonationHeaders(
  args: Pick<KubeArgs, 'as' | 'as-group' | 'as-uid'>,
): Record<string, string | string[]> | undefined {
  if (args.as === undefined || args.as === '') return undefined;
  return {
    'Impersonate-User': args.as,
    ...((args['as-group'] ?? []).length > 0 ? { 'Impersonate-Group': args['as-group'] ?? [] } : {}),
    ...(args['as-uid'] !== undefined && args['as-uid'] !== '' ? { 'Impersonate-Uid': args['as-uid'] } : {}),
  };
}

/** `user sre-oncall, groups system:masters, uid 42` for the -v log (names only: impersonation carries no secret). */
function describeImpersonation(args: Pick<KubeArgs, 'as' | 'as-group' | 'as-uid'>): string {
  const groups = args['as-group'] ?? [];
  return [
    `user ${args.as ?? ''}`,
    ...(groups.length > 0 ? [`groups ${groups.join(', ')}`] : []),
    ...(args['as-uid'] !== undefined ? [`uid ${args['as-uid']}`] : []),
  ].join(', ');
}
