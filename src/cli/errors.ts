import type { ErrorKind } from '../core/errors.ts';

/**
 * The documented exit codes: the one table in the code (the README's table and the fault tests
 * read this). Numbers follow sysexits.h where one fits, like istioctl.
 */
export const EXIT_CODES = {
  ok: { code: 0, meaning: 'success' },
  internal: { code: 1, meaning: 'unexpected internal error (stack trace with --verbose)' },
  problems: {
    code: 3,
    meaning:
      'the command ran and found problems (skew findings, a revision not safe to remove with --fail-on in-use, ' +
      'tag problems with --fail-on problem, a move or upgrade refused by a safety check or precondition, ' +
      'an upgrade gate that failed: its tag was rolled back)',
  },
  'wait-timeout': {
    code: 4,
    meaning:
      'the change is applied but --wait could not confirm every gateway/waypoint rolled out (timeout, or the watch failed), ' +
      'or an upgrade gate could not be checked (its tag stays moved, unverified)',
  },
  partial: {
    code: 5,
    meaning:
      "a change was left incomplete (undoing failed, a write's outcome is unknown, or the rollback after a failed upgrade gate failed): " +
      "the message says each object's state and the commands that finish or undo it",
  },
  usage: { code: 64, meaning: 'usage error: unknown command or flag, missing or conflicting arguments' },
  input: {
    code: 65,
    meaning:
      'bad input: unknown or invalid tag or revision name, a --target that is not a version, minor or revision (or is a downgrade), ' +
      'or an upgrade to an older revision',
  },
  unreachable: { code: 69, meaning: 'the API server cannot be reached' },
  timeout: { code: 69, meaning: 'the API server did not answer within --request-timeout' },
  conflict: { code: 75, meaning: 'conflict: someone changed the objects in between; nothing was changed, re-run' },
  server: { code: 76, meaning: 'the API server refused or failed a request (4xx/5xx other than 401/403/409)' },
  auth: { code: 77, meaning: 'credentials rejected (401) or RBAC refused (403)' },
  config: {
    code: 78,
    meaning:
      'kubeconfig or context problem (also: TLS certificate not trusted, http/https mismatch, a server that does not answer JSON, ' +
      'a port the HTTP client refuses)',
  },
  interrupted: {
    code: 130,
    meaning: 'interrupted (Ctrl-C, SIGTERM or SIGHUP): what was written is undone, or the message says what is left',
  },
} as const satisfies Record<ErrorKind | 'ok', { code: number; meaning: string }>;

/** The exit code of an error kind. */
export function exitCode(kind: ErrorKind | 'ok'): number {
  return EXIT_CODES[kind].code;
}
