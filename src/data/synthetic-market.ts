/**
 * @module data/synthetic-market
 * A seeded synthetic market for the demo and tests: several symbols on several venues, each venue's price a
 * common fair value plus its own mean-reverting gap (so cross-venue arbitrage opens and closes), returns with
 * GARCH(1,1) volatility clustering, a spread that widens with volatility, top-of-book sizes, periodic depth
 * snapshots and random trades. Same seed → same events. Every price sits on the instrument's tick and every
 * size on its step, exactly (integer ticks divided by a power of ten: one correctly rounded division).
 *
 * Per step and per (venue, symbol) the events are, in this order, all stamped with the step time: a
 * `BookUpdate` snapshot every `bookEvery` steps, a `QuoteTick`, and with probability `tradeProbability` a
 * `TradeTick` that hits the bid or lifts the ask.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { InputError, makeInstrument, type BookLevel, type Instrument, type MarketEvent } from '../model/index.js'
import type { MarketSource } from '../engine/index.js'
import { DEFAULT_BATCH_SIZE } from './open-market-data.js'
import { Prng } from '../engine/index.js'

export interface SyntheticSymbol {
  readonly symbol: string
  /** Starting fair price. */
  readonly price: number
  readonly tickSize: string
  readonly stepSize: string
  readonly minCost?: string
  /** Annualised volatility of the fair price (0.6 = 60%). */
  readonly annualVol: number
  /** Typical bid/ask spread in basis points of the price (widens with volatility). */
  readonly spreadBps: number
  /** Typical top-of-book size, base currency. */
  readonly topSize: number
  /** Typical trade size, base currency. */
  readonly tradeSize: number
}

export const DEFAULT_SYNTHETIC_SYMBOLS: readonly SyntheticSymbol[] = [
  { symbol: 'BTC/USDT', price: 60_000, tickSize: '0.01', stepSize: '0.00001', minCost: '5', annualVol: 0.6, spreadBps: 1, topSize: 1.5, tradeSize: 0.05 },
  { symbol: 'ETH/USDT', price: 3_000, tickSize: '0.01', stepSize: '0.0001', minCost: '5', annualVol: 0.75, spreadBps: 1.5, topSize: 20, tradeSize: 1 },
  { symbol: 'SOL/USDT', price: 150, tickSize: '0.01', stepSize: '0.001', minCost: '5', annualVol: 1, spreadBps: 3, topSize: 300, tradeSize: 10 },
]

export const DEFAULT_SYNTHETIC_VENUES: readonly string[] = ['alpha', 'beta']

/** 2024-01-01T00:00:00Z: a fixed start so simulated runs are reproducible. */
export const DEFAULT_SYNTHETIC_START = Date.UTC(2024, 0, 1)

export interface SyntheticMarketOptions {
  /** PRNG seed (default 1). */
  readonly seed?: number
  readonly symbols?: readonly SyntheticSymbol[]
  readonly venues?: readonly string[]
  /** Simulated time of the first step (ms, default 2024-01-01 UTC). Ignored when `paced`. */
  readonly start?: number
  /** Time between steps (default 1000 ms). */
  readonly stepMs?: number
  /** Stop after this many events in total. */
  readonly count?: number
  /** Stop before the first step at or after this time (ms). */
  readonly until?: number
  /** A depth snapshot every this many steps (default 10; 0 = never). */
  readonly bookEvery?: number
  /** Levels per side in depth snapshots (default 5). */
  readonly bookDepth?: number
  /** Chance of a trade per venue, symbol and step (default 0.3). */
  readonly tradeProbability?: number
  /** Stationary standard deviation of each venue's log-price gap from fair value (default 0.001 = 0.1%). */
  readonly gapSd?: number
  /** Half-life of a venue gap, in steps (default 120). */
  readonly gapHalfLifeSteps?: number
  readonly batchSize?: number
  /**
   * Wall-clock mode for paper trading: events are stamped with Date.now(), each step is yielded as its own
   * batch, and the generator sleeps `stepMs` between steps until `signal` aborts (or count/until end it).
   */
  readonly paced?: boolean
  readonly signal?: AbortSignal
}

/** GARCH(1,1) weights: persistent clustering (alpha + beta close to 1) with a stationary mean. */
const GARCH_ALPHA = 0.06
const GARCH_BETA = 0.92
const MS_PER_YEAR = 365 * 86_400_000

/** `n / scale * m` exactly: a decimal step `m × 10^-k` represented so rounding happens once. */
interface Grid {
  readonly m: number
  readonly scale: number
  readonly size: number
}

