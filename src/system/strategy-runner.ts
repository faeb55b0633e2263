/**
 * @module system/strategy-runner
 * Hosts one strategy: implements its context over the order manager, the ledger and the market state,
 * dispatches market events by kind, builds bars from ticks when the data has none, and runs its timers on
 * the engine clock. Strategies see only this context.
 */
import type { Clock, EngineEvents, EventBus } from '../engine/index.js'
import type { OrderManager } from '../execution/index.js'
import type { Bar, Decimal, Instrument, MarketEvent, Order, TradeTick } from '../model/index.js'
import { dec, roundAmount, roundPrice } from '../model/index.js'
import type { Strategy, StrategyContext, SubmitRequest, TopOfBook } from '../strategy/index.js'
import type { MarketState } from './market-state.js'

/** The ledger figures a strategy may read. */
export interface AccountReader {
  strategyPositionAmount(strategyId: string, venue: string, symbol: string): Decimal
}

/** Builds bars of one timeframe from trade ticks. */
export interface TickBarBuilder {
  /** Returns a completed bar when this tick starts a new bucket. */
  add(tick: TradeTick): Bar | undefined
  flush(): Bar | undefined
}

export interface StrategyRunnerOptions {
  readonly strategy: Strategy
  readonly bus: EventBus<EngineEvents>
  readonly clock: Clock
  readonly orders: OrderManager
  readonly account: AccountReader
  readonly market: MarketState
  readonly instruments: (venue: string, symbol: string) => Instrument
  readonly venues: readonly string[]
  readonly barBuilder?: (venue: string, symbol: string, timeframe: string) => TickBarBuilder
  readonly onSignal?: (strategyId: string, name: string, detail: Record<string, unknown>) => void
  readonly onLog?: (strategyId: string, message: string) => void
}

export class StrategyRunner {
  /** The instance running; `replace` swaps it (a canary stage that runs another version's parameters). */
  strategy: Strategy
  readonly signals: { name: string; timestamp: number; detail: Record<string, unknown> }[] = []
  private readonly ctx: StrategyContext
  private readonly timers = new Map<string, () => void>()
  private readonly builders = new Map<string, TickBarBuilder>()
  private readonly opts: StrategyRunnerOptions
  /** After stop, late venue updates (cancel confirmations, fills of orders in flight) no longer reach it. */
  private stopped = false
  private started = false

  constructor(opts: StrategyRunnerOptions) {
    this.opts = opts
    this.strategy = opts.strategy
    this.ctx = this.makeContext()
    const id = this.strategy.id
    opts.bus.on('market', (e) => {
      if (!this.stopped) this.onMarket(e)
    })
    opts.bus.on('fill', ({ order, trade }) => {
      if (order.strategyId === id && !this.stopped) this.strategy.onFill?.(trade, order, this.ctx)
    })
    opts.bus.on('order', ({ order }) => {
      if (order.strategyId === id && order.state !== 'denied' && !this.stopped) this.strategy.onOrder?.(order, this.ctx)
    })
    opts.bus.on('denied', ({ order, code, reason }) => {
      if (order.strategyId === id && !this.stopped) this.strategy.onDenied?.({ clientOrderId: order.clientOrderId, code, reason }, this.ctx)
    })
  }

  get context(): StrategyContext {
    return this.ctx
  }

  start(): void {
    this.started = true
    this.strategy.onStart?.(this.ctx)
  }

  stop(): void {
    for (const builder of this.builders.values()) {
      const bar = builder.flush()
      if (bar !== undefined) this.strategy.onBar?.(bar, this.ctx)
    }
    for (const cancel of this.timers.values()) cancel()
    this.timers.clear()
    this.strategy.onStop?.(this.ctx)
    this.stopped = true
  }

  /**
   * Runs `next` in place of the current instance, under the same id (orders, positions and fills stay
   * attributed to it): the old one stops as at the end of a session (its timers end, it cancels its orders),
   * the new one starts now. Bars half-built for the old one are dropped: the new one may want another timeframe.
   */
  replace(next: Strategy): void {
    if (next.id !== this.strategy.id) throw new RangeError(`strategy ${next.id} cannot replace ${this.strategy.id}: the id must stay`)
    if (!this.started || this.stopped) {
      this.strategy = next // not running: start() (or nothing) does the rest
      return
    }
    for (const cancel of this.timers.values()) cancel()
    this.timers.clear()
    this.builders.clear()
    this.strategy.onStop?.(this.ctx)
    this.strategy = next
    next.onStart?.(this.ctx)
  }

