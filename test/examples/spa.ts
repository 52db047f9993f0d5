// An SPA (here with refine) signs in and out through logoutd with the bundled client. In an app,
// import from 'logoutd/client'. Run by test/examples/examples.test.ts.
import { createAuthProvider } from '../../src/client/index.js';

export function makeAuthProvider(logoutdUrl: string, fetchImpl?: typeof fetch) {
  // <Refine authProvider={authProvider} …>: login, logout, check, onError and getIdentity.
  return createAuthProvider({ baseUrl: logoutdUrl, loginPath: '/login', ...(fetchImpl ? { fetch: fetchImpl } : {}) });
}
