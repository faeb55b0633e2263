/**
 * @module reconcile
 * Reconciliation of Sofia's fills against the exchange's trade records (DESIGN §7): the pure core, the
 * report it returns, and readers for every source (CCXT trade files, audit-chain exports, the store, a
 * live venue), and the selection of what an account did on the exchange out of a multi-leg session's records.
 */
export { reconcile } from './reconcile.js'
export type { AmountMap, ReconcileOptions, TradeSource } from './reconcile.js'
export { DISCREPANCY_TYPES } from './report.js'
export type { Discrepancy, DiscrepancyType, LegSelection, MatchedBy, MatchedDifference, PositionLine, ReconciliationReport, SourceInfo } from './report.js'
export { moneyText, serializeTrade } from './trade-record.js'
export type { Money, SerializedTrade, TradeRecord } from './trade-record.js'
export { ExactSum, closeness } from './exact-compare.js'
export { FieldProblem, ccxtTrade } from './ccxt-trade.js'
export { readTradeFile } from './trade-file.js'
export type { TradeFileOptions } from './trade-file.js'
export { auditFillTrade, auditTrades, storeTrades, storedFillTrade, venueTrades } from './sources.js'
export { ExchangeLegs, canaryFillTrade } from './legs.js'
export type { AuditBatches, ExchangeLegsOptions } from './legs.js'
export type { TradeHistory, VenueTradesOptions } from './sources.js'
