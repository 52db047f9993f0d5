// Compile-time proof that createAuthProvider fits refine's AuthProvider type (SPEC §11, §12.10):
// `npm run typecheck` covers this file, so a shape that drifts from @refinedev/core fails the build.
// At run time it only checks that the methods refine calls are there.

import t from 'tap';
import type { AuthProvider, CheckResponse, OnErrorResponse, AuthActionResponse } from '@refinedev/core';
import { createAuthProvider, memoryStorage } from '../../src/client/index.js';

const provider: AuthProvider = createAuthProvider({ baseUrl: 'http://127.0.0.1:4433', loginPath: '/login', storage: memoryStorage() });

// Each result type on its own too, so an error message points at the method that drifted.
type Resolved<T> = T extends (...args: never[]) => Promise<infer R> ? R : never;
const ours = createAuthProvider({ baseUrl: 'http://127.0.0.1:4433' });
export const shapes: {
  login: AuthActionResponse;
  logout: AuthActionResponse;
  check: CheckResponse;
  onError: OnErrorResponse;
} = {} as {
  login: Resolved<typeof ours.login>;
  logout: Resolved<typeof ours.logout>;
  check: Resolved<typeof ours.check>;
  onError: Resolved<typeof ours.onError>;
};

t.test('the auth provider has the methods refine calls', async (t) => {
  for (const name of ['login', 'logout', 'check', 'onError', 'getIdentity'] as const) t.type(provider[name], 'function', name);
  t.same(await provider.onError({ statusCode: 401 }), { logout: true, redirectTo: '/login' });
});
