/**
 * @module system/report
 * The backtest report: what a run did, in exact money. `deterministic` holds everything that depends only on
 * data, parameters and seed (byte-identical across runs); `performance` holds wall-clock figures.
 */
import type { RunStats } from '../engine/index.js'
import { exposure, maxDrawdown, returnRatios } from '../ledger/index.js'

import { ZERO } from '../model/index.js'
import type { Trader } from './trader.js'

export type { BacktestReport, ReportMeta } from './report-types.js'
import type { BacktestReport, ReportMeta } from './report-types.js'

export interface RunPerformance {
  readonly elapsedMs: number
  readonly eventsPerSecond: number
  readonly peakRssMb: number
}

/**
 * Returns below which Sharpe and Sortino are not reported: annualizing a handful of samples (a 5-second paper
 * session) gives figures like −1363 that mean nothing.
 */
export const MIN_RATIO_SAMPLES = 30

const round = (x: number, digits = 6): number => (Number.isFinite(x) ? Number(x.toFixed(digits)) : 0)

export function buildReport(trader: Trader, stats: RunStats, meta: ReportMeta): BacktestReport {
  const ledger = trader.ledger
  // Throws InvariantViolation when the books do not balance to the last decimal.
  ledger.verify()
  const currency = ledger.reportingCurrency
  const curve = ledger.equityCurve()
  const totals = ledger.totals({ quote: currency })
  const pnl = trader.pnl()
  const first = curve[0]
  const last = curve[curve.length - 1]
  const dd = maxDrawdown(curve)
  const ratios = curve.length > MIN_RATIO_SAMPLES ? returnRatios(curve) : undefined
  const c = trader.orders.counters
  return {
    strategies: meta.strategies,
    data: meta.data,
    seed: meta.seed ?? null,
    currency,
    from: stats.firstTimestamp === undefined ? null : new Date(stats.firstTimestamp).toISOString(),
    to: stats.lastTimestamp === undefined ? null : new Date(stats.lastTimestamp).toISOString(),
    events: stats.events,
    initialEquity: (first?.equity ?? ZERO).toString(),
    finalEquity: (last?.equity ?? ZERO).toString(),
    netPnl: pnl.net.toString(),
    realizedPnl: totals.realizedPnl.toString(),
    unrealizedPnl: pnl.unrealized.toString(),
    fees: totals.fees.toString(),
    volume: totals.volume.toString(),
    orders: { submitted: c.submitted, denied: c.denied, rejected: c.rejected, canceled: c.canceled, filled: c.filled },
    notTraded: notTraded(trader),
    stateChanges: trader.safety.stateChanges().map((e) => ({ at: new Date(e.at).toISOString(), what: e.what, cause: e.cause })),
    monitors: meta.monitors,
    fills: c.fills,
    closingFills: totals.closingFills,
    winRate: totals.closingFills === 0 ? 0 : round(totals.wins / totals.closingFills),
    sharpe: ratios === undefined ? null : round(ratios.sharpe),
    sortino: ratios === undefined ? null : round(ratios.sortino),
    maxDrawdown: dd.amount.toString(),
    maxDrawdownPct: round(dd.fraction * 100, 4),
    exposure: round(exposure(curve)),
    positions: ledger
      .positions()
      .filter((p) => !p.amount.isZero())
      .map((p) => ({
        venue: p.venue,
        symbol: p.symbol,
        amount: p.amount.toString(),
        averagePrice: p.averagePrice?.toSignificantDigits(12).toString() ?? null,
      })),
    balances: ledger.balances().map((b) => ({ venue: b.venue, asset: b.asset, initial: b.initial.toString(), total: b.total.toString() })),
    ledgerVerified: true,
  }
}

/** Venue rejections grouped by reason with its figures masked (`needed N, free N`), and risk denials by code. */
function notTraded(trader: Trader): BacktestReport['notTraded'] {
  const rejected: Record<string, number> = {}
  for (const [reason, n] of trader.orders.rejectionReasons()) {
    const key = reason.replace(/-?\d+(\.\d+)?(e[-+]?\d+)?/gi, 'N')
    rejected[key] = (rejected[key] ?? 0) + n
  }
  return { rejected, denied: Object.fromEntries(trader.orders.denialCodes()) }
}

export function runPerformance(stats: RunStats): RunPerformance {
  return {
    elapsedMs: round(stats.elapsedMs, 1),
    eventsPerSecond: stats.elapsedMs > 0 ? Math.round((stats.events * 1000) / stats.elapsedMs) : 0,
    peakRssMb: round(process.resourceUsage().maxRSS / 1024, 1),
  }
}
