// CORS for SPAs on other origins (SPEC §10): allowed origins get credentialed CORS and a preflight
// that allows X-Session-Token; every other origin gets no CORS headers at all.

import t from 'tap';
import { testApp, loginNative, createIdentity } from '../helpers/app.js';
import { LOGOUT_API_PATH, LOGOUT_BROWSER_PATH } from '../../src/flows/logout/routes.js';
import { WHOAMI_PATH } from '../../src/sessions/routes.js';

const SPA = 'https://spa.example.com';
const OTHER = 'https://evil.example.net';

t.test('CORS with an allow list', async (t) => {
  const app = await testApp({ serve: { public: { cors: { enabled: true, allowed_origins: [SPA] } } } });
  t.teardown(() => app.close());
  await createIdentity(app, 'cors@example.com');

  t.test('preflight from an allowed origin', async (t) => {
    const res = await app.public.inject({
      method: 'OPTIONS',
      url: LOGOUT_API_PATH,
      headers: { origin: SPA, 'access-control-request-method': 'DELETE', 'access-control-request-headers': 'x-session-token,content-type' },
    });
    t.ok(res.statusCode === 204 || res.statusCode === 200, `preflight answered (${res.statusCode})`);
    t.equal(res.headers['access-control-allow-origin'], SPA);
    t.equal(res.headers['access-control-allow-credentials'], 'true');
    t.match(String(res.headers['access-control-allow-methods']), /\bDELETE\b/);
    const allowed = String(res.headers['access-control-allow-headers']).toLowerCase().split(/\s*,\s*/);
    t.ok(allowed.includes('x-session-token'), 'X-Session-Token is allowed');
    t.ok(allowed.includes('content-type'), 'Content-Type is allowed');
    t.match(String(res.headers.vary), /origin/i, 'caches key on Origin');
  });

  t.test('credentialed requests from an allowed origin', async (t) => {
    const { session_token: token } = await loginNative(app, 'cors@example.com');
    const whoami = await app.public.inject({ method: 'GET', url: WHOAMI_PATH, headers: { origin: SPA, 'x-session-token': token, accept: 'application/json' } });
    t.equal(whoami.statusCode, 200);
    t.equal(whoami.headers['access-control-allow-origin'], SPA);
    t.equal(whoami.headers['access-control-allow-credentials'], 'true');

    // Errors must carry CORS headers too, or the SPA cannot read the envelope that says why.
    const flow = await app.public.inject({ method: 'GET', url: LOGOUT_BROWSER_PATH, headers: { origin: SPA, accept: 'application/json' } });
    t.equal(flow.statusCode, 401);
    t.equal(flow.headers['access-control-allow-origin'], SPA);
    t.equal(flow.headers['access-control-allow-credentials'], 'true');

    const logout = await app.public.inject({ method: 'DELETE', url: LOGOUT_API_PATH, headers: { origin: SPA }, payload: { session_token: token } });
    t.equal(logout.statusCode, 204);
    t.equal(logout.headers['access-control-allow-origin'], SPA);
  });

  t.test('another origin gets no CORS headers', async (t) => {
    const preflight = await app.public.inject({
      method: 'OPTIONS',
      url: LOGOUT_API_PATH,
      headers: { origin: OTHER, 'access-control-request-method': 'DELETE', 'access-control-request-headers': 'x-session-token,content-type' },
    });
    const get = await app.public.inject({ method: 'GET', url: WHOAMI_PATH, headers: { origin: OTHER, accept: 'application/json' } });
    // A look-alike of an allowed origin is another origin.
    const lookalike = await app.public.inject({ method: 'GET', url: WHOAMI_PATH, headers: { origin: `${SPA}.evil.net`, accept: 'application/json' } });
    for (const [name, res] of [['preflight', preflight], ['GET', get], ['look-alike', lookalike]] as const) {
      t.notOk(res.headers['access-control-allow-origin'], `${name}: no allow-origin`);
      t.notOk(res.headers['access-control-allow-credentials'], `${name}: no allow-credentials`);
      t.notOk(res.headers['access-control-allow-headers'], `${name}: no allow-headers`);
    }
  });
});

t.test('CORS disabled: no CORS headers even for a listed origin', async (t) => {
  const app = await testApp({ serve: { public: { cors: { enabled: false, allowed_origins: [SPA] } } } });
  t.teardown(() => app.close());
  const res = await app.public.inject({ method: 'GET', url: WHOAMI_PATH, headers: { origin: SPA, accept: 'application/json' } });
  t.notOk(res.headers['access-control-allow-origin']);
});
