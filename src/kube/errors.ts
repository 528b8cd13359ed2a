import { AmbientError, type ErrorKind } from '../core/errors.ts';

/** Where a request went, for messages. */
export interface Target {
  server: string;
  context: string;
}

/** The Kubernetes `Status` body of a failed request (the fields we read). */
export interface StatusBody {
  kind?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; group?: string; kind?: string; retryAfterSeconds?: number };
}

/** An HTTP error from the API server, classified once (issue #2 "Every failure is classified once"). */
export class ApiError extends AmbientError {
  constructor(
    kind: ErrorKind,
    override readonly status: number,
    readonly reason: string,
    message: string,
    hint: string | undefined,
    readonly retryAfterSeconds: number | undefined,
  ) {
    super(kind, message, hint);
  }
}

function firstLine(s: string): string {
  return (s.split('\n')[0] ?? s).trim();
}

/**
 * Classifies a non-2xx response. `what` names the request in words ("list mutatingwebhookconfigurations").
 */
export function apiError(status: number, body: StatusBody | undefined, what: string, target: Target, retryAfter: string | null): ApiError {
  const reason = body?.reason ?? '';
  const serverMessage = firstLine(body?.message ?? '') || `HTTP ${status}`;
  const retry = retryAfter !== null && /^\d+$/.test(retryAfter) ? Number(retryAfter) : body?.details?.retryAfterSeconds;
  const ctx = `context "${target.context}"`;
  switch (true) {
    case status === 401:
      return new ApiError('auth', status, reason, `the API server at ${target.server} rejected the credentials of ${ctx} (401 Unauthorized) on ${what}`, `re-authenticate for ${ctx} (refresh the token or log in again), then retry`, retry);
    case status === 403:
      // The Status message names verb, resource and namespace: "<res> is forbidden: User "u" cannot list resource ...".
      return new ApiError('auth', status, reason, `RBAC refused: ${serverMessage}`, `ask a cluster admin for permission to ${what} (check with: kubectl auth can-i ${what})`, retry);
    case status === 409:
      return new ApiError('conflict', status, reason, `conflict on ${what}: ${serverMessage}`, 'someone else changed it in between: re-run the command to see the current state', retry);
    case status === 404:
      return new ApiError('server', status, reason, `not found on ${what}: ${serverMessage}`, undefined, retry);
    case status === 422 || status === 400:
      return new ApiError('server', status, reason, `the API server refused ${what} (${status} ${reason || 'Invalid'}): ${serverMessage}`, 'this is likely a bug in kubectl-ambient: please report it with --verbose output', retry);
    case status === 429:
      return new ApiError('server', status, reason, `the API server is throttling requests (429) on ${what}`, 'wait a moment and retry', retry);
    case status >= 500:
      return new ApiError('server', status, reason, `the API server failed on ${what} (${status} ${reason || 'error'}): ${serverMessage}`, 'retry later; check the API server health (kubectl get --raw /readyz)', retry);
    default:
      return new ApiError('server', status, reason, `unexpected ${status} from the API server on ${what}: ${serverMessage}`, undefined, retry);
  }
}

/** Node/undici network error codes that mean "cannot reach the server". */
const UNREACHABLE: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found (DNS)',
  EAI_AGAIN: 'DNS lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
  UND_ERR_SOCKET: 'connection closed by the server',
  UND_ERR_CLOSED: 'connection closed',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  ETIMEDOUT: 'connection timed out',
  CERT_HAS_EXPIRED: 'TLS certificate expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed TLS certificate not trusted',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate not trusted',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS certificate does not match the host',
};

/** Codes of a connection or request cut off after it started (HTTP/2 resets, GOAWAY, a premature end). */
const LOST = new Set(['ERR_HTTP2_STREAM_ERROR', 'ERR_HTTP2_SESSION_ERROR', 'ERR_HTTP2_GOAWAY_SESSION', 'ERR_HTTP2_INVALID_SESSION', 'ERR_HTTP2_STREAM_CANCEL', 'ERR_STREAM_PREMATURE_CLOSE']);

function errorCode(e: unknown): string | undefined {
  for (let cur: unknown = e, depth = 0; cur !== undefined && cur !== null && depth < 5; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Classifies a failure to get any response: timeouts, interruption (the caller's signal), network
 * errors, and failures of the credential plugins that client-node runs before the request.
 */
export function transportError(e: unknown, what: string, target: Target, timeoutMs: number, interrupted: boolean): AmbientError {
  if (e instanceof AmbientError) return e;
  const name = (e as { name?: unknown }).name;
  if (interrupted) return new AmbientError('interrupted', `interrupted during ${what}`, undefined, { cause: e });
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new AmbientError('timeout', `the API server at ${target.server} (context "${target.context}") did not answer ${what} within ${timeoutMs / 1000}s`, 'check the connection to the cluster, or raise --request-timeout', { cause: e });
  }
  const code = errorCode(e);
  if (code === 'ERR_AMBIENT_PROXY') {
    return new AmbientError('unreachable', `cannot reach the API server at ${target.server} (context "${target.context}"): ${e instanceof Error ? firstLine(e.message) : String(e)}`, 'check the proxy (proxy-url of the cluster, or HTTPS_PROXY/HTTP_PROXY and NO_PROXY)', { cause: e });
  }
  const why = code !== undefined ? UNREACHABLE[code] : undefined;
  if (why !== undefined) {
    return new AmbientError('unreachable', `cannot reach the API server at ${target.server} (context "${target.context}"): ${why}`, 'check that the cluster is up and that --context/--kubeconfig point at it', { cause: e });
  }
  const message = e instanceof Error ? firstLine(e.message) : String(e);
  if ((code !== undefined && LOST.has(code)) || /fetch failed|socket|network|terminated|other side closed/i.test(message)) {
    return new AmbientError('unreachable', `lost the connection to the API server at ${target.server} (context "${target.context}") during ${what}: ${message}`, 'check the connection to the cluster and retry', { cause: e });
  }
  // Credential plugins and certificate files: their raw errors can quote what a plugin printed (a
  // token), so only a fixed description is shown, --verbose included (no cause is kept).
  return new AmbientError('config', `cannot authenticate to context "${target.context}": ${credentialProblem(message)}`, 'check the user entry of this context in your kubeconfig (credential plugin, token or certificate files)');
}

/** A description of a credential failure that never quotes the credential machinery's output. */
function credentialProblem(message: string): string {
  const exit = /exit(?:ed)?(?: with)?(?: code| status)? (\d+)/i.exec(message);
  if (/ENOENT|not found/i.test(message)) return 'the credential plugin (exec command) was not found';
  if (exit !== null) return `the credential plugin failed (exit code ${exit[1] ?? '?'})`;
  if (/JSON|Unexpected token|ExecCredential/i.test(message)) return 'the credential plugin printed something that is not an ExecCredential';
  if (/EACCES|permission/i.test(message)) return 'the credential plugin or a certificate file is not accessible (permission denied)';
  if (/PEM|certificate|key/i.test(message)) return 'a client certificate or key of this context cannot be used';
  return 'the credentials of this context could not be loaded';
}
