/**
 * @module system/paper
 * A paper-trading session: the synthetic market (or a recorded one) on the wall clock, the same trader as a
 * backtest, a status snapshot on demand and the same report at the end.
 */
import { WallClock } from '../engine/index.js'
import type { Decimal } from '../model/index.js'
import { buildReport, runPerformance } from './report.js'
import type { BacktestResult } from './backtest.js'
import { createStrategies, openMarket, SYNTHETIC } from './session.js'
import type { MarketOptions, StrategySpec } from './session.js'
import { Trader } from './trader.js'
import { strategyParamsOf } from './session-config.js'
import { MarketRecorder } from './market-recorder.js'
import type { RecoverySummary } from './recovery.js'
import type { TraderOptions } from './session-config.js'
import { DEFAULT_RISK } from './risk-setup.js'
import type { RiskSettings } from './risk-setup.js'
import type { Store } from '../store/index.js'

/** The demo line-up for `npm start`: each built-in strategy on its own market of the synthetic venues. */
export const DEMO_STRATEGIES: readonly StrategySpec[] = [
  { name: 'sma-cross', params: { venue: 'alpha', symbol: 'BTC/USDT', fast: '3', slow: '8', timeframe: '2s', amount: '0.05' } },
  { name: 'cross-venue-arb', params: { symbol: 'ETH/USDT', venueA: 'alpha', venueB: 'beta', amount: '1', minEdgeBps: '0' } },
  { name: 'market-maker', params: { venue: 'beta', symbol: 'SOL/USDT', amount: '5', spreadBps: '6', skewBps: '2' } },
]

export interface PaperOptions extends Omit<MarketOptions, 'paced' | 'signal' | 'data'> {
  readonly data?: readonly string[]
  readonly strategies?: readonly StrategySpec[]
  readonly signal: AbortSignal
  /** Synthetic market step on the wall clock (default 100 ms). */
  readonly stepMs?: number
  readonly latencyMs?: number
  /** Called every `statusEveryMs` with a fresh status. */
  readonly onStatus?: (status: PaperStatus) => void
  readonly statusEveryMs?: number
  /** Where the session is recorded and recovered from. */
  readonly store?: Store
  /** Called once the trader is built, before recovery is reported and before the first event. */
  readonly onTrader?: (trader: Trader) => void
  /** Called once recovery is done, before the first event. */
  readonly onRecovered?: (summary: RecoverySummary) => void
  readonly riskSettings?: RiskSettings
  readonly positionOverride?: TraderOptions['positionOverride']
  readonly killFile?: string
  readonly onAlert?: (line: string) => void
  /** Where the market data the session sees is recorded (`<data-dir>/market`, for `sofia replay`); none without it. */
  readonly marketDir?: string
}

export interface PaperStatus {
  readonly elapsedMs: number
  readonly events: number
  readonly currency: string
  readonly netPnl: Decimal
  readonly fees: Decimal
  readonly positions: readonly { venue: string; symbol: string; amount: string }[]
  readonly openOrders: number
  readonly fills: number
}

export function paperStatus(trader: Trader, startedAt: number, events: number): PaperStatus {
  const ledger = trader.ledger
  const currency = ledger.reportingCurrency
  const pnl = trader.pnl()
  return {
    elapsedMs: Date.now() - startedAt,
    events,
    currency,
    netPnl: pnl.net,
    fees: pnl.fees,
    positions: ledger
      .strategyPositions()
      .filter((p) => !p.amount.isZero())
      .map((p) => ({ venue: p.venue, symbol: p.symbol, amount: p.amount.toString() })),
    openOrders: trader.orders.openOrders().length,
    fills: trader.orders.counters.fills,
  }
}

export async function runPaper(options: PaperOptions): Promise<BacktestResult> {
  const specs = options.strategies ?? DEMO_STRATEGIES
  const strategies = createStrategies(specs)
  const market = await openMarket({
    ...options,
    data: options.data ?? [SYNTHETIC],
    paced: true,
    signal: options.signal,
    syntheticStepMs: options.stepMs ?? 100,
  })
  const trader = await Trader.create({
    clock: new WallClock(),
    venues: market.venues,
    strategies,
    reportingCurrency: market.reportingCurrency,
    equitySampleMs: 1_000,
    latencyMs: options.latencyMs ?? 20,
    mode: 'paper',
    flushIntervalMs: 200,
    strategyParams: strategyParamsOf(strategies, specs),
    ...(options.riskSettings !== undefined ? { riskSettings: options.riskSettings } : {}),
    ...(options.positionOverride !== undefined ? { positionOverride: options.positionOverride } : {}),
    ...(options.killFile !== undefined ? { killFile: options.killFile } : {}),
    ...(options.onAlert !== undefined ? { onAlert: options.onAlert } : {}),
    ...(options.store !== undefined ? { store: options.store } : {}),
  })
  if (options.marketDir !== undefined) MarketRecorder.attach(trader, options.marketDir, options.onAlert)
  options.onTrader?.(trader)
  options.onRecovered?.(trader.recovery)
  let events = 0
  trader.engine.bus.on('market', () => {
    events++
  })
  const startedAt = Date.now()
  const timer =
    options.onStatus === undefined
      ? undefined
      : setInterval(() => options.onStatus!(paperStatus(trader, startedAt, events)), options.statusEveryMs ?? 1_000)
  try {
    const stats = await trader.run(market.source)
    const report = buildReport(trader, stats, {
      strategies: strategies.map((s, i) => ({ id: s.id, name: specs[i]!.name, params: { ...specs[i]!.params } })),
      data: market.files.length > 0 ? market.files.map((f) => f.info.path) : [SYNTHETIC],
      seed: options.seed,
      monitors: Object.keys((options.riskSettings ?? DEFAULT_RISK).monitors).sort(),
    })
    return {
      report,
      performance: runPerformance(stats),
      dataStats: market.files.map((f) => ({ path: f.info.path, stats: f.stats })),
      trader,
    }
  } finally {
    if (timer !== undefined) clearInterval(timer)
  }
}
