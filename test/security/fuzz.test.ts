// SPEC §13 "Bad input": for every public endpoint, 10 000 generated malformed requests (fast-check)
// — random methods, path tricks, garbage/huge/duplicated/forged cookies, malformed Accept and
// Content-Type, random bytes and unicode in query and body, wrong JSON types, deep and huge JSON,
// oversized bodies. Every response must pass checkResponse (no 5xx, 4xx JSON is the envelope,
// redirects stay inside the allow list, no CR/LF in headers), and afterwards the two sessions
// created before the run must still authenticate, with no revocation and no error logged.
//
// The sessions' real credentials are mixed into GET, HEAD and POST traffic (the cookie and
// X-Session-Token, never a valid logout token), so "state untouched" also covers "a live session
// plus garbage". Rate limiting stays on, with random client addresses, so the limiter is fuzzed
// too and bounds the scrypt work of the rare submissions that reach password verification.
// inject() normalises URLs before the app sees them, so the "arbitrary paths" group runs over a
// real listener: raw paths, and Node's own HTTP parser limits, are fuzzed there.
//
// Shrunk failures found here are kept as named cases in regressions.test.ts.

import t from 'tap';
import fc from 'fast-check';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { InjectOptions } from 'fastify';
import { LOGOUT_API_PATH, LOGOUT_BROWSER_PATH, LOGOUT_PATH } from '../../src/flows/logout/routes.js';
import { CSRF_COOKIE_NAME, LOGIN_API_PATH, LOGIN_BROWSER_PATH, LOGIN_FLOWS_PATH } from '../../src/flows/login/routes.js';
import { LOGIN_PATH } from '../../src/flows/login/login-flow.js';
import { WHOAMI_PATH } from '../../src/sessions/routes.js';
import { FLOW_ERROR_PATH } from '../../src/errors/routes.js';
import { ERROR_UI_PATH, HOME_PATH, LOGIN_UI_PATH, SIGNED_OUT_PATH } from '../../src/pages/routes.js';
import { ADMIN_IDENTITIES_PATH } from '../../src/admin/identity-routes.js';
import { cookieHeader, cookiesOf } from '../helpers/app.js';
import { VICTIM_EMAIL, checkResponse, guardedApp, type GuardedApp, type ResponseLike } from './support.js';

const RUNS = 10_000;

// 15 groups × 10 000 requests: about 100 s of CPU on a 2-core machine (inject costs ~0.5 ms per
// hostile request, generation ~0.1 ms), more when the machine is shared; the project-wide 180 s
// per-file timeout is too tight for that, so this file sets its own.
t.setTimeout(15 * 60_000);

interface Endpoint {
  name: string;
  method: string;
  /** null: arbitrary paths. */
  path: string | null;
  query: string[];
  body: string[];
  loginSubmit?: boolean;
  htmlPage?: boolean;
}

const ENDPOINTS: Endpoint[] = [
  { name: 'createBrowserLogoutFlow', method: 'GET', path: LOGOUT_BROWSER_PATH, query: ['return_to'], body: [] },
  { name: 'updateLogoutFlow (GET)', method: 'GET', path: LOGOUT_PATH, query: ['token', 'return_to'], body: [] },
  { name: 'updateLogoutFlow (POST)', method: 'POST', path: LOGOUT_PATH, query: ['token', 'return_to'], body: ['token', 'return_to'] },
  { name: 'performNativeLogout', method: 'DELETE', path: LOGOUT_API_PATH, query: [], body: ['session_token'] },
  { name: 'createNativeLoginFlow', method: 'GET', path: LOGIN_API_PATH, query: ['return_to', 'refresh'], body: [] },
  { name: 'createBrowserLoginFlow', method: 'GET', path: LOGIN_BROWSER_PATH, query: ['return_to', 'refresh'], body: [] },
  { name: 'updateLoginFlow', method: 'POST', path: LOGIN_PATH, query: ['flow'], body: ['method', 'identifier', 'password', 'csrf_token'], loginSubmit: true },
  { name: 'getLoginFlow', method: 'GET', path: LOGIN_FLOWS_PATH, query: ['id'], body: [] },
  { name: 'toSession', method: 'GET', path: WHOAMI_PATH, query: ['tokenize_as'], body: [] },
  { name: 'getFlowError', method: 'GET', path: FLOW_ERROR_PATH, query: ['id'], body: [] },
  { name: 'home page', method: 'GET', path: HOME_PATH, query: [], body: [], htmlPage: true },
  { name: 'login page', method: 'GET', path: LOGIN_UI_PATH, query: ['flow'], body: [], htmlPage: true },
  { name: 'error page', method: 'GET', path: ERROR_UI_PATH, query: ['id'], body: [], htmlPage: true },
  { name: 'signed-out page', method: 'GET', path: SIGNED_OUT_PATH, query: [], body: [], htmlPage: true },
  { name: 'arbitrary paths', method: 'GET', path: null, query: ['token', 'return_to', 'flow', 'id'], body: ['token', 'session_token'], htmlPage: true },
];

