/**
 * @module ops/canary/normal
 * The standard normal distribution: Φ (Hart's 1968 algorithm 5666 as given by West 2005, double precision)
 * and Φ⁻¹ (Acklam's rational approximation, relative error < 1.15e-9, refined by one Halley step on Φ to
 * full double precision). Used by the Deflated Sharpe Ratio; written here to avoid a statistics dependency.
 */

const SQRT_2PI = Math.sqrt(2 * Math.PI)

/** Hart's numerator and denominator coefficients, highest power first. */
const HART_N = [
  3.52624965998911e-2, 0.700383064443688, 6.37396220353165, 33.912866078383, 112.079291497871, 221.213596169931,
  220.206867912376,
] as const
const HART_D = [
  8.83883476483184e-2, 1.75566716318264, 16.064177579207, 86.7807322029461, 296.564248779674, 637.333633378831,
  793.826512519948, 440.413735824752,
] as const

/** The polynomial with these coefficients (highest power first) at x, by Horner's rule. */
function horner(x: number, coefficients: readonly number[]): number {
  let y = coefficients[0] ?? 0
  for (let i = 1; i < coefficients.length; i++) y = y * x + (coefficients[i] as number)
  return y
}

/** Φ(z) = P(Z ≤ z) for a standard normal Z. */
export function normCdf(z: number): number {
  if (Number.isNaN(z)) return Number.NaN
  const x = Math.abs(z)
  let c: number
  if (x > 37) c = 0
  else {
    const e = Math.exp((-x * x) / 2)
    if (x < 7.07106781186547) {
      c = (e * horner(x, HART_N)) / horner(x, HART_D)
    } else {
      let b = x + 0.65
      b = x + 4 / b
      b = x + 3 / b
      b = x + 2 / b
      b = x + 1 / b
      c = e / b / 2.506628274631
    }
  }
  return z > 0 ? 1 - c : c
}

const A = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239] as const
const B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1] as const
const C = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783] as const
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416] as const
const P_LOW = 0.02425

function tail(q: number): number {
  return (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1)
}

/** Φ⁻¹(p) for p in (0, 1); −∞ at 0, +∞ at 1, NaN outside. */
export function normInv(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) return Number.NaN
  if (p === 0) return Number.NEGATIVE_INFINITY
  if (p === 1) return Number.POSITIVE_INFINITY
  let x: number
  if (p < P_LOW) x = tail(Math.sqrt(-2 * Math.log(p)))
  else if (p <= 1 - P_LOW) {
    const q = p - 0.5
    const r = q * q
    x = ((((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q) / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1)
  } else x = -tail(Math.sqrt(-2 * Math.log(1 - p)))
  // One Halley step on Φ(x) − p: Acklam's 1e-9 becomes machine precision.
  const e = normCdf(x) - p
  const u = e * SQRT_2PI * Math.exp((x * x) / 2)
  return x - u / (1 + (x * u) / 2)
}
