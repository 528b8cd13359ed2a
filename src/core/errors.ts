/**
 * The one error type every layer throws. `kind` says what went wrong in words; `src/cli/errors.ts`
 * maps each kind to its documented exit code (the only place that knows the numbers). The message
 * says what failed and the hint what to do, so that `run` can print one clear line.
 */
export type ErrorKind =
  /** Bad flags or arguments (yargs-level or conflicting flags). */
  | 'usage'
  /** Well-formed input that does not match the cluster or the rules: unknown tag, invalid name. */
  | 'input'
  /** The command ran its check and found problems (skew violations, refused move). */
  | 'problems'
  | 'unreachable'
  | 'timeout'
  /** 401 or 403. */
  | 'auth'
  /** 409: someone else changed an object in between. */
  | 'conflict'
  /** kubeconfig missing or malformed, unknown context, credential plugin failure. */
  | 'config'
  /** The server refused the request for another reason (400, 404, 422, 5xx). */
  | 'server'
  /** `--wait` gave up before the rollout finished (the change itself is applied). */
  | 'wait-timeout'
  /** A write failed part-way and the restore failed too: the cluster is in between. */
  | 'partial'
  | 'interrupted'
  | 'internal';

export class AmbientError extends Error {
  override readonly name = 'AmbientError';
  /** The HTTP status when the API server answered (403 and 404 let a reader treat an optional list as unavailable). */
  readonly status: number | undefined;
  constructor(
    readonly kind: ErrorKind,
    message: string,
    /** What to do about it, printed after the message. */
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
