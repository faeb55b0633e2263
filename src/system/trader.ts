/**
 * @module system/trader
 * The composition root of one trading session: wires market state, venues, the order manager with its risk
 * gateway, the ledger, the strategy runners and (optionally) persistence onto one engine. Backtest and paper
 * differ only in the clock and the market source handed in; the wiring below is the same.
 *
 * Subscription order on the bus is behaviour: market state first (so everyone sees the latest price), then
 * the venues (which match on the event), then the strategies; for fills, the ledger before persistence and
 * before the strategies.
 *
 * With a store, `Trader.create` first recovers (system/recovery): the ledger is rebuilt from the stored
 * deposits and fills, the (in-process) venues get the recovered balances and working orders back, the order
 * manager its sequences and orders, and the audit chain continues from the stored head. What a session is
 * made of is `TraderOptions` (system/session-config).
 */
import { AuditLog } from '../audit/index.js'
import { BarBuilder } from '../data/index.js'
import type { MarketSource, RunStats } from '../engine/index.js'
import { Engine, WallClock } from '../engine/index.js'
import { EMULATED_STATE_KEY, OrderManager } from '../execution/index.js'
import type { EmulatedOrder } from '../execution/index.js'
import type { Ledger } from '../ledger/index.js'
import type { Decimal, Instrument, MarketEvent } from '../model/index.js'
import { BadSymbol, ZERO, dec, roundPrice } from '../model/index.js'
import { INACTIVE, KillSwitch, RiskEngine, TradingStates, deny } from '../risk/index.js'
import type { KillSwitchEvent, KillSwitchState, PreTradeRisk, TradingStatesSnapshot } from '../risk/index.js'
import { SimulatedVenue } from '../venues/index.js'
import type { Venue } from '../venues/index.js'
import { MarketState } from '../strategy/market-state.js'
import { StrategyRunner } from '../strategy/runner.js'
import { ModeRouter } from '../execution/mode-router.js'
import { Persistence } from './persistence.js'
import type { StartingPeriods } from './account-periods.js'
import { prepare, preparedInMemory, restoreOrders } from './recovery.js'
import type { Prepared, RecoverySummary } from './recovery.js'
import { DEFAULT_RISK, buildBreakers, buildMonitors, withoutStaleness } from './risk-setup.js'
import { DAILY_BASELINE_KEY, EXCHANGE_LEG_TODAY_KEY, KILL_SWITCH_HISTORY_KEY, KILL_SWITCH_KEY, POSITION_OVERRIDE_KEY, Safety, TRADING_STATES_KEY, storedOr } from './safety.js'
import type { DailyBaseline } from './safety.js'
import { feedsOfParams } from './session-config.js'
import type { TraderOptions } from './session-config.js'
import { equitySampler, sessionRecorder } from './session-recorder.js'
import { strategyLines } from './strategy-lines.js'

export class Trader {
  readonly engine: Engine
  readonly market = new MarketState()
  readonly ledger: Ledger
  readonly orders: OrderManager
  readonly venues: readonly Venue[]
  readonly runners: readonly StrategyRunner[]
  readonly persistence: Persistence | undefined
  readonly recovery: RecoverySummary
  /** With `options.account`: whose account the ledger holds, over time, as the session started (system/account-periods). */
  readonly account: StartingPeriods | undefined
  readonly risk: RiskEngine
  readonly safety: Safety
  private readonly instrumentsByVenue = new Map<string, Map<string, Instrument>>()

  /** Builds a trader, recovering the session recorded in `options.store` when there is one. */
  static async create(options: TraderOptions): Promise<Trader> {
    return new Trader(options, await prepare(options))
  }

  /** A trader without a store (tests, quick runs). */
  static inMemory(options: Omit<TraderOptions, 'store'>): Trader {
    return new Trader(options, preparedInMemory(options))
  }

