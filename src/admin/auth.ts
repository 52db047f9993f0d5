// Admin API access: when serve.admin.api_key is set, every admin request except /health/* must
// carry `Authorization: Bearer <key>`, compared in constant time.

import type { FastifyInstance } from 'fastify';
import { HttpError } from '../errors/http-error.js';
import { safeEqual } from '../sessions/tokens.js';

export function adminAuth(app: FastifyInstance, apiKey: string | null): void {
  if (apiKey === null) return;
  app.addHook('onRequest', async (request) => {
    if (request.url.startsWith('/health/')) return;
    const given = request.headers.authorization;
    // The scheme is case-insensitive (RFC 9110); the key is compared in constant time.
    const m = typeof given === 'string' ? /^bearer[ \t]+(\S+)[ \t]*$/i.exec(given) : null;
    if (!m || !safeEqual(m[1] as string, apiKey)) {
      throw new HttpError(401, { reason: 'A valid admin API key is required: send Authorization: Bearer <serve.admin.api_key>.' });
    }
  });
}
