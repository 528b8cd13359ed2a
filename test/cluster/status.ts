/**
 * `metav1.Status` error bodies, built exactly like k8s.io/apimachinery/pkg/api/errors does.
 */

/** One cause of an Invalid (422) error. */
export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

/** `metav1.StatusDetails`. */
export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** `metav1.Status` as sent on the wire. */
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** A group + resource (e.g. `{group: 'apps', resource: 'deployments'}`). */
export interface GroupResource {
  group: string;
  resource: string;
}

/** An error carrying the Status the server answers with. */
export class ApiError extends Error {
  readonly status: Status;
  readonly headers: Record<string, string>;
  constructor(status: Status, headers: Record<string, string> = {}) {
    super(status.message ?? `status ${status.code}`);
    this.name = 'ApiError';
    this.status = status;
    this.headers = headers;
  }
  /** The HTTP code. */
  get code(): number {
    return this.status.code;
  }
}

/** `resource.group`, or just `resource` for the core group (`schema.GroupResource.String()`). */
export function qualified(gr: GroupResource): string {
  return gr.group === '' ? gr.resource : `${gr.resource}.${gr.group}`;
}

/** Build a failure Status, leaving out empty details like Go's omitempty. */
export function failure(code: number, reason: string | undefined, message: string, details?: StatusDetails): Status {
  // Field order of the real encoder: kind, apiVersion, metadata, status, message, reason, details, code.
  const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, code: 0 };
  delete (s as Partial<Status>).code;
  if (reason !== undefined && reason !== '') s.reason = reason;
  if (details !== undefined) s.details = compactDetails(details);
  s.code = code;
  return s;
}

function compactDetails(d: StatusDetails): StatusDetails {
  const out: StatusDetails = {};
  if (d.name) out.name = d.name;
  if (d.group) out.group = d.group;
  if (d.kind) out.kind = d.kind;
  if (d.uid) out.uid = d.uid;
  if (d.causes && d.causes.length > 0) out.causes = d.causes;
  if (d.retryAfterSeconds) out.retryAfterSeconds = d.retryAfterSeconds;
  return out;
}

/** Reason used for a bare HTTP code (as `NewGenericServerResponse` maps it). */
export function reasonForCode(code: number): string | undefined {
  switch (code) {
    case 400:
      return 'BadRequest';
    case 401:
      return 'Unauthorized';
    case 403:
      return 'Forbidden';
    case 404:
      return 'NotFound';
    case 405:
      return 'MethodNotAllowed';
    case 406:
      return 'NotAcceptable';
    case 409:
      return 'Conflict';
    case 410:
      return 'Expired';
    case 413:
      return 'RequestEntityTooLarge';
    case 415:
      return 'UnsupportedMediaType';
    case 422:
      return 'Invalid';
    case 429:
      return 'TooManyRequests';
    case 500:
      return 'InternalError';
    case 503:
      return 'ServiceUnavailable';
    case 504:
      return 'Timeout';
    default:
      return undefined;
  }
}

/** Default message for an injected HTTP code (the real server's wording where it has one). */
export function messageForCode(code: number): string {
  switch (code) {
    case 400:
      return 'the server rejected our request for an unknown reason';
    case 401:
      return 'Unauthorized';
    case 403:
      return 'the server does not allow access to the requested resource';
    case 404:
      return 'the server could not find the requested resource';
    case 405:
      return 'the server does not allow this method on the requested resource';
    case 409:
      return 'the server reported a conflict';
    case 410:
      return 'The resourceVersion for the provided list is too old.';
    case 415:
      return 'the server responded with the status code 415 but did not return more information';
    case 422:
      return 'the server rejected our request due to an error in our request';
    case 429:
      return 'Too many requests, please try again later.';
    case 500:
      return 'Internal error occurred: injected fault';
    case 503:
      return 'the server is currently unable to handle the request';
    case 504:
      return 'Timeout: request did not complete within requested timeout - context deadline exceeded';
    default:
      return `the server responded with the status code ${code} but did not return more information`;
  }
}

/** 404 for a named object: `configmaps "x" not found`. */
export function notFound(gr: GroupResource, name: string): ApiError {
  return new ApiError(
    failure(404, 'NotFound', `${qualified(gr)} "${name}" not found`, { name, group: gr.group, kind: gr.resource }),
  );
}

/** 404 for an unknown path. */
export function pathNotFound(): ApiError {
  return new ApiError(failure(404, 'NotFound', 'the server could not find the requested resource', {}));
}

/** 409 AlreadyExists. */
export function alreadyExists(gr: GroupResource, name: string): ApiError {
  return new ApiError(
    failure(409, 'AlreadyExists', `${qualified(gr)} "${name}" already exists`, {
      name,
      group: gr.group,
      kind: gr.resource,
    }),
  );
}

