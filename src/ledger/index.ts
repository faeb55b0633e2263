/**
 * @module ledger
 * Balances, average-cost positions, realized/unrealized P&L, fees, attribution per strategy, the equity curve
 * and performance statistics. The ledger is the one owner of positions and balances.
 */
export { Ledger } from './ledger.js'
export type {
  LedgerOptions,
  PositionSnapshot,
  BookEstimate,
  Totals,
  TotalsFilter,
  BalanceEntry,
  ClosedTrade,
  UnvaluedBalance,
  EquityValuation,
  AccountIdentity,
  BalanceIdentity,
} from './ledger.js'
export { COST_REMOVAL_DECIMALS } from './position-book.js'
export { EquityCurve, DEFAULT_MAX_EQUITY_POINTS } from './equity-curve.js'
export type { EquityPoint } from './equity-curve.js'
export {
  MS_PER_YEAR,
  sampleReturns,
  meanPeriodMs,
  totalReturn,
  sharpeRatio,
  sortinoRatio,
  returnRatios,
  maxDrawdown,
  exposure,
  tradeOutcomes,
  winRate,
  profitFactor,
  summarizePerformance,
} from './performance.js'
export type {
  EquitySample,
  ExposureSample,
  TradeOutcomes,
  DrawdownStats,
  PerformanceSummary,
} from './performance.js'
