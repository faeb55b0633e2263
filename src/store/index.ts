/**
 * @module store
 * Persistence: the Store port, its SQLite, PostgreSQL and memory implementations, migrations and `openStore`.
 */
export { STORE_KINDS } from './store.js'
export type {
  StoreKind,
  Store,
  StoredOrder,
  StoredFill,
  StoredDeposit,
  StoredStrategyVersion,
  StoredReport,
  StoredAuditRecord,
  WriteBatch,
  FillFilter,
  AuditRange,
} from './store.js'
export { openStore } from './open-store.js'
export type { OpenStoreOptions } from './open-store.js'
export { SqliteStore } from './sqlite-store.js'
export type { SqliteStoreOptions } from './sqlite-store.js'
export { sqliteWorker } from './sqlite-worker.js'
export type { SqliteWorker } from './sqlite-worker.js'
export { PostgresStore, safePostgresUrl } from './postgres-store.js'
export type { PostgresStoreOptions } from './postgres-store.js'
export { MemoryStore } from './memory-store.js'
export { MIGRATIONS, latestVersion, pendingMigrations } from './migrations.js'
export type { Migration } from './migrations.js'
export { fillTrade } from './fill-trade.js'
export type { FillDecimals } from './fill-trade.js'
export { STORE_IDENTITY_KEY, RESTORE_EPOCH_KEY, storeIdentity, advanceRestoreEpoch } from './identity.js'
export type { StoreIdentity } from './identity.js'
export { orderTerms, toStoredFill, toStoredOrder } from './from-model.js'
export type { OrderTerms } from './from-model.js'
