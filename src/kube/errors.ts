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

/** An HTTP error from the API server, classified once. */
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
export function apiError(
  status: number,
  body: StatusBody | undefined,
  what: string,
  target: Target,
  retryAfter: string | null,
): ApiError {
  const reason = body?.reason ?? '';
  const serverMessage = firstLine(body?.message ?? '') || `HTTP ${status}`;
  const retry = retryAfter !== null && /^\d+$/.test(retryAfter) ? Number(retryAfter) : body?.details?.retryAfterSeconds;
  const ctx = `context "${target.context}"`;
  switch (true) {
    case status === 401:
      return new ApiError(
        'auth',
        status,
        reason,
        `the API server at ${target.server} rejected the credentials of ${ctx} (401 Unauthorized) on ${what}`,
        `re-authenticate for ${ctx} (refresh the token or log in again), then retry`,
        retry,
      );
    case status === 403:
      // The Status message names verb, resource and namespace: "<res> is forbidden: User "u" cannot list resource ...".
      return new ApiError(
        'auth',
        status,
        reason,
        `RBAC refused: ${serverMessage}`,
        `ask a cluster admin for permission to ${what} (check with: kubectl auth can-i ${what})`,
        retry,
      );
    case status === 409:
      return new ApiError(
        'conflict',
        status,
        reason,
        `conflict on ${what}: ${serverMessage}`,
        'someone else changed it in between: re-run the command to see the current state',
        retry,
      );
    case status === 404:
      return new ApiError('server', status, reason, `not found on ${what}: ${serverMessage}`, undefined, retry);
    case status === 422 || status === 400:
      return new ApiError(
        'server',
        status,
        reason,
        `the API server refused ${what} (${status} ${reason || 'Invalid'}): ${serverMessage}`,
        'this is likely a bug in kubectl-ambient: please report it with --verbose output',
        retry,
      );
    case status === 429:
      return new ApiError(
        'server',
        status,
        reason,
        `the API server is throttling requests (429) on ${what}`,
        'wait a moment and retry',
        retry,
      );
    case status >= 500:
      return new ApiError(
        'server',
        status,
        reason,
        `the API server failed on ${what} (${status} ${reason || 'error'}): ${serverMessage}`,
        'retry later; check the API server health (kubectl get --raw /readyz)',
        retry,
      );
    default:
      return new ApiError(
        'server',
        status,
        reason,
        `unexpected ${status} from the API server on ${what}: ${serverMessage}`,
        undefined,
        retry,
      );
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
};

/**
 * TLS verification failures (OpenSSL's codes as Node reports them): the server answered, but not
 * with a certificate the kubeconfig trusts. Fixed in the kubeconfig, hence `config`, not "unreachable".
 */
const TLS_TRUST: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'it is self-signed and not the CA of the kubeconfig',
  SELF_SIGNED_CERT_IN_CHAIN: 'it chains to a self-signed CA that is not the CA of the kubeconfig',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'no CA of the kubeconfig signed it',
  UNABLE_TO_GET_ISSUER_CERT: 'its issuer is not a CA of the kubeconfig',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'its issuer is not a CA of the kubeconfig',
  CERT_UNTRUSTED: 'it is not trusted',
  CERT_SIGNATURE_FAILURE: 'its signature does not verify',
  CERT_HAS_EXPIRED: 'it has expired',
  CERT_NOT_YET_VALID: 'it is not valid yet (check the clock)',
  ERR_TLS_CERT_ALTNAME_INVALID: 'it does not name the host of the server URL',
};

/** Codes of a connection or request cut off after it started (HTTP/2 resets, GOAWAY, a premature end). */
const LOST = new Set([
  'ERR_HTTP2_STREAM_ERROR',
  'ERR_HTTP2_SESSION_ERROR',
  'ERR_HTTP2_GOAWAY_SESSION',
  'ERR_HTTP2_INVALID_SESSION',
  'ERR_HTTP2_STREAM_CANCEL',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/** The first `code` in an error's cause chain. */
function errorCode(e: unknown): string | undefined {
  return causeChain(e)
    .map((c) => (c as { code?: unknown }).code)
    .find((c): c is string => typeof c === 'string' && c !== '');
}

/** An error and its causes, outermost first (bounded). */
function causeChain(e: unknown): unknown[] {
  const out: unknown[] = [];
  for (
    let cur: unknown = e;
    cur !== undefined && cur !== null && out.length < 6;
    cur = (cur as { cause?: unknown }).cause
  )
    out.push(cur);
  return out;
}

const messages = (e: unknown): string =>
  causeChain(e)
    .map((c) => (c instanceof Error ? c.message : String(c)))
    .join(' / ');

/** The server's `Status` body, or undefined when the text is not one (a proxy's HTML page, plain text). */
export function parseStatus(text: string): StatusBody | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null ? v : undefined;
  } catch {
    return undefined;
  }
}

/** A short, printable excerpt of a non-JSON answer: an HTML page's title, else its first line. */
function excerpt(text: string): string {
  const title = /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1];
  const line = (title ?? text.replace(/<[^>]*>/g, ' '))
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return line.length > 60 ? `${line.slice(0, 57)}...` : line;
}

const NOT_AN_API_SERVER =
  "it is not a Kubernetes API server, or a proxy in front of it answered (an authenticating proxy's login page?)";
const CHECK_PROXY = 'check the proxy (proxy-url of the cluster, or HTTPS_PROXY/HTTP_PROXY and NO_PROXY)';

/**
 * Classifies an answer whose body is not JSON, where the API server always sends JSON. A 2xx
 * (typically an authenticating proxy's login page) and a 400 "HTTP request to an HTTPS server" get
 * their own line; undefined for the rest (an HTTP error status says enough, see apiError).
 */
