/**
 * @module data/infer-instrument
 * Builds an Instrument for a real data file that carries no market metadata, by reading precision off the
 * numbers themselves: the tick is 10^-d for the most decimals seen in prices, the step 10^-d for the most
 * decimals seen in sizes (XRP/ETH prices like 0.00002837 → tick 1e-8). Decimals are capped (prices 10,
 * sizes 8) because float noise in aggregated columns (bar volumes like 7267451.9000000004) is not precision.
 * A guess, and documented as one: pass a real instrument when you have it.
 */
import { makeInstrument, type Instrument, type MarketEvent } from '../model/index.js'

export const MAX_PRICE_DECIMALS = 10
export const MAX_AMOUNT_DECIMALS = 8

/** Decimals in the shortest round-trip form of `x` (`1e-7` → 7, `0.00141342` → 8, `12` → 0). */
export function decimalsOf(x: number): number {
  if (!Number.isFinite(x)) return 0
  const s = String(Math.abs(x))
  const e = s.indexOf('e')
  if (e === -1) {
    const dot = s.indexOf('.')
    return dot === -1 ? 0 : s.length - dot - 1
  }
  const mantissa = s.slice(0, e)
  const exp = Number(s.slice(e + 1))
  const dot = mantissa.indexOf('.')
  const frac = dot === -1 ? 0 : mantissa.length - dot - 1
  return Math.max(0, frac - exp)
}

export interface InferInstrumentOptions {
  readonly symbol: string
  readonly makerFee?: string
  readonly takerFee?: string
  readonly minCost?: string
}

/** Most decimals seen in prices and in sizes of the sample events. */
export function observedDecimals(sample: Iterable<MarketEvent>): { price: number; amount: number } {
  let price = 0
  let amount = 0
  const p = (x: number): void => {
    const d = decimalsOf(x)
    if (d > price) price = d
  }
  const a = (x: number): void => {
    const d = decimalsOf(x)
    if (d > amount) amount = d
  }
  for (const e of sample) {
    switch (e.kind) {
      case 'trade':
        p(e.price)
        a(e.amount)
        break
      case 'quote':
        p(e.bid)
        p(e.ask)
        a(e.bidSize)
        a(e.askSize)
        break
      case 'book':
        for (const [price, size] of e.bids) {
          p(price)
          a(size)
        }
        for (const [price, size] of e.asks) {
          p(price)
          a(size)
        }
        break
      case 'bar':
        p(e.open)
        p(e.high)
        p(e.low)
        p(e.close)
        a(e.volume)
        break
    }
  }
  return { price: Math.min(price, MAX_PRICE_DECIMALS), amount: Math.min(amount, MAX_AMOUNT_DECIMALS) }
}

/** An Instrument whose tick and step come from the decimals in `sample` (fees default to 0.1%). */
export function inferInstrument(options: InferInstrumentOptions, sample: Iterable<MarketEvent>): Instrument {
  const d = observedDecimals(sample)
  return makeInstrument({
    symbol: options.symbol,
    tickSize: d.price === 0 ? '1' : `0.${'0'.repeat(d.price - 1)}1`,
    stepSize: d.amount === 0 ? '1' : `0.${'0'.repeat(d.amount - 1)}1`,
    minCost: options.minCost ?? '0',
    makerFee: options.makerFee ?? '0.001',
    takerFee: options.takerFee ?? '0.001',
  })
}
