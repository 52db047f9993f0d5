// Liveness, readiness (the store answers a ping) and version, served on both ports.

import type { FastifyInstance } from 'fastify';
import type { AppContext } from './context.js';
import { errors } from './errors/http-error.js';
import { errorResponses } from './http/schemas.js';

export const ALIVE_PATH = '/health/alive';
export const READY_PATH = '/health/ready';
export const VERSION_PATH = '/version';

const statusSchema = { type: 'object', required: ['status'], properties: { status: { type: 'string' } } } as const;

export function healthRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get(ALIVE_PATH, { logLevel: 'warn', schema: { operationId: 'isAlive', tags: ['metadata'], response: { 200: statusSchema, ...errorResponses } } }, async () => ({ status: 'ok' }));
  app.get(
    READY_PATH,
    { logLevel: 'warn', schema: { operationId: 'isReady', tags: ['metadata'], response: { 200: statusSchema, ...errorResponses } } },
    async () => {
      try {
        await ctx.store.ping();
      } catch (err) {
        throw errors.storeUnavailable(err);
      }
      return { status: 'ok' };
    },
  );
}

export function versionRoute(app: FastifyInstance, ctx: AppContext): void {
  app.get(
    VERSION_PATH,
    { schema: { operationId: 'getVersion', tags: ['metadata'], response: { 200: { type: 'object', required: ['version'], properties: { version: { type: 'string' } } }, ...errorResponses } } },
    async () => ({ version: ctx.version }),
  );
}
