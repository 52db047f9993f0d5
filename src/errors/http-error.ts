// The one error type handlers throw, with the stable ids of SPEC §4 and Kratos's default messages.

export const ErrorIds = {
  sessionInactive: 'session_inactive',
  returnToForbidden: 'self_service_flow_return_to_forbidden',
  csrfViolation: 'security_csrf_violation',
  sessionTokenMissing: 'session_token_missing',
  logoutTokenMissing: 'logout_token_missing',
  logoutTokenMismatch: 'logout_token_mismatch',
  flowExpired: 'self_service_flow_expired',
  storeUnavailable: 'store_unavailable',
  rateLimitExceeded: 'rate_limit_exceeded',
  invalidRequest: 'invalid_request',
} as const;

export type ErrorId = (typeof ErrorIds)[keyof typeof ErrorIds];

/** Kratos's default message per status; the specifics go in `reason`. */
const DEFAULT_MESSAGES: Record<number, string> = {
  400: 'The request was malformed or contained invalid parameters',
  401: 'The request could not be authorized',
  403: 'The requested action was forbidden',
  404: 'The requested resource could not be found',
  405: 'The request method is not supported by the target resource',
  406: 'The server cannot produce a response matching the list of acceptable values',
  409: 'The resource could not be created due to a conflict',
  410: 'The requested resource is no longer available',
  413: 'The request payload is too large',
  415: 'The request payload format is not supported',
  429: 'Too many requests',
  500: 'An internal server error occurred, please contact the system administrator',
  503: 'The service is temporarily unavailable',
};

const REASON_PHRASES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export interface ErrorBody {
  id?: string;
  code: number;
  status: string;
  reason?: string;
  message: string;
  request?: string;
  details?: Record<string, unknown>;
}

export interface HttpErrorOptions {
  id?: ErrorId;
  reason?: string;
  message?: string;
  details?: Record<string, unknown>;
  headers?: Record<string, string>;
  cause?: unknown;
}

export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly statusCode: number;
  readonly errorId: ErrorId | undefined;
  readonly reason: string | undefined;
  readonly details: Record<string, unknown> | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(statusCode: number, options: HttpErrorOptions = {}) {
    super(options.message ?? defaultMessage(statusCode), options.cause === undefined ? undefined : { cause: options.cause });
    this.statusCode = statusCode;
    this.errorId = options.id;
    this.reason = options.reason;
    this.details = options.details;
    this.headers = options.headers;
  }

  /** The envelope's `error` member; `request` is filled by the error handler. */
  toBody(): ErrorBody {
    return {
      ...(this.errorId ? { id: this.errorId } : {}),
      code: this.statusCode,
      status: reasonPhrase(this.statusCode),
      ...(this.reason ? { reason: this.reason } : {}),
      message: this.message,
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

export function defaultMessage(status: number): string {
  return DEFAULT_MESSAGES[status] ?? (status >= 500 ? (DEFAULT_MESSAGES[500] as string) : (DEFAULT_MESSAGES[400] as string));
}

export function reasonPhrase(status: number): string {
  return REASON_PHRASES[status] ?? (status >= 500 ? 'Internal Server Error' : 'Bad Request');
}

// Constructors for the errors the flows raise, so each reason is written once.
export const errors = {
  sessionInactive: () => new HttpError(401, { id: ErrorIds.sessionInactive, reason: 'No active session was found in this request.' }),
  returnToForbidden: (reason: string) => new HttpError(400, { id: ErrorIds.returnToForbidden, reason }),
  logoutTokenMissing: () => new HttpError(400, { id: ErrorIds.logoutTokenMissing, reason: 'Please include a token in the URL query.' }),
  logoutTokenMismatch: () =>
    new HttpError(403, {
      id: ErrorIds.logoutTokenMismatch,
      reason: 'Unable to log out because the logout token in the URL query does not match the session cookie.',
    }),
  sessionTokenMissing: (reason = 'Please provide a session token in the request body or the Authorization header.') =>
    new HttpError(400, { id: ErrorIds.sessionTokenMissing, reason }),
  unknownSessionToken: () =>
    new HttpError(403, { reason: 'The provided Ory Session Token could not be found, is invalid, or otherwise malformed.' }),
  invalidRequest: (reason: string) => new HttpError(400, { id: ErrorIds.invalidRequest, reason }),
  csrfViolation: () =>
    new HttpError(403, {
      id: ErrorIds.csrfViolation,
      reason: 'The request was rejected to protect you from Cross-Site-Request-Forgery (CSRF). Please retry the flow.',
    }),
  flowExpired: (flowId: string, since: string) =>
    new HttpError(410, {
      id: ErrorIds.flowExpired,
      reason: 'The self-service flow expired, please start a new one.',
      details: { since, expired_at: since, flow_id: flowId },
    }),
  storeUnavailable: (cause?: unknown) =>
    new HttpError(503, { id: ErrorIds.storeUnavailable, reason: 'The session store is unavailable, so the request could not be completed. Retrying is safe.', cause }),
  notFound: (reason?: string) => new HttpError(404, reason ? { reason } : {}),
  rateLimited: (retryAfterSeconds: number) =>
    new HttpError(429, {
      id: ErrorIds.rateLimitExceeded,
      reason: `Rate limit exceeded, retry in ${retryAfterSeconds} seconds.`,
      headers: { 'retry-after': String(retryAfterSeconds) },
    }),
};
