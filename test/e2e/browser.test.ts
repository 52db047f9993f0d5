// A real browser (headless Chromium via playwright-core) against real listeners, memory store:
// (a) the server-rendered pages: sign in, log out by the home page's link, Back + reload stays out;
// (b) an SPA on a second origin signing in and out by credentialed CORS fetches through logoutd/client;
// (c) a logout link followed twice lands on a readable page both times (the graceful repeat).
// Screenshots of the key steps go to test-output/screenshots/ (git-ignored).

import t from 'tap';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import ts from 'typescript';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { buildApp } from '../../src/app.js';
import { DEMO_IDENTITY } from '../../src/identities/demo.js';
import { IDENTITY_STORAGE_KEY } from '../../src/client/index.js';
import { testConfig, PASSWORD } from '../helpers/app.js';

const SESSION_COOKIE = 'ory_kratos_session';
const SPA_EMAIL = 'spa@example.com';
const SHOTS = new URL('../../test-output/screenshots/', import.meta.url);
const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

const executablePath = [process.env.CHROMIUM_PATH, ...CHROMIUM_CANDIDATES].find((p): p is string => typeof p === 'string' && existsSync(p));

/**
 * The browser build of logoutd/client. The module has no imports, so stripping its types is the
 * whole build: the same file `npm run build` writes to dist/client/index.js, made fresh from source.
 */
function clientBundle(): string {
  const source = readFileSync(new URL('../../src/client/index.ts', import.meta.url), 'utf8');
  return ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 } }).outputText;
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const SPA_HTML = (logoutdBase: string): string => `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Example SPA</title>
  <meta name="logoutd-base-url" content="${escapeHtml(logoutdBase)}">
  <script type="module" src="/app.js"></script>
</head>
<body>
  <h1>Example SPA</h1>
  <p id="status">Loading…</p>
  <form id="login" hidden>
    <label>Email <input id="email" name="email" type="email" autocomplete="username"></label>
    <label>Password <input id="password" name="password" type="password" autocomplete="current-password"></label>
    <button id="sign-in" type="submit">Sign in</button>
  </form>
  <button id="log-out" type="button" hidden>Log out</button>
</body>
</html>`;

// The SPA itself, served as a file because the page's CSP forbids inline script.
const SPA_SCRIPT = `import { createAuthProvider } from './logoutd-client.js';

const baseUrl = document.querySelector('meta[name="logoutd-base-url"]').content;
const auth = createAuthProvider({ baseUrl, storage: window.localStorage });
const status = document.getElementById('status');
const form = document.getElementById('login');
const logoutButton = document.getElementById('log-out');

function show(identity) {
  status.textContent = identity ? 'Signed in as ' + identity.traits.email : 'Signed out';
  form.hidden = Boolean(identity);
  logoutButton.hidden = !identity;
}

async function refresh() {
  const check = await auth.check();
  show(check.authenticated ? await auth.getIdentity() : null);
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  status.textContent = 'Signing in…';
  const result = await auth.login({ email: form.email.value, password: form.password.value });
  if (!result.success) {
    status.textContent = 'Sign-in failed: ' + result.error.message;
    return;
  }
  await refresh();
});

logoutButton.addEventListener('click', async () => {
  status.textContent = 'Signing out…';
  const result = await auth.logout();
  show(null);
  if (!result.success) status.textContent = 'Signed out here; the server said: ' + result.error.message;
});

refresh();
`;

const GOODBYE_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Goodbye</title></head>
<body><h1 id="goodbye">Goodbye</h1><p>You have been signed out of the example app.</p></body></html>`;

const STALE_LINK_HTML = (href: string): string => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A saved logout link</title></head>
<body><p>A logout link saved earlier (an old tab, a bookmark, an e-mail):</p>
<p><a id="stale" href="${escapeHtml(href)}">Log out</a></p></body></html>`;

/** The second origin: the SPA, its script, the client bundle, and two plain pages. */
function spaServer(state: { logoutdBase: string; staleLink: string }): Server {
  const bundle = clientBundle();
  return createHttpServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://spa.invalid').pathname;
    const send = (type: string, body: string): void => {
      res.writeHead(200, {
        'content-type': `${type}; charset=utf-8`,
        'cache-control': 'no-store',
        // No inline script anywhere: the SPA works under the strict policy logoutd's own pages use.
        'content-security-policy': `default-src 'none'; script-src 'self'; connect-src ${state.logoutdBase}; form-action 'none'; base-uri 'none'`,
      });
      res.end(body);
    };
    if (path === '/') return send('text/html', SPA_HTML(state.logoutdBase));
    if (path === '/app.js') return send('text/javascript', SPA_SCRIPT);
    if (path === '/logoutd-client.js') return send('text/javascript', bundle);
    if (path === '/goodbye') return send('text/html', GOODBYE_HTML);
    if (path === '/stale-link') return send('text/html', STALE_LINK_HTML(state.staleLink));
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });
}

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: new URL(`${name}.png`, SHOTS).pathname, fullPage: true });
}

