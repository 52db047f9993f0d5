// /metrics after a flow, and the OpenAPI documents: valid OpenAPI 3, Kratos operationIds, and
// request and response schemas on every route.

import t from 'tap';
import SwaggerParser from '@apidevtools/swagger-parser';
import { METRICS_PATH } from '../../src/metrics.js';
import { LOGOUT_API_PATH, LOGOUT_BROWSER_PATH, LOGOUT_PATH } from '../../src/flows/logout/routes.js';
import { createIdentity, loginNative, testApp } from '../helpers/app.js';

t.test('metrics: requests by route, logouts by kind and outcome, store errors', async (t) => {
  const app = await testApp();
  t.teardown(() => app.close());
  await createIdentity(app, 'met@example.com');
  const { session_token } = await loginNative(app, 'met@example.com');
  const lo = (await app.public.inject({ method: 'GET', url: LOGOUT_BROWSER_PATH, headers: { 'x-session-token': session_token } })).json().logout_token;
  await app.public.inject({ method: 'GET', url: `${LOGOUT_PATH}?token=${lo}`, headers: { 'x-session-token': session_token, accept: 'application/json' } });
  await app.public.inject({ method: 'GET', url: `${LOGOUT_PATH}?token=ory_lo_x`, headers: { accept: 'text/html' } });
  await app.public.inject({ method: 'DELETE', url: LOGOUT_API_PATH, payload: { session_token } });
  await app.public.inject({ method: 'DELETE', url: LOGOUT_API_PATH, payload: { session_token: 'ory_st_unknownunknownunknownunknown' } });

  const res = await app.admin.inject({ method: 'GET', url: METRICS_PATH });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /text\/plain/);
  const text = res.body;
  t.match(text, /logoutd_logouts_total\{kind="browser",outcome="revoked"\} 1/);
  t.match(text, /logoutd_logouts_total\{kind="browser",outcome="graceful"\} 1/);
  t.match(text, /logoutd_logouts_total\{kind="api",outcome="repeat"\} 1/);
  t.match(text, /logoutd_logouts_total\{kind="api",outcome="forbidden"\} 1/);
  t.match(text, /logoutd_http_requests_total\{server="public",route="\/self-service\/logout",method="GET",status="204"\} 1/);
  t.match(text, /logoutd_http_request_duration_seconds_bucket\{le="[^"]+",server="public",route="\/self-service\/logout\/api",method="DELETE"\}/);
  // The latency histogram of the two native logouts: cumulative buckets ending in +Inf = _count,
  // and as many observations as the request counter saw for that route.
  const labels = 'server="public",route="/self-service/logout/api",method="DELETE"';
  const buckets = [...text.matchAll(/^logoutd_http_request_duration_seconds_bucket\{le="([^"]+)",(.*)\} (\d+)$/gm)].filter((m) => m[2] === labels);
  t.equal(buckets.length, 13, 'twelve bounds and +Inf');
  t.equal(buckets.at(-1)?.[1], '+Inf');
  const counts = buckets.map((m) => Number(m[3]));
  t.ok(counts.every((n, i) => i === 0 || n >= (counts[i - 1] as number)), `cumulative: ${counts.join(',')}`);
  t.equal(counts.at(-1), 2, '+Inf bucket counts both requests');
  t.match(text, new RegExp(`^logoutd_http_request_duration_seconds_count\\{${labels.replace(/[/.]/g, '\\$&')}\\} 2$`, 'm'));
  const sum = Number(new RegExp(`^logoutd_http_request_duration_seconds_sum\\{${labels.replace(/[/.]/g, '\\$&')}\\} (\\S+)$`, 'm').exec(text)?.[1]);
  t.ok(sum > 0 && sum < 10, `sum of latencies in seconds: ${sum}`);
  const requests = [...text.matchAll(/^logoutd_http_requests_total\{(.*),status="(\d+)"\} (\d+)$/gm)].filter((m) => m[1] === labels);
  t.equal(requests.reduce((n, m) => n + Number(m[3]), 0), 2, 'the request counter agrees');
  t.match(text, /# TYPE logoutd_http_request_duration_seconds histogram/);
  t.match(text, /logoutd_store_errors_total 0/);
  t.match(text, /logoutd_webhook_deliveries_total 0/);
  t.equal((await app.public.inject({ method: 'GET', url: METRICS_PATH })).statusCode, 404, 'not on the public port');
});

t.test('OpenAPI documents', async (t) => {
  const app = await testApp();
  t.teardown(() => app.close());
  const expectedIds: Record<'public' | 'admin', string[]> = {
    public: ['createBrowserLogoutFlow', 'updateLogoutFlow', 'performNativeLogout', 'toSession', 'createNativeLoginFlow', 'createBrowserLoginFlow', 'updateLoginFlow', 'getLoginFlow', 'getFlowError', 'listMySessions', 'disableMyOtherSessions', 'disableMySession'],
    admin: ['createIdentity', 'getIdentity', 'deleteIdentity', 'listSessions', 'getSession', 'disableSession', 'extendSession', 'listIdentitySessions', 'deleteIdentitySessions', 'getVersion'],
  };
  for (const name of ['public', 'admin'] as const) {
    const res = await app[name].inject({ method: 'GET', url: '/openapi.json' });
    t.equal(res.statusCode, 200);
    const doc = res.json();
    t.equal(doc.openapi, '3.0.3');
    // Validates against the OpenAPI 3.0 schema (throws with the first problem).
    await t.resolves(SwaggerParser.validate(structuredClone(doc)), `${name}: a valid OpenAPI 3 document`);
    const ops: Array<{ id: string; method: string; path: string; op: Record<string, any> }> = [];
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
      for (const [method, op] of Object.entries(item)) ops.push({ id: op.operationId, method, path, op });
    }
    for (const id of expectedIds[name]) t.ok(ops.some((o) => o.id === id), `${name}: operationId ${id}`);
    for (const { method, path, op } of ops) {
      const label = `${method.toUpperCase()} ${path}`;
      t.ok(op.responses && Object.keys(op.responses).length > 0, `${label}: responses described`);
      const success = Object.entries(op.responses as Record<string, any>).find(([code]) => /^2/.test(code));
      t.ok(success, `${label}: a success response`);
      t.ok(op.responses['4XX'] ?? op.responses['400'] ?? op.responses['401'] ?? op.responses['404'], `${label}: error responses`);
      const hasInput = Boolean(op.requestBody) || (op.parameters?.length ?? 0) > 0;
      const needsInput = ['post', 'patch', 'put'].includes(method) || path.includes('{');
      if (needsInput) t.ok(hasInput, `${label}: request schema`);
    }
  }
});
