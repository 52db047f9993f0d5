// The three logout flows of SPEC §5.1–§5.3. Handlers translate HTTP into calls on the session
// manager and the pure rules; every failure is thrown as an HttpError for the error module.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import { errors } from '../../errors/http-error.js';
import { errorResponses, emptyResponse } from '../../http/schemas.js';
import { isJsonRequest } from '../../http/request-kind.js';
import type { Credential } from '../../sessions/manager.js';
import { digestToken, logoutTokenFor, looksLikeSessionToken, safeEqual, MAX_TOKEN_LENGTH } from '../../sessions/tokens.js';
import { resolveReturnTo } from '../return-to.js';

export const LOGOUT_BROWSER_PATH = '/self-service/logout/browser';
export const LOGOUT_PATH = '/self-service/logout';
export const LOGOUT_API_PATH = '/self-service/logout/api';

/**
 * A revocation this close to the request's own start counts as "a concurrent request revoked it
 * first" (SPEC §5.2 step 5) rather than "there was no session"; it absorbs clock skew between
 * instances sharing one Redis.
 */
const CONCURRENT_REVOCATION_SLACK_MS = 1000;

const logoutQuery = {
  type: 'object',
  properties: { token: { type: 'string' }, return_to: { type: 'string' } },
} as const;

const logoutBody = {
  type: 'object',
  properties: { token: { type: 'string' }, return_to: { type: 'string' } },
} as const;

interface LogoutParams {
  token?: string;
  return_to?: string;
}

