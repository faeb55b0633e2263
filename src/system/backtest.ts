/**
 * @module system/backtest
 * A backtest: recorded or synthetic data through the same trader as paper and live, on a simulated clock
 * (built by `buildSession`), and the report of a finished run.
 */
import type { RunStats } from '../engine/index.js'
import type { ReadStats } from '../data/index.js'
import { backtestRisk, buildSession } from './build-session.js'
import type { BacktestConfig, Session } from './build-session.js'
import { buildReport, runPerformance } from './report.js'
import type { BacktestReport, RunPerformance } from './report.js'
import type { BacktestSeries, SeriesFill } from './report-types.js'
import { SYNTHETIC } from './session.js'
import { SeriesCandles } from './series-candles.js'
import type { Trader } from './trader.js'

export interface BacktestOptions extends Omit<BacktestConfig, 'kind'> {
  /** Also keep the equity curve and the fills for charts (`result.series`). */
  readonly series?: boolean
}

/** How many fills a run's series lists at most (a chart's worth; the report counts them all). */
export const MAX_SERIES_FILLS = 5_000

export interface BacktestResult {
  readonly report: BacktestReport
  readonly performance: RunPerformance
  /** Read counters per file (bad rows skipped with --skip-bad-rows are reported here). */
  readonly dataStats: readonly { readonly path: string; readonly stats: ReadStats }[]
  readonly trader: Trader
  /** With `series`: the equity curve and the fills. */
  readonly series?: BacktestSeries
}

export async function runBacktest(options: BacktestOptions): Promise<BacktestResult> {
  const { series, ...config } = options
  const session = await buildSession({ kind: 'backtest', ...config })
  const fills: SeriesFill[] = []
  let fillsLeftOut = 0
  const candles = series === true ? new SeriesCandles() : undefined
  if (candles !== undefined) {
    session.subscribe('market', (e) => candles.add(e))
    session.subscribe('fill', ({ order, trade }) => {
      if (fills.length >= MAX_SERIES_FILLS) fillsLeftOut++
      else fills.push({ t: trade.timestamp, strategyId: order.strategyId, venue: trade.venue, symbol: trade.symbol, side: trade.side, price: trade.price.toString(), amount: trade.amount.toString() })
    })
  }
  const { stats } = await session.start()
  const result = resultOf(session, stats, { seed: options.seed, monitors: Object.keys(backtestRisk(options).monitors) })
  if (candles === undefined) return result
  const ledger = session.trader.ledger
  const equity = ledger.equityCurve().map((p) => ({ t: p.timestamp, equity: p.equity.toString(), drawdown: p.drawdown.toString() }))
  return { ...result, series: { currency: ledger.reportingCurrency, equity, fills, fillsLeftOut, markets: candles.list() } }
}

/** The report of a finished backtest or paper session: what ran, on what data, and how it did. */
export function resultOf(session: Session, stats: RunStats, o: { readonly seed: number | undefined; readonly monitors: readonly string[] }): BacktestResult {
  const { trader, specs } = session
  const files = session.market?.files ?? []
  const report = buildReport(trader, stats, {
    strategies: trader.runners.map((r, i) => {
      const spec = specs[i]!
      return { id: r.strategy.id, name: spec.name, params: { ...spec.params }, ...(spec.version !== undefined ? { version: spec.version } : {}) }
    }),
    data: files.length > 0 ? files.map((f) => f.info.path) : [SYNTHETIC],
    seed: o.seed,
    monitors: [...o.monitors].sort(),
  })
  return {
    report,
    performance: runPerformance(stats),
    dataStats: files.map((f) => ({ path: f.info.path, stats: f.stats })),
    trader,
  }
}
