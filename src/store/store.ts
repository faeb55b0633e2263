/**
 * @module store/store
 * The persistence port. Everything Sofia must not lose lives behind it: orders, fills, deposits, trading
 * state, intent sequences, strategy versions, the reports index and the audit chain. Two implementations
 * (SQLite, the embedded default; PostgreSQL for production) pass one contract suite; a memory store serves
 * backtests that need no file.
 *
 * Writes come in batches applied atomically (one transaction): a batch is either wholly durable or absent.
 * Money and amounts are decimal strings, never floats.
 */
import type { AuditRecord } from '../chain/record.js'
import type { HeadAnchor } from '../chain/anchor.js'
import type { OrderIdentity, OrderSide, OrderState } from '../model/index.js'

export const STORE_KINDS = ['sqlite', 'postgres', 'memory'] as const
export type StoreKind = (typeof STORE_KINDS)[number]

export interface StoredOrder extends OrderIdentity {
  readonly amount: string
  readonly price: string | null
  readonly decisionPrice: string | null
  readonly state: OrderState
  readonly venueOrderId: string | null
  readonly filled: string
  readonly cost: string
  readonly reason: string | null
  readonly createdAt: number
  readonly updatedAt: number
  /** JSON of the order's options and tag (model/order-options), null for a plain order; absent in old rows. */
  readonly options?: string | null
}

export interface StoredFill {
  readonly venue: string
  /** Venue trade id: (venue, tradeId) is unique. */
  readonly tradeId: string
  readonly clientOrderId: string
  readonly venueOrderId: string
  readonly strategyId: string
  readonly symbol: string
  readonly side: OrderSide
  readonly price: string
  readonly amount: string
  readonly cost: string
  readonly feeCost: string
  readonly feeCurrency: string
  readonly takerOrMaker: 'maker' | 'taker'
  readonly timestamp: number
}

/** A balance change that is not a fill: starting capital, transfers, withdrawals (negative). */
export interface StoredDeposit {
  readonly id: number | undefined
  readonly venue: string
  readonly asset: string
  readonly amount: string
  readonly ts: number
  readonly reason: string
}

export interface StoredStrategyVersion {
  readonly strategy: string
  readonly version: string
  readonly status: string
  readonly params: unknown
  readonly codeHash: string
  readonly artifact: unknown
  readonly validation: unknown
  readonly createdAt: number
}

export interface StoredReport {
  readonly kind: string
  readonly date: string
  readonly path: string
  readonly createdAt: number
  readonly summary: unknown
}

/** One atomic write. Orders and state are upserts; fills, deposits and audit records are inserts. */
export interface WriteBatch {
  readonly orders?: readonly StoredOrder[]
  /** A fill already stored (same venue and trade id) makes the whole batch fail with DuplicateFill. */
  readonly fills?: readonly StoredFill[]
  readonly deposits?: readonly Omit<StoredDeposit, 'id'>[]
  /** Key → JSON value; `null` deletes the key. */
  readonly state?: readonly { readonly key: string; readonly value: unknown }[]
  /** Next intent sequence per strategy (only ever raised). */
  readonly sequences?: readonly { readonly strategyId: string; readonly next: number }[]
  /** Must continue the stored chain: seq = head + 1, prevHash = head hash (else InvariantViolation). */
  readonly audit?: readonly AuditRecord[]
  readonly strategyVersions?: readonly StoredStrategyVersion[]
  readonly reports?: readonly StoredReport[]
}

export interface FillFilter {
  readonly venue?: string
  readonly strategyId?: string
  readonly symbol?: string
  /** timestamp >= since */
  readonly since?: number
  /** timestamp < until */
  readonly until?: number
}

export interface AuditRange {
  /** seq >= fromSeq */
  readonly fromSeq?: number
  /** seq <= toSeq (inclusive, unlike toTs) */
  readonly toSeq?: number
  /** ts >= fromTs */
  readonly fromTs?: number
  /** ts < toTs */
  readonly toTs?: number
}

/** An audit record as stored: with the exact canonical body text that was hashed. */
export interface StoredAuditRecord extends AuditRecord {
  readonly body: string
}

export interface Store {
  readonly kind: StoreKind
  /** Where the data lives, safe to print (a file path, or a URL without its password). */
  readonly location: string
  /**
   * Where this store's audit heads are signed and anchored (set by whoever opened it with a key); records
   * written without it are chained but not signed.
   */
  anchor?: HeadAnchor
  /**
   * Settles when a structural check running beside the caller's reads is done, rejecting with the one-line
   * error of a damaged file (SQLite opened with `backgroundIntegrity`); already settled otherwise.
   */
  readonly integrityChecked?: Promise<void>
  /** Applies a batch atomically. */
  write(batch: WriteBatch): Promise<void>
  /** The same, synchronously, where the driver allows it (SQLite, memory): lets backtests stay deterministic. */
  writeSync?(batch: WriteBatch): void
  loadOrders(filter?: { readonly openOnly?: boolean }): Promise<StoredOrder[]>
  /** Fills in (timestamp, insertion) order, in batches, without loading them all. */
  iterateFills(filter?: FillFilter, batchSize?: number): AsyncIterable<StoredFill[]>
  countFills(filter?: FillFilter): Promise<number>
  loadDeposits(): Promise<StoredDeposit[]>
  getState<T = unknown>(key: string): Promise<T | undefined>
  loadState(): Promise<Map<string, unknown>>
  loadSequences(): Promise<Map<string, number>>
  loadStrategyVersions(strategy?: string): Promise<StoredStrategyVersion[]>
  loadReports(kind?: string): Promise<StoredReport[]>
  auditHead(): Promise<{ readonly seq: number; readonly hash: string } | undefined>
  countAudit(): Promise<number>
  /** Audit records in seq order, in batches. */
  iterateAudit(range?: AuditRange, batchSize?: number): AsyncIterable<StoredAuditRecord[]>
  /** The chain's signed heads and key records (types `audit.checkpoint` and `audit.key`), in seq order. */
  auditAnchors(): Promise<StoredAuditRecord[]>
  /** Deletes every audit record with seq > `seq` and returns them (oldest first); for `audit restore`. */
  truncateAuditAfter(seq: number): Promise<StoredAuditRecord[]>
  /** The schema version the database is at. */
  schemaVersion(): Promise<number>
  close(): Promise<void>
}
