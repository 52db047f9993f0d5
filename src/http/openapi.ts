// OpenAPI 3 documents generated from the route schemas (@fastify/swagger), one per port.

import type { FastifyInstance } from 'fastify';
import fastifySwagger from '@fastify/swagger';
import type { AppContext } from '../context.js';

export const OPENAPI_PATH = '/openapi.json';

export async function registerOpenApi(app: FastifyInstance, ctx: AppContext, port: 'public' | 'admin'): Promise<void> {
  const baseUrl = port === 'public' ? ctx.config.serve.public.base_url : ctx.config.serve.admin.base_url;
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: `logoutd ${port} API`,
        version: ctx.version,
        description: 'Session and logout flows with an Ory Kratos-compatible API.',
      },
      servers: [{ url: baseUrl }],
    },
  });
}

export function openApiRoute(app: FastifyInstance): void {
  app.get(OPENAPI_PATH, { schema: { hide: true } }, async () => app.swagger());
}
