/**
 * @module strategy/cross-venue-arb
 * Cross-venue arbitrage on top of book: when one venue's bid beats the other's ask by more than both taker
 * fees plus `minEdgeBps`, buy on the cheap venue and sell on the rich one with two market orders. Tracks the
 * base inventory drift the trades cause between the venues, refuses to widen it past `maxInventory`, and
 * asks operators to move funds (`rebalance` signal) when it reaches `rebalanceThreshold`.
 */
import { z } from 'zod'
import { Decimal, InputError, ONE, ZERO, roundAmount, type Instrument, type Order, type QuoteTick, type Trade } from '../model/index.js'
import { bpsToFraction, name, nonNegativeNumber, positiveDecimal, positiveInt, symbol } from './params.js'
import type { OrderDeniedInfo, Strategy, StrategyContext, StrategyDefinition } from './strategy.js'

export const crossVenueArbParams = z
  .object({
    symbol: symbol().optional().describe('symbol to trade (default: the symbol of the first quote seen)'),
    venueA: name().optional().describe('first venue (default: the first venue of the run)'),
    venueB: name().optional().describe('second venue (default: the second venue of the run)'),
    amount: positiveDecimal().describe('largest base amount per arbitrage'),
    minEdgeBps: nonNegativeNumber().default(5).describe('edge required beyond both taker fees, in bps of the ask'),
    maxInventory: positiveDecimal().optional().describe('largest base drift between the venues (default: 10 × amount)'),
    rebalanceThreshold: positiveDecimal().optional().describe('drift that raises a rebalance signal (default: maxInventory / 2)'),
    maxQuoteAgeMs: positiveInt().default(5_000).describe('ignore a venue whose last quote is older than this'),
  })
  .superRefine((p, ctx) => {
    if (p.venueA !== undefined && p.venueA === p.venueB) {
      ctx.addIssue({ code: 'custom', path: ['venueB'], input: p.venueB, message: `must differ from venueA, got "${p.venueB}"` })
    }
    const max = p.maxInventory ?? p.amount.mul(10)
    if (p.rebalanceThreshold?.gt(max)) {
      ctx.addIssue({ code: 'custom', path: ['rebalanceThreshold'], input: p.rebalanceThreshold, message: `must be at most maxInventory (${max}), got ${p.rebalanceThreshold}` })
    }
  })

export type CrossVenueArbParams = z.output<typeof crossVenueArbParams>

/** One tradable direction: buy on `buy`, sell on `sell`. `driftSign` is how a trade moves the drift. */
interface Direction {
  readonly buy: string
  readonly sell: string
  readonly driftSign: 1 | -1
}

export class CrossVenueArb implements Strategy {
  private venueA: string | undefined
  private venueB: string | undefined
  private symbol: string | undefined
  private instA: Instrument | undefined
  private instB: Instrument | undefined
  /** Taker fees as floats, for the hot-path pre-check only. */
  private feeA: number | undefined
  private feeB: number | undefined
  private quoteA: QuoteTick | undefined
  private quoteB: QuoteTick | undefined
  private readonly maxInventory: Decimal
  private readonly rebalanceThreshold: Decimal
  private readonly minEdge: Decimal
  private readonly minEdgeNum: number
  /** Signed base filled by this strategy on each venue. */
  private netA = ZERO
  private netB = ZERO
  /** Whether the drift is at or beyond the threshold; the signal fires on the way in only. */
  private rebalanceRaised = false

  constructor(
    readonly id: string,
    private readonly params: CrossVenueArbParams,
  ) {
    this.maxInventory = params.maxInventory ?? params.amount.mul(10)
    this.rebalanceThreshold = params.rebalanceThreshold ?? this.maxInventory.div(2)
    this.minEdge = bpsToFraction(params.minEdgeBps)
    this.minEdgeNum = params.minEdgeBps / 10_000
    this.symbol = params.symbol
  }

  /**
   * Base the arbitrage has moved onto venue A from venue B: what must move from A to B to restore the
   * starting split (negative: from B to A). Buying on A and selling on B raises it.
   */
  get drift(): Decimal {
    return this.netA.sub(this.netB).div(2)
  }

  onStart(ctx: StrategyContext): void {
    const venues = ctx.venues()
    this.venueA = this.params.venueA ?? venues.find((v) => v !== this.params.venueB)
    this.venueB = this.params.venueB ?? venues.find((v) => v !== this.venueA)
    if (this.venueA === undefined || this.venueB === undefined) {
      throw new InputError(`strategy cross-venue-arb: needs two venues, the run has ${venues.length} (${venues.join(', ') || 'none'})`)
    }
  }