// ---------------------------------------------------------------------------------------------
// Building blocks

/** What a real HTTP/1.1 header value can carry: visible Latin-1 plus space and tab (no CR, LF, NUL). */
const headerChar = fc.oneof(
  fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)),
  fc.constant('\t'),
);
const headerString = (maxLength: number) => fc.string({ unit: headerChar, maxLength });
const printable = fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c));

const NASTY: string[] = [
  '', ' ', '  x  ', '\t', '\r\n', '\r\nSet-Cookie: injected=1', '\u0000', 'a\u0000b', '%00', '%', '%zz', '%E0%A4%A', '..', '../', '/..', '/%2e%2e/',
  '//evil.example', '///evil.example', '/\\evil.example', 'https://evil.example/', 'https://app.example.com.evil.example/', 'https://app.example.com@evil.example/',
  'javascript:alert(1)', 'data:text/html,<script>alert(1)</script>', '<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', '{{constructor}}', '{{{body}}}',
  '__proto__', 'constructor', 'prototype', 'null', 'undefined', 'true', 'false', '0', '-1', '1e309', 'NaN', '[]', '{}',
  'ory_st_', 'ory_st_x', 'ory_st_x.forgedsig', 'ory_lo_', `ory_lo_${'A'.repeat(43)}`, `ory_st_${'a'.repeat(32)}`, `ory_st_${'a'.repeat(300)}`,
  '\u2028', '\u2029', '\uFEFF', '\uD800', '\uDFFF', '😀', 'Ａ', 'İ', 'ß', '\u202E', 'password', 'method',
];

const anyString = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 3, arbitrary: fc.constantFrom(...NASTY) },
);
/** Long values: rarer, since every string field would otherwise make requests (and the run) huge. */
const longString = fc.integer({ min: 256, max: 20_000 }).map((n) => 'x'.repeat(n));
const someString = fc.oneof({ weight: 30, arbitrary: anyString }, { weight: 1, arbitrary: longString });

/** Percent-encodes as UTF-8 (lone surrogates become U+FFFD, which encodeURIComponent would throw on). */
function pct(s: string): string {
  return encodeURIComponent(Buffer.from(s, 'utf8').toString('utf8'));
}

const COMMON_PARAMS = ['token', 'return_to', 'flow', 'id', 'session_token', 'refresh', 'tokenize_as', 'x', ''];

/** Values that reach deeper code: real flow/error ids, allowed return_to URLs, a real CSRF token. */
interface Specials {
  values: string[];
  cookies: string[];
}

function queryArb(params: string[], specials: Specials): fc.Arbitrary<string> {
  const key = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...params, ...COMMON_PARAMS) }, { weight: 1, arbitrary: anyString });
  const value = fc.oneof({ weight: 4, arbitrary: someString }, { weight: 2, arbitrary: fc.constantFrom(...specials.values) });
  return fc.oneof(
    { weight: 24, arbitrary: fc.array(fc.tuple(key, value), { maxLength: 5 }).map((pairs) => pairs.map(([k, v]) => `${pct(k)}=${pct(v)}`).join('&')) },
    // Raw, possibly malformed: bad percent-encoding, bare keys, stray '#', '?', '=' and '&'.
    { weight: 8, arbitrary: fc.string({ unit: printable, maxLength: 200 }) },
    { weight: 4, arbitrary: fc.constantFrom('', '&&&', '=', 'token', 'token=', 'token=%', 'return_to=%zz', 'a=1&a=2&a=3', 'token[]=x', 'token[a]=x', '__proto__[x]=1') },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 2000 }).map((n) => `token=${'a'.repeat(8)}&`.repeat(n)) },
  );
}

