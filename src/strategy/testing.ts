/**
 * @module strategy/testing
 * A fake StrategyContext for unit tests of strategies: it records submits, cancels, signals and logs, lets
 * the test set instruments, positions, balances, last prices and top of book, and plays the venue and the
 * ledger on demand (`fill`, `confirmCancel`), dispatching the callbacks to a bound strategy.
 * Test support only: nothing in production imports it.
 */
import {
  BadSymbol,
  Order,
  ZERO,
  dec,
  makeInstrument,
  parseSymbol,
  roundAmount,
  roundPrice,
  type Bar,
  type Decimal,
  type DecimalLike,
  type Instrument,
  type InstrumentSpec,
  type QuoteTick,
  type Trade,
} from '../model/index.js'
import type { Strategy, StrategyContext, SubmitRequest, TopOfBook } from './strategy.js'

export interface TestInstrument extends InstrumentSpec {
  readonly venue: string
}

export interface TestContextOptions {
  readonly strategyId?: string
  readonly venues?: readonly string[]
  readonly instruments?: readonly TestInstrument[]
  /** Free balances per venue and asset, e.g. `{ sim: { USDT: '1000' } }`. */
  readonly balances?: Readonly<Record<string, Readonly<Record<string, DecimalLike>>>>
  readonly now?: number
  /** Plays the risk engine: return a denial to refuse a request. */
  readonly deny?: (request: SubmitRequest) => { code: string; reason: string } | undefined
}

export interface SubmittedOrder {
  readonly id: string
  readonly request: SubmitRequest
  readonly order: Order
}

export interface RecordedSignal {
  readonly name: string
  readonly detail: Record<string, unknown>
}

interface TestTimer {
  readonly intervalMs: number
  next: number
}

const key = (venue: string, symbolOrAsset: string): string => `${venue}|${symbolOrAsset}`

/** The fake context. Use `createTestContext`. */
export class TestContext implements StrategyContext {
  readonly strategyId: string
  readonly submits: SubmittedOrder[] = []
  readonly cancels: string[] = []
  readonly denials: string[] = []
  readonly signals: RecordedSignal[] = []
  readonly logs: string[] = []
  readonly timers = new Map<string, TestTimer>()
  private time: number
  private seq = 0
  private tradeSeq = 0
  private strategy: Strategy | undefined
  private readonly venueIds: string[]
  private readonly instrumentsByKey = new Map<string, Instrument>()
  private readonly positions = new Map<string, Decimal>()
  private readonly balances = new Map<string, Decimal>()
  private readonly lastPrices = new Map<string, number>()
  private readonly books = new Map<string, TopOfBook>()
  private readonly orders = new Map<string, Order>()
  /** Orders not yet seen terminal; pruned lazily so long simulated runs stay fast. */
  private readonly live = new Map<string, Order>()
  private readonly deny: TestContextOptions['deny']

  constructor(options: TestContextOptions = {}) {
    this.strategyId = options.strategyId ?? 'test'
    this.time = options.now ?? 1_700_000_000_000
    this.deny = options.deny
    for (const spec of options.instruments ?? []) this.addInstrument(spec)
    this.venueIds = [...(options.venues ?? new Set((options.instruments ?? []).map((i) => i.venue)))]
    for (const [venue, assets] of Object.entries(options.balances ?? {})) {
      for (const [asset, amount] of Object.entries(assets)) this.setBalance(venue, asset, amount)
    }
  }

  /** Binds a strategy: `fill`, `confirmCancel`, denials and `advance` then call its callbacks. */
  bind(strategy: Strategy): this {
    this.strategy = strategy
    return this
  }

  // --- StrategyContext ---

  now(): number {
    return this.time
  }

  instrument(venue: string, symbol: string): Instrument {
    const inst = this.instrumentsByKey.get(key(venue, symbol))
    if (inst === undefined) throw new BadSymbol(`test context: no instrument ${symbol} on ${venue}`)
    return inst
  }

  venues(): readonly string[] {
    return this.venueIds
  }

