/**
 * @module strategy/runner
 * Hosts one strategy: implements its context over the order manager, the ledger and the market state,
 * dispatches market events by kind, builds bars from ticks when the data has none, and runs its timers on
 * the engine clock. Strategies see only this context.
 */
import type { Clock, EngineEvents, EventBus } from '../engine/index.js'
import type { OrderManager } from '../execution/index.js'
import type { Bar, Decimal, Instrument, MarketEvent, Order, OrderOptions, TradeTick } from '../model/index.js'
import { dec, roundAmount, roundPrice, timeframeMs } from '../model/index.js'
import { BarBuilder } from '../data/index.js'
import type { Strategy, StrategyContext, SubmitRequest, TopOfBook } from './strategy.js'
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
  /**
   * A handler of the strategy threw: the runner stops calling it (the session goes on); the owner halts its
   * trading, cancels its orders, audits and alerts.
   */
  readonly onError?: (strategyId: string, handler: string, error: unknown) => void
}

/** Completed bars of one market and timeframe, the newest last, at most `capacity`. */
class BarHistory {
  private readonly ring: Bar[] = []
  private start = 0

  constructor(private readonly capacity: number) {}

  push(bar: Bar): void {
    if (this.ring.length < this.capacity) this.ring.push(bar)
    else {
      this.ring[this.start] = bar
      this.start = (this.start + 1) % this.capacity
    }
  }

  last(n: number): Bar[] {
    const size = this.ring.length
    const take = Math.max(0, Math.min(n, size))
    const out: Bar[] = new Array<Bar>(take)
    for (let i = 0; i < take; i++) out[i] = this.ring[(this.start + size - take + i) % size]!
    return out
  }
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
  /** Set when a handler threw: nothing reaches the strategy any more. */
  private faulted = false
  private readonly histories = new Map<string, BarHistory>()
  /** Builders of coarser bars from the data's finer bars, by `venue|symbol|timeframe`. */
  private readonly aggregators = new Map<string, TickBarBuilder & { addBar(bar: Bar): Bar | undefined }>()

  constructor(opts: StrategyRunnerOptions) {
    this.opts = opts
    this.strategy = opts.strategy
    this.ctx = this.makeContext()
    const id = this.strategy.id
    opts.bus.on('market', (e) => {
      if (!this.stopped && !this.faulted) this.onMarket(e)
    })
    opts.bus.on('fill', ({ order, trade }) => {
      if (order.strategyId === id && !this.stopped && !this.faulted) this.guard('onFill', () => this.strategy.onFill?.(trade, order, this.ctx))
    })
    // An order Sofia worked for it (emulated) that was dropped before it fired ends like any other of its orders.
    opts.bus.on('emulatedCanceled', ({ order }) => {
      if (order.strategyId === id && !this.stopped && !this.faulted) this.guard('onOrder', () => this.strategy.onOrder?.(order, this.ctx))
    })
    opts.bus.on('order', ({ order }) => {
      if (order.strategyId === id && order.state !== 'denied' && !this.stopped && !this.faulted) this.guard('onOrder', () => this.strategy.onOrder?.(order, this.ctx))
    })
    opts.bus.on('denied', ({ order, code, reason }) => {
      if (order.strategyId === id && !this.stopped && !this.faulted) {
        this.guard('onDenied', () => this.strategy.onDenied?.({ clientOrderId: order.clientOrderId, code, reason }, this.ctx))
      }
    })
  }

  /** Whether a handler threw (the strategy is no longer called). */
  get isFaulted(): boolean {
    return this.faulted
  }

  /** Runs a call into the strategy (off the per-event path; events use `fail` directly, without a closure). */
  private guard(handler: string, call: () => void): void {
    if (this.faulted) return
    try {
      call()
    } catch (error) {
      this.fail(handler, error)
    }
  }

