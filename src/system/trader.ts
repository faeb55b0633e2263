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
 * With a store, `Trader.create` first recovers: the ledger is rebuilt from the stored deposits and fills,
 * the (in-process) venues get the recovered balances and working orders back, the order manager its
 * sequences and orders, and the audit chain continues from the stored head.
 */
import { AuditLog } from '../audit/index.js'
import { BarBuilder } from '../data/index.js'
import type { Clock, Component, MarketSource, RunStats } from '../engine/index.js'
import { Engine, WallClock } from '../engine/index.js'
import { EMULATED_STATE_KEY, OrderManager, storeTag } from '../execution/index.js'
import type { EmulatedOrder } from '../execution/index.js'
import { Ledger } from '../ledger/index.js'
import type { Decimal, DecimalLike, Instrument, MarketEvent, OrderEvent } from '../model/index.js'
import { BadSymbol, Order, ZERO, dec, isTriggerOrder, optionsFromJson, roundPrice, triggeredAtFromJson } from '../model/index.js'
import { INACTIVE, KillSwitch, RiskEngine, TradingStates, deny } from '../risk/index.js'
import type { KillSwitchEvent, KillSwitchState, PreTradeRisk, TradingStatesSnapshot } from '../risk/index.js'
import { fillTrade, storeIdentity } from '../store/index.js'
import type { Store, StoredOrder } from '../store/index.js'
import type { Strategy } from '../strategy/index.js'
import { SimulatedVenue } from '../venues/index.js'
import type { Venue } from '../venues/index.js'
import type { ControlRequest } from './control.js'
import { assertNoLiveSession } from './control.js'
import type { CommandResult } from './safety.js'
import { MarketState } from '../strategy/market-state.js'
import { Persistence } from './persistence.js'
import { StrategyRunner } from '../strategy/runner.js'
import { ModeRouter } from '../execution/mode-router.js'
import { DEFAULT_RISK, buildBreakers, buildMonitors, withoutStaleness } from './risk-setup.js'
import type { RiskSettings } from './risk-setup.js'
import { DAILY_BASELINE_KEY, EXCHANGE_LEG_TODAY_KEY, KILL_SWITCH_HISTORY_KEY, KILL_SWITCH_KEY, POSITION_OVERRIDE_KEY, Safety, TRADING_STATES_KEY, storedOr } from './safety.js'
import type { DailyBaseline } from './safety.js'
import { strategyLines } from './strategy-lines.js'

/** A strategy to run: a registered name (or file) and its parameters. */
export interface StrategySpec {
  readonly name: string
  readonly params: Readonly<Record<string, string>>
}

export interface VenueSetup {
  readonly id: string
  readonly instruments: readonly Instrument[]
  readonly balances: Readonly<Record<string, DecimalLike>>
  /**
   * A ready-made venue (the CCXT adapter, a mode router) used instead of a simulated exchange. Its owner
   * opens and closes it; market events reach it when it has an `onMarket` method.
   */
  readonly venue?: Venue
}

/** Runs the operator commands a session adds to the safety layer's (mode changes, resync). */
export type ControlHandler = (request: Pick<ControlRequest, 'command' | 'args' | 'actor'>) => CommandResult | Promise<CommandResult>

export interface TraderOptions {
  readonly clock: Clock
  readonly venues: readonly VenueSetup[]
  readonly strategies: readonly Strategy[]
  /** Currency equity and P&L are reported in. */
  readonly reportingCurrency: string
  /** How often (engine time) the equity curve is sampled. */
  readonly equitySampleMs: number
  readonly latencyMs?: number
  readonly slippageBps?: number
  readonly risk?: PreTradeRisk
  /** Where the session is recorded; without it nothing is stored. */
  readonly store?: Store
  /** `backtest`, `paper`, …: recorded in the audit chain. */
  readonly mode?: string
  /** Wall-clock flush interval of the store (paper, live); backtests flush at barriers and at the end. */
  readonly flushIntervalMs?: number
  /** Limits, kill switch mode, monitor thresholds, breakers (default: DEFAULT_RISK). */
  readonly riskSettings?: RiskSettings
  /** Size multipliers from `config/position_override.json` (they replace the stored ones). */
  readonly positionOverride?: { readonly account?: string; readonly strategies?: Readonly<Record<string, string>> }
  /** The KILL_SWITCH file to watch (wall-clock sessions; default none). */
  readonly killFile?: string
  /** Where safety alerts go besides the audit chain (default: nowhere). */
  readonly onAlert?: (line: string) => void
  readonly onSignal?: (strategyId: string, name: string, detail: Record<string, unknown>) => void
  readonly onLog?: (strategyId: string, message: string) => void
  /** Handles `mode.set`, `shadow.rollback` and `resync` (sessions on an exchange); others refuse them. */
  readonly controlHandler?: ControlHandler
  /**
   * Name and parameters of each strategy by id, as the user gave them: recorded in `session.started` so
   * `sofia replay` can rebuild each strategy exactly (see `strategyParamsOf`).
   */
  readonly strategyParams?: Readonly<Record<string, StrategySpec>>
  /**
   * Client order ids carry the store's identity and restore epoch (unique per exchange account across stores
   * and restores). On for sessions that send orders to an exchange; off elsewhere, so backtests stay
   * byte-identical run to run.
   */
  readonly uniqueClientIds?: boolean
  /** How the store is named in messages (its file or URL). */
  readonly storeName?: string
}

