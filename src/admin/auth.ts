// Admin API access: when serve.admin.api_key is set, every admin request except /health/* must
// carry `Authorization: Bearer <key>`, compared in constant time.

import type { FastifyInstance } from 'fastify';
import { HttpError } from '../errors/http-error.js';
import { safeEqual } from '../sessions/tokens.js';

export function adminAuth(app: FastifyInstance, apiKey: string | null): void {
  if (apiKey === null) return;
  const expected = `Bearer ${apiKey}`;
  app.addHook('onRequest', async (request) => {
    if (request.url.startsWith('/health/')) return;
    const given = request.headers.authorization;
    if (typeof given !== 'string' || !safeEqual(given, expected)) {
      throw new HttpError(401, { reason: 'A valid admin API key is required: send Authorization: Bearer <serve.admin.api_key>.' });
    }
  });
}
