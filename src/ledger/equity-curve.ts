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
 *
 * A sample may come as an `EquitySample`: a float within a stated error of the equity, and the exact Decimals made
 * only when asked for. The float settles most samples (far below the peak, above the deepest fall); the exact
 * equity is made for a sample that may be a new peak, a deeper fall or the largest fraction, and for the points
 * handed out. A year of 1m bars then makes a few thousand exact sums, not one a bar.
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

/** An equity sample whose exact values are made when they are needed (and then kept). */
export interface EquitySample {
  /** A float within `error` of the exact equity. */
  readonly estimate: number
  /** A bound of |estimate − equity|, ≥ 0. */
  readonly error: number
  equity(): Decimal
  grossExposure(): Decimal
}

/** Two units in the last place of a double, relative: covers one rounding of each side of a comparison. */
const ULP2 = 2 ** -52

/** A sample given as Decimals: its float is the nearest double, within half a unit in the last place. */
class ExactSample implements EquitySample {
  readonly estimate: number
  readonly error: number
  constructor(
    private readonly exact: Decimal,
    private readonly exposure: Decimal,
  ) {
    this.estimate = exact.toNumber()
    this.error = Math.abs(this.estimate) * 2 ** -53
  }
  equity(): Decimal {
    return this.exact
  }
  grossExposure(): Decimal {
    return this.exposure
  }
}

/**
 * A kept point as the curve holds it: the last one is overwritten in place while nobody outside has seen it.
 * It keeps the peak of its time and takes its drawdown (peak − equity) only when the point is handed out: most
 * samples of a long run are overwritten before anyone reads them, and the subtraction was one Decimal per sample.
 */
interface KeptPoint {
  timestamp: number
  sample: EquitySample
  peak: Decimal
  drawdown: Decimal | undefined
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
  /** What the last sample was given as (its Decimal, or the sample itself): the same again changes nothing. */
  private lastGiven: Decimal | EquitySample | undefined

  constructor(readonly maxPoints: number = DEFAULT_MAX_EQUITY_POINTS) {
    if (!Number.isInteger(maxPoints) || maxPoints < 4) throw new RangeError(`equity curve: maxPoints must be an integer ≥ 4, got ${maxPoints}`)
  }

  /**
   * Appends a sample; timestamps must not go backwards. A sample in the bucket of the last kept point takes
   * its place, in place: a year of 1m samples allocates no point per sample once the curve is downsampled.
   */
  add(timestamp: number, given: Decimal | EquitySample, grossExposure: Decimal = ZERO): void {
    const last = this.kept[this.kept.length - 1]
    if (last !== undefined && timestamp < last.timestamp) {
      throw new InvariantViolation(`equity curve: sample at ${timestamp} is before the last one at ${last.timestamp}`)
    }
    this.count++
    // The same equity as the last sample (a flat account between fills): nothing about the peak or the falls
    // can have changed.
    const sample = isSample(given)
      ? given
      : given === this.lastGiven && last !== undefined && grossExposure === last.sample.grossExposure()
        ? last.sample
        : new ExactSample(given, grossExposure)
    if (given !== this.lastGiven) this.observe(sample)
    this.lastGiven = given
    const peak = this.peakEquity!
    if (
      last !== undefined &&
      this.bucket > 0 &&
      this.kept.length > 1 &&
      Math.floor(timestamp / this.bucket) === Math.floor(last.timestamp / this.bucket)
    ) {
      if (this.lastShared) {
        this.kept[this.kept.length - 1] = { timestamp, sample, peak, drawdown: undefined }
        this.lastShared = false
      } else {
        last.timestamp = timestamp
        last.sample = sample
        last.peak = peak
        last.drawdown = undefined
      }
    } else {
      this.kept.push({ timestamp, sample, peak, drawdown: undefined })
      this.lastShared = false
      if (this.kept.length > this.maxPoints) this.compact()
    }
  }

  /**
   * Tracks the peak, the largest fall and the fraction candidates. Floats only rule out (a sample whose float is
   * below the peak's by more than both errors is not above the peak; one above the deepest float by more is no
   * deeper); every change is decided by an exact comparison.
   */
  private observe(sample: EquitySample): void {
    let exact: Decimal | undefined
    let equityFloat = sample.estimate
    let error = sample.error
    // A float whose error is not small against the peak (balances that nearly cancel out) cannot rule anything
    // out within the fraction's tolerance below: this sample is then taken exactly.
    if (this.peakEquity === undefined || !(error <= Math.abs(this.peakFloat) * 1e-13)) {
      exact = sample.equity()
      equityFloat = exact.toNumber()
      error = Math.abs(equityFloat) * 2 ** -53
    }
    if (this.peakEquity === undefined || (equityFloat + error + Math.abs(this.peakFloat) * ULP2 >= this.peakFloat && (exact ??= sample.equity()).gt(this.peakEquity))) {
      exact ??= sample.equity()
      this.peakEquity = exact
      this.peakFloat = exact.toNumber()
      this.deepestFloat = exact.sub(this.maxDd).toNumber()
    }
    const peak = this.peakEquity
    let drawdown: Decimal | undefined
    if (equityFloat - error - Math.abs(this.deepestFloat) * ULP2 <= this.deepestFloat) {
      exact ??= sample.equity()
      drawdown = peak.sub(exact)
      if (drawdown.gt(this.maxDd)) {
        this.maxDd = drawdown
        this.deepestFloat = exact.toNumber()
      }
    }
    const nearPeak = Math.abs(equityFloat - this.peakFloat) <= error + Math.abs(this.peakFloat) * ULP2
    if (this.peakFloat > 0 && (!nearPeak || !(exact ??= sample.equity()).eq(peak))) {
      // The float quotient is within a few units in the last place of the exact one (and the subtraction
      // within one of the peak, the estimate within 1e-13 of it): anything beyond the tolerance below cannot
      // be the largest.
      const estimate = (this.peakFloat - equityFloat) / this.peakFloat
      const floor = this.maxDdEstimate - this.maxDdEstimate * 1e-9 - 1e-12
      if (estimate >= floor) {
        if (estimate > this.maxDdEstimate) {
          this.maxDdEstimate = estimate
          const keep = estimate - estimate * 1e-9 - 1e-12
          this.ddCandidates = this.ddCandidates.filter((c) => c.estimate >= keep)
        }
        drawdown ??= peak.sub((exact ??= sample.equity()))
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
      const equity = p.sample.equity()
      p.drawdown ??= p.peak.sub(equity)
      out[i] = { timestamp: p.timestamp, equity, drawdown: p.drawdown, grossExposure: p.sample.grossExposure() }
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

function isSample(x: Decimal | EquitySample): x is EquitySample {
  return typeof (x as EquitySample).estimate === 'number'
}
