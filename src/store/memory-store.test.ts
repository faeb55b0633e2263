/**
 * @module store/memory-store.test
 * The store contract against the in-memory store.
 */
import { MemoryStore } from './memory-store.js'
import { storeContract } from './store.contract.js'

storeContract('memory', () => Promise.resolve(new MemoryStore()))
