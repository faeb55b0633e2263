/**
 * @module api/session
 * The session a server hosts, with the trader handed out before it trades so the API can serve it:
 *
 * - `openPaperSession`: the same wiring as `sofia paper` (synthetic market on the wall clock, demo
 *   strategies, store, risk settings, KILL_SWITCH file);
 * - `openExchangeSession`: the session of `sofia run --mode paper|shadow|canary|live|testnet` on an
 *   exchange's feed behind the mode router, with its deployment control (router status, rollback to shadow,
 *   feed restart) for the deployment routes.
 */
import { WallClock } from '../engine/index.js'
import type { RunStats } from '../engine/index.js'
import type { Store } from '../store/index.js'
import { DEMO_STRATEGIES, MarketRecorder, SYNTHETIC, Trader, createStrategies, openMarket, runExchangeSession, strategyParamsOf } from '../system/index.js'
import type { ExchangeSession, ExchangeSessionOptions, ExchangeSessionResult, RiskSettings, StrategySpec, TraderOptions } from '../system/index.js'
import type { DeploymentControl } from './deps.js'

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

/** A session the server hosts: built, then `run()` until `stop()`. */
export interface HostedSession {
  readonly trader: Trader
  readonly startedAt: number
  /** Whether the engine is running. */
  running(): boolean
  /** Starts trading; resolves when the session has stopped. */
  run(): Promise<RunStats>
  /** Ends the market feed: the engine stops its components and `run()` resolves. */
  stop(): void
  /** Stops the session, started or not, and waits until it has let go of everything it holds. */
  close(): Promise<void>
  /** The trading mode now (an exchange session's changes while it runs: `sofia shadow promote|rollback`). */
  mode(): string
  /** The deployment and feed of a session on an exchange; absent on the synthetic market. */
  readonly deployment?: DeploymentControl
  /** The exchange session itself (mode router, CCXT adapter and feed, operator commands). */
  readonly exchange?: ExchangeSession
}

export type PaperSession = HostedSession

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
  let running: Promise<RunStats> | undefined
  return {
    trader,
    startedAt: Date.now(),
    running: () => state === 'running',
    mode: () => 'paper',
    run: async () => {
      state = 'running'
      running = trader.run(market.source)
      try {
        return await running
      } finally {
        state = 'stopped'
      }
    },
    stop: () => controller.abort(),
    close: async () => {
      controller.abort()
      await running?.catch(() => undefined)
    },
  }
}

/** `runExchangeSession`'s options but the signal (the hosted session's `stop()`) and `onReady`. */
export type ExchangeHostOptions = Omit<ExchangeSessionOptions, 'signal' | 'onReady'>

/**
 * Starts the exchange session of `options` in the background and resolves once it is built (connected,
 * ledger recovered, mode router in place) and waiting for `run()`: the resync with the exchange and the
 * first order come after. A failure before that (unreachable exchange, refused keys, unknown symbol,
 * a mode that needs keys) rejects with the same error `sofia run` reports.
 */
export async function openExchangeSession(options: ExchangeHostOptions): Promise<HostedSession> {
  const controller = new AbortController()
  let go!: () => void
  const started = new Promise<void>((resolve) => (go = resolve))
  let ready!: (session: ExchangeSession) => void
  const built = new Promise<ExchangeSession>((resolve) => (ready = resolve))
  const result: Promise<ExchangeSessionResult> = runExchangeSession({
    ...options,
    signal: controller.signal,
    onReady: async (s) => {
      ready(s)
      await started
    },
  })
  // Until run() hands it on, a late failure must not go unhandled (close() and run() report it).
  result.catch(() => undefined)
  const session = await Promise.race([
    built,
    result.then(() => {
      throw new Error('the exchange session ended before it was ready')
    }),
  ])
  const { trader, router, feed } = session
  const startedAt = Date.now()
  let state: 'ready' | 'running' | 'stopped' = 'ready'
  const deployment: DeploymentControl = {
    status: () => ({ ...router.status() }),
    rollback: (reason, actor) => session.command('shadow.rollback', { reason }, actor),
    restartFeed: async (actor) => {
      const r = await feed.restart()
      if (!r.restarted) return { ...r, events: feed.events }
      trader.persistence?.audit('feed.restarted', actor, { venue: router.id, ...r })
      options.onAlert?.(`${router.id}: feed restarted by ${actor} (${r.streams} streams dropped, ${r.reconnects} reconnects so far)`)
      return { ...r, events: feed.events }
    },
  }
  return {
    trader,
    startedAt,
    running: () => state === 'running',
    mode: () => router.mode,
    deployment,
    exchange: session,
    run: async () => {
      state = 'running'
      go()
      try {
        await result
        return { events: feed.events, firstTimestamp: undefined, lastTimestamp: undefined, elapsedMs: Date.now() - startedAt, interrupted: controller.signal.aborted }
      } finally {
        state = 'stopped'
      }
    },
    stop: () => controller.abort(),
    close: async () => {
      controller.abort()
      go()
      await result.catch(() => undefined)
    },
  }
}