export function logoutRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { config, sessions, returnTo: policy, rateLimiter: limiter } = ctx;
  const publicBase = config.serve.public.base_url;
  const logoutDefault = config.selfservice.flows.logout.after.default_browser_return_url ?? config.selfservice.default_browser_return_url;
  const clearSiteData = config.selfservice.flows.logout.clear_site_data.map((d) => `"${d}"`).join(', ');
  const logoutUrlBase = `${publicBase}${LOGOUT_PATH}?token=`;
  const logoutRule = { max: config.rate_limit.logout_api.max, windowMs: config.rate_limit.logout_api.window };

  /** Validates return_to before anything changes (improvement §12.3). */
  function destination(raw: string | undefined): string {
    const result = resolveReturnTo(raw, policy, logoutDefault);
    if (!result.ok) throw errors.returnToForbidden(result.reason);
    return result.url ?? logoutDefault;
  }

  function isHttps(request: FastifyRequest): boolean {
    // request.protocol honours X-Forwarded-Proto only when trustProxy is set (serve.public.trust_proxy).
    return request.protocol === 'https';
  }

  /** The end of every successful or graceful logout: cookie, Clear-Site-Data, 204 or 303. */
  function finish(request: FastifyRequest, reply: FastifyReply, json: boolean, target: string, clearCookie: boolean): FastifyReply {
    request.logoutOutcome ??= 'revoked';
    if (clearCookie) sessions.clearCookie(reply);
    if (clearSiteData && isHttps(request)) reply.header('clear-site-data', clearSiteData);
    if (json) return reply.code(204).send();
    return reply.code(303).header('location', target).send();
  }

  async function updateLogoutFlow(request: FastifyRequest, reply: FastifyReply, params: LogoutParams): Promise<FastifyReply> {
    const startedAt = ctx.clock();
    const credential = sessions.credentialOf(request, false);
    // Limited like the native logout (per client IP and per session), first, so that every
    // response carries the x-ratelimit-* headers; the counters travel in one round trip.
    const digest = credential ? sessions.derive(credential.token, false).digest : null;
    if (limiter.enabled) await limiter.consume(reply, logoutRule, digest ? [`logout:ip:${request.ip}`, `logout:session:${digest.id}`] : [`logout:ip:${request.ip}`]);
    const token = params.token;
    if (!token) throw errors.logoutTokenMissing();
    const target = destination(params.return_to);

    const json = isJsonRequest(request.headers['content-type'], request.headers.accept);
    const noSession = (): FastifyReply => {
      if (json || !config.selfservice.flows.logout.graceful_without_session) throw errors.sessionInactive();
      // Graceful repeat (improvement §12.5): a stale link still lands where it should, signed out.
      request.logoutOutcome = 'graceful';
      return finish(request, reply, json, target, true);
    };
    if (!credential) return noSession();

    if (token.length > MAX_TOKEN_LENGTH || !safeEqual(sessions.logoutToken(credential.token, false), token)) {
      // Kratos order: a missing session outranks a wrong token, so look before saying 403.
      const found = await sessions.lookup(credential.token);
      if (!found || !sessions.isActive(found.session)) return noSession();
      throw errors.logoutTokenMismatch();
    }

    // One atomic store call checks the session is still active, revokes it and records the event.
    const outcome = await sessions.revoke(digest ?? sessions.derive(credential.token, false).digest, 'logout_browser', request);
    if (outcome.status === 'revoked') sessions.forget(credential, sessions.rawCookie(request));
    if (outcome.status === 'not_found') return noSession();
    if (outcome.status === 'inactive') {
      const revokedAt = outcome.session.revokedAt;
      const concurrent = revokedAt !== null && revokedAt >= startedAt - CONCURRENT_REVOCATION_SLACK_MS;
      if (!concurrent) return noSession();
    }
    return finish(request, reply, json, target, credential.source === 'cookie');
  }

  app.get<{ Querystring: { return_to?: string } }>(
    LOGOUT_BROWSER_PATH,
    {
      config: { browserErrors: true },
      schema: {
        operationId: 'createBrowserLogoutFlow',
        summary: 'Create a logout URL for a browser session',
        tags: ['frontend'],
        querystring: { type: 'object', properties: { return_to: { type: 'string' } } },
        response: {
          200: {
            type: 'object',
            required: ['logout_url', 'logout_token'],
            properties: { logout_url: { type: 'string' }, logout_token: { type: 'string' } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const auth = await sessions.authenticate(request);
      if (!auth) throw errors.sessionInactive();
      const result = resolveReturnTo(request.query.return_to, policy, logoutDefault);
      if (!result.ok) throw errors.returnToForbidden(result.reason);
      const logoutToken = sessions.logoutToken(auth.credential.token);
      // The token is base64url, so it needs no escaping; return_to is a full URL and does.
      const url = `${logoutUrlBase}${logoutToken}${result.url === null ? '' : `&return_to=${encodeURIComponent(result.url)}`}`;
      return { logout_url: url, logout_token: logoutToken };
    },
  );

  app.get<{ Querystring: LogoutParams }>(
    LOGOUT_PATH,
    {
      // HEAD must never log anyone out (link prefetchers); it gets its own route below.
      exposeHeadRoute: false,
      // Every logout attempt is counted by kind and outcome (logoutd_logouts_total, src/metrics.ts).
      config: { browserErrors: true, logoutKind: 'browser' },
      schema: {
        operationId: 'updateLogoutFlow',
        summary: 'Log out by following the logout URL',
        tags: ['frontend'],
        querystring: logoutQuery,
        response: { 204: emptyResponse, 303: { description: 'Redirect to the return URL', type: 'null' }, ...errorResponses },
      },
    },
    (request, reply) => updateLogoutFlow(request, reply, request.query),
  );

  app.post<{ Querystring: LogoutParams; Body: LogoutParams | undefined }>(
    LOGOUT_PATH,
    {
      // Every logout attempt is counted by kind and outcome (logoutd_logouts_total, src/metrics.ts).
      config: { browserErrors: true, logoutKind: 'browser' },
      schema: {
        operationId: 'updateLogoutFlowPost',
        summary: 'Log out with a form POST (a button rather than a link)',
        tags: ['frontend'],
        querystring: logoutQuery,
        body: logoutBody,
        response: { 204: emptyResponse, 303: { description: 'Redirect to the return URL', type: 'null' }, ...errorResponses },
      },
    },
    (request, reply) => {
      const body = request.body ?? {};
      return updateLogoutFlow(request, reply, {
        ...(body.token ?? request.query.token ? { token: body.token ?? request.query.token } : {}),
        ...(body.return_to ?? request.query.return_to ? { return_to: body.return_to ?? request.query.return_to } : {}),
      });
    },
  );

  app.head(LOGOUT_PATH, { schema: { hide: true } }, (_request, reply) => reply.code(405).header('allow', 'GET, POST').send());

  app.delete<{ Body: unknown }>(
    LOGOUT_API_PATH,
    {
      config: { logoutKind: 'api' },
      schema: {
        operationId: 'performNativeLogout',
        summary: 'Revoke a native session by its token',
        tags: ['frontend'],
        body: {
          description: 'Validated by the handler so every malformed body gets its own reason.',
          type: ['object', 'array', 'string', 'number', 'boolean', 'null'],
          // No `type` here: Ajv would coerce a number to a string, and a non-string must be a 400.
          properties: { session_token: { description: 'The session token (ory_st_…), a string.' } },
        },
        response: { 204: emptyResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      // Rate limiting comes first so every response carries the x-ratelimit-* headers.
      let token: string | null = null;
      let invalid: unknown = null;
      try {
        token = nativeToken(request, sessions.bearerToken(request), request.headers.authorization);
      } catch (err) {
        invalid = err;
      }
      const digest = token === null ? null : digestToken(token);
      if (limiter.enabled) await limiter.consume(reply, logoutRule, digest ? [`logout_api:ip:${request.ip}`, `logout_api:token:${digest.id}`] : [`logout_api:ip:${request.ip}`]);
      if (invalid !== null || token === null || digest === null) throw invalid;
      if (!looksLikeSessionToken(token)) throw errors.unknownSessionToken();
      const outcome = await sessions.revoke(digest, 'logout_api', request);
      // Active or already ended: both 204, so a retried logout is idempotent.
      if (outcome.status === 'not_found') throw errors.unknownSessionToken();
      request.logoutOutcome = outcome.status === 'revoked' ? 'revoked' : 'repeat';
      return reply.code(204).send();
    },
  );
}

/** The native logout's token: body `session_token`, else the Bearer header. Each failure says which. */
function nativeToken(request: FastifyRequest<{ Body: unknown }>, bearer: string | null, authorization: string | undefined): string {
  const body = request.body;
  const contentType = request.headers['content-type'];
  if (body !== undefined && body !== null && body !== '' && !(typeof contentType === 'string' && /^application\/json\s*(;|$)/i.test(contentType))) {
    throw errors.invalidRequest('The request body must be JSON (Content-Type: application/json).');
  }
  let token: string | undefined;
  if (body !== undefined && body !== null) {
    if (typeof body !== 'object' || Array.isArray(body)) throw errors.invalidRequest('The request body must be a JSON object.');
    const value = (body as Record<string, unknown>).session_token;
    if (value !== undefined && value !== null && typeof value !== 'string') throw errors.invalidRequest('session_token must be a string.');
    if (value === '') throw errors.sessionTokenMissing('session_token is empty.');
    token = value ?? undefined;
  }
  if (token === undefined) {
    if (bearer) return bearer;
    if (typeof authorization === 'string' && /^bearer\s*$/i.test(authorization.trim())) throw errors.sessionTokenMissing('The Authorization Bearer value is empty.');
    if (typeof authorization === 'string' && /^bearer\s+\S/i.test(authorization)) return authorization.trim().slice(6).trim();
    throw errors.sessionTokenMissing('No session token was provided: send {"session_token": "..."} or Authorization: Bearer <token>.');
  }
  return token.slice(0, MAX_TOKEN_LENGTH + 1);
}

export type { Credential };
