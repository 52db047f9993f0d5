// Assembles logoutd: two fastify instances (public and admin) sharing one context. It never
// listens; src/main.ts does that. Tests build apps here from a config object and drive them with
// inject or real listeners.

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Fastify, { errorCodes, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyCors from '@fastify/cors';
import fastifyFormbody from '@fastify/formbody';
import type { DestinationStream } from 'pino';
import type { Config } from './config/schema.js';
import type { AppContext } from './context.js';
import type { Store } from './store/store.js';
import { createStore } from './store/create-store.js';
import { clientErrorHandler, frameworkErrorHandler, installErrorHandling } from './errors/error-handler.js';
import { errorRoutes } from './errors/routes.js';
import { compileReturnToPolicy } from './flows/return-to.js';
import { logoutRoutes } from './flows/logout/routes.js';
import { loginRoutes } from './flows/login/routes.js';
import { sessionRoutes } from './sessions/routes.js';
import { SessionManager } from './sessions/manager.js';
import { Identities } from './identities/identities.js';
import { ensureDemoIdentity } from './identities/demo.js';
import { identityRoutes } from './admin/identity-routes.js';
import { adminAuth } from './admin/auth.js';
import { adminSessionRoutes } from './admin/session-routes.js';
import { healthRoutes, versionRoute } from './health.js';
import { pageRoutes } from './pages/routes.js';
import { registerViews } from './views.js';
import { registerSecurityHeaders } from './http/security-headers.js';
import { RateLimiter } from './http/rate-limit.js';
import { loggerOptions } from './logging.js';
import { registerOpenApi, openApiRoute } from './http/openapi.js';
import { Metrics, metricsRoute } from './metrics.js';
import { startWebhooks, type WebhookTuning } from './events/webhooks.js';
import type { WebhookDispatcher } from './events/dispatcher.js';

export const VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export interface AppDeps {
  /** A store to use instead of creating one from config.store; the app will not close it. */
  store?: Store;
  clock?: () => number;
  /** Where logs go (tests capture them); defaults to stdout. */
  logStream?: DestinationStream;
  /** Webhook dispatcher overrides (tests shorten backoff and leases); defaults are production's. */
  webhooks?: WebhookTuning;
}

export interface App {
  public: FastifyInstance;
  admin: FastifyInstance;
  context: AppContext;
  /** The webhook dispatcher (null without webhooks), for its delivery counters. */
  webhooks: WebhookDispatcher | null;
  /** Closes both instances, then the store if the app created it. */
  close(): Promise<void>;
}

const REQUEST_ID = /^[A-Za-z0-9._:@-]{1,128}$/;
const BODY_LIMIT = 64 * 1024;

export async function buildApp(config: Config, deps: AppDeps = {}): Promise<App> {
  const clock = deps.clock ?? Date.now;
  const ownsStore = deps.store === undefined;
  const store = deps.store ?? (await createStore(config.store, { clock }));
  try {
    const returnTo = compileReturnToPolicy(config.selfservice.allowed_return_urls, config.serve.public.base_url);
    const identities = new Identities({ store, clock, publicBaseUrl: config.serve.public.base_url });
    const context: AppContext = {
      config,
      store,
      clock,
      sessions: new SessionManager({ store, config, clock }),
      identities,
      returnTo,
      rateLimiter: new RateLimiter({ store, clock, enabled: config.rate_limit.enabled }),
      version: VERSION,
      metrics: new Metrics(),
    };
    if (config.dev) await ensureDemoIdentity(identities);

    const pub = Fastify(serverOptions(config, deps, 'public', config.serve.public.trust_proxy));
    const admin = Fastify(serverOptions(config, deps, 'admin', false));
    // While draining, every response closes its connection: a keep-alive client must not hold the
    // server open until its idle timeout, and new requests belong on another instance.
    let draining = false;
    for (const server of [pub, admin]) {
      server.addHook('onSend', (_request, reply, payload, done) => {
        if (draining) reply.header('connection', 'close');
        done(null, payload);
      });
    }
    await assemblePublic(pub, context);
    await assembleAdmin(admin, context);
    await Promise.all([pub.ready(), admin.ready()]);
    const webhooks = await startWebhooks({ webhooks: config.webhooks, store, clock, log: pub.log.child({ component: 'webhooks' }), tuning: deps.webhooks });
    if (webhooks) context.metrics.deliveries = () => webhooks.stats();

    return {
      public: pub,
      admin,
      context,
      webhooks,
      async close() {
        draining = true;
        // The dispatcher still needs the store to record attempts in flight, so it stops first.
        await Promise.allSettled([pub.close(), admin.close(), webhooks?.stop()]);
        if (ownsStore) await store.close();
      },
    };
  } catch (err) {
    if (ownsStore) await store.close().catch(() => undefined);
    throw err;
  }
}

function serverOptions(config: Config, deps: AppDeps, name: 'public' | 'admin', trustProxy: boolean): FastifyServerOptions {
  return {
    logger: loggerOptions(config, name, deps.logStream),
    trustProxy,
    bodyLimit: BODY_LIMIT,
    requestIdHeader: false,
    // Echo a well-formed X-Request-Id (so errors can be correlated across services), else make one.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    ajv: { customOptions: { allowUnionTypes: true } },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    return503OnClosing: true,
    // Malformed URLs are rejected before routing; without this they skip the error envelope.
    frameworkErrors: frameworkErrorHandler,
    // Requests Node's HTTP parser rejects (oversized headers, malformed HTTP) also get the envelope.
    clientErrorHandler,
    forceCloseConnections: 'idle',
  };
}

/** JSON bodies: the default secure parser, except that an empty body means "no body". */
function allowEmptyJson(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (request, body, done) => {
    if (body === '' || (typeof body === 'string' && body.trim() === '')) return done(null, undefined);
    parse(request, body as string, done);
  });
}

