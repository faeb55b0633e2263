/**
 * @module ops/canary/pbo
 * The Probability of Backtest Overfitting by combinatorially symmetric cross-validation (CSCV; Bailey,
 * Borwein, López de Prado & Zhu, "The Probability of Backtest Overfitting", 2015).
 *
 * The T×N matrix holds the returns of N trials (columns) over T periods (rows). Its rows are cut into S
 * contiguous blocks of equal size (the last T mod S rows are dropped). For every one of the C(S, S/2) ways
 * to choose S/2 blocks as the in-sample set J (the others, J̄, out of sample), the trial n* with the best
 * in-sample performance is located in the out-of-sample ranking: ω̄ = rank / (N + 1), rank 1 = worst
 * (ties share their mean rank), and λ = ln(ω̄ / (1 − ω̄)). PBO = the fraction of combinations with λ ≤ 0,
 * i.e. where the in-sample winner is at or below the out-of-sample median.
 *
 * Performance is the per-period Sharpe ratio (mean / sample std), computed from per-block sums so every
 * combination costs O(N·S).
 */

export interface PboOptions {
  /** Number of blocks S, even, ≥ 2 (default 16, lowered to fit T: at least 2 rows per block). */
  readonly blocks?: number
}

export interface PboResult {
  readonly pbo: number
  readonly blocks: number
  readonly combinations: number
  /** λ of every combination (in the order the combinations were enumerated). */
  readonly logits: readonly number[]
  /** Mean out-of-sample performance of the in-sample winner (Sharpe per period). */
  readonly meanOosOfWinner: number
}

/** Calls `visit` with every k-subset of 0..n−1 (ascending indices). */
function combinations(n: number, k: number, visit: (subset: readonly number[]) => void): void {
  const idx = Array.from({ length: k }, (_, i) => i)
  for (;;) {
    visit(idx)
    let i = k - 1
    while (i >= 0 && idx[i] === n - k + i) i--
    if (i < 0) return
    idx[i]!++
    for (let j = i + 1; j < k; j++) idx[j] = idx[j - 1]! + 1
  }
}

function sharpeOf(sum: number, sumSq: number, n: number): number {
  if (n < 2) return 0
  const mean = sum / n
  const variance = (sumSq - n * mean * mean) / (n - 1)
  return variance > 0 ? mean / Math.sqrt(variance) : 0
}

/** Rank (1 = lowest, ties averaged) of `values[at]` among `values`. */
function rankOf(values: readonly number[], at: number): number {
  const v = values[at]!
  let below = 0
  let equal = 0
  for (const x of values) {
    if (x < v) below++
    else if (x === v) equal++
  }
  return below + (equal + 1) / 2
}

/** PBO of a T×N matrix given as rows (periods) of N trial returns each. */
export function probabilityOfBacktestOverfitting(matrix: readonly (readonly number[])[], options: PboOptions = {}): PboResult {
  const t = matrix.length
  const n = matrix[0]?.length ?? 0
  if (n < 2) throw new RangeError(`PBO needs at least 2 trials (columns), got ${n}`)
  for (const [i, row] of matrix.entries()) if (row.length !== n) throw new RangeError(`row ${i} has ${row.length} values, expected ${n}`)
  let s = options.blocks ?? 16
  s = Math.min(s, Math.floor(t / 2))
  if (s % 2 === 1) s--
  if (s < 2) throw new RangeError(`PBO needs at least 4 periods, got ${t}`)
  const size = Math.floor(t / s)
  // Per block and trial: Σr and Σr².
  const sums = Array.from({ length: s }, () => new Float64Array(n))
  const sqs = Array.from({ length: s }, () => new Float64Array(n))
  for (let b = 0; b < s; b++) {
    for (let r = b * size; r < (b + 1) * size; r++) {
      const row = matrix[r]!
      for (let j = 0; j < n; j++) {
        const x = row[j]!
        sums[b]![j]! += x
        sqs[b]![j]! += x * x
      }
    }
  }
  const logits: number[] = []
  let oosSum = 0
  const half = s / 2
  const rows = half * size
  const inSet = new Uint8Array(s)
  combinations(s, half, (train) => {
    inSet.fill(0)
    for (const b of train) inSet[b] = 1
    const isPerf: number[] = []
    const oosPerf: number[] = []
    for (let j = 0; j < n; j++) {
      let a = 0
      let a2 = 0
      let o = 0
      let o2 = 0
      for (let b = 0; b < s; b++) {
        if (inSet[b] === 1) {
          a += sums[b]![j]!
          a2 += sqs[b]![j]!
        } else {
          o += sums[b]![j]!
          o2 += sqs[b]![j]!
        }
      }
      isPerf.push(sharpeOf(a, a2, rows))
      oosPerf.push(sharpeOf(o, o2, rows))
    }
    let best = 0
    for (let j = 1; j < n; j++) if (isPerf[j]! > isPerf[best]!) best = j
    const omega = rankOf(oosPerf, best) / (n + 1)
    logits.push(Math.log(omega / (1 - omega)))
    oosSum += oosPerf[best]!
  })
  const overfit = logits.filter((l) => l <= 0).length
  return { pbo: overfit / logits.length, blocks: s, combinations: logits.length, logits, meanOosOfWinner: oosSum / logits.length }
}