export function nonJsonAnswer(
  status: number,
  contentType: string | undefined,
  text: string,
  what: string,
  target: Target,
): AmbientError | undefined {
  const ctx = `context "${target.context}"`;
  if (status === 400 && /HTTP request to an HTTPS server/i.test(text)) {
    return new AmbientError(
      'config',
      `the server at ${target.server} (${ctx}) speaks HTTPS on that port, but the kubeconfig says http://`,
      'use https:// in the server URL of the cluster entry (with its CA)',
    );
  }
  if (status < 200 || status >= 300) return undefined;
  const type = (contentType ?? '').split(';')[0]?.trim() || 'no content type';
  return new AmbientError(
    'config',
    `the server at ${target.server} (${ctx}) answered ${what} with ${type} that is not JSON ("${excerpt(text)}"): ${NOT_AN_API_SERVER}`,
    'check the server URL of this context in your kubeconfig; if a proxy needs a login, log in with its own tool first',
  );
}

/** Parses a 2xx JSON body, or throws the classified non-JSON error. */
export function parseJsonAnswer(
  status: number,
  contentType: string | undefined,
  text: string,
  what: string,
  target: Target,
): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw nonJsonAnswer(status, contentType, text, what, target) ?? malformedJson(what);
  }
}

/** A 2xx answer that is not valid JSON (or a list whose items are not objects). */
export function malformedJson(what: string): AmbientError {
  return new AmbientError(
    'server',
    `the API server answered ${what} with malformed JSON`,
    'retry; check the API server health',
  );
}

/**
 * Classifies a failure to get any response: timeouts, interruption (the caller's signal), network
 * errors, and failures of the credential plugins that client-node runs before the request.
 */
export function transportError(
  e: unknown,
  what: string,
  target: Target,
  timeoutMs: number,
  interrupted: boolean,
): AmbientError {
  if (e instanceof AmbientError) return e;
  const name = (e as { name?: unknown }).name;
  if (interrupted) return new AmbientError('interrupted', `interrupted during ${what}`, undefined, { cause: e });
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new AmbientError(
      'timeout',
      `the API server at ${target.server} (context "${target.context}") did not answer ${what} within ${timeoutMs / 1000}s`,
      'check the connection to the cluster, or raise --request-timeout',
      { cause: e },
    );
  }
  const code = errorCode(e);
  if (code === 'ERR_AMBIENT_PROXY') {
    const why = e instanceof Error ? firstLine(e.message) : String(e);
    return new AmbientError(
      'unreachable',
      `cannot reach the API server at ${target.server} (context "${target.context}"): ${why}`,
      CHECK_PROXY,
      { cause: e },
    );
  }
  const ctx = `context "${target.context}"`;
  const trust = code !== undefined ? TLS_TRUST[code] : undefined;
  if (trust !== undefined) {
    return new AmbientError(
      'config',
      `the TLS certificate of the API server at ${target.server} is not trusted: ${trust} (${code ?? ''})`,
      `check certificate-authority(-data) of the cluster of ${ctx} in your kubeconfig, and that the URL points at the right server`,
      { cause: e },
    );
  }
  const all = messages(e);
  if (
    code === 'ERR_SSL_WRONG_VERSION_NUMBER' ||
    code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG' ||
    /wrong version number|packet length too long/i.test(all)
  ) {
    return new AmbientError(
      'config',
      `the server at ${target.server} (${ctx}) does not speak TLS on that port (plain HTTP?)`,
      'use http:// in the server URL of the cluster entry if it really serves plain HTTP, or the port that serves HTTPS',
      { cause: e },
    );
  }
  const why = code !== undefined ? UNREACHABLE[code] : undefined;
  if (why !== undefined) {
    return new AmbientError(
      'unreachable',
      `cannot reach the API server at ${target.server} (context "${target.context}"): ${why}`,
      'check that the cluster is up and that --context/--kubeconfig point at it',
      { cause: e },
    );
  }
  const message = e instanceof Error ? firstLine(e.message) : String(e);
  if (
    (code !== undefined && LOST.has(code)) ||
    /fetch failed|socket|network|terminated|other side closed/i.test(message)
  ) {
    return new AmbientError(
      'unreachable',
      `lost the connection to the API server at ${target.server} (context "${target.context}") during ${what}: ${message}`,
      'check the connection to the cluster and retry',
      { cause: e },
    );
  }
  // Credential plugins and certificate files: their raw errors can quote what a plugin printed (a
  // token), so only a fixed description is shown, --verbose included (no cause is kept).
  return new AmbientError(
    'config',
    `cannot authenticate to context "${target.context}": ${credentialProblem(message)}`,
    'check the user entry of this context in your kubeconfig (credential plugin, token or certificate files)',
  );
}

/** A description of a credential failure that never quotes the credential machinery's output. */
function credentialProblem(message: string): string {
  const exit = /exit(?:ed)?(?: with)?(?: code| status)? (\d+)/i.exec(message);
  if (/ENOENT|not found/i.test(message)) return 'the credential plugin (exec command) was not found';
  if (exit !== null) return `the credential plugin failed (exit code ${exit[1] ?? '?'})`;
  if (/JSON|Unexpected token|ExecCredential/i.test(message))
    return 'the credential plugin printed something that is not an ExecCredential';
  if (/EACCES|permission/i.test(message))
    return 'the credential plugin or a certificate file is not accessible (permission denied)';
  if (/PEM|certificate|key/i.test(message)) return 'a client certificate or key of this context cannot be used';
  return 'the credentials of this context could not be loaded';
}
