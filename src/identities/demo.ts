// The demo identity created at start in dev mode only, and shown on the login page, so that a
// newcomer can sign in and out within a minute of `npm start`.

import type { Identities } from './identities.js';
import { HttpError } from '../errors/http-error.js';

export const DEMO_IDENTITY = { email: 'demo@logoutd.dev', password: 'logoutd-demo-password' } as const;

export async function ensureDemoIdentity(identities: Identities): Promise<void> {
  try {
    await identities.create({
      schema_id: 'default',
      traits: { email: DEMO_IDENTITY.email, name: 'Demo User' },
      credentials: { password: { config: { password: DEMO_IDENTITY.password } } },
    });
  } catch (err) {
    // Already there (a shared Redis, or a restart): fine.
    if (!(err instanceof HttpError && err.statusCode === 409)) throw err;
  }
}
