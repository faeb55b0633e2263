/**
 * @module strategy/market-maker
 * A two-sided market maker: rests a limit bid and ask around the mid, shifted against its inventory
 * (long inventory lowers both quotes, so it sells more readily), never quoting the side that could push
 * inventory past `maxInventory`. Orders are replaced only when the wanted price has moved more than
 * `requoteBps`, and a replacement waits for the cancel to be confirmed so two orders never rest on a side.
 */
import { z } from 'zod'
import { Decimal, ONE, ZERO, isTriggerOrder, roundAmount, type Instrument, type Order, type OrderSide, type QuoteTick, type Trade } from '../model/index.js'
import { name, nonNegativeNumber, positiveDecimal, positiveInt, symbol } from './params.js'
import type { OrderDeniedInfo, Strategy, StrategyContext, StrategyDefinition } from './strategy.js'

export const marketMakerParams = z.object({
  venue: name().optional().describe('venue to quote on (default: the first venue of the run)'),
  symbol: symbol().optional().describe('symbol to quote (default: the symbol of the first quote seen)'),
  spreadBps: nonNegativeNumber().default(20).describe('distance between our bid and ask, in bps of the mid'),
  amount: positiveDecimal().describe('base amount per quote'),
  maxInventory: positiveDecimal().optional().describe('largest absolute base inventory (default: 5 × amount)'),
  skewBps: nonNegativeNumber().default(0).describe('shift of both quotes per unit of base inventory, in bps'),
  refreshMs: positiveInt().default(1_000).describe('period of the re-quote timer, ms (also picks up balance changes)'),
  requoteBps: nonNegativeNumber().default(5).describe('replace a quote only when its price moved more than this'),
})

export type MarketMakerParams = z.output<typeof marketMakerParams>

/** Our resting order on one side. */
interface Working {
  readonly id: string
  readonly ticks: number
  remaining: Decimal
  cancelling: boolean
}

/** What we want resting on one side. */
interface Wanted {
  readonly ticks: number
  readonly amount: Decimal
}

const TIMER = 'requote'

export class MarketMaker implements Strategy {
  private venue: string | undefined
  private symbol: string | undefined
  private instrument: Instrument | undefined
  private quote: QuoteTick | undefined
  private readonly maxInventory: Decimal
  private readonly halfSpread: number
  private roundedAmount: { readonly inst: Instrument; readonly amount: Decimal } | undefined
  /** Inventory as of the last full evaluation; it only changes on fills, which re-evaluate. */
  private inventory = 0
  private readonly working: Record<OrderSide, Working | undefined> = { buy: undefined, sell: undefined }
  /** Prices (ticks) wanted at the last full evaluation, to skip quotes that change nothing. */
  private lastWanted: Record<OrderSide, number> = { buy: NaN, sell: NaN }

  constructor(
    readonly id: string,
    private readonly params: MarketMakerParams,
  ) {
    this.maxInventory = params.maxInventory ?? params.amount.mul(5)
    this.halfSpread = params.spreadBps / 20_000
    this.symbol = params.symbol
  }

  onStart(ctx: StrategyContext): void {
    this.venue = this.params.venue ?? ctx.venues()[0]
    ctx.setTimer(TIMER, this.params.refreshMs)
  }

  onStop(ctx: StrategyContext): void {
    ctx.clearTimer(TIMER)
    if (this.venue !== undefined && this.symbol !== undefined) ctx.cancelAll(this.venue, this.symbol)
  }

  onQuote(quote: QuoteTick, ctx: StrategyContext): void {
    if (this.venue !== undefined && quote.venue !== this.venue) return
    if (this.symbol !== undefined && quote.symbol !== this.symbol) return
    if (this.instrument === undefined) {
      this.venue = quote.venue
      this.symbol = quote.symbol
      this.instrument = ctx.instrument(quote.venue, quote.symbol)
      this.adopt(quote.venue, this.instrument, ctx)
    }
    this.quote = quote
    // Hot path: a quote that moves neither wanted price beyond requoteBps changes nothing.
    const bid = this.priceTicks('buy', quote, this.instrument)
    const ask = this.priceTicks('sell', quote, this.instrument)
    if (!this.moved(this.lastWanted.buy, bid) && !this.moved(this.lastWanted.sell, ask)) return
    this.evaluate(ctx)
  }

  onTimer(name: string, ctx: StrategyContext): void {
    if (name === TIMER) this.evaluate(ctx)
  }

  onFill(trade: Trade, order: Order, ctx: StrategyContext): void {
    const side = this.working[order.side]
    if (side === undefined || side.id !== order.clientOrderId) return
    side.remaining = order.remaining
    if (order.isTerminal) this.working[order.side] = undefined
    // Inventory changed: the skew and the allowed sizes with it.
    this.evaluate(ctx)
  }

