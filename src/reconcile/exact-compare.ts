/**
 * @module reconcile/exact-compare
 * Exact decimal comparison and summation at a million records a second. decimal.js costs about a microsecond
 * an operation, too slow for every field of every fill, so the common cases go the cheap way and stay exact:
 * equal strings are equal decimals; differing doubles are differing decimals (correctly rounded parsing is
 * monotonic); a tolerance test decided by a margin far beyond double rounding needs no more. Only equal
 * doubles of unequal strings and differences within that margin of the tolerance fall back to Decimal.
 * Sums of amounts go into per-scale integer buckets (doubles while below 2^53, then BigInt).
 */
import { Decimal, dec } from '../model/index.js'

export const EQUAL = 0
/** Different, but within the tolerance. */
export const WITHIN = 1
export const BEYOND = 2
export type Closeness = typeof EQUAL | typeof WITHIN | typeof BEYOND

/** Relative error of a parsed double is at most 2^-53; four of those cover both parses and the subtraction. */
const DOUBLE_SLACK = 4 * 2 ** -53

/**
 * How close `a` is to the reference `b`: |a − b| ≤ tolerance × |b| is WITHIN (EQUAL when identical).
 * `tolerance` is the number and `toleranceDec` the exact value of the same tolerance.
 */
export function closeness(a: string, b: string, tolerance: number, toleranceDec: Decimal): Closeness {
  if (a === b) return EQUAL
  const x = Number(a)
  const y = Number(b)
  if (x === y) {
    // "34488" and "34488.0", or two decimals beyond double precision: only Decimal can say.
    if (Number.isFinite(x)) return exactCloseness(a, b, toleranceDec)
  }
  if (!Number.isFinite(x) || !Number.isFinite(y)) return exactCloseness(a, b, toleranceDec)
  if (tolerance === 0) return BEYOND
  const diff = Math.abs(x - y)
  const limit = tolerance * Math.abs(y)
  const slack = DOUBLE_SLACK * (Math.abs(x) + Math.abs(y) + limit)
  if (diff > limit + slack) return BEYOND
  if (diff < limit - slack) return WITHIN
  return exactCloseness(a, b, toleranceDec)
}

function exactCloseness(a: string, b: string, toleranceDec: Decimal): Closeness {
  const x = dec(a)
  const y = dec(b)
  if (x.eq(y)) return EQUAL
  return x.sub(y).abs().lte(toleranceDec.mul(y.abs())) ? WITHIN : BEYOND
}

/** (a − b) / b as a decimal string with 12 significant digits, or null when b is zero. */
export function relativeDifference(a: string, b: string): string | null {
  const y = dec(b)
  if (y.isZero()) return null
  return dec(a).sub(y).div(y).toSignificantDigits(12).toString()
}

/** a − b, exact. */
export function difference(a: string, b: string): string {
  return dec(a).sub(dec(b)).toString()
}

const MAX_FAST_SCALE = 18
/** A bucket flushes to BigInt before another 15-digit addend could carry it past 2^53. */
const FLUSH_AT = 2 ** 53 - 1e15

/** An exact running sum of decimal strings. */
export class ExactSum {
  private readonly small: number[] = new Array<number>(MAX_FAST_SCALE + 1).fill(0)
  private big: bigint[] | undefined
  private slow: Decimal | undefined

  /** Adds `s`, negated when `negate`. */
  add(s: string, negate: boolean): void {
    const n = s.length
    let i = 0
    let neg = negate
    const first = s.charCodeAt(0)
    if (first === 45 /* - */) {
      neg = !neg
      i = 1
    } else if (first === 43 /* + */) i = 1
    let m = 0
    let significant = 0
    let sawDigit = false
    let scale = -1
    for (; i < n; i++) {
      const c = s.charCodeAt(i)
      if (c >= 48 && c <= 57) {
        m = m * 10 + (c - 48)
        sawDigit = true
        if (m !== 0) significant++
        if (scale >= 0) scale++
      } else if (c === 46 /* . */ && scale < 0) scale = 0
      else return this.addSlow(s, negate)
    }
    if (!sawDigit || significant > 15 || scale > MAX_FAST_SCALE) return this.addSlow(s, negate)
    const at = scale < 0 ? 0 : scale
    const v = (this.small[at] as number) + (neg ? -m : m)
    if (v > FLUSH_AT || v < -FLUSH_AT) {
      this.big ??= new Array<bigint>(MAX_FAST_SCALE + 1).fill(0n)
      this.big[at] = (this.big[at] as bigint) + BigInt(v)
      this.small[at] = 0
    } else this.small[at] = v
  }

  private addSlow(s: string, negate: boolean): void {
    const d = new Decimal(s) // throws on a non-number: readers validate first
    this.slow = (this.slow ?? dec(0)).add(negate ? d.neg() : d)
  }

  /** The sum, exact. */
  value(): Decimal {
    let scale = 0
    for (let s = 0; s <= MAX_FAST_SCALE; s++) {
      if (this.small[s] !== 0 || (this.big !== undefined && this.big[s] !== 0n)) scale = s
    }
    let total = 0n
    for (let s = 0; s <= scale; s++) {
      const bucket = BigInt(this.small[s] as number) + (this.big?.[s] ?? 0n)
      if (bucket !== 0n) total += bucket * 10n ** BigInt(scale - s)
    }
    let text = (total < 0n ? -total : total).toString()
    if (scale > 0) {
      text = text.padStart(scale + 1, '0')
      text = `${text.slice(0, -scale)}.${text.slice(-scale)}`
    }
    const fast = new Decimal(total < 0n ? `-${text}` : text)
    return this.slow === undefined ? fast : fast.add(this.slow)
  }
}