/**
 * The feeds (`venue:symbol`) a strategy's parameters name: its venue(s) × its symbol. Empty when they do not
 * name both (the strategy then depends on every feed as far as the stale-data pause is concerned).
 */
export function feedsOfParams(params: Readonly<Record<string, string>> | undefined): string[] {
  if (params === undefined) return []
  const symbol = params['symbol']
  const venues = ['venue', 'venueA', 'venueB'].map((k) => params[k]).filter((v): v is string => typeof v === 'string' && v !== '')
  return symbol === undefined || symbol === '' ? [] : venues.map((v) => `${v}:${symbol}`)
}

/** The `strategyParams` of strategies made by `createStrategies(specs)` (same ids, same order). */
export function strategyParamsOf(strategies: readonly Strategy[], specs: readonly StrategySpec[]): Record<string, StrategySpec> {
  const out: Record<string, StrategySpec> = {}
  strategies.forEach((s, i) => {
    const spec = specs[i]
    if (spec !== undefined) out[s.id] = { name: spec.name, params: { ...spec.params } }
  })
  return out
}

/** An instrument as `session.started` records it (decimals as strings); `makeInstrument` reads it back. */
export function instrumentRecord(i: Instrument): Record<string, string> {
  return {
    symbol: i.symbol,
    tickSize: i.tickSize.toString(),
    stepSize: i.stepSize.toString(),
    minAmount: i.minAmount.toString(),
    minCost: i.minCost.toString(),
    makerFee: i.makerFee.toString(),
    takerFee: i.takerFee.toString(),
  }
}

/** What recovery found in the store, for the operator. */
export interface RecoverySummary {
  /** 1 for a fresh session, then one more per restart. */
  readonly epoch: number
  readonly fillsReplayed: number
  readonly ordersRestored: number
  /** Orders the store had as in flight that the restarted venue cannot have: closed as rejected/canceled. */
  readonly ordersClosed: number
}

interface Prepared {
  readonly ledger: Ledger
  readonly state: ReadonlyMap<string, unknown>
  readonly balances: ReadonlyMap<string, Record<string, string>>
  readonly openOrders: readonly StoredOrder[]
  readonly sequences: ReadonlyMap<string, number>
  readonly auditHead: { seq: number; hash: string } | undefined
  readonly fresh: boolean
  readonly summary: RecoverySummary
  /** The store's tag in client order ids (see `uniqueClientIds`). */
  readonly idTag?: string
}

const EPOCH_KEY = 'session.epoch'
/** Trigger and trailing orders Sofia works itself for a venue that cannot take them (execution/emulator). */

export class Trader {
  readonly engine: Engine
  readonly market = new MarketState()
  readonly ledger: Ledger
  readonly orders: OrderManager
  readonly venues: readonly Venue[]
  readonly runners: readonly StrategyRunner[]
  readonly persistence: Persistence | undefined
  readonly recovery: RecoverySummary
  readonly risk: RiskEngine
  readonly safety: Safety
  private readonly instrumentsByVenue = new Map<string, Map<string, Instrument>>()

  /** Builds a trader, recovering the session recorded in `options.store` when there is one. */
  static async create(options: TraderOptions): Promise<Trader> {
    return new Trader(options, await prepare(options))
  }