  private constructor(
    readonly options: TraderOptions,
    prepared: Prepared,
  ) {
    const { clock } = options
    const engine = (this.engine = new Engine(clock))
    const bus = engine.bus
    this.ledger = prepared.ledger
    const epoch = prepared.summary.epoch

    const venues: Venue[] = []
    for (const setup of options.venues) {
      this.instrumentsByVenue.set(setup.id, new Map(setup.instruments.map((i) => [i.symbol, i])))
      venues.push(
        setup.venue ??
        new SimulatedVenue({
          id: setup.id,
          clock,
          instruments: [...setup.instruments],
          balances: prepared.balances.get(setup.id) ?? {},
          ...(epoch > 1 ? { idPrefix: `${setup.id}-${epoch}-` } : {}),
          ...(options.latencyMs !== undefined ? { latencyMs: options.latencyMs } : {}),
          ...(options.slippageBps !== undefined ? { slippageBps: options.slippageBps } : {}),
        }),
      )
    }
    this.venues = venues
    const venueById = new Map<string, { onMarket(e: MarketEvent): void }>()
    for (const v of venues) if (hasOnMarket(v)) venueById.set(v.id, v)

    const market = this.market
    const ledger = this.ledger
    bus.on('market', (e: MarketEvent) => {
      market.update(e)
      venueById.get(e.venue)?.onMarket(e)
    })
    bus.on('fill', ({ order, trade }) => ledger.applyFill(trade, this.instrument(trade.venue, trade.symbol), order.strategyId))

    const settings = options.riskSettings ?? DEFAULT_RISK
    const state = prepared.state
    this.risk = new RiskEngine(settings.limits)
    const override = this.risk.positionOverride
    const storedOverride = storedOr<{ account?: string; strategies?: Record<string, string> }>(state.get(POSITION_OVERRIDE_KEY), {}, POSITION_OVERRIDE_KEY)
    // The file's override and the last one set by an operator or a rollback (kept in the store): the tighter wins
    // in each scope, so a restart with config/position_override.json present never lifts a rollback's reduction.
    // A live edit of the file later is held to the same rule (`pin`).
    override.pin(storedOverride)
    const file = options.positionOverride ?? {}
    override.replace({ ...(file.account !== undefined ? { account: file.account } : {}), ...(file.strategies !== undefined ? { strategies: file.strategies } : {}) })
    const paused = new Map(venues.filter((v) => v.pausedReason !== undefined).map((v) => [v.id, v]))
    const breakerGate: PreTradeRisk = {
      check: (order, ctx) => {
        const now = clock.now()
        const reason = paused.get(order.venue)?.pausedReason?.()
        if (reason !== undefined) return deny('VENUE_PAUSED', reason)
        for (const key of [`venue:${order.venue}`, `strategy:${order.strategyId}`]) {
          if (!this.safety.breakers.get(key).allow(now)) return deny('CIRCUIT_OPEN', `circuit breaker ${key} is open`)
        }
        return (options.risk ?? this.risk).check(order, ctx)
      },
    }

    let persistence: Persistence | undefined
    this.orders = new OrderManager({
      bus,
      clock,
      venues,
      risk: breakerGate,
      sequences: prepared.sequences,
      sizeMultiplier: (id) => override.get(id),
      accountView: {
        now: () => clock.now(),
        instrument: (v, s) => this.instrument(v, s),
        lastPrice: (v, s) => market.lastPrice(v, s),
        totalBalance: (v, a) => ledger.balance(v, a),
        position: (v, s) => ledger.positionAmount(v, s),
        grossExposure: () => this.grossExposure(),
        dailyPnl: () => this.safety.riskDailyPnl(),
        equity: () => this.equity(),
        tradingState: (id) => this.safety.tradingState(id),
      },
      beforeSend: () => persistence?.barrier(),
      // The kill switch may have tripped while the order was being recorded: then it does not leave. (An order
      // approved after the trip passed the halted risk check — a flatten, or the simulator leg in shadow.)
      sendGate: (order) => {
        const ks = this.safety.killSwitch
        const since = ks.state().since
        return ks.active && since !== null && order.timestamp <= since ? 'the kill switch tripped before it left' : undefined
      },
      ...(prepared.idTag !== undefined ? { idTag: prepared.idTag } : {}),
      emulated: storedOr<EmulatedOrder[]>(state.get(EMULATED_STATE_KEY), [], EMULATED_STATE_KEY),
      // Emulated trigger orders live in the store's state (the whole list) and each change is audited.
      onEmulated: (list, change, order, detail) => {
        persistence?.setStateQuiet(EMULATED_STATE_KEY, list)
        if (change !== 'trailed') persistence?.audit(`order.emulated.${change}`, order.strategyId, { ...order, ...detail })
      },
    })

    if (options.store !== undefined) {
      persistence = new Persistence({
        store: options.store,
        audit: new AuditLog(prepared.auditHead, options.store.anchor),
        bus,
        clock,
        sequenceOf: (id) => this.orders.nextSequence(id),
        ...(options.flushIntervalMs !== undefined ? { flushIntervalMs: options.flushIntervalMs } : {}),
      })
    }
    this.persistence = persistence
    this.recovery = prepared.summary
    this.account = prepared.account

    // Sessions on an exchange: what their routers can reach decides whether the kill switch holds back orders.
    const routers = options.venues.flatMap((v) => (v.venue instanceof ModeRouter ? [v.venue] : []))
    const killState = storedOr<KillSwitchState>(state.get(KILL_SWITCH_KEY), INACTIVE, KILL_SWITCH_KEY)
    const killHistory = storedOr<KillSwitchEvent[]>(state.get(KILL_SWITCH_HISTORY_KEY), [], KILL_SWITCH_HISTORY_KEY)
    const baseline = state.get(DAILY_BASELINE_KEY) as DailyBaseline | undefined
    const legToday = state.get(EXCHANGE_LEG_TODAY_KEY) as { day: number; pnl: string } | undefined | null
    this.safety = new Safety({
      bus,
      clock,
      ledger,
      orders: this.orders,
      market,
      persistence,
      killSwitch: new KillSwitch(settings.killSwitch, killState, killHistory),
      tradingStates: new TradingStates(storedOr<TradingStatesSnapshot | undefined>(state.get(TRADING_STATES_KEY), undefined, TRADING_STATES_KEY)),
      // Staleness watches a live feed's connection; a quiet minute in recorded data is not a dead feed.
      monitors: buildMonitors(clock instanceof WallClock ? settings : withoutStaleness(settings)),
      positionOverride: override,
      breakers: buildBreakers(settings, (key, from, to, reason, now) => {
        persistence?.audit('circuit_breaker.changed', 'system', { key, from, to, reason, at: now })
        options.onAlert?.(`circuit breaker ${key}: ${from} → ${to} (${reason})`)
      }),
      netPnl: () => this.pnl().net,
      equity: () => this.equity(),
      ...(routers.length > 0
        ? {
            exchangeLeg: {
              net: () => routers.reduce((sum: Decimal, r) => sum.add(r.legNet('live')), ZERO),
              judged: () => routers.some((r) => r.mode === 'canary'),
            },
          }
        : {}),
      ...(settings.limits.maxDailyLoss !== undefined ? { maxDailyLoss: settings.limits.maxDailyLoss } : {}),
      ...(settings.limits.maxDailyLossPct !== undefined ? { maxDailyLossPct: settings.limits.maxDailyLossPct } : {}),
      ...(baseline !== undefined && baseline !== null ? { baseline } : {}),
      ...(legToday !== undefined && legToday !== null ? { exchangeLegToday: legToday } : {}),
      ...(options.killFile !== undefined ? { killFile: options.killFile } : {}),
      wallClock: clock instanceof WallClock,
      mode: options.mode ?? 'paper',
      stopSession: () => engine.stop(),
      withPurpose: (purpose, submit) => this.risk.withPurpose(purpose, submit),
      ...(routers.length > 0 ? { simulatorOnly: () => routers.every((r) => r.mode === 'shadow' || r.mode === 'paper') } : {}),
      ...(options.onAlert !== undefined ? { log: options.onAlert } : {}),
      ...(options.controlHandler !== undefined ? { commands: options.controlHandler } : {}),
      strategyFeeds: new Map(options.strategies.map((st) => [st.id, feedsOfParams(options.strategyParams?.[st.id]?.params)])),
      feeds: options.venues.flatMap((v) => v.instruments.map((i) => `${v.id}:${i.symbol}`)),
    })

    const venueIds = venues.map((v) => v.id)
    this.runners = options.strategies.map(
      (strategy) =>
        new StrategyRunner({
          strategy,
          bus,
          clock,
          orders: this.orders,
          account: { strategyPositionAmount: (id, v, s) => ledger.strategyPositionAmount(id, v, s) },
          market,
          instruments: (v, s) => this.instrument(v, s),
          venues: venueIds,
          barBuilder: (_v, _s, timeframe) => new BarBuilder(timeframe),
          ...(options.onSignal ? { onSignal: options.onSignal } : {}),
          // A strategy's own lines (`ctx.log`) go where the session's alert lines go unless told otherwise.
          ...(options.onLog ? { onLog: options.onLog } : options.onAlert ? { onLog: strategyLines(options.onAlert) } : {}),
          onError: (id, handler, error) => this.strategyFailed(id, handler, error),
        }),
    )

    // Components stop in reverse order: persistence, added first, stops last and writes what the others
    // recorded while stopping.
    if (persistence !== undefined) engine.add(persistence)
    for (const v of venues) if (v instanceof SimulatedVenue) engine.add(v)
    engine.add(this.orders)
    if (persistence !== undefined) engine.add(sessionRecorder(persistence, prepared, options, this.orders))
    engine.add(this.safety)
    engine.add(equitySampler(clock, options.equitySampleMs, () => this.sampleEquity()))
    const runners = this.runners
    engine.add({
      name: 'strategies',
      start: () => runners.forEach((r) => r.start()),
      stop: () => runners.forEach((r) => r.stop()),
    })

    restoreOrders({ venues, orders: this.orders, bus, clock }, prepared.openOrders)
  }