  submit(request: SubmitRequest): string | undefined {
    const id = `${this.strategyId}-${++this.seq}`
    const inst = this.instrument(request.venue, request.symbol)
    const order = new Order({
      clientOrderId: id,
      strategyId: this.strategyId,
      venue: request.venue,
      symbol: request.symbol,
      type: request.type,
      side: request.side,
      amount: roundAmount(inst, request.amount),
      ...(request.price === undefined ? {} : { price: roundPrice(inst, request.price) }),
      ...(request.triggerPrice === undefined ? {} : { options: { triggerPrice: dec(request.triggerPrice) } }),
      ...(request.tag === undefined ? {} : { tag: request.tag }),
      timestamp: this.time,
    })
    this.submits.push({ id, request, order })
    const denial = this.deny?.(request)
    if (denial !== undefined) {
      order.apply({ type: 'denied', timestamp: this.time, ...denial })
      this.denials.push(id)
      this.strategy?.onDenied?.({ clientOrderId: id, ...denial }, this)
      return undefined
    }
    order.apply({ type: 'submitted', timestamp: this.time })
    order.apply({ type: 'accepted', timestamp: this.time, venueOrderId: `v-${id}` })
    this.orders.set(id, order)
    this.live.set(id, order)
    return id
  }

  cancel(clientOrderId: string): void {
    this.cancels.push(clientOrderId)
    const order = this.orders.get(clientOrderId)
    if (order !== undefined && order.state === 'open') order.apply({ type: 'cancel_requested', timestamp: this.time })
  }

  cancelAll(venue?: string, symbol?: string): void {
    for (const order of this.openOrders(venue, symbol)) this.cancel(order.clientOrderId)
  }

  openOrders(venue?: string, symbol?: string): readonly Order[] {
    const open: Order[] = []
    for (const [id, o] of this.live) {
      if (o.isTerminal) this.live.delete(id)
      else if ((venue === undefined || o.venue === venue) && (symbol === undefined || o.symbol === symbol)) open.push(o)
    }
    return open
  }

  position(venue: string, symbol: string): Decimal {
    return this.positions.get(key(venue, symbol)) ?? ZERO
  }

  balance(venue: string, asset: string): Decimal {
    return this.balances.get(key(venue, asset)) ?? ZERO
  }

  lastPrice(venue: string, symbol: string): number | undefined {
    return this.lastPrices.get(key(venue, symbol))
  }

  topOfBook(venue: string, symbol: string): TopOfBook | undefined {
    return this.books.get(key(venue, symbol))
  }

  bars(venue: string, symbol: string, timeframe?: string, n?: number): readonly Bar[] {
    const all = this.barHistory.get(`${key(venue, symbol)}|${timeframe ?? ''}`) ?? []
    return n === undefined ? all : all.slice(Math.max(0, all.length - n))
  }

  /** What `bars(venue, symbol, timeframe)` returns (timeframe omitted: the calls without one). */
  setBars(venue: string, symbol: string, timeframe: string | undefined, bars: readonly Bar[]): void {
    this.barHistory.set(`${key(venue, symbol)}|${timeframe ?? ''}`, bars)
  }

  private readonly barHistory = new Map<string, readonly Bar[]>()

  setTimer(name: string, intervalMs: number): void {
    this.timers.set(name, { intervalMs, next: this.time + intervalMs })
  }

  clearTimer(name: string): void {
    this.timers.delete(name)
  }

  signal(name: string, detail: Record<string, unknown>): void {
    this.signals.push({ name, detail })
  }

  log(message: string): void {
    this.logs.push(message)
  }

  // --- test controls ---

  addInstrument(spec: TestInstrument): Instrument {
    const inst = makeInstrument(spec)
    this.instrumentsByKey.set(key(spec.venue, spec.symbol), inst)
    return inst
  }

  setPosition(venue: string, symbol: string, amount: DecimalLike): void {
    this.positions.set(key(venue, symbol), dec(amount))
  }

  setBalance(venue: string, asset: string, amount: DecimalLike): void {
    this.balances.set(key(venue, asset), dec(amount))
  }

  setLastPrice(venue: string, symbol: string, price: number): void {
    this.lastPrices.set(key(venue, symbol), price)
  }

  setTopOfBook(venue: string, symbol: string, book: Omit<TopOfBook, 'timestamp'> & { timestamp?: number }): void {
    this.books.set(key(venue, symbol), { timestamp: this.time, ...book })
  }