  /** A trader without a store (tests, quick runs). */
  static inMemory(options: Omit<TraderOptions, 'store'>): Trader {
    const ledger = new Ledger({ reportingCurrency: options.reportingCurrency })
    const balances = new Map<string, Record<string, string>>()
    for (const v of options.venues) {
      const b: Record<string, string> = {}
      for (const [asset, amount] of Object.entries(v.balances)) {
        ledger.deposit(v.id, asset, dec(amount))
        b[asset] = dec(amount).toString()
      }
      balances.set(v.id, b)
    }
    return new Trader(options, {
      ledger,
      state: new Map(),
      balances,
      openOrders: [],
      sequences: new Map(),
      auditHead: undefined,
      fresh: true,
      summary: { epoch: 1, fillsReplayed: 0, ordersRestored: 0, ordersClosed: 0 },
    })
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
    const overrides = options.positionOverride ?? storedOverride
    if (overrides.account !== undefined) override.set('account', overrides.account)
    for (const [strategyId, m] of Object.entries(overrides.strategies ?? {})) override.set({ strategyId }, m)
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
        position: (v, s) => ledger.position(v, s).amount,
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
    })

    const venueIds = venues.map((v) => v.id)
    this.runners = options.strategies.map(
      (strategy) =>
        new StrategyRunner({
          strategy,
          bus,
          clock,
          orders: this.orders,
          account: { strategyPositionAmount: (id, v, s) => ledger.strategyPosition(id, v, s).amount },
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
    if (persistence !== undefined) engine.add(this.sessionRecorder(persistence, prepared))
    engine.add(this.safety)
    engine.add(this.equitySampler())
    const runners = this.runners
    engine.add({
      name: 'strategies',
      start: () => runners.forEach((r) => r.start()),
      stop: () => runners.forEach((r) => r.stop()),
    })

    this.restoreOrders(prepared.openOrders)
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

  /** Marks every known market and appends an equity sample. */
  sampleEquity(): void {
    this.markAll()
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

  /**
   * Working limit orders go back into their (in-process) venue and the order manager; orders that were in
   * flight to a venue that no longer has them are closed, audited, and never re-sent.
   */
  private restoreOrders(stored: readonly StoredOrder[]): void {
    const now = this.engine.clock.now()
    for (const s of stored) {
      let order = restoredOrder(s)
      const found = this.venues.find((v) => v.id === s.venue)
      if (found !== undefined && !(found instanceof SimulatedVenue)) {
        // A real exchange still has its orders: adopt them as stored; resync settles them before trading.
        this.orders.adopt(order)
        continue
      }
      const venue = found
      // Trigger orders go back waiting for their trigger, unless it had fired: a stop-limit then rests at its
      // price (a fired stop-market was worked at once; one still open is not restored).
      const waiting = isTriggerOrder(order.options) && order.triggeredAt === undefined
      const working = (s.type === 'limit' || waiting) && s.venueOrderId !== null && (s.state === 'open' || s.state === 'pending_cancel')
      if (working && venue !== undefined && (order.price !== undefined || waiting)) {
        venue.restoreOrder({
          clientOrderId: s.clientOrderId,
          venueOrderId: s.venueOrderId!,
          symbol: s.symbol,
          side: s.side,
          price: order.price ?? ZERO,
          amount: order.amount,
          filled: order.filled,
          cost: order.cost,
          timestamp: s.createdAt,
          type: s.type,
          options: order.options,
          ...(order.triggeredAt !== undefined ? { triggered: true } : {}),
        })
        if (s.state === 'pending_cancel') order = restoredOrder({ ...s, state: 'open' }) // the cancel is sent again below
        this.orders.adopt(order)
        if (s.state === 'pending_cancel') this.orders.cancel(order.clientOrderId)
        continue
      }
      const reason = 'lost in restart: the venue has no record of it'
      const event: OrderEvent =
        order.state === 'submitted' || order.state === 'created'
          ? { type: 'rejected', timestamp: now, reason }
          : { type: 'canceled', timestamp: now }
      if (order.state === 'created') order.apply({ type: 'submitted', timestamp: now }) // recorded just before its send: never reached the venue
      order.apply(event)
      this.orders.adopt(order)
      this.engine.bus.publish('order', { order, event, recovered: true })
    }
  }

  private sessionRecorder(persistence: Persistence, prepared: Prepared): Component {
    return {
      name: 'session',
      start: () => {
        if (prepared.fresh) {
          for (const setup of this.options.venues) {
            for (const [asset, amount] of Object.entries(setup.balances)) {
              persistence.recordDeposit(setup.id, asset, dec(amount).toString(), 'initial balance')
            }
          }
        }
        persistence.setState(EPOCH_KEY, prepared.summary.epoch, 'system')
        persistence.audit('session.started', 'system', {
          mode: this.options.mode ?? 'paper',
          epoch: prepared.summary.epoch,
          strategies: this.options.strategies.map((s) => s.id),
          venues: this.options.venues.map((v) => v.id),
          recovered: prepared.summary,
          ...(this.options.strategyParams !== undefined ? { params: this.options.strategyParams } : {}),
          instruments: Object.fromEntries(this.options.venues.map((v) => [v.id, v.instruments.map(instrumentRecord)])),
          ...(this.options.latencyMs !== undefined ? { latencyMs: this.options.latencyMs } : {}),
          ...(this.options.slippageBps !== undefined ? { slippageBps: this.options.slippageBps } : {}),
        })
        const r = persistence.barrier()
        if (r !== undefined) return r
      },
      stop: () => {
        persistence.audit('session.stopped', 'system', { fills: this.orders.counters.fills, orders: this.orders.counters.submitted })
      },
    }
  }

  private equitySampler(): Component {
    const clock = this.options.clock
    const every = this.options.equitySampleMs
    let cancel: (() => void) | undefined
    const schedule = (at: number): void => {
      cancel = clock.setTimer(at, (now) => {
        this.sampleEquity()
        schedule(now + every)
      })
    }
    return {
      name: 'equity-sampler',
      start: () => schedule(clock.now() + every),
      stop: () => {
        cancel?.()
        this.sampleEquity()
      },
    }
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

/** Rebuilds an order from its stored row (its fills are in the ledger; the order keeps the totals). */
function restoredOrder(s: StoredOrder): Order {
  const options = optionsFromJson(s.options ?? null, `order ${s.clientOrderId} in the store`)
  const { tag: _tag, ...rest } = options
  return Order.restore(
    {
      clientOrderId: s.clientOrderId,
      strategyId: s.strategyId,
      venue: s.venue,
      symbol: s.symbol,
      type: s.type,
      side: s.side,
      amount: dec(s.amount),
      timestamp: s.createdAt,
      ...(s.price !== null ? { price: dec(s.price) } : {}),
      ...(s.decisionPrice !== null ? { decisionPrice: dec(s.decisionPrice) } : {}),
      ...(options.tag !== undefined ? { tag: options.tag } : {}),
      options: rest,
    },
    {
      state: s.state,
      filled: dec(s.filled),
      cost: dec(s.cost),
      venueOrderId: s.venueOrderId ?? undefined,
      reason: s.reason ?? undefined,
      lastUpdate: s.updatedAt,
      triggeredAt: triggeredAtFromJson(s.options),
    },
  )
}

async function prepare(options: TraderOptions): Promise<Prepared> {
  const store = options.store
  const ledger = new Ledger({ reportingCurrency: options.reportingCurrency })
  const instruments = new Map<string, Instrument>()
  for (const v of options.venues) for (const i of v.instruments) instruments.set(`${v.id}|${i.symbol}`, i)
  // A live session (wall clock) is the store's only writer: a second one is refused before it touches anything.
  if (store !== undefined && options.clock instanceof WallClock) await assertNoLiveSession(store, options.storeName ?? 'the store')
  const deposits = store === undefined ? [] : await store.loadDeposits()
  const fresh = deposits.length === 0
  if (fresh) {
    for (const v of options.venues) for (const [asset, amount] of Object.entries(v.balances)) ledger.deposit(v.id, asset, dec(amount))
  } else {
    for (const d of deposits) ledger.deposit(d.venue, d.asset, dec(d.amount))
  }
  let fillsReplayed = 0
  if (store !== undefined && !fresh) {
    for await (const batch of store.iterateFills()) {
      for (const f of batch) {
        const inst = instruments.get(`${f.venue}|${f.symbol}`)
        if (inst === undefined) throw new BadSymbol(`stored fill ${f.tradeId} is on ${f.venue} ${f.symbol}, which this session does not list`)
        ledger.applyFill(fillTrade(f), inst, f.strategyId)
        fillsReplayed++
      }
    }
  }
  const balances = new Map<string, Record<string, string>>()
  for (const b of ledger.balances()) {
    const perVenue = balances.get(b.venue) ?? {}
    perVenue[b.asset] = b.total.toString()
    balances.set(b.venue, perVenue)
  }
  const openOrders = store === undefined || fresh ? [] : await store.loadOrders({ openOnly: true })
  const sequences = store === undefined ? new Map<string, number>() : await store.loadSequences()
  const auditHead = store === undefined ? undefined : await store.auditHead()
  const state = store === undefined ? new Map<string, unknown>() : await store.loadState()
  const lastEpoch = state.get(EPOCH_KEY) as number | undefined
  let idTag: string | undefined
  if (options.uniqueClientIds === true && store !== undefined) {
    const id = await storeIdentity(store)
    idTag = storeTag(id.identity, id.restoreEpoch)
  }
  const working = openOrders.filter(
    (s) =>
      (s.type === 'limit' || (isTriggerOrder(optionsFromJson(s.options ?? null, `order ${s.clientOrderId} in the store`)) && triggeredAtFromJson(s.options) === undefined)) &&
      s.venueOrderId !== null &&
      (s.state === 'open' || s.state === 'pending_cancel'),
  )
  return {
    ledger,
    state,
    balances,
    openOrders,
    sequences,
    auditHead,
    fresh,
    ...(idTag !== undefined ? { idTag } : {}),
    summary: {
      epoch: (lastEpoch ?? 0) + 1,
      fillsReplayed,
      ordersRestored: working.length,
      ordersClosed: openOrders.length - working.length,
    },
  }
}

function hasOnMarket(v: Venue): v is Venue & { onMarket(e: MarketEvent): void } {
  return typeof (v as { onMarket?: unknown }).onMarket === 'function'
}