const TRICKS: Array<(p: string) => string> = [
  (p) => `${p}/`,
  (p) => `/${p}`,
  (p) => `${p}//`,
  (p) => p.replace(/\//g, '//'),
  (p) => `/x/..${p}`,
  (p) => `/%2e%2e${p}`,
  (p) => `${p}/%2e%2e/%2e%2e/admin/identities`,
  (p) => `/.${p}`,
  (p) => `${p}%00`,
  (p) => `${p}%2f`,
  (p) => p.replace(/\//g, '%2F'),
  (p) => p.toUpperCase(),
  (p) => `${p};jsessionid=x`,
  (p) => `${p}/..`,
  (p) => `${p}/../..${ADMIN_IDENTITIES_PATH}`,
  (p) => `${p}\\`,
  (p) => `${p}%`,
  (p) => `${p}%zz`,
  (p) => `${p}/${'a'.repeat(300)}`,
];

const segment = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-._~'.split('')), minLength: 1, maxLength: 12 }) },
  { weight: 2, arbitrary: fc.constantFrom('..', '.', '%2e%2e', '%2E', '%00', '%2f', '%5c', '%', '%zz', 'admin', 'identities', 'sessions', 'self-service', 'logout', 'login', 'health', 'openapi.json', 'metrics', 'version', 'error', 'assets', 'style.css', '') },
  { weight: 1, arbitrary: anyString.map(pct) },
  { weight: 1, arbitrary: fc.string({ unit: printable, maxLength: 20 }).map((s) => s.replace(/[?#]/g, '')) },
);

const arbitraryPath = fc.oneof(
  { weight: 6, arbitrary: fc.array(segment, { maxLength: 8 }).map((segs) => `/${segs.join('/')}`) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 20_000 }).map((n) => `/${'a'.repeat(n)}`) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 500 }).map((n) => '/..'.repeat(n)) },
  { weight: 1, arbitrary: fc.constantFrom('//', '///', '/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2fadmin', '/%00', '/%', `${ADMIN_IDENTITIES_PATH}`, '/admin/sessions', '/metrics', '/version') },
);

/**
 * inject() parses every URL with the WHATWG parser first (dot segments resolved, `\\` read as `/`),
 * so path tricks sent that way reach the app already normalised — which is what the app sees
 * behind a normalising proxy. Raw paths are covered by the "arbitrary paths" group, which uses a
 * real listener.
 */
function pathArb(endpoint: Endpoint): fc.Arbitrary<string> {
  if (endpoint.path === null) return arbitraryPath;
  const p = endpoint.path;
  // Tricks inject() cannot even parse (`/\\` reads as an empty authority) are left to the raw group.
  const tricks = TRICKS.map((f) => f(p)).filter((url) => URL.canParse(url.startsWith('//') ? `http://localhost${url}` : url, 'http://localhost'));
  return fc.oneof({ weight: 8, arbitrary: fc.constant(p) }, { weight: 2, arbitrary: fc.constantFrom(...tricks) });
}

// CONNECT is not a request a route can answer: Node hands the socket to a 'connect' listener.
const ALL_METHODS = http.METHODS.filter((m) => m !== 'CONNECT');
function methodArb(endpoint: Endpoint): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant(endpoint.method) },
    { weight: 3, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS') },
    { weight: 1, arbitrary: fc.constantFrom(...ALL_METHODS) },
  );
}

interface Body {
  payload: string | Buffer;
  /** The Content-Type that would match the payload. */
  natural: string;
}

const jsonField = fc.oneof(
  { weight: 3, arbitrary: someString },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, 0, -1, 1e308, [], {}, ['a'], { $ne: null }, { toString: 'x' }) },
);

