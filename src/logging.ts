// Logger options: pino, JSON by default, with every credential redacted. Tokens travel in
// headers, cookies, bodies and — for logout links — the query string, so all four are covered.

import type { FastifyServerOptions } from 'fastify';
import type { DestinationStream } from 'pino';
import type { Config } from './config/schema.js';

const SECRET_QUERY = /([?&](?:token|session_token|logout_token|csrf_token|password)=)[^&#]*/gi;

/** Removes secret query parameter values from a URL before it is logged. */
export function redactUrl(url: string): string {
  return url.replace(SECRET_QUERY, '$1[Redacted]');
}

export const REDACT_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["x-session-token"]',
  'res.headers["set-cookie"]',
  'headers.cookie',
  'headers.authorization',
  'headers["x-session-token"]',
  'token',
  'session_token',
  'logout_token',
  'password',
  '*.token',
  '*.session_token',
  '*.logout_token',
  '*.password',
  '*.csrf_token',
];

export function loggerOptions(config: Config, name: string, stream?: DestinationStream): FastifyServerOptions['logger'] {
  if (config.log.level === 'silent' && !stream) return false;
  return {
    level: config.log.level,
    name: `logoutd-${name}`,
    redact: { paths: REDACT_PATHS, censor: '[Redacted]' },
    serializers: {
      req: (req: { method: string; url: string; ip?: string; id?: string }) => ({ method: req.method, url: redactUrl(req.url), remoteAddress: req.ip, id: req.id }),
    },
    ...(stream ? { stream } : config.log.format === 'pretty' ? { transport: { target: 'pino-pretty', options: { colorize: true } } } : {}),
  };
}