/**
 * The admin port takes no forms, but axios — so the official @ory/client SDK — sends
 * `Content-Type: application/x-www-form-urlencoded` with an empty body on body-less PATCH/POST/PUT
 * calls (extendSession: `PATCH /admin/sessions/{id}/extend`), which fastify would refuse as an
 * unsupported media type. An empty form body therefore means "no body"; a non-empty one is still
 * refused (400 invalid_request, like any other unsupported Content-Type).
 */
function allowEmptyForm(app: FastifyInstance): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (request, body, done) => {
    if (body === '') return done(null, undefined);
    done(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(String(request.headers['content-type'])), undefined);
  });
}

async function assemblePublic(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const { config } = ctx;
  ctx.metrics.instrument(app, 'public');
  app.decorateRequest('logoutOutcome', null);
  installErrorHandling(app, {
    store: ctx.store,
    errorUiUrl: config.selfservice.flows.error.ui_url,
    errorLifespanMs: config.selfservice.flows.error.lifespan,
    clock: ctx.clock,
    secrets: config.secrets.default,
  }, ctx.metrics);
  allowEmptyJson(app);
  await registerOpenApi(app, ctx, 'public');
  await app.register(fastifyCookie, { secret: config.secrets.cookie });
  await app.register(fastifyFormbody, { bodyLimit: BODY_LIMIT });
  if (config.serve.public.cors.enabled) {
    const corsOrigins = new Set(config.serve.public.cors.allowed_origins.map((o) => new URL(o).origin));
    await app.register(fastifyCors, {
      // A function, not the list: with a list @fastify/cors still sends Allow-Credentials and the
      // preflight headers to every other origin; `false` makes it send no CORS headers at all.
      origin: (origin, cb) => cb(null, typeof origin === 'string' && corsOrigins.has(origin)),
      credentials: true,
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'],
      allowedHeaders: ['Content-Type', 'Accept', 'Authorization', 'X-Session-Token', 'X-Request-Id', 'Cookie'],
      exposedHeaders: ['Content-Type', 'Set-Cookie', 'Link', 'X-Total-Count', 'Retry-After', 'X-Request-Id', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'],
      maxAge: 600,
    });
  }
  await registerViews(app, !config.dev);
  registerSecurityHeaders(app, allowedOrigins(config));

  healthRoutes(app, ctx);
  logoutRoutes(app, ctx);
  loginRoutes(app, ctx);
  sessionRoutes(app, ctx);
  errorRoutes(app, ctx);
  pageRoutes(app, ctx);
  openApiRoute(app);
}

async function assembleAdmin(app: FastifyInstance, ctx: AppContext): Promise<void> {
  ctx.metrics.instrument(app, 'admin');
  installErrorHandling(app, null, ctx.metrics);
  allowEmptyJson(app);
  allowEmptyForm(app);
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    reply.header('cache-control', 'no-store');
    done();
  });
  await registerOpenApi(app, ctx, 'admin');
  adminAuth(app, ctx.config.serve.admin.api_key);
  healthRoutes(app, ctx);
  versionRoute(app, ctx);
  identityRoutes(app, ctx);
  adminSessionRoutes(app, ctx);
  metricsRoute(app, ctx.metrics);
  openApiRoute(app);
}

/** Origins of the allow list (wildcards kept as CSP host sources). */
function allowedOrigins(config: Config): string[] {
  const out = new Set<string>();
  for (const entry of config.selfservice.allowed_return_urls) {
    const m = /^(https?:\/\/[^/?#]+)/i.exec(entry);
    if (m?.[1]) out.add(m[1].toLowerCase());
  }
  for (const url of [config.selfservice.default_browser_return_url, config.selfservice.flows.login.after.default_browser_return_url]) {
    if (url) out.add(new URL(url).origin);
  }
  return [...out];
}
