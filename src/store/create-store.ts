// The only file that knows both store implementations: chooses one from config.

import type { Config } from '../config/schema.js';
import type { Store } from './store.js';
import { createMemoryStore } from './memory-store.js';

export async function createStore(config: Config['store'], options: { clock: () => number }): Promise<Store> {
  if (config.kind === 'memory') return createMemoryStore({ maxEntries: config.memory.max_entries, clock: options.clock });
  // Loaded only when chosen, so the embedded store starts without loading ioredis.
  const { createRedisStore } = await import('./redis-store.js');
  return createRedisStore({
    url: config.redis.url,
    sentinels: config.redis.sentinels,
    sentinelName: config.redis.sentinel_name,
    clusterNodes: config.redis.cluster_nodes,
    keyPrefix: config.redis.key_prefix,
  });
}
