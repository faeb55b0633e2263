/**
 * @module data/bar-builder
 * Aggregates trade ticks into OHLCV bars. Bars open at times aligned to the timeframe in UTC (CCXT and
 * exchange convention: a 1m bar opens at :00 of each minute), a bar is emitted when a tick of a later bucket
 * arrives (or on `flush()`), and empty buckets get no bar — exactly how exchanges' non-zero-volume klines
 * relate to their trades.
 */
import { InputError, timeframeMs, type Bar, type TradeTick } from '../model/index.js'

export class BarBuilder {
  readonly timeframe: string
  private readonly periodMs: number
  private venue = ''
  private symbol = ''
  private open = 0
  private high = 0
  private low = 0
  private close = 0
  private volume = 0
  /** Open time of the bar in progress; NaN when none. */
  private bucket = Number.NaN
  private lastTimestamp = Number.NEGATIVE_INFINITY

  constructor(timeframe: string) {
    const ms = timeframeMs(timeframe)
    if (ms === undefined) throw new InputError(`bad timeframe '${timeframe}' (expected e.g. 1m, 5m, 1h)`)
    this.timeframe = timeframe
    this.periodMs = ms
  }

  /** Open time of the bucket holding `timestamp`. */
  bucketOf(timestamp: number): number {
    return timestamp - (((timestamp % this.periodMs) + this.periodMs) % this.periodMs)
  }

  /** Adds a tick (one market only); returns the bar it completed, if any. */
  add(tick: TradeTick): Bar | undefined {
    if (tick.timestamp < this.lastTimestamp) {
      throw new InputError(`BarBuilder: tick at ${tick.timestamp} is earlier than the previous one at ${this.lastTimestamp}`)
    }
    if (this.bucket === this.bucket && (tick.symbol !== this.symbol || tick.venue !== this.venue)) {
      throw new InputError(`BarBuilder: got ${tick.venue} ${tick.symbol} in a builder for ${this.venue} ${this.symbol}`)
    }
    this.lastTimestamp = tick.timestamp
    const bucket = this.bucketOf(tick.timestamp)
    if (bucket === this.bucket) {
      if (tick.price > this.high) this.high = tick.price
      if (tick.price < this.low) this.low = tick.price
      this.close = tick.price
      this.volume += tick.amount
      return undefined
    }
    const done = this.flush()
    this.venue = tick.venue
    this.symbol = tick.symbol
    this.bucket = bucket
    this.open = this.high = this.low = this.close = tick.price
    this.volume = tick.amount
    return done
  }

  /**
   * Adds a bar of a finer timeframe that divides this one (5m bars into 1h); returns the bar it completed:
   * the coarse bar as soon as its last fine bar is in, or the previous one when a later bucket begins.
   */
  addBar(bar: Bar): Bar | undefined {
    const fineMs = timeframeMs(bar.timeframe)
    if (fineMs === undefined || fineMs > this.periodMs || this.periodMs % fineMs !== 0) {
      throw new InputError(`BarBuilder: ${bar.timeframe} bars do not divide ${this.timeframe}`)
    }
    if (bar.timestamp < this.lastTimestamp) {
      throw new InputError(`BarBuilder: bar at ${bar.timestamp} is earlier than the previous one at ${this.lastTimestamp}`)
    }
    this.lastTimestamp = bar.timestamp
    const bucket = this.bucketOf(bar.timestamp)
    let done: Bar | undefined
    if (bucket === this.bucket) {
      if (bar.high > this.high) this.high = bar.high
      if (bar.low < this.low) this.low = bar.low
      this.close = bar.close
      this.volume += bar.volume
    } else {
      done = this.flush()
      this.venue = bar.venue
      this.symbol = bar.symbol
      this.bucket = bucket
      this.open = bar.open
      this.high = bar.high
      this.low = bar.low
      this.close = bar.close
      this.volume = bar.volume
    }
    if (done === undefined && bar.timestamp + fineMs >= bucket + this.periodMs) done = this.flush()
    return done
  }

  /** Emits the bar in progress (if any) and starts afresh; call at end of data. */
  flush(): Bar | undefined {
    if (this.bucket !== this.bucket) return undefined
    const bar: Bar = {
      kind: 'bar',
      venue: this.venue,
      symbol: this.symbol,
      timestamp: this.bucket,
      timeframe: this.timeframe,
      open: this.open,
      high: this.high,
      low: this.low,
      close: this.close,
      volume: this.volume,
    }
    this.bucket = Number.NaN
    return bar
  }
}

