// logoutd/client (SPEC §11): a tiny fetch client for logoutd's public flows and a refine-compatible
// auth provider for single-page apps. It has no imports at all, so its compiled form
// (dist/client/index.js) is one ES module that browsers load as is and Node 20 runs unchanged.

/** The part of `fetch` the client uses; pass a wrapper (a cookie jar, a test double) to replace it. */
export type FetchLike = (url: string, init?: RequestInit) => Promise<Response>;

/** The subset of the Web Storage API the auth provider needs; `localStorage` satisfies it. */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface ClientOptions {
  /** logoutd's public base URL, e.g. `https://auth.example.com`. */
  baseUrl: string;
  fetch?: FetchLike;
  /** Abort a request after this many milliseconds (default 10 000), so a dead server cannot hang a logout. */
  timeoutMs?: number;
}

export interface Identity {
  id: string;
  schema_id: string;
  state: string;
  traits: { email: string; [key: string]: unknown };
  [key: string]: unknown;
}

export interface Session {
  id: string;
  active: boolean;
  expires_at: string;
  authenticated_at: string;
  issued_at: string;
  identity?: Identity;
  [key: string]: unknown;
}

export interface UiText {
  id: number;
  text: string;
  type: string;
}

export interface UiNode {
  type: string;
  group: string;
  attributes: { name: string; type: string; value?: string; [key: string]: unknown };
  messages: UiText[];
  meta: Record<string, unknown>;
}

export interface LoginFlow {
  id: string;
  type: 'api' | 'browser';
  expires_at: string;
  issued_at: string;
  return_to?: string;
  ui: { action: string; method: string; nodes: UiNode[]; messages?: UiText[] };
  [key: string]: unknown;
}

export interface LogoutFlow {
  logout_url: string;
  logout_token: string;
}

export interface LoginBody {
  identifier: string;
  password: string;
  /** Required for browser flows: the value of the flow's hidden `csrf_token` node (see csrfTokenOf). */
  csrf_token?: string;
}

/** What a successful login answers: browser flows get only the session (the cookie carries the token). */
export interface LoginResult {
  session: Session;
  session_token?: string;
}

/** logoutd's error envelope body (SPEC §4). */
export interface ErrorBody {
  id?: string;
  code: number;
  status?: string;
  reason?: string;
  message: string;
  request?: string;
  details?: Record<string, unknown>;
}

/**
 * Every failure of the client: an HTTP error from logoutd (statusCode = its status), or no answer at
 * all (statusCode 0, the network error as `cause`). `statusCode` and `status` are both set so that
 * refine and other code that looks for either finds it.
 */
export class LogoutdError extends Error {
  override readonly name = 'LogoutdError';
  readonly statusCode: number;
  readonly status: number;
  /** The stable error id (e.g. `session_inactive`), when logoutd gave one. */
  readonly id: string | undefined;
  readonly reason: string | undefined;
  /** The parsed error envelope, when there was one. */
  readonly error: ErrorBody | undefined;
  /** The login flow of a failed login (its `ui.messages` say why). */
  readonly flow: LoginFlow | undefined;

  constructor(statusCode: number, message: string, extra: { error?: ErrorBody; flow?: LoginFlow; cause?: unknown } = {}) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.statusCode = statusCode;
    this.status = statusCode;
    this.error = extra.error;
    this.flow = extra.flow;
    this.id = extra.error?.id;
    this.reason = extra.error?.reason;
  }
}

