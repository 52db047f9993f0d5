// Password login (SPEC §5.4), native and browser, so there is a session to log out of. Browser
// flows are protected by a double-submitted CSRF token: a signed cookie and a hidden form field.

import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import type { LoginFlowRecord } from '../../store/store.js';
import { errors } from '../../errors/http-error.js';
import { errorResponses, sessionSchema } from '../../http/schemas.js';
import { isJsonRequest } from '../../http/request-kind.js';
import { eventContext } from '../../sessions/manager.js';
import { toSessionJson } from '../../sessions/session-json.js';
import { randomId, safeEqual } from '../../sessions/tokens.js';
import { resolveReturnTo } from '../return-to.js';
import { LOGIN_PATH, Messages, loginFlowJson, loginFlowSchema, type UiText } from './login-flow.js';

export const LOGIN_API_PATH = '/self-service/login/api';
export const LOGIN_BROWSER_PATH = '/self-service/login/browser';
export const LOGIN_FLOWS_PATH = '/self-service/login/flows';
/** Signed; carries the CSRF token that the login form must echo. */
export const CSRF_COOKIE_NAME = 'logoutd_csrf';

interface LoginBody {
  method?: unknown;
  identifier?: unknown;
  password?: unknown;
  csrf_token?: unknown;
}

export function loginRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { config, store, sessions, identities } = ctx;
  const publicBase = config.serve.public.base_url;
  const loginDefault = config.selfservice.flows.login.after.default_browser_return_url ?? config.selfservice.default_browser_return_url;
  const csrfCookie = {
    path: '/',
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: config.session.cookie.secure ?? !config.dev,
    signed: true,
    ...(config.session.cookie.domain ? { domain: config.session.cookie.domain } : {}),
  };

  async function newFlow(request: FastifyRequest, type: LoginFlowRecord['type'], returnTo: string | null): Promise<LoginFlowRecord> {
    const now = ctx.clock();
    const flow: LoginFlowRecord = {
      id: randomUUID(),
      type,
      issuedAt: now,
      expiresAt: now + config.selfservice.flows.login.lifespan,
      requestUrl: `${publicBase}${request.url.slice(0, 2048)}`,
      returnTo,
      csrfToken: type === 'browser' ? randomId() : '',
      messages: [],
    };
    await store.putLoginFlow(flow);
    return flow;
  }

  async function loadFlow(id: unknown): Promise<LoginFlowRecord> {
    if (typeof id !== 'string' || id === '') throw errors.invalidRequest('The flow query parameter is missing or invalid.');
    const flow = id.length <= 64 ? await store.getLoginFlow(id) : null;
    if (!flow) throw errors.notFound('The login flow could not be found.');
    if (flow.expiresAt <= ctx.clock()) throw errors.flowExpired(flow.id, new Date(flow.expiresAt).toISOString());
    return flow;
  }

  const flowResponse = { 200: loginFlowSchema, ...errorResponses };

  app.get(
    LOGIN_API_PATH,
    { schema: { operationId: 'createNativeLoginFlow', summary: 'Start a login flow for a native app', tags: ['frontend'], response: flowResponse } },
    async (request) => loginFlowJson(await newFlow(request, 'api', null), publicBase),
  );

  app.get<{ Querystring: { return_to?: string } }>(
    LOGIN_BROWSER_PATH,
    {
      config: { browserErrors: true },
      schema: {
        operationId: 'createBrowserLoginFlow',
        summary: 'Start a login flow for a browser',
        tags: ['frontend'],
        querystring: { type: 'object', properties: { return_to: { type: 'string' }, refresh: { type: 'boolean' } } },
        response: { ...flowResponse, 303: { type: 'null', description: 'Redirect to the login UI' } },
      },
    },
    async (request, reply) => {
      const result = resolveReturnTo(request.query.return_to, ctx.returnTo, loginDefault);
      if (!result.ok) throw errors.returnToForbidden(result.reason);
      const flow = await newFlow(request, 'browser', result.url);
      reply.setCookie(CSRF_COOKIE_NAME, flow.csrfToken, csrfCookie);
      if (isJsonRequest(request.headers['content-type'], request.headers.accept)) return loginFlowJson(flow, publicBase);
      const ui = new URL(config.selfservice.flows.login.ui_url);
      ui.searchParams.set('flow', flow.id);
      return reply.code(303).header('location', ui.href).send();
    },
  );

  app.get<{ Querystring: { id?: string } }>(
    LOGIN_FLOWS_PATH,
    {
      schema: {
        operationId: 'getLoginFlow',
        summary: 'Get a login flow',
        tags: ['frontend'],
        querystring: { type: 'object', properties: { id: { type: 'string' } } },
        response: flowResponse,
      },
    },
    async (request) => loginFlowJson(await loadFlow(request.query.id), publicBase),
  );

  app.post<{ Querystring: { flow?: string }; Body: LoginBody | undefined }>(
    LOGIN_PATH,
    {
      config: { browserErrors: true },
      schema: {
        operationId: 'updateLoginFlow',
        summary: 'Submit a login flow',
        tags: ['frontend'],
        querystring: { type: 'object', properties: { flow: { type: 'string' } } },
        body: {
          type: 'object',
          properties: {
            method: { description: 'password' },
            identifier: { description: 'The email address' },
            password: { description: 'The password' },
            csrf_token: { description: 'The CSRF token of a browser flow' },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['session'],
            properties: { session_token: { type: 'string' }, session: sessionSchema },
          },
          400: loginFlowSchema,
          303: { type: 'null', description: 'Redirect after a browser login' },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const flow = await loadFlow(request.query.flow);
      const body = request.body ?? {};
      const json = isJsonRequest(request.headers['content-type'], request.headers.accept);
      if (flow.type === 'browser') checkCsrf(request, flow, body);

      const identifier = typeof body.identifier === 'string' ? body.identifier : '';
      const rule = { max: config.rate_limit.login.max, windowMs: config.rate_limit.login.window };
      if (ctx.rateLimiter.enabled) await ctx.rateLimiter.consume(reply, rule, [`login:ip:${request.ip}`, `login:id:${identifier.trim().toLowerCase().slice(0, 254)}`]);

      const fail = async (message: UiText): Promise<FastifyReply> => {
        flow.messages = [message];
        await store.putLoginFlow(flow);
        if (flow.type === 'browser' && !json) {
          const ui = new URL(config.selfservice.flows.login.ui_url);
          ui.searchParams.set('flow', flow.id);
          return reply.code(303).header('location', ui.href).send();
        }
        return reply.code(400).send(loginFlowJson(flow, publicBase));
      };
      if (body.method !== 'password') return fail(Messages.unknownMethod);
      if (identifier === '') return fail(Messages.missingIdentifier);
      if (typeof body.password !== 'string' || body.password === '') return fail(Messages.missingPassword);

      const identity = await identities.verifyLogin(identifier, body.password);
      if (!identity) return fail(Messages.invalidCredentials);

      const { token, session } = await sessions.create(identity.id, eventContext(request, ctx.clock()), request.log);
      const sessionJson = toSessionJson(session, identities.toJson(identity), ctx.clock());
      if (flow.type === 'api') return { session_token: token, session: sessionJson };
      sessions.setCookie(reply, token, session);
      // The CSRF token has done its job; a new flow gets a new one.
      reply.clearCookie(CSRF_COOKIE_NAME, { path: '/', ...(config.session.cookie.domain ? { domain: config.session.cookie.domain } : {}) });
      if (json) return { session: sessionJson };
      return reply.code(303).header('location', flow.returnTo ?? loginDefault).send();
    },
  );

  function checkCsrf(request: FastifyRequest, flow: LoginFlowRecord, body: LoginBody): void {
    const raw = request.cookies[CSRF_COOKIE_NAME];
    const cookie = raw === undefined || raw.length > 256 ? null : request.unsignCookie(raw);
    const submitted = typeof body.csrf_token === 'string' ? body.csrf_token : '';
    const ok =
      cookie !== null &&
      cookie.valid &&
      cookie.value !== null &&
      submitted !== '' &&
      safeEqual(cookie.value, submitted) &&
      safeEqual(flow.csrfToken, submitted);
    if (!ok) throw errors.csrfViolation();
  }
}