function bodyArb(fields: string[], specials: Specials): fc.Arbitrary<Body | null> {
  const keys = [...fields, 'token', 'session_token', 'method', '__proto__', 'constructor'];
  // Pairs rather than fc.dictionary: repeated keys are fine (last wins) and generation is cheaper.
  const known = fc
    .array(fc.tuple(fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...keys) }, { weight: 1, arbitrary: anyString }), fc.oneof(jsonField, fc.constantFrom(...specials.values))), { maxLength: 6 })
    .map((pairs) => Object.fromEntries(pairs));
  // Login-shaped bodies; `method: "password"` with both fields set costs a scrypt verification, so it stays rare.
  const loginish = fc.record(
    {
      method: fc.oneof({ weight: 1, arbitrary: fc.constant('password') }, { weight: 6, arbitrary: jsonField }),
      identifier: fc.oneof(fc.constantFrom(VICTIM_EMAIL, 'nobody@example.com', ''), jsonField),
      password: jsonField,
      csrf_token: fc.oneof(fc.constantFrom(...specials.values), jsonField),
    },
    { requiredKeys: [] },
  );
  const json = (v: unknown): Body => ({ payload: JSON.stringify(v) ?? 'null', natural: 'application/json' });
  const form = fc
    .array(fc.tuple(fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...keys) }, { weight: 1, arbitrary: anyString }), fc.oneof(someString, fc.constantFrom(...specials.values))), { maxLength: 6 })
    .map((pairs): Body => ({ payload: pairs.map(([k, v]) => `${pct(k)}=${pct(v)}`).join('&'), natural: 'application/x-www-form-urlencoded' }));
  const deep = fc.record({ depth: fc.oneof(fc.constant(1000), fc.integer({ min: 1, max: 5000 })), kind: fc.constantFrom('array', 'object', 'field') }).map(({ depth, kind }): Body => {
    const payload =
      kind === 'array'
        ? '['.repeat(depth) + ']'.repeat(depth)
        : kind === 'object'
          ? '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)
          : `{"${fields[0] ?? 'token'}":` + '['.repeat(depth) + ']'.repeat(depth) + '}';
    return { payload, natural: 'application/json' };
  });
  const huge = fc.oneof(
    // Just over the 64 KiB body limit, and well over it.
    fc.integer({ min: 64 * 1024 + 1, max: 200 * 1024 }).map((n): Body => ({ payload: JSON.stringify({ [fields[0] ?? 'token']: 'a'.repeat(n) }), natural: 'application/json' })),
    // Under the limit but wide: thousands of keys.
    fc.integer({ min: 100, max: 5000 }).map((n): Body => ({ payload: JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]))), natural: 'application/json' })),
    fc.integer({ min: 64 * 1024 + 1, max: 100 * 1024 }).map((n): Body => ({ payload: `${fields[0] ?? 'token'}=${'a'.repeat(n)}`, natural: 'application/x-www-form-urlencoded' })),
    fc.integer({ min: 64 * 1024 + 1, max: 100 * 1024 }).map((n): Body => ({ payload: Buffer.alloc(n, 0x41), natural: 'application/octet-stream' })),
  );
  const invalidJson = fc.oneof(
    fc.constantFrom('{', '}', '{"token":', '{"token":"x"', "{'token':'x'}", '{"a":1,}', 'NaN', 'undefined', '\uFEFF{}', '{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{"x":1}}}', '1'.repeat(400), '"\\ud800"', '{"a":"\\u0000"}'),
    fc.string({ unit: 'binary', maxLength: 100 }),
  );
  return fc.oneof(
    { weight: 8, arbitrary: fc.constant(null) },
    { weight: 6, arbitrary: known.map(json) },
    { weight: fields.includes('password') ? 6 : 0, arbitrary: loginish.map(json) },
    { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }).map(json) },
    { weight: 6, arbitrary: form },
    { weight: 2, arbitrary: deep },
    { weight: 1, arbitrary: huge },
    { weight: 4, arbitrary: invalidJson.map((payload): Body => ({ payload, natural: 'application/json' })) },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 512 }).map((bytes): Body => ({ payload: Buffer.from(bytes), natural: 'application/octet-stream' })) },
  );
}

const CONTENT_TYPES = [
  'application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'application/json;', 'application/json; charset=utf-16', 'application/jsonx',
  'application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=iso-8859-1', 'text/plain', 'text/html', 'multipart/form-data; boundary=x',
  'multipart/form-data', 'application/xml', 'application/octet-stream', '', ';', '/', '*/*', 'application/*', 'json', ' application/json ', 'application/json, text/html',
];

