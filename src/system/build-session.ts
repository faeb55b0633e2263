/**
 * @module system/build-session
 * The one place a session is assembled. `buildSession(config)` takes a `SessionConfig` — a backtest on a
 * simulated clock, paper trading on the wall clock (the synthetic market or recorded data), or a session on an
 * exchange's feed behind the mode router — and returns the same `Session` façade for each: `start()` trades
 * until the data ends or `stop()`, `status()`, `subscribe()` to the engine's events, and `execute()` an
 * operator command the way the control channel and the API do. `sofia backtest`, `sofia paper`, `sofia run`,
 * `sofia serve` (through the desk), sweeps and the tests all build their session here.
 */
import { SimulatedClock, WallClock } from '../engine/index.js'
import type { EngineEvents, RunStats } from '../engine/index.js'
import type { Decimal } from '../model/index.js'
import type { Store } from '../store/index.js'
import type { CommandOutcome } from './command-results.js'
import type { ControlCommand, ControlRequest } from './control.js'
import { runExchangeSession } from './exchange-session.js'
import type { ExchangeSession, ExchangeSessionOptions, ExchangeSessionResult } from './exchange-session.js'
import { MarketRecorder } from './market-recorder.js'
import { DEFAULT_RISK, withoutMonitors } from './risk-setup.js'
import type { RiskSettings } from './risk-setup.js'
import { sessionGuards, strategyParamsOf } from './session-config.js'
import type { TraderOptions } from './session-config.js'
import { SYNTHETIC, createStrategies, dataTimeframe, openMarket, withDataTimeframe } from './session.js'
import type { MarketOptions, MarketSetup, StrategySpec } from './session.js'
import { Trader } from './trader.js'

/** The demo line-up for `npm start`: each built-in strategy on its own market of the synthetic venues. */
export const DEMO_STRATEGIES: readonly StrategySpec[] = [
  { name: 'sma-cross', params: { venue: 'alpha', symbol: 'BTC/USDT', fast: '3', slow: '8', timeframe: '2s', amount: '0.05' } },
  { name: 'cross-venue-arb', params: { symbol: 'ETH/USDT', venueA: 'alpha', venueB: 'beta', amount: '1', minEdgeBps: '0' } },
  { name: 'market-maker', params: { venue: 'beta', symbol: 'SOL/USDT', amount: '5', spreadBps: '6', skewBps: '2' } },
]