function grid(step: string): Grid {
  const [int = '0', frac = ''] = step.split('.')
  const scale = 10 ** frac.length
  const m = Number(int + frac)
  if (!(m > 0) || !Number.isSafeInteger(m)) throw new InputError(`bad step '${step}'`)
  return { m, scale, size: m / scale }
}

function onGrid(g: Grid, units: number): number {
  return (units * g.m) / g.scale
}

interface MarketState {
  readonly spec: SyntheticSymbol
  readonly tick: Grid
  readonly lot: Grid
  logFair: number
  variance: number
  readonly baseVariance: number
  /** Per venue: log gap from fair value. */
  readonly gaps: number[]
}

/** The generator itself: `step(timestamp, out)` appends one step's events. Deterministic for a seed. */
export class SyntheticMarket {
  readonly venues: readonly string[]
  readonly symbols: readonly SyntheticSymbol[]
  private readonly rng: Prng
  private readonly markets: MarketState[]
  private readonly bookEvery: number
  private readonly bookDepth: number
  private readonly tradeProbability: number
  private readonly gapPhi: number
  private readonly gapShock: number
  private steps = 0

  constructor(options: SyntheticMarketOptions = {}) {
    this.venues = options.venues ?? DEFAULT_SYNTHETIC_VENUES
    this.symbols = options.symbols ?? DEFAULT_SYNTHETIC_SYMBOLS
    if (this.venues.length === 0 || this.symbols.length === 0) throw new InputError('synthetic market needs at least one venue and one symbol')
    const stepMs = options.stepMs ?? 1000
    if (!(stepMs > 0)) throw new InputError(`stepMs must be > 0, got ${stepMs}`)
    this.rng = new Prng(options.seed ?? 1)
    this.bookEvery = options.bookEvery ?? 10
    this.bookDepth = Math.max(1, options.bookDepth ?? 5)
    this.tradeProbability = options.tradeProbability ?? 0.3
    const gapSd = options.gapSd ?? 0.001
    const halfLife = options.gapHalfLifeSteps ?? 120
    this.gapPhi = 0.5 ** (1 / halfLife)
    // AR(1) shock size that keeps the stationary deviation at gapSd.
    this.gapShock = gapSd * Math.sqrt(1 - this.gapPhi * this.gapPhi)
    this.markets = this.symbols.map((spec) => {
      const baseVariance = (spec.annualVol * spec.annualVol * stepMs) / MS_PER_YEAR
      return {
        spec,
        tick: grid(spec.tickSize),
        lot: grid(spec.stepSize),
        logFair: Math.log(spec.price),
        variance: baseVariance,
        baseVariance,
        gaps: this.venues.map(() => gapSd * this.rng.normal()),
      }
    })
  }

  /** Appends the events of the next step, all stamped `timestamp`. */
  step(timestamp: number, out: MarketEvent[]): void {
    const rng = this.rng
    const withBook = this.bookEvery > 0 && this.steps % this.bookEvery === 0
    this.steps++
    for (const m of this.markets) {
      const r = Math.sqrt(m.variance) * rng.normal()
      m.logFair += r
      const omega = m.baseVariance * (1 - GARCH_ALPHA - GARCH_BETA)
      m.variance = omega + GARCH_ALPHA * r * r + GARCH_BETA * m.variance
      for (let v = 0; v < m.gaps.length; v++) m.gaps[v] = this.gapPhi * m.gaps[v]! + this.gapShock * rng.normal()
    }
    for (let v = 0; v < this.venues.length; v++) {
      const venue = this.venues[v]!
      for (const m of this.markets) this.emitMarket(venue, m, m.gaps[v]!, timestamp, withBook, out)
    }
  }

  private size(m: MarketState, typical: number, dispersion: number): number {
    const lots = Math.max(1, Math.round((typical * Math.exp(dispersion * this.rng.normal())) / m.lot.size))
    return onGrid(m.lot, lots)
  }

