/**
 * @module risk/order-rate-counter
 * Sliding-window order counts per strategy and per venue, fed only with orders the risk engine approved.
 *
 * Each strategy and venue keeps a ring of its approval times younger than the longest window (a minute).
 * "n orders already in the window" is then one lookup — is the n-th most recent time inside it? — and a
 * record evicts what has aged out, so both are O(1) amortized, with no timers or buckets to sweep. Because
 * everything inside the longest window is kept, limits may change at any time and the counts stay exact.
 *
 * A window of w ms ending at `now` is (now − w, now]: an order exactly w ms old has left it, so n orders at
 * t allow the next one at t + w.
 */
import type { Order } from '../model/index.js'

export const RATE_SCOPES = ['strategy', 'venue'] as const
export type RateScope = (typeof RATE_SCOPES)[number]

/** The longest window asked about; older times are dropped. */
export const RATE_HORIZON_MS = 60_000

class TimeRing {
  private times = new Float64Array(8)
  /** Index of the oldest time kept. */
  private tail = 0
  size = 0

  push(t: number): void {
    const cutoff = t - RATE_HORIZON_MS
    while (this.size > 0 && this.times[this.tail]! <= cutoff) {
      this.tail = (this.tail + 1) & (this.times.length - 1)
      this.size--
    }
    if (this.size === this.times.length) this.grow()
    this.times[(this.tail + this.size) & (this.times.length - 1)] = t
    this.size++
  }

  /** The n-th most recent time (1 = latest), or undefined when fewer are kept. */
  recent(n: number): number | undefined {
    if (n < 1 || n > this.size) return undefined
    return this.times[(this.tail + this.size - n) & (this.times.length - 1)]
  }

  /** Doubles the (power-of-two) capacity, oldest first. */
  private grow(): void {
    const next = new Float64Array(this.times.length * 2)
    for (let i = 0; i < this.size; i++) next[i] = this.times[(this.tail + i) & (this.times.length - 1)]!
    this.times = next
    this.tail = 0
  }
}

export class OrderRateCounter {
  private readonly rings: Record<RateScope, Map<string, TimeRing>> = { strategy: new Map(), venue: new Map() }

  /** Records an approved order at `now`. */
  record(order: Order, now: number): void {
    this.ring('strategy', order.strategyId).push(now)
    this.ring('venue', order.venue).push(now)
  }

  /**
   * True when `n` or more recorded orders lie in (now − windowMs, now]: one more would exceed n per
   * window. `windowMs` must not exceed RATE_HORIZON_MS.
   */
  isFull(scope: RateScope, id: string, n: number, windowMs: number, now: number): boolean {
    if (n <= 0) return true
    const t = this.rings[scope].get(id)?.recent(n)
    return t !== undefined && t > now - windowMs
  }

  /** Recorded orders in (now − windowMs, now]. O(count); for reasons and tests. */
  count(scope: RateScope, id: string, windowMs: number, now: number): number {
    const ring = this.rings[scope].get(id)
    if (ring === undefined) return 0
    let n = 0
    for (let i = 1; i <= ring.size; i++) {
      const t = ring.recent(i)
      if (t === undefined || t <= now - windowMs) break
      n++
    }
    return n
  }

  private ring(scope: RateScope, id: string): TimeRing {
    const rings = this.rings[scope]
    let ring = rings.get(id)
    if (ring === undefined) {
      ring = new TimeRing()
      rings.set(id, ring)
    }
    return ring
  }
}