  instrument(venue: string, symbol: string): Instrument {
    const inst = this.instrumentsByVenue.get(venue)?.get(symbol)
    if (inst === undefined) throw new BadSymbol(`venue ${venue} does not list ${symbol}`)
    return inst
  }

  run(source: MarketSource): Promise<RunStats> {
    return this.engine.run(source)
  }

  private readonly sampleListeners: (() => void)[] = []

  /** Runs `listener` after each equity sample (metrics gauges, status pushes). */
  onSample(listener: () => void): void {
    this.sampleListeners.push(listener)
  }

  /** `market.changes` at the last sample's marking. */
  private sampledMarket = -1

  /** Marks every known market (unless no market event came since the last sample) and appends an equity sample. */
  sampleEquity(): void {
    // Marks are made from the market state alone: with no event since, they would be the same again.
    const changes = this.market.changes
    if (changes !== this.sampledMarket) {
      this.markAll()
      this.sampledMarket = changes
    }
    this.ledger.sampleEquity(this.engine.clock.now())
    for (const listener of this.sampleListeners) listener()
  }

  /** Account equity at current marks, exact. */
  equity(): Decimal {
    this.markAll()
    return this.ledger.equity().total
  }

  /** Σ |position| × last price over every market, reporting currency (positions quoted in it). */
  grossExposure(): Decimal {
    let total: Decimal = ZERO
    for (const p of this.ledger.positions()) {
      if (p.amount.isZero() || p.quote !== this.ledger.reportingCurrency) continue
      const last = this.market.lastPrice(p.venue, p.symbol) ?? this.ledger.markPrice(p.venue, p.symbol)
      if (last !== undefined) total = total.add(p.amount.abs().mul(last))
    }
    return total
  }

