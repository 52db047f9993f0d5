// Self-service session routes on the public port (SPEC §5.5): who am I.

import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { errors } from '../errors/http-error.js';
import { errorResponses, sessionSchema } from '../http/schemas.js';
import { toSessionJson } from './session-json.js';

export const WHOAMI_PATH = '/sessions/whoami';

export function sessionRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { sessions, identities } = ctx;

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
      const auth = await sessions.authenticate(request);
      if (!auth) throw errors.sessionInactive();
      const identity = await identities.get(auth.session.identityId);
      if (!identity) throw errors.sessionInactive();
      // Kratos's header for reverse proxies that forward the identity downstream.
      reply.header('x-kratos-authenticated-identity-id', identity.id);
      return toSessionJson(auth.session, identities.toJson(identity), ctx.clock());
    },
  );
}
