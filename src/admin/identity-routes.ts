// Admin identity routes (SPEC §5.4): create, read and delete. Deleting an identity revokes its
// sessions first, so no session ever outlives the identity it authenticates.

import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { errors } from '../errors/http-error.js';
import { emptyResponse, errorResponses, identitySchema } from '../http/schemas.js';
import type { CreateIdentityInput } from '../identities/identities.js';

export const ADMIN_IDENTITIES_PATH = '/admin/identities';
export const ADMIN_IDENTITY_PATH = '/admin/identities/:id';

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64 } } } as const;

export function identityRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { identities, store } = ctx;

  app.post<{ Body: CreateIdentityInput }>(
    ADMIN_IDENTITIES_PATH,
    {
      schema: {
        operationId: 'createIdentity',
        summary: 'Create an identity',
        tags: ['identity'],
        body: {
          type: 'object',
          required: ['traits'],
          properties: {
            schema_id: { description: 'Must be "default"' },
            traits: { description: 'Identity traits; traits.email is required' },
            credentials: { description: '{"password":{"config":{"password":"…"}}}' },
            state: { description: '"active" (default) or "inactive"' },
          },
        },
        response: { 201: identitySchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const identity = await identities.create(request.body);
      return reply.code(201).send(identities.toJson(identity));
    },
  );

  app.get<{ Params: { id: string } }>(
    ADMIN_IDENTITY_PATH,
    { schema: { operationId: 'getIdentity', summary: 'Get an identity', tags: ['identity'], params: idParams, response: { 200: identitySchema, ...errorResponses } } },
    async (request) => {
      const identity = await identities.get(request.params.id);
      if (!identity) throw errors.notFound('The identity could not be found.');
      return identities.toJson(identity);
    },
  );

  app.delete<{ Params: { id: string } }>(
    ADMIN_IDENTITY_PATH,
    { schema: { operationId: 'deleteIdentity', summary: 'Delete an identity and revoke its sessions', tags: ['identity'], params: idParams, response: { 204: emptyResponse, ...errorResponses } } },
    async (request, reply) => {
      const identity = await store.getIdentity(request.params.id);
      if (!identity) throw errors.notFound('The identity could not be found.');
      await ctx.sessions.revokeAllOf(identity.id, null, 'identity_deleted', request);
      await identities.delete(identity);
      return reply.code(204).send();
    },
  );
}
