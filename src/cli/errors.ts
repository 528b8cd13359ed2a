import type { ErrorKind } from '../core/errors.ts';

/** A row: its code and meaning; the meaning may span lines (each run of white space becomes one space). */
const row = (code: number, meaning: string) => ({ code, meaning: meaning.replace(/\s+/g, ' ').trim() });

/**
 * The documented exit codes: the one table in the code (the README's table and the fault tests
 * read this). Numbers follow sysexits.h where one fits, like istioctl.
 */
export const EXIT_CODES = {
  ok: row(0, 'success (also: "no" answered at a confirmation prompt, nothing changed)'),
  internal: row(1, 'unexpected internal error (stack trace with --verbose)'),
  problems: row(
    3,
    `the command ran and found problems (skew findings, a revision not safe to remove with --fail-on in-use,
     tag problems with --fail-on problem, a move or upgrade refused by a safety check or precondition,
     an upgrade gate that failed: its tag was rolled back)`,
  ),
  'wait-timeout': row(
    4,
    `the change is applied but --wait could not confirm every gateway/waypoint rolled out (timeout, or the watch
     failed), or an upgrade gate could not be checked (its tag stays moved, unverified)`,
  ),
  partial: row(
    5,
    `a change was left incomplete (undoing failed, a write's outcome is unknown, or the rollback after a failed
     upgrade gate failed): the message says each object's state and the commands that finish or undo it`,
  ),
  usage: row(64, 'usage error: unknown command or flag, missing or conflicting arguments'),
  input: row(
    65,
    `bad input: unknown or invalid tag or revision name, a --target that is not a version, minor or revision
     (or is a downgrade), or an upgrade to an older revision`,
  ),
  unreachable: row(69, 'the API server cannot be reached'),
  timeout: row(69, 'the API server did not answer within --request-timeout'),
  conflict: row(75, 'conflict: someone changed the objects in between; nothing was changed, re-run'),
  server: row(76, 'the API server refused or failed a request (4xx/5xx other than 401/403/409)'),
  auth: row(77, 'credentials rejected (401) or RBAC refused (403)'),
  config: row(
    78,
    `kubeconfig or context problem (also: TLS certificate not trusted, http/https mismatch, a server that does not
     answer JSON, a port the HTTP client refuses)`,
  ),
  interrupted: row(
    130,
    'interrupted (Ctrl-C, SIGTERM or SIGHUP): what was written is undone, or the message says what is left',
  ),
} satisfies Record<ErrorKind | 'ok', { code: number; meaning: string }>;

/** The exit code of an error kind. */
export function exitCode(kind: ErrorKind | 'ok'): number {
  return EXIT_CODES[kind].code;
}
