/**
 * @module strategy/sma-cross
 * Moving-average crossover on bars: long when the fast SMA crosses above the slow one, flat (or short, when
 * allowed) when it crosses below. Market orders, one at a time, sized on the instrument's step and within
 * the free balance, leaving room for the fee and for what a venue holds back on a market buy (slippage and
 * its reservation buffer), so an entry sized on the whole balance is not refused for funds at the fill.
 */
import { z } from 'zod'
import { Decimal, ONE, ZERO, roundAmount, type Bar, type Instrument } from '../model/index.js'
import { bool, fraction, name, positiveDecimal, positiveInt, symbol, timeframe } from './params.js'
import type { Strategy, StrategyContext, StrategyDefinition } from './strategy.js'

export const smaCrossParams = z
  .object({
    venue: name().optional().describe('venue to trade (default: the first venue of the run)'),
    symbol: symbol().optional().describe('symbol to trade (default: the symbol of the first bar seen)'),
    fast: positiveInt().default(10).describe('fast SMA length, in bars'),
    slow: positiveInt().default(30).describe('slow SMA length, in bars (> fast)'),
    timeframe: timeframe().default('1m').describe('bar timeframe'),
    amount: positiveDecimal().optional().describe('base amount per entry (default: sized by fraction)'),
    fraction: fraction().default(1).describe('most of the free quote balance one entry may spend'),
    allowShort: bool().default(false).describe('go short on a cross down (needs a venue that lends)'),
  })
  .superRefine((p, ctx) => {
    if (p.slow <= p.fast) {
      ctx.addIssue({ code: 'custom', path: ['slow'], input: p.slow, message: `must be greater than fast (${p.fast}), got ${p.slow}` })
    }
  })

export type SmaCrossParams = z.output<typeof smaCrossParams>

type Target = 'long' | 'flat' | 'short'

/**
 * Share of the price kept free on a market buy beyond the taker fee. A venue reserves more than the last
 * price for a market buy (the simulator: 1% plus its slippage; exchanges: a price band), and refuses the
 * order when the free balance does not cover it.
 */
const MARKET_BUY_ROOM = new Decimal('0.02')

/**
 * Fast and slow moving sums over one ring buffer of integer price ticks: O(1) per bar and exact, so a
 * cross is never invented or missed by float drift over millions of bars.
 */
export class SmaPair {
  private readonly ring: Float64Array
  private pushed = 0
  private fastSum = 0
  private slowSum = 0

  constructor(
    readonly fast: number,
    readonly slow: number,
  ) {
    this.ring = new Float64Array(slow)
  }

  get ready(): boolean {
    return this.pushed >= this.slow
  }

  push(ticks: number): void {
    const k = this.pushed
    const slot = k % this.slow
    if (k >= this.fast) this.fastSum -= this.ring[(k - this.fast) % this.slow]!
    if (k >= this.slow) this.slowSum -= this.ring[slot]!
    this.ring[slot] = ticks
    this.fastSum += ticks
    this.slowSum += ticks
    this.pushed = k + 1
  }

  /** Sign of (fast SMA − slow SMA): 1, -1 or 0. Only meaningful once `ready`. */
  compare(): number {
    let a = this.fastSum * this.slow
    let b = this.slowSum * this.fast
    // Cross-multiplying keeps integers exact; beyond 2^53 fall back to the (rounded) averages.
    if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b)) {
      a = this.fastSum / this.fast
      b = this.slowSum / this.slow
    }
    return Math.sign(a - b)
  }

  fastSma(tickSize: number): number {
    return (this.fastSum / Math.min(this.pushed, this.fast)) * tickSize
  }

  slowSma(tickSize: number): number {
    return (this.slowSum / Math.min(this.pushed, this.slow)) * tickSize
  }
}

export class SmaCross implements Strategy {
  readonly barTimeframe: string
  private venue: string | undefined
  private symbol: string | undefined
  private instrument: Instrument | undefined
  private readonly smas: SmaPair
  /** Which side of the slow SMA the fast one was last strictly on (0 before the first full window). */
  private regime = 0
  /** A crossing not yet acted on (deferred while an order is working). */
  private pending: Target | undefined
  private warnedTimeframe = false
  /** 1 + the instrument's taker fee + MARKET_BUY_ROOM (the instrument is fixed once the first bar is seen). */
  private buyFactor: Decimal | undefined

  constructor(
    readonly id: string,
    private readonly params: SmaCrossParams,
  ) {
    this.barTimeframe = params.timeframe
    this.smas = new SmaPair(params.fast, params.slow)
    this.symbol = params.symbol
  }

  onStart(ctx: StrategyContext): void {
    this.venue = this.params.venue ?? ctx.venues()[0]
  }