  private onMarket(event: MarketEvent): void {
    const s = this.strategy
    switch (event.kind) {
      case 'trade': {
        s.onTrade?.(event, this.ctx)
        const tf = s.barTimeframe
        if (tf !== undefined && s.onBar !== undefined && this.opts.barBuilder !== undefined) {
          if (this.opts.market.get(event.venue, event.symbol)?.hasBars) return
          const key = `${event.venue}|${event.symbol}`
          let builder = this.builders.get(key)
          if (builder === undefined) {
            builder = this.opts.barBuilder(event.venue, event.symbol, tf)
            this.builders.set(key, builder)
          }
          const bar = builder.add(event)
          if (bar !== undefined) s.onBar(bar, this.ctx)
        }
        break
      }
      case 'quote':
        s.onQuote?.(event, this.ctx)
        break
      case 'book':
        s.onBook?.(event, this.ctx)
        break
      case 'bar':
        if (s.barTimeframe === undefined || s.barTimeframe === event.timeframe) s.onBar?.(event, this.ctx)
        break
    }
  }

  private makeContext(): StrategyContext {
    const o = this.opts
    const id = this.strategy.id
    return {
      strategyId: id,
      now: () => o.clock.now(),
      instrument: (venue, symbol) => o.instruments(venue, symbol),
      venues: () => o.venues,
      submit: (request: SubmitRequest): string | undefined => this.submit(request),
      cancel: (clientOrderId) => {
        const order = o.orders.order(clientOrderId)
        if (order !== undefined && order.strategyId === id) o.orders.cancel(clientOrderId)
      },
      cancelAll: (venue, symbol) => {
        o.orders.cancelAll({
          strategyId: id,
          ...(venue !== undefined ? { venue } : {}),
          ...(symbol !== undefined ? { symbol } : {}),
        })
      },
      openOrders: (venue, symbol): readonly Order[] =>
        o.orders.openOrders({
          strategyId: id,
          ...(venue !== undefined ? { venue } : {}),
          ...(symbol !== undefined ? { symbol } : {}),
        }),
      position: (venue, symbol) => o.account.strategyPositionAmount(id, venue, symbol),
      balance: (venue, asset) => o.orders.freeBalance(venue, asset),
      lastPrice: (venue, symbol) => o.market.lastPrice(venue, symbol),
      topOfBook: (venue, symbol): TopOfBook | undefined => {
        const s = o.market.get(venue, symbol)
        if (s === undefined || s.bid === undefined || s.ask === undefined) return undefined
        return { bid: s.bid, bidSize: s.bidSize, ask: s.ask, askSize: s.askSize, timestamp: s.timestamp }
      },
      setTimer: (name, intervalMs) => this.setTimer(name, intervalMs),
      clearTimer: (name) => {
        this.timers.get(name)?.()
        this.timers.delete(name)
      },
      signal: (name, detail) => {
        this.signals.push({ name, timestamp: o.clock.now(), detail })
        o.onSignal?.(id, name, detail)
      },
      log: (message) => o.onLog?.(id, message),
    }
  }

  private submit(request: SubmitRequest): string | undefined {
    const o = this.opts
    const inst = o.instruments(request.venue, request.symbol)
    const amount = roundAmount(inst, request.amount)
    const price = request.price === undefined ? undefined : roundPrice(inst, request.price)
    const last = o.market.lastPrice(request.venue, request.symbol)
    const decisionPrice = price ?? (last === undefined ? undefined : dec(last))
    const order = o.orders.submit({
      strategyId: this.strategy.id,
      venue: request.venue,
      symbol: request.symbol,
      side: request.side,
      type: request.type,
      amount,
      ...(price !== undefined ? { price } : {}),
      ...(decisionPrice !== undefined ? { decisionPrice } : {}),
      ...(request.tag !== undefined ? { tag: request.tag } : {}),
    })
    return order.state === 'denied' ? undefined : order.clientOrderId
  }

  private setTimer(name: string, intervalMs: number): void {
    if (!(intervalMs > 0)) throw new RangeError(`timer ${name}: interval must be > 0`)
    this.timers.get(name)?.()
    const clock = this.opts.clock
    const schedule = (at: number): void => {
      const cancel = clock.setTimer(at, (now) => {
        schedule(now + intervalMs)
        this.strategy.onTimer?.(name, this.ctx)
      })
      this.timers.set(name, cancel)
    }
    schedule(clock.now() + intervalMs)
  }
}
