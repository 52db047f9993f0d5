// Response headers every public response carries (one hook: it runs on every request), and the
// stricter set for HTML pages. Callback-style, not async: an async onSend hook costs a promise and
// a microtask per response, and leaves the reply unsent when the handler's promise settles.
// Logout URLs carry tokens, so nothing may leak them through Referer or a shared cache.

import type { FastifyInstance } from 'fastify';

export function registerSecurityHeaders(app: FastifyInstance, formActionOrigins: string[]): void {
  // Chrome applies form-action to the redirect after a form POST, so the login form must be
  // allowed to land on every allowed return_to origin.
  const formAction = ["'self'", ...formActionOrigins].join(' ');
  const csp = `default-src 'none'; style-src 'self'; img-src 'self' data:; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`;
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    const type = reply.getHeader('content-type');
    if (typeof type === 'string' && type.startsWith('text/html')) {
      reply.header('content-security-policy', csp);
      reply.header('x-frame-options', 'DENY');
    }
    done(null, payload);
  });
}