  onQuote(quote: QuoteTick, ctx: StrategyContext): void {
    const isA = quote.venue === this.venueA
    if (!isA && quote.venue !== this.venueB) return
    if (this.symbol === undefined) this.symbol = quote.symbol
    else if (quote.symbol !== this.symbol) return
    if (isA) this.quoteA = quote
    else this.quoteB = quote
    const a = this.quoteA
    const b = this.quoteB
    if (a === undefined || b === undefined) return
    const instA = (this.instA ??= ctx.instrument(a.venue, this.symbol))
    const instB = (this.instB ??= ctx.instrument(b.venue, this.symbol))
    const feeA = (this.feeA ??= instA.takerFee.toNumber())
    const feeB = (this.feeB ??= instB.takerFee.toNumber())
    // Hot path: most quotes are nowhere near an edge, so rule them out with floats (with a margin for
    // rounding) before any exact arithmetic.
    const aToB = this.mayCross(a.ask, feeA, b.bid, feeB)
    if (!aToB && !this.mayCross(b.ask, feeB, a.bid, feeA)) return
    const now = ctx.now()
    if (now - a.timestamp > this.params.maxQuoteAgeMs || now - b.timestamp > this.params.maxQuoteAgeMs) return
    // Never stack: while a leg is still working, the inventory it will leave is unknown.
    if (ctx.openOrders(a.venue, this.symbol).length > 0 || ctx.openOrders(b.venue, this.symbol).length > 0) return
    if (aToB) this.tryArb({ buy: a.venue, sell: b.venue, driftSign: 1 }, a, b, instA, instB, ctx)
    else this.tryArb({ buy: b.venue, sell: a.venue, driftSign: -1 }, b, a, instB, instA, ctx)
  }

  /** Float pre-check of the exact test in `tryArb`; never false when that test could be true. */
  private mayCross(ask: number, buyFee: number, bid: number, sellFee: number): boolean {
    if (!(bid > ask)) return false
    const net = bid * (1 - sellFee) - ask * (1 + buyFee)
    return net > ask * this.minEdgeNum - ask * 1e-9
  }

  /**
   * Net edge per unit, exactly: bid·(1 − sell fee) − ask·(1 + buy fee); trades only when it is strictly more
   * than `minEdgeBps` of the ask.
   */
  private tryArb(dir: Direction, cheap: QuoteTick, rich: QuoteTick, buyInst: Instrument, sellInst: Instrument, ctx: StrategyContext): void {
    const symbol = buyInst.symbol
    const ask = new Decimal(cheap.ask)
    const bid = new Decimal(rich.bid)
    const buyUnitCost = ask.mul(ONE.add(buyInst.takerFee))
    const edge = bid.mul(ONE.sub(sellInst.takerFee)).sub(buyUnitCost)
    if (!edge.gt(ask.mul(this.minEdge))) return

    const headroom = this.maxInventory.sub(this.drift.mul(dir.driftSign))
    const limits = [
      this.params.amount,
      new Decimal(cheap.askSize),
      new Decimal(rich.bidSize),
      Decimal.max(ctx.balance(dir.buy, buyInst.quote), ZERO).div(buyUnitCost),
      Decimal.max(ctx.balance(dir.sell, sellInst.base), ZERO),
      headroom,
    ]
    // Both legs must be the same size, so it has to sit on both instruments' steps.
    const amount = roundAmount(buyInst, roundAmount(sellInst, Decimal.min(...limits)))
    if (!roundAmount(sellInst, amount).eq(amount)) return
    if (amount.lt(buyInst.minAmount) || amount.lt(sellInst.minAmount)) return
    if (amount.mul(ask).lt(buyInst.minCost) || amount.mul(bid).lt(sellInst.minCost)) return

    const buyId = ctx.submit({ venue: dir.buy, symbol, side: 'buy', type: 'market', amount, tag: 'arb-buy' })
    // A denied first leg must not leave a naked second one.
    if (buyId === undefined) return
    ctx.submit({ venue: dir.sell, symbol, side: 'sell', type: 'market', amount, tag: 'arb-sell' })
  }

  onFill(trade: Trade, _order: Order, ctx: StrategyContext): void {
    if (trade.symbol !== this.symbol) return
    const signed = trade.side === 'buy' ? trade.amount : trade.amount.neg()
    if (trade.venue === this.venueA) this.netA = this.netA.add(signed)
    else if (trade.venue === this.venueB) this.netB = this.netB.add(signed)
    else return
    this.checkRebalance(ctx)
  }

  onDenied(denied: OrderDeniedInfo, ctx: StrategyContext): void {
    ctx.log(`leg ${denied.clientOrderId} denied (${denied.code}: ${denied.reason}); the other leg may be unhedged`)
  }

  private checkRebalance(ctx: StrategyContext): void {
    const drift = this.drift
    const beyond = drift.abs().gte(this.rebalanceThreshold)
    if (beyond && !this.rebalanceRaised) {
      const [from, to] = drift.gt(0) ? [this.venueA, this.venueB] : [this.venueB, this.venueA]
      const inst = this.instA ?? this.instB
      ctx.signal('rebalance', {
        symbol: this.symbol,
        from,
        to,
        asset: inst?.base,
        amount: drift.abs().toString(),
        quoteAsset: inst?.quote,
        threshold: this.rebalanceThreshold.toString(),
      })
    }
    this.rebalanceRaised = beyond
  }
}

export const crossVenueArb: StrategyDefinition<typeof crossVenueArbParams> = {
  name: 'cross-venue-arb',
  description: 'Buys on one venue and sells on another when the quotes cross by more than fees plus a threshold; inventory-aware.',
  params: crossVenueArbParams,
  create: (id, params) => new CrossVenueArb(id, params),
}
