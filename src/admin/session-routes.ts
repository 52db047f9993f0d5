// Admin session routes (SPEC §5.6): list, get, revoke, extend, and an identity's sessions; plus
// the audit trail. Served on the admin port only.

import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import type { SessionRecord } from '../store/store.js';
import { errors } from '../errors/http-error.js';
import { emptyResponse, errorResponses, sessionSchema } from '../http/schemas.js';
import { pageOfList, pageRequest, pagingQuery, setPageHeaders } from '../http/paging.js';
import { toSessionJson, type SessionJson } from '../sessions/session-json.js';

export const ADMIN_SESSIONS_PATH = '/admin/sessions';
export const ADMIN_SESSION_PATH = '/admin/sessions/:id';
export const ADMIN_SESSION_EXTEND_PATH = '/admin/sessions/:id/extend';
export const ADMIN_IDENTITY_SESSIONS_PATH = '/admin/identities/:id/sessions';
export const ADMIN_EVENTS_PATH = '/admin/events';

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64 } } } as const;
const expandQuery = {
  expand: {
    anyOf: [
      { type: 'string', enum: ['identity', 'devices'] },
      { type: 'array', items: { type: 'string', enum: ['identity', 'devices'] } },
    ],
  },
} as const;

interface ListQuery {
  page_size?: number;
  page_token?: string;
  active?: boolean;
  expand?: string | string[];
}

const eventSchema = {
  type: 'object',
  required: ['id', 'type', 'time', 'session_id', 'identity_id'],
  properties: {
    id: { type: 'string' },
    type: { type: 'string' },
    time: { type: 'string', format: 'date-time' },
    session_id: { type: 'string' },
    identity_id: { type: 'string' },
    reason: { type: 'string' },
    ip: { type: 'string' },
    user_agent: { type: 'string' },
  },
} as const;