  /**
   * A handler threw. With `onError`, the strategy stops — never the session — and the error is reported once;
   * without it the error propagates (tests, tools).
   */
  private fail(handler: string, error: unknown): void {
    if (this.opts.onError === undefined) throw error
    if (this.faulted) return
    this.faulted = true
    for (const cancel of this.timers.values()) cancel()
    this.timers.clear()
    this.opts.onError(this.strategy.id, handler, error)
  }

  /** The timeframes this strategy takes bars in; undefined: every bar the data has. */
  private timeframes(): readonly string[] | undefined {
    // Per event: the list is made once per strategy instance, not on every bar.
    const s = this.strategy
    if (this.timeframesOf !== s) {
      this.timeframesOf = s
      this.timeframeList = s.barTimeframes ?? (s.barTimeframe !== undefined ? [s.barTimeframe] : undefined)
    }
    return this.timeframeList
  }

  private timeframesOf: Strategy | undefined
  private timeframeList: readonly string[] | undefined

  /** Delivers a completed bar: kept in the history first, so `ctx.bars` includes it. */
  private deliverBar(bar: Bar): void {
    const keep = this.strategy.historyBars ?? 0
    if (keep > 0) {
      const key = `${bar.venue}|${bar.symbol}|${bar.timeframe}`
      let history = this.histories.get(key)
      if (history === undefined) {
        history = new BarHistory(keep)
        this.histories.set(key, history)
      }
      history.push(bar)
    }
    if (this.faulted || this.strategy.onBar === undefined) return
    try {
      this.strategy.onBar(bar, this.ctx)
    } catch (error) {
      this.fail('onBar', error)
    }
  }

  get context(): StrategyContext {
    return this.ctx
  }

  start(): void {
    this.started = true
    this.guard('onStart', () => this.strategy.onStart?.(this.ctx))
  }

  stop(): void {
    if (!this.faulted) {
      for (const builder of [...this.builders.values(), ...this.aggregators.values()]) {
        const bar = builder.flush()
        if (bar !== undefined) this.deliverBar(bar)
      }
    }
    for (const cancel of this.timers.values()) cancel()
    this.timers.clear()
    if (!this.faulted) this.guard('onStop', () => this.strategy.onStop?.(this.ctx))
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
    this.aggregators.clear()
    this.histories.clear()
    if (!this.faulted) this.guard('onStop', () => this.strategy.onStop?.(this.ctx))
    this.strategy = next
    this.faulted = false
    this.guard('onStart', () => next.onStart?.(this.ctx))
  }

  private onMarket(event: MarketEvent): void {
    const s = this.strategy
    switch (event.kind) {
      case 'trade': {
        if (s.onTrade !== undefined) {
          try {
            s.onTrade(event, this.ctx)
          } catch (error) {
            this.fail('onTrade', error)
            break
          }
        }
        // A bar strategy that names no timeframe gets 1m bars built from ticks (on candles it gets the data's).
        const timeframes = this.timeframes() ?? TICK_BARS
        if (s.onBar !== undefined && this.opts.barBuilder !== undefined) {
          if (this.opts.market.get(event.venue, event.symbol)?.hasBars) return
          for (const tf of timeframes) {
            const key = `${event.venue}|${event.symbol}|${tf}`
            let builder = this.builders.get(key)
            if (builder === undefined) {
              builder = this.opts.barBuilder(event.venue, event.symbol, tf)
              this.builders.set(key, builder)
            }
            const bar = builder.add(event)
            if (bar !== undefined) this.deliverBar(bar)
          }
        }
        break
      }
      case 'quote':
        if (s.onQuote !== undefined) this.guard('onQuote', () => s.onQuote!(event, this.ctx))
        break
      case 'book':
        if (s.onBook !== undefined) this.guard('onBook', () => s.onBook!(event, this.ctx))
        break
      case 'bar': {
        if (s.onBar === undefined) break
        const timeframes = this.timeframes()
        if (timeframes === undefined) {
          this.deliverBar(event)
          break
        }
        for (const tf of timeframes) {
          if (tf === event.timeframe) {
            this.deliverBar(event)
            continue
          }
          // A coarser timeframe the data's bars divide: built from them.
          const coarse = timeframeMs(tf)
          const fine = timeframeMs(event.timeframe)
          if (coarse === undefined || fine === undefined || coarse <= fine || coarse % fine !== 0) continue
          const key = `${event.venue}|${event.symbol}|${tf}`
          let builder = this.aggregators.get(key)
          if (builder === undefined) {
            builder = new BarBuilder(tf)
            this.aggregators.set(key, builder)
          }
          const bar = builder.addBar(event)
          if (bar !== undefined) this.deliverBar(bar)
        }
        break
      }
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
      openOrders: (venue, symbol): readonly Order[] => {
        const filter = { strategyId: id, ...(venue !== undefined ? { venue } : {}), ...(symbol !== undefined ? { symbol } : {}) }
        const open = o.orders.openOrders(filter)
        // Its stops that Sofia works for a venue without them count too, as they would had the venue taken them.
        return o.orders.emulator.size === 0 ? open : [...open, ...o.orders.waiting(filter)]
      },
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
      bars: (venue, symbol, timeframe, n) => {
        const tf = timeframe ?? this.timeframes()?.[0]
        const history = tf === undefined ? undefined : this.histories.get(`${venue}|${symbol}|${tf}`)
        return history === undefined ? [] : history.last(n ?? Number.MAX_SAFE_INTEGER)
      },
    }
  }

