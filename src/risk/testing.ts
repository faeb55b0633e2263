/**
 * @module risk/testing
 * A small in-memory `RiskContext` and order builder for tests and benchmarks: every value the checks read
 * is set directly. Gross exposure is Σ |position| × last trade unless set explicitly, kept up to date
 * incrementally so the benchmark does not pay for a full sum per check.
 */
import { Decimal, Order, ZERO, dec, makeInstrument } from '../model/index.js'
import type { DecimalLike, Instrument, OrderOptions, OrderSide, OrderType } from '../model/index.js'
import type { OwnRestingOrders, RiskContext, TradingState } from './context.js'

export const TEST_BTC: Instrument = makeInstrument({ symbol: 'BTC/USDT', tickSize: '0.01', stepSize: '0.00001', minCost: '5' })
export const TEST_ETH: Instrument = makeInstrument({ symbol: 'ETH/USDT', tickSize: '0.01', stepSize: '0.0001', minCost: '5' })

type Nested<T> = Map<string, Map<string, T>>

function getIn<T>(m: Nested<T>, a: string, b: string): T | undefined {
  return m.get(a)?.get(b)
}

function setIn<T>(m: Nested<T>, a: string, b: string, v: T | undefined): void {
  let inner = m.get(a)
  if (inner === undefined) m.set(a, (inner = new Map()))
  if (v === undefined) inner.delete(b)
  else inner.set(b, v)
}

export class FakeRiskContext implements RiskContext {
  time = 0
  pnl: Decimal = ZERO
  equityValue: Decimal = dec(100_000)
  defaultState: TradingState = 'ACTIVE'
  private readonly states = new Map<string, TradingState>()
  private readonly instruments: Nested<Instrument> = new Map()
  private readonly lasts: Nested<number> = new Map()
  private readonly positions: Nested<Decimal> = new Map()
  private readonly balances: Nested<Decimal> = new Map()
  private readonly openByStrategy = new Map<string, number>()
  private readonly openByVenue = new Map<string, number>()
  private openTotal = 0
  private readonly resting: Nested<OwnRestingOrders> = new Map()
  private exposure: Decimal = ZERO
  private exposureOverride: Decimal | undefined

  constructor(instruments: Readonly<Record<string, readonly Instrument[]>> = { sim: [TEST_BTC, TEST_ETH] }) {
    for (const [venue, list] of Object.entries(instruments)) for (const inst of list) setIn(this.instruments, venue, inst.symbol, inst)
  }

  // --- RiskContext -----------------------------------------------------------------------------------

  now(): number {
    return this.time
  }

  instrument(venue: string, symbol: string): Instrument {
    const inst = getIn(this.instruments, venue, symbol)
    if (inst === undefined) throw new Error(`FakeRiskContext: no instrument ${venue}:${symbol}`)
    return inst
  }

  lastPrice(venue: string, symbol: string): number | undefined {
    return getIn(this.lasts, venue, symbol)
  }

  freeBalance(venue: string, asset: string): Decimal {
    return getIn(this.balances, venue, asset) ?? ZERO
  }

  position(venue: string, symbol: string): Decimal {
    return getIn(this.positions, venue, symbol) ?? ZERO
  }

  grossExposure(): Decimal {
    return this.exposureOverride ?? this.exposure
  }

  dailyPnl(): Decimal {
    return this.pnl
  }

  equity(): Decimal {
    return this.equityValue
  }

  openOrderCount(filter?: { readonly strategyId?: string; readonly venue?: string }): number {
    if (filter?.strategyId !== undefined && filter.venue !== undefined) {
      throw new Error('FakeRiskContext: open orders by strategy and venue together are not tracked')
    }
    if (filter?.strategyId !== undefined) return this.openByStrategy.get(filter.strategyId) ?? 0
    if (filter?.venue !== undefined) return this.openByVenue.get(filter.venue) ?? 0
    return this.openTotal
  }

  tradingState(strategyId: string): TradingState {
    return this.states.get(strategyId) ?? this.defaultState
  }

  restingOwn(venue: string, symbol: string): OwnRestingOrders {
    return getIn(this.resting, venue, symbol) ?? {}
  }