async function sessionCookie(context: BrowserContext): Promise<string | undefined> {
  return (await context.cookies()).find((c) => c.name === SESSION_COOKIE)?.value;
}

t.test('in a real browser', { skip: executablePath ? false : 'no Chromium found (set CHROMIUM_PATH)' }, async (t) => {
  mkdirSync(SHOTS, { recursive: true });

  const state = { logoutdBase: '', staleLink: 'about:blank' };
  const spa = spaServer(state);
  await new Promise<void>((resolve) => spa.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => spa.close(() => resolve())));
  const spaBase = `http://127.0.0.1:${(spa.address() as AddressInfo).port}`;

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  state.logoutdBase = base;
  const app = await buildApp(
    testConfig({
      // dev: the session cookie is not Secure, so it works on http://127.0.0.1.
      dev: true,
      serve: { public: { base_url: base, cors: { enabled: true, allowed_origins: [spaBase] } } },
      selfservice: {
        default_browser_return_url: `${base}/`,
        allowed_return_urls: [`${base}/`, `${spaBase}/`],
        // The home page's logout link carries no return_to, so its destination is this default: a page the test controls.
        flows: { logout: { after: { default_browser_return_url: `${spaBase}/goodbye` } } },
      },
    }),
  );
  t.teardown(() => app.close());
  await app.public.listen({ host: '127.0.0.1', port });
  await app.admin.listen({ host: '127.0.0.1', port: 0 });
  const adminBase = `http://127.0.0.1:${(app.admin.server.address() as AddressInfo).port}`;
  const created = await fetch(`${adminBase}/admin/identities`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ schema_id: 'default', traits: { email: SPA_EMAIL }, credentials: { password: { config: { password: PASSWORD } } } }),
  });
  t.equal(created.status, 201, 'an identity for the SPA, through the admin API');

  const browser: Browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
  t.teardown(() => browser.close());

  async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport: { width: 900, height: 700 } });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    return { context, page };
  }

  /** Signs in through the built-in pages, as a person would, with the demo identity. */
  async function signIn(page: Page): Promise<void> {
    await page.goto(`${base}/`);
    await page.click('#sign-in');
    await page.waitForURL(/\/login\?flow=/);
    await page.fill('input[name="identifier"]', DEMO_IDENTITY.email);
    await page.fill('input[name="password"]', DEMO_IDENTITY.password);
    await page.click('#login-form button[type="submit"]');
    await page.waitForURL(`${base}/`);
    await page.locator('#identity-email').waitFor();
  }

  t.test('(a) server-rendered: sign in, log out by the link, Back + reload stays signed out', async (t) => {
    const { context, page } = await newPage();
    t.teardown(() => context.close());

    await page.goto(`${base}/`);
    t.equal(await page.textContent('#signed-out-state'), 'You are not signed in.');
    await shot(page, 'a1-home-signed-out');

    await page.click('#sign-in');
    await page.waitForURL(/\/login\?flow=/);
    t.match(await page.textContent('#demo-credentials'), DEMO_IDENTITY.email, 'dev mode shows the demo account');
    await page.fill('input[name="identifier"]', DEMO_IDENTITY.email);
    await page.fill('input[name="password"]', DEMO_IDENTITY.password);
    await shot(page, 'a2-login-form');
    await page.click('#login-form button[type="submit"]');
    await page.waitForURL(`${base}/`);
    t.equal(await page.textContent('#identity-email'), DEMO_IDENTITY.email, 'the home page shows who is signed in');
    t.ok(await sessionCookie(context), 'the browser holds the session cookie');
    await shot(page, 'a3-home-signed-in');

    const href = (await page.getAttribute('#logout', 'href')) as string;
    t.match(href, new RegExp(`^${base}/self-service/logout\\?token=ory_lo_`), 'the link is a logout URL with a logout token');
    t.notMatch(href, /ory_st_/, 'never the session token');

    await page.click('#logout');
    await page.waitForURL(`${spaBase}/goodbye`);
    t.equal(await page.textContent('#goodbye'), 'Goodbye', 'arrived at the configured destination');
    t.equal(await sessionCookie(context), undefined, 'the session cookie is gone from the browser');
    await shot(page, 'a4-after-logout');

    await page.goBack();
    await page.reload();
    t.equal(new URL(page.url()).href, `${base}/`, 'back on the home page');
    t.equal(await page.textContent('#signed-out-state'), 'You are not signed in.', 'Back + reload does not bring the session back');
    t.equal(await page.locator('#identity-email').count(), 0);
    await shot(page, 'a5-back-and-reload');

    const whoami = await page.goto(`${base}/sessions/whoami`);
    t.equal(whoami?.status(), 401, 'whoami from the page is 401');
    t.equal(await sessionCookie(context), undefined);
  });

  t.test('(b) SPA on another origin: sign in and out by credentialed CORS fetches', async (t) => {
    const { context, page } = await newPage();
    t.teardown(() => context.close());
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });

    await page.goto(`${spaBase}/`);
    await page.locator('#status', { hasText: /^Signed out$/ }).waitFor();
    await shot(page, 'b1-spa-signed-out');

    await page.fill('#email', SPA_EMAIL);
    await page.fill('#password', 'not the password');
    await page.click('#sign-in');
    await page.locator('#status', { hasText: 'Sign-in failed' }).waitFor();
    t.match(await page.textContent('#status'), /credentials are invalid/, 'a failed login shows logoutd’s message');

    await page.fill('#password', PASSWORD);
    await page.click('#sign-in');
    await page.locator('#status', { hasText: 'Signed in as' }).waitFor();
    t.equal(await page.textContent('#status'), `Signed in as ${SPA_EMAIL}`);
    t.ok(await sessionCookie(context), 'logoutd set its cookie through the CORS response');
    t.match(JSON.parse((await page.evaluate((k) => localStorage.getItem(k), IDENTITY_STORAGE_KEY)) as string), { traits: { email: SPA_EMAIL } });
    await shot(page, 'b2-spa-signed-in');

    // A reload keeps the session: the cookie, not page state, is the truth.
    await page.reload();
    await page.locator('#status', { hasText: `Signed in as ${SPA_EMAIL}` }).waitFor();

    await page.click('#log-out');
    await page.locator('#status', { hasText: /^Signed out$/ }).waitFor();
    t.equal(await sessionCookie(context), undefined, 'the session cookie is cleared');
    t.equal(await page.evaluate((k) => localStorage.getItem(k), IDENTITY_STORAGE_KEY), null, 'local state is cleared');
    await shot(page, 'b3-spa-signed-out-again');

    const status = await page.evaluate(async (url) => (await fetch(`${url}/sessions/whoami`, { credentials: 'include', headers: { accept: 'application/json' } })).status, base);
    t.equal(status, 401, 'whoami from the SPA afterwards is 401');
    await page.reload();
    await page.locator('#status', { hasText: /^Signed out$/ }).waitFor();
    // The failed sign-in (400) and the signed-out checks (401) log their statuses; nothing else may.
    t.same(pageErrors.filter((m) => !/status of 40[01] /.test(m)), [], 'no script or CORS errors');
  });

  t.test('(c) a logout link followed twice lands on a readable page both times', async (t) => {
    const { context, page } = await newPage();
    t.teardown(() => context.close());
    await signIn(page);

    // A logout URL made for this session, with a return_to on the allow list, saved on another page.
    const flow = await context.request.get(`${base}/self-service/logout/browser?return_to=${encodeURIComponent(`${base}/signed-out`)}`, { headers: { accept: 'application/json' } });
    t.equal(flow.status(), 200);
    state.staleLink = ((await flow.json()) as { logout_url: string }).logout_url;

    for (const [i, what] of [[1, 'first click logs out'], [2, 'second click: the link is stale']] as const) {
      await page.goto(`${spaBase}/stale-link`);
      const landed = page.waitForResponse((r) => r.url() === `${base}/signed-out` && r.request().isNavigationRequest());
      await page.click('#stale');
      const response = await landed;
      await page.waitForURL(`${base}/signed-out`);
      t.equal(response.status(), 200, `${what}: the destination answered`);
      t.match(response.headers()['content-type'], /^text\/html/, `${what}: an HTML page`);
      t.equal(await page.textContent('#signed-out'), 'You are signed out', `${what}: a page a person can read`);
      t.notMatch((await page.textContent('body'))?.trim(), /^\{/, `${what}: not a JSON blob`);
      t.equal(await sessionCookie(context), undefined);
      await shot(page, `c${i}-logout-link-click-${i}`);
    }
    t.equal((await page.goto(`${base}/sessions/whoami`))?.status(), 401);
  });
});