  onOrder(order: Order, ctx: StrategyContext): void {
    const side = this.working[order.side]
    if (side === undefined || side.id !== order.clientOrderId || !order.isTerminal) return
    this.working[order.side] = undefined
    this.evaluate(ctx)
  }

  onDenied(denied: OrderDeniedInfo, ctx: StrategyContext): void {
    for (const side of ['buy', 'sell'] as const) {
      if (this.working[side]?.id === denied.clientOrderId) this.working[side] = undefined
    }
    ctx.log(`quote ${denied.clientOrderId} denied (${denied.code}: ${denied.reason})`)
  }

  /**
   * Takes over its quotes still working from before a restart (the session restores them as this strategy's
   * open orders): one per side is managed as if just placed, so it is re-priced or replaced as usual; a
   * second one on a side is cancelled. Its other orders (a stop, an order an operator tagged otherwise) stay.
   */
  private adopt(venue: string, inst: Instrument, ctx: StrategyContext): void {
    for (const o of ctx.openOrders(venue, inst.symbol)) {
      if (o.type !== 'limit' || o.price === undefined || isTriggerOrder(o.options) || o.tag !== `quote-${o.side === 'buy' ? 'bid' : 'ask'}`) continue
      if (this.working[o.side] !== undefined) {
        ctx.cancel(o.clientOrderId)
        continue
      }
      const cancelling = o.state === 'pending_cancel'
      this.working[o.side] = { id: o.clientOrderId, ticks: o.price.div(inst.tickSize).toNumber(), remaining: o.remaining, cancelling }
    }
  }

  /** Wanted price in ticks: around the inventory-skewed mid, rounded away from the mid, never crossing the book. */
  private priceTicks(side: OrderSide, quote: QuoteTick, inst: Instrument): number {
    const mid = (quote.bid + quote.ask) / 2
    const center = mid * Math.max(0, 1 - (this.params.skewBps * this.inventory) / 10_000)
    const tick = inst.tickSizeNum
    // The epsilon absorbs float error on prices that sit exactly on a tick.
    if (side === 'buy') {
      const ticks = Math.floor((center * (1 - this.halfSpread)) / tick + 1e-9)
      return Math.min(ticks, Math.round(quote.ask / tick) - 1)
    }
    const ticks = Math.ceil((center * (1 + this.halfSpread)) / tick - 1e-9)
    return Math.max(ticks, Math.round(quote.bid / tick) + 1)
  }

  private moved(fromTicks: number, toTicks: number): boolean {
    if (Number.isNaN(fromTicks)) return true
    return (Math.abs(toTicks - fromTicks) / fromTicks) * 10_000 > this.params.requoteBps
  }

  private evaluate(ctx: StrategyContext): void {
    const quote = this.quote
    const inst = this.instrument
    if (quote === undefined || inst === undefined || !(quote.bid > 0 && quote.ask > quote.bid)) return
    const position = ctx.position(quote.venue, quote.symbol)
    this.inventory = floatOf(position)
    for (const side of ['buy', 'sell'] as const) {
      const ticks = this.priceTicks(side, quote, inst)
      this.lastWanted[side] = ticks
      this.quoteSide(side, ticks, position, quote.venue, inst, ctx)
    }
  }

  /** Size for one side, or undefined when that side must not be quoted. */
  private wanted(side: OrderSide, ticks: number, position: Decimal, venue: string, inst: Instrument, ctx: StrategyContext): Wanted | undefined {
    if (ticks <= 0) return undefined
    const cap = this.cap(side, position)
    // Our own resting order's funds come back when it is replaced, so count them as available.
    const resting = this.working[side]?.remaining ?? ZERO
    const balance = Decimal.max(ctx.balance(venue, side === 'buy' ? inst.quote : inst.base), ZERO)
    const amount = fundsCover(side, cap, balance, resting, ticks, inst)
      ? this.rounded(cap, inst)
      : roundAmount(inst, Decimal.min(cap, side === 'buy' ? balance.div(inst.tickSize.mul(ticks).mul(ONE.add(inst.makerFee))).add(resting) : balance.add(resting)))
    return meetsMinimums(amount, ticks, inst) ? { ticks, amount } : undefined
  }

  /**
   * The quote size, or less when a fill of the whole quote would leave |inventory| > maxInventory: the room left.
   * Decided on doubles (within parts in 10^16 of the exact figures) unless the two are within a part in 10^9.
   */
  private cap(side: OrderSide, position: Decimal): Decimal {
    const amount = this.params.amount
    const maxF = floatOf(this.maxInventory)
    const posF = floatOf(position)
    const amountF = floatOf(amount)
    const roomF = side === 'buy' ? maxF - posF : maxF + posF
    if (amountF < roomF - 1e-9 * (maxF + Math.abs(posF) + amountF)) return amount
    const room = side === 'buy' ? this.maxInventory.sub(position) : this.maxInventory.add(position)
    return amount.lte(room) ? amount : room
  }

