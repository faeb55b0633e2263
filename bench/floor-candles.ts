/**
 * @module bench/floor-candles
 * The floor of a candle backtest, for bench/backtest-candles: `node floor-candles.js FILE` reads a CCXT OHLCV
 * JSON file, parses it, and runs the SMA(10)/SMA(30) cross over the closes in a bare loop (no engine, no orders,
 * no ledger). Prints {bars, crosses, elapsedMs, peakRssMb} as JSON.
 */
import { readFileSync } from 'node:fs'

const file = process.argv[2]
if (file === undefined) throw new Error('usage: floor-candles FILE')
const started = performance.now()
const rows = JSON.parse(readFileSync(file, 'utf8')) as number[][]
const FAST = 10
const SLOW = 30
const ring = new Float64Array(SLOW)
let fastSum = 0
let slowSum = 0
let above: boolean | undefined
let crosses = 0
for (let i = 0; i < rows.length; i++) {
  const close = rows[i]![4]!
  slowSum += close - ring[i % SLOW]!
  fastSum += close - (i >= FAST ? ring[(i - FAST) % SLOW]! : 0)
  ring[i % SLOW] = close
  if (i + 1 < SLOW) continue
  const now = fastSum / FAST > slowSum / SLOW
  if (above !== undefined && now !== above) crosses++
  above = now
}
const elapsedMs = performance.now() - started
process.stdout.write(`${JSON.stringify({ bars: rows.length, crosses, elapsedMs: Math.round(elapsedMs * 10) / 10, peakRssMb: Math.round(process.resourceUsage().maxRSS / 102.4) / 10 })}\n`)