/** 409 Conflict: `Operation cannot be fulfilled on <qr> "<name>": <err>`. */
export function conflict(gr: GroupResource, name: string, err: string): ApiError {
  return new ApiError(
    failure(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(gr)} "${name}": ${err}`, {
      name,
      group: gr.group,
      kind: gr.resource,
    }),
  );
}

/** The optimistic-concurrency message used by the registry on a stale resourceVersion. */
export const OPTIMISTIC_LOCK_MSG =
  'the object has been modified; please apply your changes to the latest version and try again';

/** 400 BadRequest (no details, like `NewBadRequest`). */
export function badRequest(message: string): ApiError {
  return new ApiError(failure(400, 'BadRequest', message));
}

/** 401 Unauthorized exactly as the authentication filter writes it. */
export function unauthorized(): ApiError {
  return new ApiError(failure(401, 'Unauthorized', 'Unauthorized'));
}

/** 403 Forbidden (`NewForbidden`). */
export function forbidden(gr: GroupResource, name: string, reason: string): ApiError {
  const q = qualified(gr);
  let message: string;
  if (q === '') message = `forbidden: ${reason}`;
  else if (name === '') message = `${q} is forbidden: ${reason}`;
  else message = `${q} "${name}" is forbidden: ${reason}`;
  return new ApiError(failure(403, 'Forbidden', message, { name, group: gr.group, kind: gr.resource }));
}

/** 405 for a method the route does not serve. */
export function methodNotAllowed(): ApiError {
  return new ApiError(
    failure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {}),
  );
}

/** 415 UnsupportedMediaType (`negotiation.NewUnsupportedMediaTypeError`). */
export function unsupportedMediaType(message: string): ApiError {
  return new ApiError(failure(415, 'UnsupportedMediaType', message));
}

/** 410 Expired. */
export function expired(message: string): ApiError {
  return new ApiError(failure(410, 'Expired', message));
}

/** 500 for a non-Status error (`ErrorToAPIStatus` default branch: reason Unknown, i.e. omitted). */
export function internalUnknown(message: string): ApiError {
  return new ApiError(failure(500, undefined, message));
}

/** 422 from `NewGenericServerResponse` (e.g. a failed json-patch `test`). */
export function genericUnprocessable(serverMessage: string): ApiError {
  return new ApiError(
    failure(422, 'Invalid', 'the server rejected our request due to an error in our request', {
      causes: [{ reason: 'UnexpectedServerResponse', message: serverMessage }],
    }),
  );
}

/** A field validation error (`field.Error`). */
export interface FieldError {
  type:
    | 'FieldValueInvalid'
    | 'FieldValueRequired'
    | 'FieldValueForbidden'
    | 'FieldValueNotSupported'
    | 'FieldValueDuplicate'
    | 'FieldValueTooLong';
  field: string;
  detail: string;
  value?: unknown;
}

function formatValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === undefined) return 'null';
  return JSON.stringify(v);
}

/** `field.Error.ErrorBody()`. */
export function fieldErrorBody(e: FieldError): string {
  switch (e.type) {
    case 'FieldValueInvalid':
      return `Invalid value: ${formatValue(e.value)}: ${e.detail}`;
    case 'FieldValueRequired':
      return e.detail === '' ? 'Required value' : `Required value: ${e.detail}`;
    case 'FieldValueForbidden':
      return e.detail === '' ? 'Forbidden' : `Forbidden: ${e.detail}`;
    case 'FieldValueNotSupported':
      return `Unsupported value: ${formatValue(e.value)}${e.detail === '' ? '' : `: ${e.detail}`}`;
    case 'FieldValueDuplicate':
      return `Duplicate value: ${formatValue(e.value)}`;
    case 'FieldValueTooLong':
      return `Too long: ${e.detail}`;
  }
}

/** `field.ErrorList.ToAggregate().Error()`: one message, or `[a, b]` for several. */
export function aggregate(errs: FieldError[]): string {
  const msgs = [...new Set(errs.map((e) => `${e.field}: ${fieldErrorBody(e)}`))];
  return msgs.length === 1 ? (msgs[0] ?? '') : `[${msgs.join(', ')}]`;
}

/** 422 Invalid (`NewInvalid(groupKind, name, errs)`): details.kind is the Kind, not the resource. */
export function invalid(group: string, kind: string, name: string, errs: FieldError[]): ApiError {
  const gk = group === '' ? kind : `${kind}.${group}`;
  return new ApiError(
    failure(422, 'Invalid', `${gk} "${name}" is invalid: ${aggregate(errs)}`, {
      name,
      group,
      kind,
      causes: errs.map((e) => ({ reason: e.type, message: fieldErrorBody(e), field: e.field })),
    }),
  );
}

/** A Status for an HTTP code with a custom message (fault injection). */
export function forCode(code: number, message?: string, retryAfterSeconds?: number): ApiError {
  const details: StatusDetails = {};
  if (retryAfterSeconds !== undefined) details.retryAfterSeconds = retryAfterSeconds;
  return new ApiError(failure(code, reasonForCode(code), message ?? messageForCode(code), details));
}
