/**
 * @module exchange-sim/market-maker
 * The simulated outside world of one symbol: a seeded log-normal random walk of the fair price, a market
 * maker quoting levels around it, and outside takers printing trades. Everything random comes from one Prng,
 * so the same seed gives the same price path. `scale` and `offset` shift the quoted price
 * (`fair × scale + offset`), so two simulators with one seed make a two-venue arbitrage with a known gap.
 */
import type { Prng } from '../engine/index.js'
import type { Instrument, OrderSide } from '../model/index.js'

export interface MarketMakerSpec {
  /** Starting fair price (before scale and offset). */
  readonly price: number
  /** Quoted spread, basis points of the price. */
  readonly spreadBps: number
  /** Typical size at the top level, base currency. */
  readonly topSize: number
  /** Typical outside trade size, base currency. */
  readonly tradeSize: number
}

export interface MarketMakerOptions {
  readonly scale: number
  readonly offset: number
  /** Standard deviation of one step of the fair price, basis points. */
  readonly stepBps: number
  /** Levels quoted per side. */
  readonly levels: number
  /** Chance per step of an outside trade. */
  readonly tradeProbability: number
}

export interface Quote {
  readonly side: OrderSide
  readonly ticks: number
  readonly lots: number
}

export class MarketMaker {
  /** Log of fair / starting fair. */
  private logMove = 0

  constructor(
    readonly inst: Instrument,
    private readonly spec: MarketMakerSpec,
    private readonly options: MarketMakerOptions,
    private readonly prng: Prng,
  ) {}

  /** The quoted mid price (fair × scale + offset), as a float. */
  get mid(): number {
    return this.spec.price * Math.exp(this.logMove) * this.options.scale + this.options.offset
  }

  /** Moves the fair price one step of the random walk. */
  step(): void {
    this.logMove += (this.options.stepBps / 1e4) * this.prng.normal()
  }

  /** Puts the quoted mid at `price` (tests and operators steer the market with it). */
  moveTo(price: number): void {
    const fair = (price - this.options.offset) / this.options.scale
    if (!(fair > 0)) throw new RangeError(`price ${price} gives a fair price ≤ 0`)
    this.logMove = Math.log(fair / this.spec.price)
  }

  /** The market maker's ladder around the current mid. */
  quotes(): Quote[] {
    const tick = this.inst.tickSizeNum
    const step = this.inst.stepSizeNum
    const mid = this.mid
    const half = Math.max(tick, (mid * this.spec.spreadBps) / 2e4)
    const gap = Math.max(tick, (mid * this.spec.spreadBps) / 1e4)
    const out: Quote[] = []
    for (let i = 0; i < this.options.levels; i++) {
      const size = (side: OrderSide): Quote => {
        const lots = Math.max(1, Math.round((this.spec.topSize * (1 + i * 0.5) * (0.5 + this.prng.next())) / step))
        const ticks = side === 'buy' ? Math.floor((mid - half - i * gap) / tick) : Math.ceil((mid + half + i * gap) / tick)
        return { side, ticks: Math.max(1, ticks), lots }
      }
      out.push(size('buy'), size('sell'))
    }
    return out
  }

  /** An outside taker this step, or undefined. */
  outsideTrade(): { side: OrderSide; lots: number } | undefined {
    if (this.prng.next() >= this.options.tradeProbability) return undefined
    const side: OrderSide = this.prng.next() < 0.5 ? 'buy' : 'sell'
    const lots = Math.max(1, Math.round((this.spec.tradeSize * Math.exp(0.5 * this.prng.normal())) / this.inst.stepSizeNum))
    return { side, lots }
  }
}