  private submit(request: SubmitRequest): string | undefined {
    const o = this.opts
    const inst = o.instruments(request.venue, request.symbol)
    const amount = roundAmount(inst, request.amount)
    const price = request.price === undefined ? undefined : roundPrice(inst, request.price)
    const last = o.market.lastPrice(request.venue, request.symbol)
    const options = orderOptions(request, inst)
    const decisionPrice = price ?? options?.triggerPrice ?? (last === undefined ? undefined : dec(last))
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
      ...(options !== undefined ? { options } : {}),
    })
    return order.state === 'denied' ? undefined : order.clientOrderId
  }

  private setTimer(name: string, intervalMs: number): void {
    if (!(intervalMs > 0)) throw new RangeError(`timer ${name}: interval must be > 0`)
    this.timers.get(name)?.()
    const clock = this.opts.clock
    const schedule = (at: number): void => {
      const cancel = clock.setTimer(at, (now) => {
        if (this.faulted) return
        schedule(now + intervalMs)
        this.guard('onTimer', () => this.strategy.onTimer?.(name, this.ctx))
      })
      this.timers.set(name, cancel)
    }
    schedule(clock.now() + intervalMs)
  }
}

/** Bars built from ticks for a bar strategy that names no timeframe. */
const TICK_BARS: readonly string[] = ['1m']

/** The order options a strategy asked for (prices rounded to the tick), or undefined for a plain order. */
function orderOptions(r: SubmitRequest, inst: Instrument): OrderOptions | undefined {
  if (
    r.timeInForce === undefined &&
    r.reduceOnly === undefined &&
    r.triggerPrice === undefined &&
    r.trailingPercent === undefined &&
    r.stopLossPrice === undefined &&
    r.takeProfitPrice === undefined
  ) {
    return undefined
  }
  const out: { -readonly [K in keyof OrderOptions]: OrderOptions[K] } = {}
  if (r.timeInForce !== undefined) out.timeInForce = r.timeInForce
  if (r.reduceOnly === true) out.reduceOnly = true
  if (r.triggerPrice !== undefined) out.triggerPrice = roundPrice(inst, r.triggerPrice)
  if (r.triggerDirection !== undefined) out.triggerDirection = r.triggerDirection
  if (r.trailingPercent !== undefined) out.trailingPercent = dec(r.trailingPercent)
  if (r.stopLossPrice !== undefined) out.stopLossPrice = roundPrice(inst, r.stopLossPrice)
  if (r.takeProfitPrice !== undefined) out.takeProfitPrice = roundPrice(inst, r.takeProfitPrice)
  return out
}
