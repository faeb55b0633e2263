/**
 * @module system/backtest
 * A backtest: recorded or synthetic data through the same trader as paper and live, on a simulated clock.
 */
import { SimulatedClock } from '../engine/index.js'
import type { ReadStats } from '../data/index.js'
import { openMarket } from './session.js'
import type { MarketOptions, StrategySpec } from './session.js'
import { createStrategies, dataTimeframe, withDataTimeframe } from './session.js'
import { buildReport, runPerformance } from './report.js'
import type { BacktestReport, RunPerformance } from './report.js'
import { Trader } from './trader.js'
import { strategyParamsOf } from './session-config.js'
import type { TraderOptions } from './session-config.js'
import { DEFAULT_RISK, withoutMonitors } from './risk-setup.js'
import type { RiskSettings } from './risk-setup.js'
import type { Store } from '../store/index.js'

export interface BacktestOptions extends MarketOptions {
  readonly strategies: readonly StrategySpec[]
  readonly latencyMs?: number
  readonly slippageBps?: number
  readonly equitySampleMs?: number
  /** Records the run (orders, fills, audit chain); without it nothing is stored. */
  readonly store?: Store
  /** Strategies' `ctx.log` lines and alerts (a strategy halted by an error), with the simulated time. */
  readonly onLog?: (line: string) => void
  /** Default: no limits, and no runtime monitors (see `withoutMonitors`). */
  readonly riskSettings?: RiskSettings
  readonly positionOverride?: TraderOptions['positionOverride']
}

export interface BacktestResult {
  readonly report: BacktestReport
  readonly performance: RunPerformance
  /** Read counters per file (bad rows skipped with --skip-bad-rows are reported here). */
  readonly dataStats: readonly { readonly path: string; readonly stats: ReadStats }[]
  readonly trader: Trader
}

export async function runBacktest(options: BacktestOptions): Promise<BacktestResult> {
  createStrategies(options.strategies) // bad parameters are refused before any data is read
  const market = await openMarket(options)
  const specs = withDataTimeframe(options.strategies, dataTimeframe(market))
  const strategies = createStrategies(specs)
  const riskSettings = options.riskSettings ?? withoutMonitors(DEFAULT_RISK)
  const clock = new SimulatedClock(0)
  const trader = await Trader.create({
    clock,
    venues: market.venues,
    strategies,
    reportingCurrency: market.reportingCurrency,
    equitySampleMs: options.equitySampleMs ?? 60_000,
    latencyMs: options.latencyMs ?? 0,
    mode: 'backtest',
    strategyParams: strategyParamsOf(strategies, specs),
    riskSettings,
    ...(options.onLog !== undefined
      ? {
          onLog: (id: string, message: string) => options.onLog!(`${new Date(clock.now()).toISOString()} ${id}: ${message}`),
          onAlert: (line: string) => options.onLog!(`${new Date(clock.now()).toISOString()} ${line}`),
        }
      : {}),
    ...(options.positionOverride !== undefined ? { positionOverride: options.positionOverride } : {}),
    ...(options.store !== undefined ? { store: options.store } : {}),
    ...(options.slippageBps !== undefined ? { slippageBps: options.slippageBps } : {}),
  })
  const stats = await trader.run(market.source)
  const report = buildReport(trader, stats, {
    strategies: strategies.map((s, i) => ({ id: s.id, name: specs[i]!.name, params: { ...specs[i]!.params } })),
    data: market.files.length > 0 ? market.files.map((f) => f.info.path) : ['synthetic'],
    seed: options.seed,
    monitors: Object.keys(riskSettings.monitors).sort(),
  })
  return {
    report,
    performance: runPerformance(stats),
    dataStats: market.files.map((f) => ({ path: f.info.path, stats: f.stats })),
    trader,
  }
}
