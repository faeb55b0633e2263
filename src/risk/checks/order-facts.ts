/**
 * @module risk/checks/order-facts
 * What several checks derive from the same order: its price, notional, valuation price, whether it reduces
 * exposure, and precomputed per-instrument and per-limits values.
 *
 * Why the memos: decimal.js costs 0.1–0.5 µs per operation on the target machine, and a full engine pass
 * would otherwise repeat the same conversions and products in several checks. Each memo is keyed on the
 * *identity* of immutable inputs (Decimals, instruments and limits objects never change), so a hit is
 * always the value the pure computation would return — the checks stay pure functions.
 */
import { Decimal } from '../../model/index.js'
import type { Instrument, Order } from '../../model/index.js'
import type { RiskContext, RiskLimits } from '../context.js'
import { APPROVED, deny } from '../verdict.js'
import type { RiskVerdict } from '../verdict.js'

// ---------------------------------------------------------------------------------------------------------
// Single-entry identity memos: within one engine pass every check asks about the same order.

let numKey = Number.NaN
let numValue: Decimal = new Decimal(0)

/** A float price as an exact Decimal of its shortest round-trip string (0.1 → 0.1). */
export function decimalOf(n: number): Decimal {
  if (n !== numKey) {
    numValue = new Decimal(n)
    numKey = n
  }
  return numValue
}

let mulA: Decimal | undefined
let mulB: Decimal | undefined
let mulR: Decimal = new Decimal(0)

/** a × b, remembering the last product. */
export function product(a: Decimal, b: Decimal): Decimal {
  if (a !== mulA || b !== mulB) {
    mulR = a.mul(b)
    mulA = a
    mulB = b
  }
  return mulR
}

// ---------------------------------------------------------------------------------------------------------

export function lastPriceOf(order: Order, ctx: RiskContext): Decimal | undefined {
  const last = ctx.lastPrice(order.venue, order.symbol)
  return last === undefined ? undefined : decimalOf(last)
}

/**
 * The price the order is worth at: its limit price, or for a market order the price the strategy decided
 * on, else the last trade. Undefined when none is known.
 */
export function orderPrice(order: Order, ctx: RiskContext): Decimal | undefined {
  if (order.type === 'limit') return order.price
  return order.decisionPrice ?? lastPriceOf(order, ctx)
}

/** amount × orderPrice, or undefined when no price is known. */
export function orderNotional(order: Order, ctx: RiskContext): Decimal | undefined {
  const price = orderPrice(order, ctx)
  return price === undefined ? undefined : product(order.amount, price)
}

/**
 * The price positions are valued at after the order: the larger of the order's price and the last trade,
 * so a position or exposure limit holds whether the position is marked at the fill or at the last trade.
 */
export function valuationPrice(order: Order, ctx: RiskContext): Decimal | undefined {
  const price = orderPrice(order, ctx)
  const last = lastPriceOf(order, ctx)
  if (price === undefined) return last
  return last !== undefined && last.gt(price) ? last : price
}

/**
 * True when the order moves the signed position toward zero without crossing it: a sell of at most a long
 * position, a buy of at most a short one. Nothing reduces a flat position. Only this order is considered;
 * other open orders on the same market are not netted (the context does not expose them).
 */
export function reducesExposure(order: Order, position: Decimal): boolean {
  if (position.isZero() || order.amount.isZero() || order.amount.isNegative()) return false
  if (position.isPositive()) return order.side === 'sell' && order.amount.lte(position)
  return order.side === 'buy' && order.amount.lte(position.abs())
}

/** Signed position after the order fills completely. */
export function positionAfter(order: Order, position: Decimal): Decimal {
  return order.side === 'buy' ? position.add(order.amount) : position.sub(order.amount)
}

/** What a position or exposure check goes on with: its limit, the position before the order, and the price its growth is worth. */
export interface Growth {
  readonly max: Decimal
  readonly position: Decimal
  readonly price: Decimal
}

/**
 * The first steps of every check that bounds a position's value: with its limit `max` unset, or for an order
 * that reduces exposure, it passes (APPROVED); an order that grows exposure needs a valuation price (else
 * NO_REFERENCE_PRICE, saying it could not value `what`).
 */
export function growthUnder(max: Decimal | undefined, order: Order, ctx: RiskContext, what: string): Growth | RiskVerdict {
  if (max === undefined) return APPROVED
  const position = ctx.position(order.venue, order.symbol)
  if (reducesExposure(order, position)) return APPROVED
  const price = valuationPrice(order, ctx)
  if (price === undefined) return deny('NO_REFERENCE_PRICE', `no price to value ${what} on ${order.venue}:${order.symbol}`)
  return { max, position, price }
}

// ---------------------------------------------------------------------------------------------------------

export interface InstrumentFacts {
  /** k when the step is exactly 10^-k (k ≥ 0): a multiple of it is any amount with at most k decimals. */
  readonly amountDecimals: number | undefined
  readonly priceDecimals: number | undefined
  /** 1 + taker fee. */
  readonly takerFactor: Decimal
}

const instrumentFacts = new WeakMap<Instrument, InstrumentFacts>()

function powerOfTenDecimals(step: Decimal): number | undefined {
  const dp = step.decimalPlaces()
  return step.eq(new Decimal(10).pow(-dp)) ? dp : undefined
}

/** Per-instrument constants, computed once: `mod` is the dearest decimal.js operation, a digit count is free. */
export function factsOf(inst: Instrument): InstrumentFacts {
  let facts = instrumentFacts.get(inst)
  if (facts === undefined) {
    facts = {
      amountDecimals: powerOfTenDecimals(inst.stepSize),
      priceDecimals: powerOfTenDecimals(inst.tickSize),
      takerFactor: inst.takerFee.add(1),
    }
    instrumentFacts.set(inst, facts)
  }
  return facts
}

/** True when `value` is a whole multiple of `step` (with `decimals` = factsOf(...).xDecimals for speed). */
export function isMultipleOf(value: Decimal, step: Decimal, decimals: number | undefined): boolean {
  return decimals !== undefined ? value.decimalPlaces() <= decimals : value.mod(step).isZero()
}

// ---------------------------------------------------------------------------------------------------------

export interface CompiledLimits {
  readonly allowedSymbols: ReadonlySet<string> | undefined
  readonly allowedVenues: ReadonlySet<string> | undefined
  /** −maxDailyLoss. */
  readonly dailyLossFloor: Decimal | undefined
  readonly maxDailyLossPct: Decimal | undefined
  readonly priceBandPct: Decimal | undefined
}

const compiledLimits = new WeakMap<RiskLimits, CompiledLimits>()

/** Limits in the form the checks use, computed once per limits object (limits are replaced, never mutated). */
export function compile(limits: RiskLimits): CompiledLimits {
  let c = compiledLimits.get(limits)
  if (c === undefined) {
    c = {
      allowedSymbols: limits.allowedSymbols === undefined ? undefined : new Set(limits.allowedSymbols),
      allowedVenues: limits.allowedVenues === undefined ? undefined : new Set(limits.allowedVenues),
      dailyLossFloor: limits.maxDailyLoss?.neg(),
      maxDailyLossPct: limits.maxDailyLossPct === undefined ? undefined : new Decimal(limits.maxDailyLossPct),
      priceBandPct: limits.priceBandPct === undefined ? undefined : new Decimal(limits.priceBandPct),
    }
    compiledLimits.set(limits, c)
  }
  return c
}