/** A backtest: recorded or synthetic data through the same trader as paper and live, on a simulated clock. */
export interface BacktestConfig extends MarketOptions {
  readonly kind: 'backtest'
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

/** Paper trading on the wall clock: the synthetic market (default) or recorded data, paced. */
export interface PaperConfig extends Omit<MarketOptions, 'paced' | 'signal' | 'data'> {
  readonly kind: 'paper'
  /** Default: the synthetic market. */
  readonly data?: readonly string[]
  /** Default: DEMO_STRATEGIES. */
  readonly strategies?: readonly StrategySpec[]
  /** Synthetic market step on the wall clock (default 100 ms). */
  readonly stepMs?: number
  readonly latencyMs?: number
  /** Where the session is recorded and recovered from. */
  readonly store?: Store
  readonly riskSettings?: RiskSettings
  readonly positionOverride?: TraderOptions['positionOverride']
  readonly killFile?: string
  readonly onAlert?: (line: string) => void
  /** Where the market data the session sees is recorded (`<data-dir>/market`, for `sofia replay`); none without it. */
  readonly marketDir?: string
}

/** A session on an exchange's feed: paper, shadow, canary, live or testnet (see `runExchangeSession`). */
export interface ExchangeConfig extends Omit<ExchangeSessionOptions, 'signal' | 'onReady'> {
  readonly kind: 'exchange'
}

export type SessionConfig = BacktestConfig | PaperConfig | ExchangeConfig
export type SessionKind = SessionConfig['kind']

/** How a started session ended. */
export interface SessionOutcome {
  readonly stats: RunStats
  /** A session on an exchange: the router's last status, the startup resync and the final P&L. */
  readonly exchange?: ExchangeSessionResult
}

/** A snapshot of a session for its operator (`sofia paper`'s status line, the API). */
export interface SessionStatus {
  readonly elapsedMs: number
  readonly events: number
  readonly currency: string
  readonly netPnl: Decimal
  readonly fees: Decimal
  readonly positions: readonly { venue: string; symbol: string; amount: string }[]
  readonly openOrders: number
  readonly fills: number
}

/** The deployment and feed of a session on an exchange (the API's deployment routes). */
export interface DeploymentControl {
  /** The mode router's status: mode, canaryPercentage, shadowOrders, canarySkipped, legs with their P&L. */
  status(): Record<string, unknown>
  /** Back to shadow from canary or live (open orders cancelled, positions kept); refused otherwise. */
  rollback(reason: string, actor: string): Promise<{ readonly ok: boolean; readonly result?: unknown; readonly error?: string | undefined }>
  /** Drops and reconnects the exchange feed's websocket connections (audited `feed.restarted`). */
  restartFeed(actor: string): Promise<Record<string, unknown>>
}

/** A built session: the same façade whatever its kind. */
export interface Session {
  readonly kind: SessionKind
  readonly trader: Trader
  /** The strategies as given (name and parameters), in the order of `trader.strategies`. */
  readonly specs: readonly StrategySpec[]
  readonly startedAt: number
  /** The market a backtest or paper session reads (its files and their read counters); absent on an exchange. */
  readonly market?: MarketSetup
  /** The exchange session itself (mode router, CCXT adapter and feed); absent elsewhere. */
  readonly exchange?: ExchangeSession
  readonly deployment?: DeploymentControl
  /** The trading mode now (an exchange session's changes while it runs: `sofia shadow promote|rollback`). */
  mode(): string
  /** Whether the engine is running. */
  running(): boolean
  /** Starts trading; resolves when the session has stopped (the data ended, or `stop()`). */
  start(): Promise<SessionOutcome>
  /** Ends the session: the feed ends, the engine stops its components and `start()` resolves. */
  stop(): void
  /** Stops the session, started or not, and waits until it has let go of everything it holds. */
  close(): Promise<void>
  status(): SessionStatus
  /** Listens to one of the engine's topics (market events, orders, fills, …); returns the unsubscribe. */
  subscribe<K extends keyof EngineEvents>(topic: K, handler: (event: EngineEvents[K]) => void): () => void
  /** Runs an operator command as the control channel and the API do (parsed, checked, audited). */
  execute<C extends ControlCommand>(request: Pick<ControlRequest, 'args' | 'actor'> & { readonly command: C }): Promise<CommandOutcome<C>>
}

export async function buildSession(config: SessionConfig): Promise<Session> {
  switch (config.kind) {
    case 'backtest':
      return buildBacktest(config)
    case 'paper':
      return buildPaper(config)
    case 'exchange':
      return buildExchange(config)
  }
}

export function sessionStatus(trader: Trader, startedAt: number, events: number): SessionStatus {
  const ledger = trader.ledger
  const pnl = trader.pnl()
  return {
    elapsedMs: Date.now() - startedAt,
    events,
    currency: ledger.reportingCurrency,
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

type Parts = Pick<Session, 'kind' | 'trader' | 'specs' | 'market' | 'exchange' | 'deployment' | 'mode'>

/** The façade over a trader and how it runs: `run` trades once; `end` makes it stop; `events` counts what it saw. */
function facade(parts: Parts, run: () => Promise<SessionOutcome>, end: () => void, events: () => number, release?: () => Promise<void>): Session {
  const startedAt = Date.now()
  let state: 'ready' | 'running' | 'stopped' = 'ready'
  let running: Promise<SessionOutcome> | undefined
  const { trader } = parts
  return {
    ...parts,
    startedAt,
    running: () => state === 'running',
    start: async () => {
      if (running !== undefined) throw new Error('the session has already been started')
      state = 'running'
      running = run()
      try {
        return await running
      } finally {
        state = 'stopped'
      }
    },
    stop: end,
    close: async () => {
      end()
      await release?.()
      await running?.catch(() => undefined)
    },
    status: () => sessionStatus(trader, startedAt, events()),
    subscribe: (topic, handler) => trader.engine.bus.on(topic, handler),
    execute: (request) => trader.safety.executeAsync(request),
  }
}

async function buildBacktest(config: BacktestConfig): Promise<Session> {
  createStrategies(config.strategies) // bad parameters are refused before any data is read
  const market = await openMarket(config)
  const specs = withDataTimeframe(config.strategies, dataTimeframe(market))
  const strategies = createStrategies(specs)
  const clock = new SimulatedClock(0)
  const onLog = config.onLog
  const trader = await Trader.create({
    clock,
    venues: market.venues,
    strategies,
    reportingCurrency: market.reportingCurrency,
    equitySampleMs: config.equitySampleMs ?? 60_000,
    latencyMs: config.latencyMs ?? 0,
    mode: 'backtest',
    strategyParams: strategyParamsOf(strategies, specs),
    riskSettings: backtestRisk(config),
    ...(onLog !== undefined
      ? {
          onLog: (id: string, message: string) => onLog(`${new Date(clock.now()).toISOString()} ${id}: ${message}`),
          onAlert: (line: string) => onLog(`${new Date(clock.now()).toISOString()} ${line}`),
        }
      : {}),
    ...(config.positionOverride !== undefined ? { positionOverride: config.positionOverride } : {}),
    ...(config.store !== undefined ? { store: config.store } : {}),
    ...(config.slippageBps !== undefined ? { slippageBps: config.slippageBps } : {}),
  })
  // No listener on the hot path: a backtest's event count is known when it ends.
  let seen = 0
  const run = async (): Promise<SessionOutcome> => {
    const stats = await trader.run(market.source)
    seen = stats.events
    return { stats }
  }
  return facade({ kind: 'backtest', trader, specs, market, mode: () => 'backtest' }, run, () => trader.engine.stop(), () => seen)
}

/** A backtest's risk settings: the given ones, or no limits and no runtime monitors. */
export function backtestRisk(config: Pick<BacktestConfig, 'riskSettings'>): RiskSettings {
  return config.riskSettings ?? withoutMonitors(DEFAULT_RISK)
}

async function buildPaper(config: PaperConfig): Promise<Session> {
  const controller = new AbortController()
  const specs = config.strategies ?? DEMO_STRATEGIES
  const strategies = createStrategies(specs)
  const market = await openMarket({
    ...config,
    data: config.data ?? [SYNTHETIC],
    paced: true,
    signal: controller.signal,
    syntheticStepMs: config.stepMs ?? 100,
  })
  const trader = await Trader.create({
    clock: new WallClock(),
    venues: market.venues,
    strategies,
    strategyParams: strategyParamsOf(strategies, specs),
    reportingCurrency: market.reportingCurrency,
    equitySampleMs: 1_000,
    latencyMs: config.latencyMs ?? 20,
    mode: 'paper',
    flushIntervalMs: 200,
    ...sessionGuards(config),
  })
  if (config.marketDir !== undefined) MarketRecorder.attach(trader, config.marketDir, config.onAlert)
  let events = 0
  trader.engine.bus.on('market', () => {
    events++
  })
  const run = async (): Promise<SessionOutcome> => ({ stats: await trader.run(market.source) })
  return facade({ kind: 'paper', trader, specs, market, mode: () => 'paper' }, run, () => controller.abort(), () => events)
}

/**
 * Builds the exchange session of `config` in the background and resolves once it is built (connected, ledger
 * recovered, mode router in place) and waiting for `start()`: the resync with the exchange and the first order
 * come after. A failure before that (unreachable exchange, refused keys, unknown symbol, a mode that needs
 * keys) rejects with the same error `sofia run` reports.
 */
async function buildExchange(config: ExchangeConfig): Promise<Session> {
  const controller = new AbortController()
  let go!: () => void
  const started = new Promise<void>((resolve) => (go = resolve))
  let ready!: (session: ExchangeSession) => void
  const built = new Promise<ExchangeSession>((resolve) => (ready = resolve))
  const { kind: _kind, ...options } = config
  const result: Promise<ExchangeSessionResult> = runExchangeSession({
    ...options,
    signal: controller.signal,
    onReady: async (s) => {
      ready(s)
      await started
    },
  })
  // Until start() hands it on, a late failure must not go unhandled (close() and start() report it).
  result.catch(() => undefined)
  const session = await Promise.race([
    built,
    result.then(() => {
      throw new Error('the exchange session ended before it was ready')
    }),
  ])
  const { trader, router, feed } = session
  const startedAt = Date.now()
  const deployment: DeploymentControl = {
    status: () => ({ ...router.status() }),
    rollback: (reason, actor) => session.command('shadow.rollback', { reason }, actor),
    restartFeed: async (actor) => {
      const r = await feed.restart()
      if (!r.restarted) return { ...r, events: feed.events }
      trader.persistence?.audit('feed.restarted', actor, { venue: router.id, ...r })
      config.onAlert?.(`${router.id}: feed restarted by ${actor} (${r.streams} streams dropped, ${r.reconnects} reconnects so far)`)
      return { ...r, events: feed.events }
    },
  }
  const run = async (): Promise<SessionOutcome> => {
    go()
    const exchange = await result
    return {
      stats: { events: feed.events, firstTimestamp: undefined, lastTimestamp: undefined, elapsedMs: Date.now() - startedAt, interrupted: controller.signal.aborted },
      exchange,
    }
  }
  const release = async (): Promise<void> => {
    go()
    await result.catch(() => undefined)
  }
  const specs = Object.values(config.strategyParams ?? {})
  return facade({ kind: 'exchange', trader, specs, exchange: session, deployment, mode: () => router.mode }, run, () => controller.abort(), () => feed.events, release)
}