const ACCEPTS = [
  'application/json', 'text/html', '*/*', 'application/json, text/plain, */*', 'text/html,application/json', 'application/json;q=0', 'application/json;q=abc',
  'application/json;q=1.0000001', 'text/html;q=0.5, application/json;q=0.50', 'application/*', 'text/*', ';;;,,,', ',', 'application/json;q="1"', 'application/json;q=',
  'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8', 'APPLICATION/JSON', 'application/json; q=0; charset="a,b"', '"', 'application/json;"',
];

function headersArb(endpoint: Endpoint, guarded: GuardedApp, specials: Specials): fc.Arbitrary<Record<string, string>> {
  const realSigned = guarded.browserCookie.slice(guarded.browserCookie.indexOf('=') + 1);
  const cookieName = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom('ory_kratos_session', CSRF_COOKIE_NAME) },
    { weight: 1, arbitrary: fc.constantFrom(' ory_kratos_session', 'ORY_KRATOS_SESSION', 'ory_kratos_session ', '', '=') },
    { weight: 1, arbitrary: fc.string({ unit: printable, maxLength: 20 }).map((s) => s.replace(/[;=]/g, '')) },
  );
  const tokenChars = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-'.split(''));
  const cookieValue = fc.oneof(
    { weight: 9, arbitrary: fc.constantFrom('ory_st_x.forgedsig', 'ory_st_x', '', '.', 's:ory_st_x.sig', '"ory_st_x.sig"', '%', '%zz', '%E0%A4%A', 'a=b=c', '\\', 'ory_st_x.') },
    {
      weight: 6,
      arbitrary: fc
        .tuple(fc.string({ unit: tokenChars, minLength: 32, maxLength: 32 }), fc.string({ unit: printable, maxLength: 44 }))
        .map(([r, sig]) => `ory_st_${r}.${sig.replace(/;/g, '')}`),
    },
    // The real cookie with its signature tampered, or with the token of another session.
    { weight: 3, arbitrary: fc.nat({ max: realSigned.length - 1 }).map((i) => realSigned.slice(0, i) + (realSigned[i] === 'A' ? 'B' : 'A') + realSigned.slice(i + 1)) },
    { weight: 3, arbitrary: fc.constant(`${guarded.nativeToken}.${realSigned.slice(realSigned.indexOf('.') + 1)}`) },
    { weight: 3, arbitrary: fc.constantFrom(realSigned, ...specials.cookies) },
    { weight: 6, arbitrary: headerString(64).map((s) => s.replace(/;/g, '')) },
    { weight: 1, arbitrary: fc.integer({ min: 1000, max: 16 * 1024 }).map((n) => 'A'.repeat(n)) },
  );
  const cookie = fc.oneof(
    { weight: 12, arbitrary: fc.array(fc.tuple(cookieName, cookieValue), { minLength: 1, maxLength: 6 }).chain((pairs) => fc.constantFrom('; ', ';', ', ', ' ; ').map((sep) => pairs.map(([n, v]) => `${n}=${v}`).join(sep))) },
    { weight: 2, arbitrary: headerString(300) },
    { weight: 1, arbitrary: fc.integer({ min: 2, max: 400 }).map((n) => Array.from({ length: n }, (_, i) => (i % 2 ? guarded.browserCookie : 'ory_kratos_session=ory_st_x.forgedsig')).join('; ')) },
  );
  const sessionToken = fc.oneof(
    fc.constantFrom('ory_st_x', 'ory_st_', '', ' ', `ory_st_${'a'.repeat(32)}`, `ory_st_${'a'.repeat(257)}`, guarded.nativeToken, `${guarded.nativeToken} `, ` ${guarded.nativeToken}`, guarded.nativeToken.toUpperCase()),
    headerString(80),
  );
  const authorization = fc.oneof(
    fc.constantFrom('Bearer', 'Bearer ', 'bearer ory_st_x', `Bearer ory_st_${'b'.repeat(32)}`, 'Basic dXNlcjpwYXNz', 'Bearer ory_st_x ory_st_y', `Bearer ${'a'.repeat(2000)}`),
    headerString(80).map((s) => `Bearer ${s}`),
    headerString(80),
  );
  /** Present in `present` requests out of `present + absent`. */
  const optional = <T>(arb: fc.Arbitrary<T>, present: number, absent: number) =>
    fc.oneof({ weight: present, arbitrary: arb }, { weight: absent, arbitrary: fc.constant(undefined) });
  return fc
    .record({
      accept: optional(fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...ACCEPTS) }, { weight: 4, arbitrary: headerString(100) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 2000 }).map((n) => 'text/html;q=0.1, '.repeat(n)) }), 2, 1),
      'content-type': optional(fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...CONTENT_TYPES) }, { weight: 1, arbitrary: headerString(60) }), 1, 3),
      cookie: optional(cookie, 1, 1),
      'x-session-token': optional(sessionToken, 1, 3),
      authorization: optional(authorization, 1, 3),
      'x-request-id': optional(fc.oneof(fc.constantFrom('req-1', 'a'.repeat(129), '../../etc', '<script>', 'ünïcode'), headerString(140)), 1, 3),
      'user-agent': optional(fc.oneof({ weight: 9, arbitrary: headerString(200) }, { weight: 1, arbitrary: fc.integer({ min: 1000, max: 10_000 }).map((n) => 'U'.repeat(n)) }), 1, 3),
      'x-forwarded-proto': optional(fc.constantFrom('https', 'http', 'https, http', 'gopher', ''), 1, 7),
      'x-forwarded-for': optional(fc.oneof(fc.ipV4(), headerString(40)), 1, 7),
      origin: optional(fc.constantFrom('https://evil.example', 'null', 'https://app.example.com'), 1, 7),
      host: optional(fc.constantFrom('evil.example', 'app.example.com', '', 'a'.repeat(300), '127.0.0.1:1'), 1, 7),
    })
    .map((h) => Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined)) as Record<string, string>);
}

interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
  remoteAddress: string;
}

function requestArb(endpoint: Endpoint, guarded: GuardedApp, specials: Specials): fc.Arbitrary<FuzzRequest> {
  const contentTypeFor = (body: Body | null) =>
    fc.oneof({ weight: 4, arbitrary: fc.constant(body?.natural) }, { weight: 1, arbitrary: fc.constant(undefined) }, { weight: 2, arbitrary: fc.constantFrom(...CONTENT_TYPES) });
  return fc
    .record({
      method: methodArb(endpoint),
      path: pathArb(endpoint),
      query: fc.option(queryArb(endpoint.query.length ? endpoint.query : COMMON_PARAMS, specials), { nil: undefined, freq: 5 }),
      headers: headersArb(endpoint, guarded, specials),
      body: bodyArb(endpoint.body.length ? endpoint.body : ['token', 'return_to'], specials),
      remoteAddress: fc.oneof(fc.ipV4(), fc.ipV6(), fc.constant('127.0.0.1')),
    })
    .chain((r) =>
      contentTypeFor(r.body).map((naturalType): FuzzRequest => {
        const headers = withoutLiveCredentials(r.method, r.headers, guarded);
        // An explicitly generated Content-Type wins; otherwise mostly the one matching the body.
        if (headers['content-type'] === undefined && naturalType !== undefined) headers['content-type'] = naturalType;
        return {
          method: r.method,
          url: r.query === undefined ? r.path : `${r.path}?${r.query}`,
          headers,
          ...(r.body ? { payload: r.body.payload } : {}),
          remoteAddress: r.remoteAddress,
        };
      }),
    );
}

/**
 * The live session's cookie and token ride only on GET, HEAD and POST. With other methods a
 * tricked path can land on a route that legitimately ends sessions for their owner — `/sessions/whoami/..`
 * normalises to `/sessions`, and `DELETE /sessions` with the browser cookie revokes the owner's
 * other sessions (found by this fuzz: the native session died, correctly). That is the API doing
 * its job, not hostile input getting through, so those requests carry forged credentials instead.
 */
function withoutLiveCredentials(method: string, headers: Record<string, string>, guarded: GuardedApp): Record<string, string> {
  if (method === 'GET' || method === 'HEAD' || method === 'POST') return { ...headers };
  const realCookie = guarded.browserCookie.slice(guarded.browserCookie.indexOf('=') + 1);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k] = v.split(realCookie).join('ory_st_x.forgedsig').split(guarded.nativeToken).join('ory_st_forged');
  return out;
}

