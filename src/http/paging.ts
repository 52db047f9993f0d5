// Paging as Kratos does it: `page_size` and an opaque `page_token`, with `Link` rel="first" and
// rel="next" and `X-Total-Count` where the total is known.

import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors } from '../errors/http-error.js';

export const pagingQuery = {
  page_size: { type: 'integer', minimum: 1, maximum: 1000 },
  page_token: { type: 'string', maxLength: 512 },
} as const;

export interface PageRequest {
  size: number;
  /** Decoded cursor, or null for the first page. */
  cursor: string | null;
}

export function pageRequest(query: { page_size?: number; page_token?: string }, defaultSize: number): PageRequest {
  const size = query.page_size ?? defaultSize;
  const token = query.page_token;
  if (token === undefined || token === '') return { size, cursor: null };
  const cursor = Buffer.from(token, 'base64url').toString('utf8');
  // Round-tripping rejects tokens we did not make (and anything not valid base64url).
  if (Buffer.from(cursor, 'utf8').toString('base64url') !== token) throw errors.invalidRequest('page_token is not valid.');
  return { size, cursor };
}

/** One page of a list already in memory; the cursor is the offset. Sets the paging headers. */
export function pageOfList<T>(request: FastifyRequest, reply: FastifyReply, baseUrl: string, list: T[], page: PageRequest): T[] {
  const offset = page.cursor === null ? 0 : Number(page.cursor);
  if (!Number.isInteger(offset) || offset < 0) throw errors.invalidRequest('page_token is not valid.');
  const next = offset + page.size < list.length ? String(offset + page.size) : null;
  setPageHeaders(request, reply, baseUrl, page.size, next, list.length);
  return list.slice(offset, offset + page.size);
}

/** Sets Link (first, and next when there is more) and, when known, X-Total-Count. */
export function setPageHeaders(request: FastifyRequest, reply: FastifyReply, baseUrl: string, size: number, next: string | null, total?: number): void {
  const url = new URL(request.url, 'http://x');
  const link = (cursor: string | null) => {
    const params = new URLSearchParams(url.search);
    params.set('page_size', String(size));
    if (cursor === null) params.delete('page_token');
    else params.set('page_token', Buffer.from(cursor, 'utf8').toString('base64url'));
    return `<${baseUrl}${url.pathname}?${params}>`;
  };
  const links = [`${link(null)}; rel="first"`];
  if (next !== null) links.push(`${link(next)}; rel="next"`);
  reply.header('link', links.join(','));
  if (total !== undefined) reply.header('x-total-count', String(total));
}