  onBar(bar: Bar, ctx: StrategyContext): void {
    if (bar.timeframe !== this.params.timeframe) {
      if (!this.warnedTimeframe) ctx.log(`ignoring ${bar.timeframe} bars (wants ${this.params.timeframe})`)
      this.warnedTimeframe = true
      return
    }
    if (this.venue !== undefined && bar.venue !== this.venue) return
    if (this.symbol !== undefined && bar.symbol !== this.symbol) return
    let inst = this.instrument
    if (inst === undefined) {
      this.venue = bar.venue
      this.symbol = bar.symbol
      inst = this.instrument = ctx.instrument(bar.venue, bar.symbol)
    }

    this.smas.push(Math.round(bar.close / inst.tickSizeNum))
    if (!this.smas.ready) return
    const side = this.smas.compare()
    if (side !== 0 && side !== this.regime) {
      // The first full window only sets the regime: a crossover needs a "before".
      if (this.regime !== 0) this.pending = side > 0 ? 'long' : this.params.allowShort ? 'short' : 'flat'
      this.regime = side
    }
    if (this.pending !== undefined && ctx.openOrders(bar.venue, bar.symbol).length === 0) {
      const target = this.pending
      this.pending = undefined
      this.moveTo(target, bar, inst, ctx)
    }
  }

  /** One attempt per crossing: a denied or unaffordable order waits for the next crossing. */
  private moveTo(target: Target, bar: Bar, inst: Instrument, ctx: StrategyContext): void {
    const position = ctx.position(bar.venue, bar.symbol)
    const price = new Decimal(ctx.lastPrice(bar.venue, bar.symbol) ?? bar.close)
    const funds = new QuoteFunds(ctx, bar.venue, inst, price, (this.buyFactor ??= ONE.add(inst.takerFee).add(MARKET_BUY_ROOM)))
    const dust = inst.minAmount
    let side: 'buy' | 'sell'
    let wanted: Decimal
    switch (target) {
      case 'long':
        if (position.gte(dust)) return
        side = 'buy'
        wanted = Decimal.max(position.neg(), ZERO).add(this.entrySize(funds))
        break
      case 'flat':
        if (position.abs().lt(dust)) return
        side = position.gt(0) ? 'sell' : 'buy'
        wanted = position.abs()
        break
      case 'short':
        if (position.lte(dust.neg())) return
        side = 'sell'
        wanted = Decimal.max(position, ZERO).add(this.entrySize(funds))
        break
    }
    const amount = roundAmount(inst, Decimal.min(wanted, this.affordable(bar.venue, side, inst, ctx, funds)))
    if (amount.lt(inst.minAmount) || amount.mul(price).lt(inst.minCost)) {
      ctx.log(`${target} signal at ${bar.close} skipped: ${side} size ${amount} below the instrument minimum`)
      return
    }
    ctx.submit({ venue: bar.venue, symbol: bar.symbol, side, type: 'market', amount, tag: target === 'flat' ? 'exit' : `entry-${target}` })
  }

  /** Base amount of one entry: `amount`, else `fraction` of what the free quote buys. */
  private entrySize(funds: QuoteFunds): Decimal {
    if (this.params.amount !== undefined) return this.params.amount
    // All of the free quote (the default) is the quotient a buy can afford: the same digits, divided once.
    if (this.params.fraction === 1) return funds.units
    return funds.free.mul(this.params.fraction).div(funds.unitCost)
  }

  /** The most the free balance allows: quote for a buy (fees included); for a spot sell, the free base. */
  private affordable(venue: string, side: 'buy' | 'sell', inst: Instrument, ctx: StrategyContext, funds: QuoteFunds): Decimal {
    if (side === 'buy') return funds.units
    if (this.params.allowShort) return new Decimal(Infinity)
    return Decimal.max(ctx.balance(venue, inst.base), ZERO)
  }
}

/**
 * The free quote balance (not below zero), what one unit bought at `price` may cost (taker fee and room
 * included) and how many units that buys, each read or made once for one decision: the entry's size and what
 * is affordable both use them.
 */
class QuoteFunds {
  #free: Decimal | undefined
  #unitCost: Decimal | undefined
  #units: Decimal | undefined

  constructor(
    private readonly ctx: StrategyContext,
    private readonly venue: string,
    private readonly inst: Instrument,
    private readonly price: Decimal,
    /** 1 + taker fee + room. */
    private readonly buyFactor: Decimal,
  ) {}

  get free(): Decimal {
    return (this.#free ??= Decimal.max(this.ctx.balance(this.venue, this.inst.quote), ZERO))
  }

  get unitCost(): Decimal {
    return (this.#unitCost ??= this.price.mul(this.buyFactor))
  }

  /** How many units the free quote buys (not rounded to the step). */
  get units(): Decimal {
    return (this.#units ??= this.free.div(this.unitCost))
  }
}

export const smaCross: StrategyDefinition<typeof smaCrossParams> = {
  name: 'sma-cross',
  description: 'Moving-average crossover on bars: long when the fast SMA crosses above the slow, flat when below.',
  params: smaCrossParams,
  create: (id, params) => new SmaCross(id, params),
}