export interface LogoutdClient {
  /** toSession: the current session (cookie, or `sessionToken` for native apps); 401 is thrown. */
  whoami(options?: { sessionToken?: string }): Promise<Session>;
  /** createBrowserLogoutFlow: a logout URL and token for the session carried by the cookie. */
  createBrowserLogoutFlow(options?: { returnTo?: string }): Promise<LogoutFlow>;
  /** updateLogoutFlow as a JSON client: revokes the cookie's session and clears the cookie (204). */
  updateLogoutFlow(token: string, options?: { returnTo?: string }): Promise<void>;
  /** performNativeLogout: revokes the session of a native session token; a repeat also succeeds. */
  performNativeLogout(sessionToken: string): Promise<void>;
  /** createBrowserLoginFlow as an SPA does it: the flow as JSON, and the CSRF cookie. */
  createBrowserLoginFlow(options?: { returnTo?: string }): Promise<LoginFlow>;
  /** createNativeLoginFlow: a flow whose login answers a session token instead of a cookie. */
  createNativeLoginFlow(): Promise<LoginFlow>;
  /** updateLoginFlow with the password method, as JSON; bad credentials throw with `flow` set. */
  updateLoginFlow(flowId: string, body: LoginBody): Promise<LoginResult>;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** The value of a flow's hidden `csrf_token` node ('' for native flows). */
export function csrfTokenOf(flow: LoginFlow): string {
  const node = flow.ui.nodes.find((n) => n.attributes.name === 'csrf_token');
  return typeof node?.attributes.value === 'string' ? node.attributes.value : '';
}

export function createLogoutdClient(options: ClientOptions): LogoutdClient {
  const base = options.baseUrl.replace(/\/+$/, '');
  // Wrapped rather than stored: calling a stored window.fetch as a method throws "Illegal invocation",
  // and looking it up late lets tests and polyfills replace the global after the client was made.
  const doFetch: FetchLike = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  interface Call {
    method?: string;
    query?: Record<string, string | undefined>;
    headers?: Record<string, string>;
    body?: unknown;
    credentials?: RequestCredentials;
  }

  async function call(path: string, c: Call = {}): Promise<Response> {
    const url = new URL(base + path);
    for (const [k, v] of Object.entries(c.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    // Accept: application/json makes logoutd answer every flow as JSON (SPEC §3), never a redirect.
    const headers: Record<string, string> = { accept: 'application/json', ...c.headers };
    const init: RequestInit = { method: c.method ?? 'GET', headers, credentials: c.credentials ?? 'include' };
    if (c.body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(c.body);
    }
    if (timeoutMs > 0 && typeof AbortSignal !== 'undefined' && typeof AbortSignal.timeout === 'function') init.signal = AbortSignal.timeout(timeoutMs);
    let res: Response;
    try {
      res = await doFetch(url.href, init);
    } catch (cause) {
      throw new LogoutdError(0, `logoutd could not be reached at ${base}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    }
    if (!res.ok) throw await failure(res);
    return res;
  }

  async function json<T>(res: Response): Promise<T> {
    try {
      return (await res.json()) as T;
    } catch (cause) {
      throw new LogoutdError(res.status, 'logoutd answered with a body that is not JSON', { cause });
    }
  }

  return {
    async whoami(opts = {}) {
      const headers: Record<string, string> = opts.sessionToken ? { 'x-session-token': opts.sessionToken } : {};
      return json<Session>(await call('/sessions/whoami', { headers }));
    },
    async createBrowserLogoutFlow(opts = {}) {
      return json<LogoutFlow>(await call('/self-service/logout/browser', { query: { return_to: opts.returnTo } }));
    },
    async updateLogoutFlow(token, opts = {}) {
      await call('/self-service/logout', { query: { token, return_to: opts.returnTo } });
    },
    async performNativeLogout(sessionToken) {
      // A native token is the credential itself; no cookie should ride along.
      await call('/self-service/logout/api', { method: 'DELETE', body: { session_token: sessionToken }, credentials: 'omit' });
    },
    async createBrowserLoginFlow(opts = {}) {
      return json<LoginFlow>(await call('/self-service/login/browser', { query: { return_to: opts.returnTo } }));
    },
    async createNativeLoginFlow() {
      return json<LoginFlow>(await call('/self-service/login/api', { credentials: 'omit' }));
    },
    async updateLoginFlow(flowId, body) {
      const payload = { method: 'password', identifier: body.identifier, password: body.password, csrf_token: body.csrf_token ?? '' };
      return json<LoginResult>(await call('/self-service/login', { method: 'POST', query: { flow: flowId }, body: payload }));
    },
  };
}

/** Turns a non-2xx response into a LogoutdError, reading logoutd's envelope or a failed login flow. */
async function failure(res: Response): Promise<LogoutdError> {
  const text = await res.text().catch(() => '');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (isRecord(body) && isRecord(body.error) && typeof body.error.message === 'string') {
    const error = body.error as unknown as ErrorBody;
    return new LogoutdError(res.status, error.reason ? `${error.message}: ${error.reason}` : error.message, { error });
  }
  if (isRecord(body) && isRecord(body.ui)) {
    const flow = body as unknown as LoginFlow;
    const first = flow.ui.messages?.[0] ?? flow.ui.nodes.flatMap((n) => n.messages)[0];
    return new LogoutdError(res.status, first?.text ?? `logoutd answered ${res.status}`, { flow });
  }
  return new LogoutdError(res.status, `logoutd answered ${res.status}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------
// The auth provider. Result shapes are type aliases, not interfaces: refine's AuthActionResponse
// has an index signature, which only object-literal types satisfy implicitly.

export type AuthActionResult = { success: boolean; redirectTo?: string; error?: Error };
export type CheckResult = { authenticated: boolean; redirectTo?: string; logout?: boolean; error?: Error };
export type OnErrorResult = { logout?: boolean; redirectTo?: string; error?: Error };

export interface AuthProviderOptions {
  baseUrl: string;
  /** Where refine sends people who are not signed in (default `/login`). */
  loginPath?: string;
  /** Where refine goes after a successful login (default `/`). */
  afterLoginPath?: string;
  fetch?: FetchLike;
  /** Local state (the cached identity); pass `localStorage` to keep it across reloads. Default: memory. */
  storage?: StorageLike;
  timeoutMs?: number;
}

export interface LogoutdAuthProvider {
  login(params: { email: string; password: string }): Promise<AuthActionResult>;
  logout(params?: unknown): Promise<AuthActionResult>;
  check(params?: unknown): Promise<CheckResult>;
  onError(error: unknown): Promise<OnErrorResult>;
  getIdentity(params?: unknown): Promise<Identity | null>;
}

/** The storage key of the cached identity. */
export const IDENTITY_STORAGE_KEY = 'logoutd.identity';

export function memoryStorage(): StorageLike {
  const items = new Map<string, string>();
  return {
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => void items.set(key, value),
    removeItem: (key) => void items.delete(key),
  };
}

/** The HTTP status carried by an error from this client, fetch wrappers, axios or refine's data providers. */
export function statusOf(error: unknown): number | undefined {
  if (!isRecord(error)) return undefined;
  const response = isRecord(error.response) ? error.response : undefined;
  const envelope = isRecord(error.error) ? error.error : undefined;
  for (const candidate of [error.statusCode, error.status, response?.status, envelope?.code]) {
    if (typeof candidate === 'number' && Number.isInteger(candidate)) return candidate;
  }
  return undefined;
}

export function createAuthProvider(options: AuthProviderOptions): LogoutdAuthProvider {
  const client = createLogoutdClient({
    baseUrl: options.baseUrl,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  });
  const loginPath = options.loginPath ?? '/login';
  const afterLoginPath = options.afterLoginPath ?? '/';
  const storage = options.storage ?? memoryStorage();

  // Storage can throw (quota, private browsing); local state is a cache and must never break a flow.
  const remember = (identity: Identity | undefined): void => {
    try {
      if (identity) storage.setItem(IDENTITY_STORAGE_KEY, JSON.stringify(identity));
    } catch {
      /* a cache that cannot be written is only a missed cache */
    }
  };
  const forget = (): void => {
    try {
      storage.removeItem(IDENTITY_STORAGE_KEY);
    } catch {
      /* nothing more can be done locally */
    }
  };
  const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

  return {
    async login(params) {
      try {
        const flow = await client.createBrowserLoginFlow();
        const { session } = await client.updateLoginFlow(flow.id, { identifier: params.email, password: params.password, csrf_token: csrfTokenOf(flow) });
        remember(session.identity);
        return { success: true, redirectTo: afterLoginPath };
      } catch (e) {
        return { success: false, error: asError(e) };
      }
    },

    async logout() {
      // Local state goes first and unconditionally: a person who pressed "Log out" on a shared
      // computer must not stay visibly signed in because the server could not be reached.
      forget();
      try {
        const flow = await client.createBrowserLogoutFlow();
        await client.updateLogoutFlow(flow.logout_token);
      } catch (e) {
        // 401: there was no session left to end (expired, or ended elsewhere) — the goal is met.
        if (statusOf(e) !== 401) return { success: false, error: asError(e) };
      }
      return { success: true, redirectTo: loginPath };
    },

    async check() {
      try {
        remember((await client.whoami()).identity);
        return { authenticated: true };
      } catch (e) {
        if (statusOf(e) === 401) {
          forget();
          return { authenticated: false, logout: true, redirectTo: loginPath };
        }
        // Unknown (server down): not authenticated for now, but keep local state — nothing says the session ended.
        return { authenticated: false, redirectTo: loginPath, error: asError(e) };
      }
    },

    async onError(error) {
      if (statusOf(error) === 401) {
        forget();
        return { logout: true, redirectTo: loginPath };
      }
      return {};
    },

    async getIdentity() {
      try {
        const identity = (await client.whoami()).identity ?? null;
        if (identity) remember(identity);
        return identity;
      } catch (e) {
        if (statusOf(e) === 401) forget();
        return null;
      }
    },
  };
}