/** Real ids and tokens the generators may use, so some requests get past the first checks. */
async function makeSpecials(guarded: GuardedApp): Promise<Specials> {
  const { app } = guarded;
  const apiFlow = (await app.public.inject({ method: 'GET', url: LOGIN_API_PATH })).json() as { id: string };
  const browserStart = await app.public.inject({ method: 'GET', url: LOGIN_BROWSER_PATH, headers: { accept: 'application/json' } });
  const browserFlow = browserStart.json() as { id: string; ui: { nodes: Array<{ attributes: { name: string; value?: string } }> } };
  const csrfToken = browserFlow.ui.nodes.find((n) => n.attributes.name === 'csrf_token')?.attributes.value ?? '';
  const csrfCookie = cookieHeader(cookiesOf(browserStart));
  const forwarded = await app.public.inject({ method: 'GET', url: `${LOGOUT_PATH}?token=x&return_to=https%3A%2F%2Fevil.example%2F` });
  const errorId = new URL(String(forwarded.headers.location)).searchParams.get('id') ?? '';
  return {
    values: [
      apiFlow.id,
      browserFlow.id,
      csrfToken,
      errorId,
      'https://app.example.com/',
      'https://app.example.com/x?y=1',
      'https://a.example.org/dashboard/x',
      'http://127.0.0.1:4433/signed-out',
      '/signed-out',
      '/',
      `ory_lo_${'A'.repeat(43)}`,
      VICTIM_EMAIL,
    ],
    cookies: [csrfCookie.slice(csrfCookie.indexOf('=') + 1)],
  };
}

/**
 * Sends one request over a real socket, byte for byte as given (no URL normalisation), so raw
 * paths and Node's own HTTP parser (header limits, malformed requests) are exercised too.
 */
function sendRaw(agent: http.Agent, port: number, req: FuzzRequest): Promise<ResponseLike> {
  return new Promise((resolve, reject) => {
    let settled = false;
    // An explicit Content-Length: Node's client sends a HEAD body without one, which would make the
    // body the start of a second (malformed) request on the same connection.
    const headers = req.payload === undefined ? req.headers : { ...req.headers, 'content-length': String(Buffer.byteLength(req.payload)) };
    const outgoing = http.request(
      { host: '127.0.0.1', port, agent, method: req.method, path: req.url, headers, setHost: req.headers.host === undefined },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', () => undefined);
        res.on('end', () => {
          settled = true;
          resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
        });
      },
    );
    // The server closes the connection after rejecting bad HTTP; only an error before any answer counts.
    outgoing.on('error', (err) => {
      if (!settled) reject(err);
    });
    outgoing.end(req.payload);
  });
}

for (const endpoint of ENDPOINTS) {
  const overHttp = endpoint.path === null;
  t.test(`${endpoint.name}: ${RUNS} malformed requests${overHttp ? ' (real listener)' : ''}`, async (t) => {
    const guarded = await guardedApp();
    t.teardown(() => guarded.app.close());
    const specials = await makeSpecials(guarded);
    let send: (req: FuzzRequest) => Promise<ResponseLike> = (req) => guarded.app.public.inject(req as InjectOptions);
    if (overHttp) {
      await guarded.app.public.listen({ host: '127.0.0.1', port: 0 });
      const { port } = guarded.app.public.server.address() as AddressInfo;
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      t.teardown(() => agent.destroy());
      send = (req) => sendRaw(agent, port, req);
    }
    const statuses = new Map<number, number>();
    let routed = 0;
    const started = performance.now();
    await fc.assert(
      fc.asyncProperty(requestArb(endpoint, guarded, specials), async (req) => {
        const res = await send(req);
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        if (res.statusCode !== 404 || (res.body !== '' && !res.body.includes('"No route matches'))) routed++;
        checkResponse(res, { method: req.method, ...(endpoint.loginSubmit ? { loginSubmit: true } : {}), ...(endpoint.htmlPage ? { htmlPage: true } : {}) });
      }),
      { numRuns: RUNS },
    );
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const total = [...statuses.values()].reduce((a, b) => a + b, 0);
    t.ok(total >= RUNS, `${total} requests in ${seconds}s; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`);
    // The generators must actually reach the endpoint, not only the not-found handler.
    t.ok(overHttp || routed > RUNS / 2, `most requests reached a route (${routed} did)`);
    await t.resolves(guarded.assertUntouched(), 'both sessions still authenticate; nothing was revoked; no error was logged');
  });
}
