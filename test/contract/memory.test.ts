// The storage contract against the in-process memory store, on a virtual clock (no sleeping).

import t from 'tap';
import { createMemoryStore } from '../../src/store/memory-store.js';
import { runStoreContract } from './store-contract.js';

runStoreContract(t, 'memory', async () => {
  let now = 0;
  const store = createMemoryStore({ maxEntries: 10_000, clock: () => now });
  return {
    store,
    clock: {
      set: (ms) => void (now = ms),
      advance: (ms) => void (now += ms),
    },
    cleanup: () => store.close(),
  };
});
