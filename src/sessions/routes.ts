// Self-service session routes on the public port (SPEC §5.5): who am I, my other sessions, and
// revoking them. A caller can only ever see or end sessions of its own identity.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { errors } from '../errors/http-error.js';
import { emptyResponse, errorResponses, sessionSchema } from '../http/schemas.js';
import { pageOfList, pageRequest, pagingQuery } from '../http/paging.js';
import { sessionJsonText, toSessionJson } from './session-json.js';
import type { Authenticated } from './manager.js';

export const WHOAMI_PATH = '/sessions/whoami';
export const MY_SESSIONS_PATH = '/sessions';
export const MY_SESSION_PATH = '/sessions/:id';

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64 } } } as const;

export function sessionRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { sessions, identities, store } = ctx;
  const publicBase = ctx.config.serve.public.base_url;

  async function requireSession(request: FastifyRequest): Promise<Authenticated> {
    const auth = await sessions.authenticate(request);
    if (!auth) throw errors.sessionInactive();
    return auth;
  }

  app.get(
    WHOAMI_PATH,
    {
      schema: {
        operationId: 'toSession',
        summary: 'Check who the current session belongs to',
        tags: ['frontend'],
        querystring: { type: 'object', properties: { tokenize_as: { type: 'string' } } },
        response: { 200: sessionSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const auth = await requireSession(request);
      const identity = await identities.get(auth.session.identityId);
      if (!identity) throw errors.sessionInactive();
      // Kratos's header for reverse proxies that forward the identity downstream.
      reply.header('x-kratos-authenticated-identity-id', identity.id);
      // Already JSON text (sessionSchema's shape): with a JSON content type fastify sends it as is.
      reply.header('content-type', 'application/json; charset=utf-8');
      return sessionJsonText(auth.session, identities.toJsonText(identity), ctx.clock());
    },
  );

  app.get<{ Querystring: { page_size?: number; page_token?: string } }>(
    MY_SESSIONS_PATH,
    {
      schema: {
        operationId: 'listMySessions',
        summary: "List the caller's other active sessions, newest first",
        tags: ['frontend'],
        querystring: { type: 'object', properties: pagingQuery },
        response: { 200: { type: 'array', items: sessionSchema }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const auth = await requireSession(request);
      const page = pageRequest(request.query, 250);
      const now = ctx.clock();
      const others = (await store.listIdentitySessions(auth.session.identityId, now)).filter((s) => s.id !== auth.session.id && sessions.isActive(s));
      const items = pageOfList(request, reply, publicBase, others, page);
      // Kratos leaves the identity out of this list; the caller knows who it is.
      return items.map((s) => toSessionJson(s, undefined, now));
    },
  );

  app.delete(
    MY_SESSIONS_PATH,
    {
      schema: {
        operationId: 'disableMyOtherSessions',
        summary: "Revoke all of the caller's other sessions",
        tags: ['frontend'],
        response: { 200: { type: 'object', required: ['count'], properties: { count: { type: 'integer' } } }, ...errorResponses },
      },
    },
    async (request) => {
      const auth = await requireSession(request);
      const revoked = await sessions.revokeAllOf(auth.session.identityId, auth.session.id, 'revoke_others', request);
      return { count: revoked.length };
    },
  );

  app.delete<{ Params: { id: string } }>(
    MY_SESSION_PATH,
    {
      schema: {
        operationId: 'disableMySession',
        summary: "Revoke one of the caller's other sessions",
        tags: ['frontend'],
        params: idParams,
        response: { 204: emptyResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const auth = await requireSession(request);
      if (request.params.id === auth.session.id) {
        throw errors.invalidRequest('The current session cannot be revoked here; use the logout flow instead.');
      }
      const target = await store.getSession(request.params.id);
      // Someone else's session is indistinguishable from a missing one, and is never touched.
      if (!target || target.identityId !== auth.session.identityId) throw errors.notFound('The session could not be found.');
      await sessions.revokeById(target.id, 'revoke_one', request);
      return reply.code(204).send();
    },
  );
}
