// getFlowError: the stored errors the error UI renders (SPEC §4).

import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { errorResponses } from '../http/schemas.js';
import { errors } from './http-error.js';
import { loadError, type ErrorStoreOptions } from './stored-errors.js';

export const FLOW_ERROR_PATH = '/self-service/errors';

export function errorStoreOptions(ctx: AppContext): ErrorStoreOptions {
  return { store: ctx.store, secrets: ctx.config.secrets.default, lifespanMs: ctx.config.selfservice.flows.error.lifespan, clock: ctx.clock };
}

export function errorRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get<{ Querystring: { id?: string } }>(
    FLOW_ERROR_PATH,
    {
      schema: {
        operationId: 'getFlowError',
        summary: 'Get a stored user-facing error',
        tags: ['frontend'],
        querystring: { type: 'object', properties: { id: { type: 'string' } } },
        response: {
          200: {
            type: 'object',
            required: ['id', 'error', 'created_at', 'updated_at'],
            properties: {
              id: { type: 'string' },
              error: { type: 'object', additionalProperties: true },
              created_at: { type: 'string', format: 'date-time' },
              updated_at: { type: 'string', format: 'date-time' },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const stored = await loadError(errorStoreOptions(ctx), request.query.id);
      if (!stored) throw errors.notFound('The error could not be found; it may have expired.');
      const at = new Date(stored.createdAt).toISOString();
      return { id: stored.id, error: stored.error, created_at: at, updated_at: at };
    },
  );
}