  private emitMarket(venue: string, m: MarketState, gap: number, timestamp: number, withBook: boolean, out: MarketEvent[]): void {
    const rng = this.rng
    const spec = m.spec
    const mid = Math.exp(m.logFair + gap)
    const widen = Math.min(5, Math.sqrt(m.variance / m.baseVariance))
    const half = (mid * spec.spreadBps * widen) / 20_000
    const bidTicks = Math.floor((mid - half) / m.tick.size)
    let askTicks = Math.ceil((mid + half) / m.tick.size)
    if (askTicks <= bidTicks) askTicks = bidTicks + 1
    const symbol = spec.symbol
    const bid = onGrid(m.tick, bidTicks)
    const ask = onGrid(m.tick, askTicks)
    const bidSize = this.size(m, spec.topSize, 0.6)
    const askSize = this.size(m, spec.topSize, 0.6)
    if (withBook) {
      const spacing = Math.max(1, askTicks - bidTicks)
      const bids: BookLevel[] = [[bid, bidSize]]
      const asks: BookLevel[] = [[ask, askSize]]
      for (let i = 1; i < this.bookDepth; i++) {
        bids.push([onGrid(m.tick, bidTicks - i * spacing), this.size(m, spec.topSize * (1 + i), 0.5)])
        asks.push([onGrid(m.tick, askTicks + i * spacing), this.size(m, spec.topSize * (1 + i), 0.5)])
      }
      out.push({ kind: 'book', venue, symbol, timestamp, snapshot: true, bids, asks })
    }
    out.push({ kind: 'quote', venue, symbol, timestamp, bid, bidSize, ask, askSize })
    if (rng.next() < this.tradeProbability) {
      const buy = rng.next() < 0.5
      out.push({
        kind: 'trade',
        venue,
        symbol,
        timestamp,
        price: buy ? ask : bid,
        amount: this.size(m, spec.tradeSize, 1),
        side: buy ? 'buy' : 'sell',
      })
    }
  }
}

/**
 * Synthetic market data as a `MarketSource`. Simulated time (the default) needs `count` or `until`; paced
 * (wall-clock) mode runs until `signal` aborts. Each iteration starts the same seeded sequence afresh.
 */
export function syntheticSource(options: SyntheticMarketOptions = {}): MarketSource {
  const paced = options.paced ?? false
  if (!paced && options.count === undefined && options.until === undefined) {
    throw new InputError('syntheticSource: give count or until (or paced: true with a signal)')
  }
  if (options.count !== undefined && !(Number.isInteger(options.count) && options.count >= 0)) {
    throw new InputError(`count must be a non-negative integer, got ${options.count}`)
  }
  const stepMs = options.stepMs ?? 1000
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE
  const count = options.count ?? Number.POSITIVE_INFINITY
  const until = options.until ?? Number.POSITIVE_INFINITY
  const signal = options.signal
  new SyntheticMarket(options) // validate options now rather than on first read
  return {
    async *[Symbol.asyncIterator]() {
      const market = new SyntheticMarket(options)
      let emitted = 0
      let time = options.start ?? DEFAULT_SYNTHETIC_START
      let out: MarketEvent[] = []
      while (emitted < count && signal?.aborted !== true) {
        const now = paced ? Date.now() : time
        if (now >= until) break
        const before = out.length
        market.step(now, out)
        emitted += out.length - before
        if (emitted > count) {
          out.length -= emitted - count
          emitted = count
        }
        if (paced) {
          yield out
          out = []
          try {
            await sleep(stepMs, undefined, signal === undefined ? {} : { signal })
          } catch (error) {
            if ((error as Error).name === 'AbortError') return
            throw error
          }
        } else {
          time += stepMs
          if (out.length >= batchSize) {
            yield out
            out = []
          }
        }
      }
      if (out.length > 0) yield out
    },
  }
}

/** Instruments for the synthetic symbols (the same on every venue), fees 0.1% maker and taker. */
export function syntheticInstruments(options: Pick<SyntheticMarketOptions, 'symbols'> = {}): Instrument[] {
  return (options.symbols ?? DEFAULT_SYNTHETIC_SYMBOLS).map((s) =>
    makeInstrument({
      symbol: s.symbol,
      tickSize: s.tickSize,
      stepSize: s.stepSize,
      minCost: s.minCost ?? '0',
      makerFee: '0.001',
      takerFee: '0.001',
    }),
  )
}

/**
 * Suggested starting balances per venue: 100,000 of each quote currency and about 25,000 quote's worth of
 * each base currency (on its step), so a strategy can trade both ways on every venue from the first tick.
 */
export function syntheticBalances(
  options: Pick<SyntheticMarketOptions, 'symbols' | 'venues'> = {},
): Record<string, Record<string, string>> {
  const symbols = options.symbols ?? DEFAULT_SYNTHETIC_SYMBOLS
  const perVenue: Record<string, string> = {}
  for (const s of symbols) {
    const [base = '', quote = ''] = s.symbol.split('/')
    perVenue[quote] = '100000'
    const lot = grid(s.stepSize)
    const decimals = Math.round(Math.log10(lot.scale))
    perVenue[base] = onGrid(lot, Math.floor(25_000 / s.price / lot.size)).toFixed(decimals)
  }
  const out: Record<string, Record<string, string>> = {}
  for (const v of options.venues ?? DEFAULT_SYNTHETIC_VENUES) out[v] = { ...perVenue }
  return out
}
