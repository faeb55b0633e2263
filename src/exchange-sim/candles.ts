/**
 * @module exchange-sim/candles
 * One-minute candles built from the simulator's trades (Binance klines), aggregated to any Binance interval
 * on request. Minutes without trades are flat at the previous close, as on Binance.
 */
import { BinanceError, errors } from './binance-error.js'

const MINUTE = 60_000

export const KLINE_INTERVALS: Readonly<Record<string, number>> = {
  '1m': MINUTE,
  '3m': 3 * MINUTE,
  '5m': 5 * MINUTE,
  '15m': 15 * MINUTE,
  '30m': 30 * MINUTE,
  '1h': 60 * MINUTE,
  '2h': 120 * MINUTE,
  '4h': 240 * MINUTE,
  '6h': 360 * MINUTE,
  '8h': 480 * MINUTE,
  '12h': 720 * MINUTE,
  '1d': 1440 * MINUTE,
}

interface Candle {
  open: number
  high: number
  low: number
  close: number
  volume: number
  quoteVolume: number
  trades: number
  takerBuyVolume: number
  takerBuyQuote: number
}

/** A Binance kline row: [openTime, o, h, l, c, volume, closeTime, quoteVolume, trades, takerBuyBase, takerBuyQuote, "0"]. */
export type KlineRow = [number, string, string, string, string, string, number, string, number, string, string, string]

export class Candles {
  private readonly minutes = new Map<number, Candle>()
  private first = Infinity
  private last = -Infinity

  constructor(
    private readonly priceDecimals: number,
    private readonly maxMinutes = 10_000,
  ) {}

  /** Seeds history: one flat-volume candle per minute with the given closes (oldest first), ending before `now`. */
  seed(closes: readonly number[], now: number): void {
    const end = Math.floor(now / MINUTE) * MINUTE
    let open = closes[0] ?? 0
    closes.forEach((close, i) => {
      const t = end - (closes.length - i) * MINUTE
      this.put(t, { open, high: Math.max(open, close), low: Math.min(open, close), close, volume: 0, quoteVolume: 0, trades: 0, takerBuyVolume: 0, takerBuyQuote: 0 })
      open = close
    })
  }

  add(time: number, price: number, qty: number, takerBuys: boolean): void {
    const t = Math.floor(time / MINUTE) * MINUTE
    let c = this.minutes.get(t)
    if (c === undefined) {
      const prev = this.closeBefore(t) ?? price
      c = { open: prev, high: Math.max(prev, price), low: Math.min(prev, price), close: price, volume: 0, quoteVolume: 0, trades: 0, takerBuyVolume: 0, takerBuyQuote: 0 }
      this.put(t, c)
    }
    c.high = Math.max(c.high, price)
    c.low = Math.min(c.low, price)
    c.close = price
    c.volume += qty
    c.quoteVolume += qty * price
    c.trades++
    if (takerBuys) {
      c.takerBuyVolume += qty
      c.takerBuyQuote += qty * price
    }
  }

  private put(t: number, c: Candle): void {
    this.minutes.set(t, c)
    this.first = Math.min(this.first, t)
    this.last = Math.max(this.last, t)
    if (this.minutes.size > this.maxMinutes) {
      this.minutes.delete(this.first)
      this.first += MINUTE
      while (!this.minutes.has(this.first) && this.first < this.last) this.first += MINUTE
    }
  }

  private closeBefore(t: number): number | undefined {
    for (let m = t - MINUTE; m >= this.first; m -= MINUTE) {
      const c = this.minutes.get(m)
      if (c !== undefined) return c.close
    }
    return undefined
  }

  /** Binance `GET /api/v3/klines`. */
  klines(interval: string, now: number, startTime?: number, endTime?: number, limit = 500): KlineRow[] {
    const ms = KLINE_INTERVALS[interval]
    if (ms === undefined) throw errors.badInterval()
    if (limit < 1 || limit > 1000) throw new BinanceError(-1100, "Illegal characters found in parameter 'limit'; legal range is '1-1000'.")
    if (this.minutes.size === 0) return []
    const lastOpen = Math.floor(Math.min(endTime ?? now, now) / ms) * ms
    let firstOpen = Math.floor(this.first / ms) * ms
    if (startTime !== undefined) firstOpen = Math.max(firstOpen, Math.ceil(startTime / ms) * ms)
    else firstOpen = Math.max(firstOpen, lastOpen - (limit - 1) * ms)
    const rows: KlineRow[] = []
    let prevClose = this.closeBefore(firstOpen + MINUTE) ?? this.minutes.get(this.first)?.open ?? 0
    const fmt = (n: number): string => n.toFixed(this.priceDecimals)
    for (let open = firstOpen; open <= lastOpen && rows.length < limit; open += ms) {
      let agg: Candle | undefined
      for (let m = open; m < open + ms; m += MINUTE) {
        const c = this.minutes.get(m)
        if (c === undefined) continue
        if (agg === undefined) agg = { ...c }
        else {
          agg.high = Math.max(agg.high, c.high)
          agg.low = Math.min(agg.low, c.low)
          agg.close = c.close
          agg.volume += c.volume
          agg.quoteVolume += c.quoteVolume
          agg.trades += c.trades
          agg.takerBuyVolume += c.takerBuyVolume
          agg.takerBuyQuote += c.takerBuyQuote
        }
      }
      const k = agg ?? { open: prevClose, high: prevClose, low: prevClose, close: prevClose, volume: 0, quoteVolume: 0, trades: 0, takerBuyVolume: 0, takerBuyQuote: 0 }
      prevClose = k.close
      rows.push([open, fmt(k.open), fmt(k.high), fmt(k.low), fmt(k.close), k.volume.toFixed(8), open + ms - 1, k.quoteVolume.toFixed(8), k.trades, k.takerBuyVolume.toFixed(8), k.takerBuyQuote.toFixed(8), '0'])
    }
    return rows
  }
}