export function adminSessionRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { store, sessions, identities } = ctx;
  const adminBase = ctx.config.serve.admin.base_url;

  /** Session JSON with the identity embedded (Kratos's admin API always includes it when it can). */
  async function withIdentity(session: SessionRecord, now: number): Promise<SessionJson> {
    const identity = await identities.get(session.identityId);
    return toSessionJson(session, identity ? identities.toJson(identity) : undefined, now);
  }

  function keep(session: SessionRecord, active: boolean | undefined): boolean {
    return active === undefined || sessions.isActive(session) === active;
  }

  app.get<{ Querystring: ListQuery }>(
    ADMIN_SESSIONS_PATH,
    {
      schema: {
        operationId: 'listSessions',
        summary: 'List all sessions',
        tags: ['identity'],
        querystring: { type: 'object', properties: { ...pagingQuery, active: { type: 'boolean' }, ...expandQuery } },
        response: { 200: { type: 'array', items: sessionSchema }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const page = pageRequest(request.query, 250);
      const now = ctx.clock();
      // Cursor: "<identity before it>|<identity>|<its sessions already returned>". It walks
      // identities in creation order, so listing never scans the keyspace.
      const [resumeAfter, resumeAt, skip] = page.cursor === null ? [null, null, 0] : parseCursor(page.cursor);
      const out: SessionJson[] = [];
      let next: string | null = null;
      let before = resumeAfter;
      let prev = resumeAfter;
      outer: for (;;) {
        const ids = await store.listIdentityIds(before, 100);
        for (const id of ids.items) {
          const list = (await store.listIdentitySessions(id, now)).filter((s) => keep(s, request.query.active));
          for (let i = id === resumeAt ? skip : 0; i < list.length; i++) {
            if (out.length === page.size) {
              next = `${prev ?? ''}|${id}|${i}`;
              break outer;
            }
            out.push(await withIdentity(list[i] as SessionRecord, now));
          }
          prev = id;
        }
        if (ids.next === null) break;
        before = ids.next;
      }
      setPageHeaders(request, reply, adminBase, page.size, next);
      return out;
    },
  );

  app.get<{ Params: { id: string }; Querystring: { expand?: string | string[] } }>(
    ADMIN_SESSION_PATH,
    {
      schema: {
        operationId: 'getSession',
        summary: 'Get a session',
        tags: ['identity'],
        params: idParams,
        querystring: { type: 'object', properties: expandQuery },
        response: { 200: sessionSchema, ...errorResponses },
      },
    },
    async (request) => {
      const session = await store.getSession(request.params.id);
      if (!session) throw errors.notFound('The session could not be found.');
      return withIdentity(session, ctx.clock());
    },
  );

  app.delete<{ Params: { id: string } }>(
    ADMIN_SESSION_PATH,
    {
      schema: {
        operationId: 'disableSession',
        summary: 'Revoke a session',
        tags: ['identity'],
        params: idParams,
        response: { 204: emptyResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const outcome = await sessions.revokeById(request.params.id, 'admin', request);
      if (outcome.status === 'not_found') throw errors.notFound('The session could not be found.');
      return reply.code(204).send();
    },
  );

  app.patch<{ Params: { id: string } }>(
    ADMIN_SESSION_EXTEND_PATH,
    {
      schema: {
        operationId: 'extendSession',
        summary: 'Extend a session to now + session.lifespan',
        tags: ['identity'],
        params: idParams,
        response: { 200: sessionSchema, ...errorResponses },
      },
    },
    async (request) => {
      const now = ctx.clock();
      const session = await store.extendSession(request.params.id, now + sessions.lifespanMs, now);
      if (!session) throw errors.notFound('The session could not be found, or is no longer active.');
      return withIdentity(session, now);
    },
  );

  app.get<{ Params: { id: string }; Querystring: ListQuery }>(
    ADMIN_IDENTITY_SESSIONS_PATH,
    {
      schema: {
        operationId: 'listIdentitySessions',
        summary: "List an identity's sessions",
        tags: ['identity'],
        params: idParams,
        querystring: { type: 'object', properties: { ...pagingQuery, active: { type: 'boolean' } } },
        response: { 200: { type: 'array', items: sessionSchema }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const identity = await identities.get(request.params.id);
      if (!identity) throw errors.notFound('The identity could not be found.');
      const page = pageRequest(request.query, 250);
      const now = ctx.clock();
      const list = (await store.listIdentitySessions(identity.id, now)).filter((s) => keep(s, request.query.active));
      const json = identities.toJson(identity);
      return pageOfList(request, reply, adminBase, list, page).map((s) => toSessionJson(s, json, now));
    },
  );

  app.delete<{ Params: { id: string } }>(
    ADMIN_IDENTITY_SESSIONS_PATH,
    {
      schema: {
        operationId: 'deleteIdentitySessions',
        summary: "Revoke all of an identity's sessions",
        tags: ['identity'],
        params: idParams,
        response: { 204: emptyResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const identity = await identities.get(request.params.id);
      if (!identity) throw errors.notFound('The identity could not be found.');
      await sessions.revokeAllOf(identity.id, null, 'admin', request);
      return reply.code(204).send();
    },
  );

  app.get<{ Querystring: { page_size?: number; page_token?: string } }>(
    ADMIN_EVENTS_PATH,
    {
      schema: {
        operationId: 'listEvents',
        summary: 'Read the audit trail, oldest first',
        tags: ['events'],
        querystring: { type: 'object', properties: pagingQuery },
        response: { 200: { type: 'array', items: eventSchema }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const page = pageRequest(request.query, 100);
      if (page.cursor !== null && !/^\d+-\d+$/.test(page.cursor)) throw errors.invalidRequest('page_token is not valid.');
      const events = await store.readEvents(page.cursor, page.size);
      // The next cursor is the last event returned; with none, the same cursor (poll again later).
      const last = events[events.length - 1];
      setPageHeaders(request, reply, adminBase, page.size, last ? last.id : page.cursor);
      return events;
    },
  );
}

function parseCursor(cursor: string): [string | null, string, number] {
  const [after, at, skipText] = cursor.split('|');
  const skip = Number(skipText);
  if (after === undefined || !at || !Number.isInteger(skip) || skip < 0) throw errors.invalidRequest('page_token is not valid.');
  return [after === '' ? null : after, at, skip];
}
