// The one place that turns a thrown error into a response: the JSON envelope of SPEC §4, or — on
// browser-facing routes, for browser requests — a stored error and a 303 to the error UI.

import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { StoreUnavailableError, type Store } from '../store/store.js';
import { isJsonRequest } from '../http/request-kind.js';
import { randomId } from '../sessions/tokens.js';
import { ErrorIds, HttpError, defaultMessage, errors, reasonPhrase } from './http-error.js';

export interface ErrorUiOptions {
  store: Store;
  errorUiUrl: string;
  errorLifespanMs: number;
  clock: () => number;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Browser requests to this route get errors forwarded to the error UI (SPEC §4). */
    browserErrors?: boolean;
  }
}

/** Maps anything thrown to an HttpError; unknown errors become an opaque 500. */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof StoreUnavailableError) return errors.storeUnavailable(err);
  const fe = err as Partial<FastifyError> & { validation?: unknown };
  if (fe.validation) return errors.invalidRequest(`The request was invalid: ${fe.message ?? 'validation failed'}.`);
  const code = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
  if (code >= 400 && code < 500) {
    // Fastify's own client errors (bad JSON, unsupported media type, body too large, ...).
    // An unsupported body type is malformed input like any other (SPEC §5.3): 400 invalid_request.
    const status = code === 415 ? 400 : code;
    const id = status === 400 ? ErrorIds.invalidRequest : undefined;
    return new HttpError(status, { ...(id ? { id } : {}), reason: clientReason(fe) });
  }
  return new HttpError(500, { cause: err });
}

function clientReason(fe: Partial<FastifyError>): string {
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'The request body is not valid JSON.';
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'The request body is too large.';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'The request body has an unsupported Content-Type.';
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return 'The request Content-Length does not match its body.';
    default:
      // Fastify messages for client errors describe the input, never internals.
      return fe.message ? `${fe.message}`.slice(0, 200) : defaultMessage(400);
  }
}

export function installErrorHandling(app: FastifyInstance, ui: ErrorUiOptions | null): void {
  app.setErrorHandler(async (err: unknown, request, reply) => {
    const httpError = toHttpError(err);
    if (httpError.statusCode >= 500) {
      request.log.error({ err }, 'request failed');
    } else {
      request.log.info({ error_id: httpError.errorId, status: httpError.statusCode }, 'request rejected');
    }
    const body = { ...httpError.toBody(), request: request.id };
    if (httpError.headers) reply.headers(httpError.headers);
    if (ui && request.routeOptions.config.browserErrors && !isJsonRequest(request.headers['content-type'], request.headers.accept)) {
      const location = await forwardToErrorUi(ui, body).catch((storeErr: unknown) => {
        request.log.error({ err: storeErr }, 'could not store error for the error UI');
        return null;
      });
      if (location) return reply.code(303).header('location', location).send();
    }
    return sendEnvelope(reply, body.code, body);
  });

  app.setNotFoundHandler((request, reply) => {
    sendEnvelope(reply, 404, { ...errors.notFound(`No route matches ${request.method} ${request.url.split('?')[0]?.slice(0, 200)}.`).toBody(), request: request.id });
  });
}

function sendEnvelope(reply: FastifyReply, code: number, body: Record<string, unknown>): FastifyReply {
  return reply.code(code).header('content-type', 'application/json; charset=utf-8').header('cache-control', 'no-store').send(JSON.stringify({ error: body }));
}

/** Stores the error object and returns the error UI URL with `id` merged into its query. */
async function forwardToErrorUi(ui: ErrorUiOptions, body: Record<string, unknown>): Promise<string> {
  const id = randomId();
  await ui.store.putError({ id, error: body, createdAt: ui.clock() }, ui.errorLifespanMs);
  const url = new URL(ui.errorUiUrl);
  url.searchParams.set('id', id);
  return url.href;
}

/** Builds an envelope body outside the error handler (e.g. a rate limiter's response). */
export function envelopeFor(request: FastifyRequest, err: HttpError): { error: Record<string, unknown> } {
  return { error: { ...err.toBody(), request: request.id } };
}

export { reasonPhrase };
