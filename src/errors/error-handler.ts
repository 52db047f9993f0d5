// The one place that turns a thrown error into a response: the JSON envelope of SPEC §4, or — on
// browser-facing routes, for browser requests — a stored error and a 303 to the error UI.

import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { StoreUnavailableError, type Store } from '../store/store.js';
import { isJsonRequest } from '../http/request-kind.js';
import { saveError } from './stored-errors.js';
import { ErrorIds, HttpError, defaultMessage, errors, reasonPhrase } from './http-error.js';

export interface ErrorUiOptions {
  store: Store;
  errorUiUrl: string;
  errorLifespanMs: number;
  clock: () => number;
  /** Sign errors sealed into their id when the store is down. */
  secrets: string[];
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

export function installErrorHandling(app: FastifyInstance, ui: ErrorUiOptions | null, observer?: { observeError(error: HttpError): void }): void {
  app.setErrorHandler(async (err: unknown, request, reply) => {
    const httpError = toHttpError(err);
    observer?.observeError(httpError);
    if (httpError.statusCode >= 500) {
      request.log.error({ err }, 'request failed');
    } else {
      request.log.info({ error_id: httpError.errorId, status: httpError.statusCode }, 'request rejected');
    }
    const body = { ...httpError.toBody(), request: request.id };
    if (httpError.headers) reply.headers(httpError.headers);
    if (ui && request.routeOptions.config.browserErrors && !isJsonRequest(request.headers['content-type'], request.headers.accept)) {
      const location = await forwardToErrorUi(ui, body, (storeErr) => request.log.warn({ err: storeErr }, 'store unavailable: the error is sealed into its id'));
      return reply.code(303).header('location', location).send();
    }
    return sendEnvelope(reply, body.code, body);
  });

  app.setNotFoundHandler((request, reply) => {
    sendEnvelope(reply, 404, { ...errors.notFound(`No route matches ${request.method} ${request.url.split('?')[0]?.slice(0, 200)}.`).toBody(), request: request.id });
  });
}

/**
 * Fastify answers a few malformed requests before routing — a URL with broken percent-encoding
 * (FST_ERR_BAD_URL), a route parameter longer than maxParamLength (FST_ERR_MAX_PARAM_LENGTH) —
 * outside setErrorHandler and the not-found handler, with its own body. Passed as the
 * `frameworkErrors` server option so those answers are the envelope of SPEC §4 too (found by
 * test/security/fuzz.test.ts: `GET /%zz` got `{"error":"Bad Request","code":"FST_ERR_BAD_URL",…}`).
 */
export function frameworkErrorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const httpError =
    err.code === 'FST_ERR_BAD_URL'
      ? errors.invalidRequest('The request URL is not valid (malformed percent-encoding).')
      : err.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? new HttpError(414, { reason: 'A path parameter of the request URL is too long.' })
        : toHttpError(err);
  if (httpError.statusCode >= 500) request.log.error({ err }, 'request failed');
  else request.log.info({ error_id: httpError.errorId, status: httpError.statusCode }, 'request rejected');
  // No route context here, so neither the onRequest nor the onSend hooks run: set their headers.
  reply.header('x-request-id', request.id).header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer');
  sendEnvelope(reply, httpError.statusCode, { ...httpError.toBody(), request: request.id });
}

/**
 * Node's HTTP parser rejects some requests before Fastify sees them — headers over the 16 KiB
 * limit (431), a malformed request line or header (400), a client too slow to send its headers
 * (408) — and Fastify's default answer is its own JSON body. Passed as the `clientErrorHandler`
 * server option so even those answers are the envelope of SPEC §4 (found by
 * test/security/fuzz.test.ts over a real listener: a 20 KB path got
 * `{"error":"Request Header Fields Too Large","message":…,"statusCode":431}`).
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Duplex): void {
  // A reset connection has nobody left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const code = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const reason =
    code === 431 ? 'The request headers are too large.' : code === 408 ? 'The request headers were not received in time.' : 'The request is not valid HTTP.';
  const error = new HttpError(code, { ...(code === 400 ? { id: ErrorIds.invalidRequest } : {}), reason });
  const body = JSON.stringify({ error: { ...error.toBody(), request: randomUUID() } });
  // A response to HEAD carries no content (RFC 9110 §9.3.2); a client would read the body as junk.
  // The method is only known when the request line is in the packet being parsed, which it is
  // unless the headers arrived in several chunks (found by test/security/fuzz.test.ts).
  const raw: unknown = (err as { rawPacket?: unknown }).rawPacket;
  const head = raw instanceof Buffer && raw.subarray(0, 5).toString('latin1') === 'HEAD ';
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${code} ${reasonPhrase(code)}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${head ? '' : body}`,
    );
  }
  socket.destroy(err);
}

function sendEnvelope(reply: FastifyReply, code: number, body: Record<string, unknown>): FastifyReply {
  return reply.code(code).header('content-type', 'application/json; charset=utf-8').header('cache-control', 'no-store').send(JSON.stringify({ error: body }));
}

/** Stores the error object and returns the error UI URL with `id` merged into its query. */
async function forwardToErrorUi(ui: ErrorUiOptions, body: Record<string, unknown>, onStoreFailure: (err: unknown) => void): Promise<string> {
  const id = await saveError({ store: ui.store, secrets: ui.secrets, lifespanMs: ui.errorLifespanMs, clock: ui.clock }, body, onStoreFailure);
  const url = new URL(ui.errorUiUrl);
  url.searchParams.set('id', id);
  return url.href;
}

/** Builds an envelope body outside the error handler (e.g. a rate limiter's response). */
export function envelopeFor(request: FastifyRequest, err: HttpError): { error: Record<string, unknown> } {
  return { error: { ...err.toBody(), request: request.id } };
}

export { reasonPhrase };
