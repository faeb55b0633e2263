/**
 * @module ledger/equity-curve
 * A bounded equity curve. Memory stays below `maxPoints` however long the run by time-bucket downsampling:
 * while the curve fits, every sample is kept; when it overflows, the bucket width doubles (the first time it is
 * set to span / (maxPoints / 2)) and only the last sample of each bucket is kept, plus the very first sample so
 * that the starting equity never moves. Later samples falling in the current last bucket replace its point.
 * The result is a curve of (roughly) evenly spaced closes, which is what per-period returns need.
 *
 * Peak and maximum drawdown are tracked over every sample, not only the kept ones, so they stay exact even when
 * a trough is later downsampled away.
 */
import { InvariantViolation, ZERO } from '../model/index.js'
import type { Decimal } from '../model/index.js'

export interface EquityPoint {
  readonly timestamp: number
  readonly equity: Decimal
  /** Peak equity so far (over all samples) minus this equity; ≥ 0. */
  readonly drawdown: Decimal
  /** Σ |position amount| × mark in the reporting currency at this time (for exposure statistics). */
  readonly grossExposure: Decimal
}

export const DEFAULT_MAX_EQUITY_POINTS = 10_000

/** A kept point as the curve holds it: the last one is overwritten in place while nobody outside has seen it. */
interface KeptPoint {
  timestamp: number
  equity: Decimal
  drawdown: Decimal
  grossExposure: Decimal
}

export class EquityCurve {
  private kept: KeptPoint[] = []
  /**
   * The last kept point has been handed out (by `points()`): the next sample in its bucket replaces it with a
   * new object instead of overwriting it, so a copy once returned never changes.
   */
  private lastShared = false
  private bucket = 0
  private count = 0
  private peakEquity: Decimal | undefined = undefined
  private peakFloat = 0
  private maxDd: Decimal = ZERO
  /** The largest drawdown fraction computed exactly so far. */
  private maxDdFraction = 0
  /** The largest float estimate of a drawdown fraction over every sample. */
  private maxDdEstimate = 0
  /**
   * Samples whose estimate came within float error of the largest: one of them holds the largest exact fraction.
   * Their exact quotients are taken when the fraction is read (a decimal division costs microseconds).
   */
  private ddCandidates: { readonly estimate: number; readonly drawdown: Decimal; readonly peak: Decimal }[] = []
  private lastEquity: Decimal | undefined
  private lastDrawdown: Decimal = ZERO

  constructor(readonly maxPoints: number = DEFAULT_MAX_EQUITY_POINTS) {
    if (!Number.isInteger(maxPoints) || maxPoints < 4) throw new RangeError(`equity curve: maxPoints must be an integer ≥ 4, got ${maxPoints}`)
  }

  /**
   * Appends a sample; timestamps must not go backwards. A sample in the bucket of the last kept point takes
   * its place, in place: a year of 1m samples allocates no point per sample once the curve is downsampled.
   */
  add(timestamp: number, equity: Decimal, grossExposure: Decimal = ZERO): void {
    const last = this.kept[this.kept.length - 1]
    if (last !== undefined && timestamp < last.timestamp) {
      throw new InvariantViolation(`equity curve: sample at ${timestamp} is before the last one at ${last.timestamp}`)
    }
    this.count++
    // The same equity as the last sample (a flat account between fills): nothing about the peak or the falls
    // can have changed.
    const drawdown = equity === this.lastEquity ? this.lastDrawdown : this.observe(equity)
    this.lastEquity = equity
    this.lastDrawdown = drawdown
    if (
      last !== undefined &&
      this.bucket > 0 &&
      this.kept.length > 1 &&
      Math.floor(timestamp / this.bucket) === Math.floor(last.timestamp / this.bucket)
    ) {
      if (this.lastShared) {
        this.kept[this.kept.length - 1] = { timestamp, equity, drawdown, grossExposure }
        this.lastShared = false
      } else {
        last.timestamp = timestamp
        last.equity = equity
        last.drawdown = drawdown
        last.grossExposure = grossExposure
      }
    } else {
      this.kept.push({ timestamp, equity, drawdown, grossExposure })
      this.lastShared = false
      if (this.kept.length > this.maxPoints) this.compact()
    }
  }

  /** Tracks the peak, the largest fall and the fraction candidates; returns the fall from the peak. */
  private observe(equity: Decimal): Decimal {
    if (this.peakEquity === undefined || equity.gt(this.peakEquity)) {
      this.peakEquity = equity
      this.peakFloat = equity.toNumber()
    }
    const drawdown = this.peakEquity.sub(equity)
    if (drawdown.gt(this.maxDd)) this.maxDd = drawdown
    if (this.peakFloat > 0 && !drawdown.isZero()) {
      // The float quotient is within a few units in the last place of the exact one (and the subtraction
      // within one of the peak): anything beyond the tolerance below cannot be the largest.
      const estimate = (this.peakFloat - equity.toNumber()) / this.peakFloat
      const floor = this.maxDdEstimate - this.maxDdEstimate * 1e-9 - 1e-12
      if (estimate >= floor) {
        if (estimate > this.maxDdEstimate) {
          this.maxDdEstimate = estimate
          const keep = estimate - estimate * 1e-9 - 1e-12
          this.ddCandidates = this.ddCandidates.filter((c) => c.estimate >= keep)
        }
        const prev = this.ddCandidates[this.ddCandidates.length - 1]
        if (prev === undefined || prev.peak !== this.peakEquity || !prev.drawdown.eq(drawdown)) {
          this.ddCandidates.push({ estimate, drawdown, peak: this.peakEquity })
          if (this.ddCandidates.length > 64) this.resolveCandidates()
        }
      }
    }
    return drawdown
  }

  private compact(): void {
    const first = this.kept[0]!
    const lastTs = this.kept[this.kept.length - 1]!.timestamp
    this.bucket =
      this.bucket === 0 ? Math.max(1, Math.ceil((lastTs - first.timestamp) / Math.floor(this.maxPoints / 2))) : this.bucket * 2
    const out: KeptPoint[] = [first]
    for (let i = 1; i < this.kept.length; i++) {
      const p = this.kept[i]!
      const prev = out[out.length - 1]!
      if (out.length > 1 && Math.floor(p.timestamp / this.bucket) === Math.floor(prev.timestamp / this.bucket)) {
        out[out.length - 1] = p
      } else {
        out.push(p)
      }
    }
    this.kept = out
    if (this.kept.length > this.maxPoints) this.compact()
  }

  /** The kept points, oldest first (a copy, whose points never change afterwards). */
  points(): readonly EquityPoint[] {
    this.lastShared = true
    return this.kept.slice()
  }

  /** Width of a downsampling bucket in ms; 0 while every sample is still kept. */
  get bucketMs(): number {
    return this.bucket
  }

  /** Samples ever added (kept or not). */
  get samples(): number {
    return this.count
  }

  get peak(): Decimal | undefined {
    return this.peakEquity
  }

  /** Largest peak-to-trough fall over every sample, absolute. */
  get maxDrawdown(): Decimal {
    return this.maxDd
  }

  /** Largest peak-to-trough fall over every sample as a fraction of its peak (0 while the peak is ≤ 0). */
  get maxDrawdownFraction(): number {
    this.resolveCandidates()
    return this.maxDdFraction
  }

  private resolveCandidates(): void {
    for (const c of this.ddCandidates) {
      const fraction = c.drawdown.div(c.peak).toNumber()
      if (fraction > this.maxDdFraction) this.maxDdFraction = fraction
    }
    this.ddCandidates = []
  }
}
