/**
 * @module api/session
 * The paper session a server hosts: the same wiring as `sofia paper` (synthetic market on the wall clock,
 * demo strategies, store, risk settings, KILL_SWITCH file) with the trader handed out before it runs, so
 * the API can serve it while it trades.
 */
import { WallClock } from '../engine/index.js'
import type { RunStats } from '../engine/index.js'
import type { Store } from '../store/index.js'
import { DEMO_STRATEGIES, MarketRecorder, SYNTHETIC, Trader, createStrategies, openMarket, strategyParamsOf } from '../system/index.js'
import type { RiskSettings, StrategySpec, TraderOptions } from '../system/index.js'

export interface PaperSessionOptions {
  readonly store: Store
  readonly riskSettings?: RiskSettings
  readonly killFile?: string
  readonly positionOverride?: TraderOptions['positionOverride']
  readonly onAlert?: (line: string) => void
  readonly strategies?: readonly StrategySpec[]
  readonly seed?: number
  /** Synthetic market step, ms (default 100). */
  readonly stepMs?: number
  readonly latencyMs?: number
  /** Where the market data the session sees is recorded (`<data-dir>/market`); none without it. */
  readonly marketDir?: string
}

export interface PaperSession {
  readonly trader: Trader
  readonly startedAt: number
  /** Whether the engine is running. */
  running(): boolean
  /** Starts trading; resolves when the session has stopped. */
  run(): Promise<RunStats>
  /** Ends the market feed: the engine stops its components and `run()` resolves. */
  stop(): void
}

export async function openPaperSession(options: PaperSessionOptions): Promise<PaperSession> {
  const controller = new AbortController()
  const specs = options.strategies ?? DEMO_STRATEGIES
  const market = await openMarket({
    data: [SYNTHETIC],
    paced: true,
    signal: controller.signal,
    syntheticStepMs: options.stepMs ?? 100,
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
  })
  const strategies = createStrategies(specs)
  const trader = await Trader.create({
    clock: new WallClock(),
    venues: market.venues,
    strategies,
    strategyParams: strategyParamsOf(strategies, specs),
    reportingCurrency: market.reportingCurrency,
    equitySampleMs: 1_000,
    latencyMs: options.latencyMs ?? 20,
    mode: 'paper',
    flushIntervalMs: 200,
    store: options.store,
    ...(options.riskSettings !== undefined ? { riskSettings: options.riskSettings } : {}),
    ...(options.positionOverride !== undefined ? { positionOverride: options.positionOverride } : {}),
    ...(options.killFile !== undefined ? { killFile: options.killFile } : {}),
    ...(options.onAlert !== undefined ? { onAlert: options.onAlert } : {}),
  })
  if (options.marketDir !== undefined) MarketRecorder.attach(trader, options.marketDir, options.onAlert)
  let state: 'ready' | 'running' | 'stopped' = 'ready'
  return {
    trader,
    startedAt: Date.now(),
    running: () => state === 'running',
    run: async () => {
      state = 'running'
      try {
        return await trader.run(market.source)
      } finally {
        state = 'stopped'
      }
    },
    stop: () => controller.abort(),
  }
}
