/**
 * @module model/instrument
 * A tradable market on one venue, with CCXT-style precision (tick and step sizes) and limits.
 */
import { Decimal, dec, type DecimalLike } from './decimal.js'
import { InputError } from './errors.js'

export interface Instrument {
  /** CCXT unified symbol, e.g. `BTC/USDT`. */
  readonly symbol: string
  readonly base: string
  readonly quote: string
  /** Smallest price increment (CCXT `precision.price` in TICK_SIZE mode). */
  readonly tickSize: Decimal
  /** Smallest amount increment (CCXT `precision.amount`). */
  readonly stepSize: Decimal
  readonly minAmount: Decimal
  /** Minimum notional (CCXT `limits.cost.min`). */
  readonly minCost: Decimal
  /** Fee rates as fractions, e.g. 0.001 = 0.1%. */
  readonly makerFee: Decimal
  readonly takerFee: Decimal
  /** Number of decimals of tickSize / stepSize, for printing and float rounding. */
  readonly priceDecimals: number
  readonly amountDecimals: number
  /** tickSize and stepSize as floats, for the hot path only (see `fastPriceToTicks`). */
  readonly tickSizeNum: number
  readonly stepSizeNum: number
}

export interface InstrumentSpec {
  symbol: string
  tickSize: DecimalLike
  stepSize: DecimalLike
  minAmount?: DecimalLike
  minCost?: DecimalLike
  makerFee?: DecimalLike
  takerFee?: DecimalLike
}

/** Splits `BASE/QUOTE` (a settle suffix `:USDT` is dropped). */
export function parseSymbol(symbol: string): { base: string; quote: string } {
  const m = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)(?::[A-Za-z0-9]+)?$/.exec(symbol)
  if (!m || m[1] === undefined || m[2] === undefined) throw new InputError(`bad symbol '${symbol}': expected BASE/QUOTE`)
  return { base: m[1], quote: m[2] }
}

function decimalsOf(step: Decimal): number {
  return Math.max(0, step.decimalPlaces())
}

export function makeInstrument(spec: InstrumentSpec): Instrument {
  const { base, quote } = parseSymbol(spec.symbol)
  const tickSize = dec(spec.tickSize)
  const stepSize = dec(spec.stepSize)
  if (!tickSize.gt(0)) throw new InputError(`instrument ${spec.symbol}: tickSize must be > 0`)
  if (!stepSize.gt(0)) throw new InputError(`instrument ${spec.symbol}: stepSize must be > 0`)
  return {
    symbol: spec.symbol,
    base,
    quote,
    tickSize,
    stepSize,
    minAmount: dec(spec.minAmount ?? stepSize),
    minCost: dec(spec.minCost ?? 0),
    makerFee: dec(spec.makerFee ?? '0.001'),
    takerFee: dec(spec.takerFee ?? '0.001'),
    priceDecimals: decimalsOf(tickSize),
    amountDecimals: decimalsOf(stepSize),
    tickSizeNum: tickSize.toNumber(),
    stepSizeNum: stepSize.toNumber(),
  }
}

/** Rounds a price to the instrument's tick (half-even), exactly. */
export function roundPrice(inst: Instrument, price: DecimalLike): Decimal {
  return dec(price).div(inst.tickSize).toDecimalPlaces(0, Decimal.ROUND_HALF_EVEN).mul(inst.tickSize)
}

/**
 * Rounds an amount down (toward zero) to the instrument's step: never trade more than asked. The whole number
 * of steps is an integer division, exact at any length (a 40-digit quotient rounded first could round up onto
 * the next step), and cheaper than dividing to 40 digits.
 */
export function roundAmount(inst: Instrument, amount: DecimalLike): Decimal {
  return dec(amount).divToInt(inst.stepSize).mul(inst.stepSize)
}

/** Price in integer ticks, for the matching engine's hot path. Exact while below 2^53 ticks. */
export function priceToTicks(inst: Instrument, price: DecimalLike): number {
  return dec(price).div(inst.tickSize).toDecimalPlaces(0, Decimal.ROUND_HALF_EVEN).toNumber()
}

export function ticksToPrice(inst: Instrument, ticks: number): Decimal {
  return inst.tickSize.mul(ticks)
}

/** Amount in integer steps (lots), rounded down. */
export function amountToLots(inst: Instrument, amount: DecimalLike): number {
  return dec(amount).divToInt(inst.stepSize).toNumber()
}

export function lotsToAmount(inst: Instrument, lots: number): Decimal {
  return inst.stepSize.mul(lots)
}

/** Float price to integer ticks for the hot path; exact for any price printed at the instrument's precision. */
export function fastPriceToTicks(inst: Instrument, price: number): number {
  return Math.round(price / inst.tickSizeNum)
}

/** Float amount to integer lots for the hot path (nearest lot: market-data sizes are already on the step). */
export function fastAmountToLots(inst: Instrument, amount: number): number {
  return Math.round(amount / inst.stepSizeNum)
}