  /** Moves time forward, firing due timers (in time order) on the bound strategy. */
  advance(ms: number): void {
    const end = this.time + ms
    for (;;) {
      let due: [string, TestTimer] | undefined
      for (const entry of this.timers) if (entry[1].next <= end && (due === undefined || entry[1].next < due[1].next)) due = entry
      if (due === undefined) break
      const [name, timer] = due
      this.time = timer.next
      timer.next += timer.intervalMs
      this.strategy?.onTimer?.(name, this)
    }
    this.time = end
  }

  /** The last submitted order (throws when there is none). */
  lastSubmit(): SubmittedOrder {
    const last = this.submits[this.submits.length - 1]
    if (last === undefined) throw new Error('test context: nothing was submitted')
    return last
  }

  order(clientOrderId: string): Order {
    const order = this.orders.get(clientOrderId)
    if (order === undefined) throw new Error(`test context: no order ${clientOrderId}`)
    return order
  }

  /**
   * Fills an order (all that remains unless `amount` is given) at `price` (default: its limit price), books
   * it like the ledger would (position, base and quote balances, fee in quote) and calls `onFill` and, when
   * the order is done, `onOrder`.
   */
  fill(clientOrderId: string, options: { price?: DecimalLike; amount?: DecimalLike; maker?: boolean } = {}): Trade {
    const order = this.order(clientOrderId)
    const inst = this.instrument(order.venue, order.symbol)
    const price = dec(options.price ?? order.price ?? this.lastPrice(order.venue, order.symbol) ?? 0)
    const amount = dec(options.amount ?? order.remaining)
    const cost = price.mul(amount)
    const maker = options.maker ?? order.type === 'limit'
    const { base, quote } = parseSymbol(order.symbol)
    const fee = cost.mul(maker ? inst.makerFee : inst.takerFee)
    const trade: Trade = {
      id: `t-${++this.tradeSeq}`,
      order: order.venueOrderId ?? `v-${clientOrderId}`,
      clientOrderId,
      venue: order.venue,
      symbol: order.symbol,
      timestamp: this.time,
      side: order.side,
      price,
      amount,
      cost,
      fee: { cost: fee, currency: quote },
      takerOrMaker: maker ? 'maker' : 'taker',
    }
    order.apply({ type: 'filled', timestamp: this.time, trade })
    const signed = order.side === 'buy' ? amount : amount.neg()
    this.setPosition(order.venue, order.symbol, this.position(order.venue, order.symbol).add(signed))
    this.setBalance(order.venue, base, this.balance(order.venue, base).add(signed))
    const quoteDelta = order.side === 'buy' ? cost.add(fee).neg() : cost.sub(fee)
    this.setBalance(order.venue, quote, this.balance(order.venue, quote).add(quoteDelta))
    this.strategy?.onFill?.(trade, order, this)
    if (order.isTerminal) this.strategy?.onOrder?.(order, this)
    return trade
  }

  /** The venue confirms a cancel: the order becomes `canceled` and `onOrder` runs. */
  confirmCancel(clientOrderId: string): Order {
    const order = this.order(clientOrderId)
    order.apply({ type: 'canceled', timestamp: this.time })
    this.strategy?.onOrder?.(order, this)
    return order
  }
}

export function createTestContext(options: TestContextOptions = {}): TestContext {
  return new TestContext(options)
}

/** A bar with defaults (venue `sim`, `BTC/USDT`, `1m`, OHLC all at `close`). */
export function testBar(fields: Partial<Omit<Bar, 'kind'>> & { close: number }): Bar {
  const close = fields.close
  return {
    kind: 'bar',
    venue: 'sim',
    symbol: 'BTC/USDT',
    timestamp: 0,
    timeframe: '1m',
    open: close,
    high: close,
    low: close,
    volume: 1,
    ...fields,
  }
}

/** A top-of-book quote with defaults (venue `sim`, `BTC/USDT`, sizes 1). */
export function testQuote(fields: Partial<Omit<QuoteTick, 'kind'>> & { bid: number; ask: number }): QuoteTick {
  return { kind: 'quote', venue: 'sim', symbol: 'BTC/USDT', timestamp: 0, bidSize: 1, askSize: 1, ...fields }
}
