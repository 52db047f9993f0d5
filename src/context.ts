// What route modules share: the resolved config and the services built from it once per app.
// Each route module takes the whole context but reads only what it needs.

import type { Config } from './config/schema.js';
import type { Store } from './store/store.js';
import type { SessionManager } from './sessions/manager.js';
import type { Identities } from './identities/identities.js';
import type { ReturnToPolicy } from './flows/return-to.js';
import type { RateLimiter } from './http/rate-limit.js';
import type { Metrics } from './metrics.js';

export interface AppContext {
  config: Config;
  store: Store;
  clock: () => number;
  sessions: SessionManager;
  identities: Identities;
  returnTo: ReturnToPolicy;
  rateLimiter: RateLimiter;
  version: string;
  metrics: Metrics;
}