  /**
   * The account's P&L in the reporting currency at current marks: realized, unrealized, fees and net
   * (realized + unrealized − fees), exact. Marks every market first.
   */
  pnl(): { realized: Decimal; unrealized: Decimal; fees: Decimal; net: Decimal } {
    this.markAll()
    const ledger = this.ledger
    const currency = ledger.reportingCurrency
    const totals = ledger.totals({ quote: currency })
    let unrealized: Decimal = ZERO
    for (const p of ledger.positions()) {
      if (p.quote === currency) unrealized = unrealized.add(ledger.unrealizedPnl(p.venue, p.symbol) ?? ZERO)
    }
    return { realized: totals.realizedPnl, unrealized, fees: totals.fees, net: totals.realizedPnl.add(unrealized).sub(totals.fees) }
  }

  /**
   * Marks every known market at its last trade price, or at the mid of its top of book rounded to the tick
   * (a float mid would put binary noise like …99999750004 into exact equity).
   */
  markAll(): void {
    for (const { venue, symbol, state: s } of this.market.entries()) {
      let mark = s.last
      if (mark === undefined && s.bid !== undefined && s.ask !== undefined) {
        const inst = this.instrumentsByVenue.get(venue)?.get(symbol)
        if (inst !== undefined) mark = roundPrice(inst, dec(s.bid).add(s.ask).div(2)).toNumber()
      }
      if (mark !== undefined && mark > 0) this.ledger.mark(venue, symbol, mark)
    }
  }

  /**
   * A strategy's handler threw: that strategy is HALTED (its orders cancelled, nothing more reaches it), the
   * error is audited as `strategy.error` and alerted; the session and the other strategies go on.
   */
  private strategyFailed(strategyId: string, handler: string, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error)
    const where = error instanceof Error ? firstUserFrame(error.stack) : undefined
    this.safety.setTradingState('HALTED', 'system', strategyId, `${handler} threw: ${message}${where !== undefined ? ` at ${where}` : ''}`)
    const cancelled = this.orders.cancelAll({ strategyId })
    this.persistence?.audit('strategy.error', 'system', { strategyId, handler, error: message, ...(where !== undefined ? { at: where } : {}), cancelled })
    this.options.onAlert?.(`[critical] strategy ${strategyId} halted: ${handler} threw: ${message}${where !== undefined ? ` (${where})` : ''}; ${cancelled} open orders cancelled, the session goes on`)
  }

}

/** The first stack frame outside Sofia and Node (the user's strategy file), as `file:line:column`. */
function firstUserFrame(stack: string | undefined): string | undefined {
  for (const line of (stack ?? '').split('\n').slice(1)) {
    const m = /\(?((?:file:\/\/)?\/[^()]+?:\d+:\d+)\)?\s*$/.exec(line)
    if (m === null) continue
    const at = m[1]!.replace(/^file:\/\//, '')
    if (!at.includes('/node_modules/') && !at.includes('/dist/src/') && !at.includes('/src/system/') && !at.startsWith('node:')) return at
  }
  return undefined
}

function hasOnMarket(v: Venue): v is Venue & { onMarket(e: MarketEvent): void } {
  return typeof (v as { onMarket?: unknown }).onMarket === 'function'
}