  // --- setters ---------------------------------------------------------------------------------------

  /** The account's own best resting buy and sell on a market (prices as decimals). */
  setRestingOwn(venue: string, symbol: string, own: { buy?: DecimalLike; sell?: DecimalLike }): this {
    setIn(this.resting, venue, symbol, {
      ...(own.buy !== undefined ? { buy: { price: dec(own.buy), clientOrderId: 'own-buy' } } : {}),
      ...(own.sell !== undefined ? { sell: { price: dec(own.sell), clientOrderId: 'own-sell' } } : {}),
    })
    return this
  }

  setState(strategyId: string, state: TradingState): this {
    this.states.set(strategyId, state)
    return this
  }

  setLastPrice(venue: string, symbol: string, price: number | undefined): this {
    const pos = this.position(venue, symbol)
    this.exposure = this.exposure.sub(this.valueOf(venue, symbol, pos))
    setIn(this.lasts, venue, symbol, price)
    this.exposure = this.exposure.add(this.valueOf(venue, symbol, pos))
    return this
  }

  setPosition(venue: string, symbol: string, amount: DecimalLike): this {
    this.exposure = this.exposure.sub(this.valueOf(venue, symbol, this.position(venue, symbol)))
    const next = dec(amount)
    setIn(this.positions, venue, symbol, next)
    this.exposure = this.exposure.add(this.valueOf(venue, symbol, next))
    return this
  }

  /** Fixes gross exposure to a value (undefined: back to Σ |position| × last). */
  setGrossExposure(value: DecimalLike | undefined): this {
    this.exposureOverride = value === undefined ? undefined : dec(value)
    return this
  }

  setBalance(venue: string, asset: string, amount: DecimalLike): this {
    setIn(this.balances, venue, asset, dec(amount))
    return this
  }

  setDailyPnl(pnl: DecimalLike): this {
    this.pnl = dec(pnl)
    return this
  }

  setEquity(equity: DecimalLike): this {
    this.equityValue = dec(equity)
    return this
  }

  setOpenOrders(filter: { readonly strategyId: string } | { readonly venue: string }, n: number): this {
    if ('strategyId' in filter) this.openByStrategy.set(filter.strategyId, n)
    else this.openByVenue.set(filter.venue, n)
    return this
  }

  addOpenOrder(strategyId: string, venue: string, delta = 1): this {
    this.openByStrategy.set(strategyId, (this.openByStrategy.get(strategyId) ?? 0) + delta)
    this.openByVenue.set(venue, (this.openByVenue.get(venue) ?? 0) + delta)
    this.openTotal += delta
    return this
  }

  private valueOf(venue: string, symbol: string, position: Decimal): Decimal {
    const last = this.lastPrice(venue, symbol)
    return last === undefined || position.isZero() ? ZERO : position.abs().mul(new Decimal(last))
  }
}

export interface TestOrderSpec {
  readonly strategyId?: string
  readonly venue?: string
  readonly symbol?: string
  readonly type?: OrderType
  readonly side?: OrderSide
  readonly amount?: DecimalLike
  readonly price?: DecimalLike
  readonly decisionPrice?: DecimalLike
  readonly id?: string
  readonly options?: OrderOptions
}

let testOrderSeq = 0

/** A BTC/USDT limit buy of 0.1 at 50,000 on `sim` for strategy `s1`, with any field overridden. */
export function testOrder(spec: TestOrderSpec = {}): Order {
  const type = spec.type ?? 'limit'
  const price = spec.price ?? (type === 'limit' ? '50000' : undefined)
  return new Order({
    clientOrderId: spec.id ?? `t-${++testOrderSeq}`,
    strategyId: spec.strategyId ?? 's1',
    venue: spec.venue ?? 'sim',
    symbol: spec.symbol ?? 'BTC/USDT',
    type,
    side: spec.side ?? 'buy',
    amount: dec(spec.amount ?? '0.1'),
    timestamp: 0,
    ...(price !== undefined ? { price: dec(price) } : {}),
    ...(spec.decisionPrice !== undefined ? { decisionPrice: dec(spec.decisionPrice) } : {}),
    ...(spec.options !== undefined ? { options: spec.options } : {}),
  })
}