  /** Whether a quote resting `remaining` is more than may be quoted on its side now (or nothing may be). */
  private oversized(remaining: Decimal, side: OrderSide, ticks: number, position: Decimal, venue: string, inst: Instrument, ctx: StrategyContext): boolean {
    const wanted = this.wanted(side, ticks, position, venue, inst, ctx)
    return wanted === undefined || remaining.gt(wanted.amount)
  }

  /** `roundAmount(inst, amount)`, kept for the quote size itself (asked on nearly every quote). */
  private rounded(amount: Decimal, inst: Instrument): Decimal {
    if (amount !== this.params.amount) return roundAmount(inst, amount)
    if (this.roundedAmount?.inst !== inst) this.roundedAmount = { inst, amount: roundAmount(inst, amount) }
    return this.roundedAmount.amount
  }

  private quoteSide(side: OrderSide, ticks: number, position: Decimal, venue: string, inst: Instrument, ctx: StrategyContext): void {
    const working = this.working[side]
    if (working !== undefined) {
      if (working.cancelling) return
      // Stale when the side must not be quoted, its price moved, or it rests more than is wanted now. The size
      // (exact arithmetic) is worked out only when the price alone does not already decide.
      if (ticks <= 0 || this.moved(working.ticks, ticks) || this.oversized(working.remaining, side, ticks, position, venue, inst, ctx)) {
        working.cancelling = true
        ctx.cancel(working.id)
      }
      return
    }
    const wanted = this.wanted(side, ticks, position, venue, inst, ctx)
    if (wanted === undefined) return
    // Not into our own other side still resting (being replaced, or left from before a restart): the self-trade
    // check would refuse it. A stop waiting for its trigger is not on the book, as for that check.
    const price = inst.tickSize.mul(wanted.ticks)
    const crosses = ctx
      .openOrders(venue, inst.symbol)
      .some((o) => o.side !== side && o.type === 'limit' && o.price !== undefined && !isTriggerOrder(o.options) && (side === 'buy' ? price.gte(o.price) : price.lte(o.price)))
    if (crosses) return
    const id = ctx.submit({
      venue,
      symbol: inst.symbol,
      side,
      type: 'limit',
      amount: wanted.amount,
      price,
      tag: `quote-${side === 'buy' ? 'bid' : 'ask'}`,
    })
    if (id !== undefined) this.working[side] = { id, ticks: wanted.ticks, remaining: wanted.amount, cancelling: false }
  }
}

export const marketMaker: StrategyDefinition<typeof marketMakerParams> = {
  name: 'market-maker',
  description: 'Rests a bid and an ask around the mid with inventory skew and an inventory cap; re-quotes on moves.',
  params: marketMakerParams,
  create: (id, params) => new MarketMaker(id, params),
}

/**
 * Whether the funds for one side surely cover `cap`, so that the size is `cap` without the exact division of the
 * balance by the price. Decided on doubles, which are within a few parts in 10^16 of the exact figures; a margin of
 * one part in 10^9 leaves the close cases (and only those) to the exact comparison. A cap ≤ 0 is below any funds.
 */
export function fundsCover(side: OrderSide, cap: Decimal, balance: Decimal, resting: Decimal, ticks: number, inst: Instrument): boolean {
  const capF = floatOf(cap)
  if (capF <= 0) return true
  const balanceF = balance.toNumber()
  const fundsF = (side === 'buy' ? balanceF / (ticks * inst.tickSizeNum * (1 + floatOf(inst.makerFee))) : balanceF) + floatOf(resting)
  return fundsF > capF * (1 + 1e-9)
}

/**
 * Whether `amount` at `ticks` meets the instrument's minimum amount and cost. Decided on doubles when they clear
 * the minimums by more than a part in 10^9 (the usual quote), else exactly.
 */
function meetsMinimums(amount: Decimal, ticks: number, inst: Instrument): boolean {
  const amountF = floatOf(amount)
  if (amountF > floatOf(inst.minAmount) * (1 + 1e-9) && amountF * ticks * inst.tickSizeNum > floatOf(inst.minCost) * (1 + 1e-9)) return true
  return !(amount.lt(inst.minAmount) || amount.mul(inst.tickSize.mul(ticks)).lt(inst.minCost))
}

/**
 * `d.toNumber()`, kept for the Decimals a quote asks of again and again (the fee, the quote size, a resting
 * order's remaining, the position: each the same object until it changes). Decimal's own conversion goes through a string.
 */
const floats = new WeakMap<Decimal, number>()
function floatOf(d: Decimal): number {
  let f = floats.get(d)
  if (f === undefined) floats.set(d, (f = d.toNumber()))
  return f
}

