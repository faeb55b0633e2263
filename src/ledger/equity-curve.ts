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

/**
 * A kept point as the curve holds it: the last one is overwritten in place while nobody outside has seen it.
 * It keeps the peak of its time and takes its drawdown (peak − equity) only when the point is handed out: most
 * samples of a long run are overwritten before anyone reads them, and the subtraction was one Decimal per sample.
 */
interface KeptPoint {
  timestamp: number
  equity: Decimal
  peak: Decimal
  drawdown: Decimal | undefined
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
  /** `peakEquity.toNumber()`. */
  private peakFloat = 0
  private maxDd: Decimal = ZERO
  /**
   * `(peakEquity − maxDd).toNumber()`: a sample whose float is above it cannot fall further than `maxDd`.
   * Rounding to the nearest double never reverses an order (x ≤ y ⇒ round(x) ≤ round(y)), so a strict
   * float comparison settles it and only samples at or below it need the exact one.
   */
  private deepestFloat = Number.NEGATIVE_INFINITY
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
    if (equity !== this.lastEquity) this.observe(equity)
    this.lastEquity = equity
    const peak = this.peakEquity!
    if (
      last !== undefined &&
      this.bucket > 0 &&
      this.kept.length > 1 &&
      Math.floor(timestamp / this.bucket) === Math.floor(last.timestamp / this.bucket)
    ) {
      if (this.lastShared) {
        this.kept[this.kept.length - 1] = { timestamp, equity, peak, drawdown: undefined, grossExposure }
        this.lastShared = false
      } else {
        last.timestamp = timestamp
        last.equity = equity
        last.peak = peak
        last.drawdown = undefined
        last.grossExposure = grossExposure
      }
    } else {
      this.kept.push({ timestamp, equity, peak, drawdown: undefined, grossExposure })
      this.lastShared = false
      if (this.kept.length > this.maxPoints) this.compact()
    }
  }

  /**
   * Tracks the peak, the largest fall and the fraction candidates. Floats only rule out (a sample below the
   * peak's float is not above the peak, one above the deepest float is no deeper); every change is decided
   * by an exact comparison.
   */
  private observe(equity: Decimal): void {
    const equityFloat = equity.toNumber()
    if (this.peakEquity === undefined || (equityFloat >= this.peakFloat && equity.gt(this.peakEquity))) {
      this.peakEquity = equity
      this.peakFloat = equityFloat
      this.deepestFloat = equity.sub(this.maxDd).toNumber()
    }
    const peak = this.peakEquity
    let drawdown: Decimal | undefined
    if (equityFloat <= this.deepestFloat) {
      drawdown = peak.sub(equity)
      if (drawdown.gt(this.maxDd)) {
        this.maxDd = drawdown
        this.deepestFloat = equityFloat
      }
    }
    if (this.peakFloat > 0 && (equityFloat !== this.peakFloat || !equity.eq(peak))) {
      // The float quotient is within a few units in the last place of the exact one (and the subtraction
      // within one of the peak): anything beyond the tolerance below cannot be the largest.
      const estimate = (this.peakFloat - equityFloat) / this.peakFloat
      const floor = this.maxDdEstimate - this.maxDdEstimate * 1e-9 - 1e-12
      if (estimate >= floor) {
        if (estimate > this.maxDdEstimate) {
          this.maxDdEstimate = estimate
          const keep = estimate - estimate * 1e-9 - 1e-12
          this.ddCandidates = this.ddCandidates.filter((c) => c.estimate >= keep)
        }
        drawdown ??= peak.sub(equity)
        const prev = this.ddCandidates[this.ddCandidates.length - 1]
        if (prev === undefined || prev.peak !== peak || !prev.drawdown.eq(drawdown)) {
          this.ddCandidates.push({ estimate, drawdown, peak })
          if (this.ddCandidates.length > 64) this.resolveCandidates()
        }
      }
    }
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
    const out: EquityPoint[] = new Array(this.kept.length)
    for (let i = 0; i < this.kept.length; i++) {
      const p = this.kept[i]!
      p.drawdown ??= p.peak.sub(p.equity)
      out[i] = { timestamp: p.timestamp, equity: p.equity, drawdown: p.drawdown, grossExposure: p.grossExposure }
    }
    return out
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
