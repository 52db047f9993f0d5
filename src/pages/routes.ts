// The built-in pages (SPEC §10): home, login, signed-out and the error UI. The home page is the
// canonical example of a server-rendered app: it asks the public API — through HTTP semantics,
// via inject — for the session and for a logout URL, exactly as a separate app would with the SDK.

import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { loginFlowJson, type UiNode } from '../flows/login/login-flow.js';
import { LOGIN_BROWSER_PATH } from '../flows/login/routes.js';
import { LOGOUT_BROWSER_PATH } from '../flows/logout/routes.js';
import { WHOAMI_PATH } from '../sessions/routes.js';
import type { SessionJson } from '../sessions/session-json.js';
import { DEMO_IDENTITY } from '../identities/demo.js';
import { VIEWS_DIR } from '../views.js';
import { loadError } from '../errors/stored-errors.js';
import { errorStoreOptions } from '../errors/routes.js';

export const HOME_PATH = '/';
export const LOGIN_UI_PATH = '/login';
export const ERROR_UI_PATH = '/error';
export const SIGNED_OUT_PATH = '/signed-out';
export const STYLESHEET_PATH = '/assets/style.css';

const hideFromApi = { hide: true } as const;

export function pageRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { config, store } = ctx;
  const publicBase = config.serve.public.base_url;
  const loginUrl = `${LOGIN_BROWSER_PATH}?return_to=${encodeURIComponent(`${publicBase}/`)}`;
  const stylesheet = readFileSync(`${VIEWS_DIR}/assets/style.css`, 'utf8');

  const render = (reply: FastifyReply, page: string, title: string, model: Record<string, unknown>, status = 200) =>
    reply.code(status).header('cache-control', 'no-store').view(page, { title, version: ctx.version, loginUrl, ...model });

  app.get(STYLESHEET_PATH, { schema: hideFromApi }, (_request, reply) =>
    reply.header('content-type', 'text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(stylesheet),
  );

  app.get(HOME_PATH, { schema: hideFromApi }, async (request, reply) => {
    const cookie = request.headers.cookie;
    const whoami = cookie ? await app.inject({ method: 'GET', url: WHOAMI_PATH, headers: { cookie, accept: 'application/json' } }) : null;
    if (!whoami || whoami.statusCode !== 200) {
      if (whoami && whoami.statusCode >= 500) return reply.code(whoami.statusCode).type('application/json').send(whoami.body);
      return render(reply, 'home', 'Welcome', { session: null });
    }
    const session = whoami.json() as SessionJson;
    const flow = await app.inject({ method: 'GET', url: LOGOUT_BROWSER_PATH, headers: { cookie: cookie as string, accept: 'application/json' } });
    const logoutUrl = flow.statusCode === 200 ? (flow.json() as { logout_url: string }).logout_url : null;
    const device = session.devices[0];
    return render(reply, 'home', 'Signed in', {
      session,
      email: session.identity?.traits.email,
      device: device ? `${device.user_agent || 'unknown browser'} (${device.ip_address})` : '',
      logoutUrl,
    });
  });

  app.get<{ Querystring: { flow?: string } }>(
    LOGIN_UI_PATH,
    { schema: { ...hideFromApi, querystring: { type: 'object', properties: { flow: { type: 'string' } } } } },
    async (request, reply) => {
      const id = request.query.flow;
      const flow = id && id.length <= 64 ? await store.getLoginFlow(id) : null;
      if (!flow || flow.type !== 'browser' || flow.expiresAt <= ctx.clock()) {
        // No usable flow: start a fresh one, as Kratos's UI does.
        return reply.code(303).header('location', LOGIN_BROWSER_PATH).send();
      }
      const json = loginFlowJson(flow, publicBase);
      return render(reply, 'login', 'Sign in', {
        action: json.ui.action,
        method: json.ui.method,
        nodes: json.ui.nodes.map(nodeView),
        flowMessages: json.ui.messages ?? [],
        demo: config.dev ? DEMO_IDENTITY : null,
      });
    },
  );

  app.get<{ Querystring: { id?: string } }>(
    ERROR_UI_PATH,
    { schema: { ...hideFromApi, querystring: { type: 'object', properties: { id: { type: 'string' } } } } },
    async (request, reply) => {
      const stored = await loadError(errorStoreOptions(ctx), request.query.id);
      const error = stored?.error ?? null;
      const heading = error ? headingFor(Number(error.code)) : 'Error not found';
      return render(reply, 'error', heading, { heading, error }, stored ? 200 : 404);
    },
  );

  app.get(SIGNED_OUT_PATH, { schema: hideFromApi }, (_request: FastifyRequest, reply) => render(reply, 'signed-out', 'Signed out', {}));
}

/** Flattens a UI node into what the dumb login template needs. */
function nodeView(node: UiNode): Record<string, unknown> {
  const a = node.attributes;
  return {
    name: a.name,
    type: a.type,
    value: a.value ?? '',
    required: a.required === true,
    autocomplete: a.autocomplete ?? 'off',
    hidden: a.type === 'hidden',
    submit: a.type === 'submit',
    label: node.meta.label?.text ?? a.name,
  };
}

function headingFor(code: number): string {
  if (code === 401) return 'You are not signed in';
  if (code === 403) return 'This action was not allowed';
  if (code === 410) return 'This page has expired';
  if (code === 429) return 'Too many requests';
  if (code >= 500) return 'Something went wrong';
  return 'This request could not be completed';
}
