/**
 * @module data/read-benchmark
 * A tiny helper for `bench/`: reads a market-data file to the end and reports the rate, so the benchmark
 * measures the same code path a backtest uses (openMarketData → batches), without a test's overhead.
 */
import { openMarketData, type OpenMarketDataOptions } from './open-market-data.js'

export interface ReadBenchmark {
  readonly rows: number
  readonly events: number
  readonly elapsedMs: number
  readonly rowsPerSecond: number
}

export async function benchmarkRead(path: string, options: OpenMarketDataOptions = {}): Promise<ReadBenchmark> {
  const { source, stats } = await openMarketData(path, options)
  const started = performance.now()
  let events = 0
  for await (const batch of source) events += batch.length
  const elapsedMs = performance.now() - started
  return { rows: stats.rows, events, elapsedMs, rowsPerSecond: elapsedMs > 0 ? (stats.rows * 1000) / elapsedMs : 0 }
}
