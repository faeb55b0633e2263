/**
 * @module bench/backtest-trading-heavy
 * A backtest that trades a lot (issue #16): `market-maker` quoting 4 bps around the seeded synthetic market,
 * 300,000 events, about one fill per 40 events — exactly what `sofia backtest --data synthetic` does, in a
 * child process so its peak RSS is its own. The sma-cross benchmarks barely trade; this one loads the order
 * path, the simulated exchange and the ledger on every few events.
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url))

export const TRADING_HEAVY_EVENTS = 300_000

/** Below this share of events filling the run no longer measures a trading-heavy workload. */
const MIN_FILL_RATIO = 0.02

interface Result {
  readonly events: number
  readonly fills: number
  readonly eventsPerSecond: number
  readonly elapsedMs: number
  readonly peakRssMb: number
}

export async function benchBacktestTradingHeavy(opts: { events?: number } = {}): Promise<Record<string, number>> {
  const count = opts.events ?? TRADING_HEAVY_EVENTS
  const args = [
    CLI, 'backtest', '--strategy', 'market-maker', '--data', 'synthetic', '--events', String(count),
    '--param', 'spreadBps=4', '--param', 'amount=0.01', '--store', 'none', '--json',
  ]
  const once = async (): Promise<Result> => {
    const { stdout } = await run(process.execPath, args, { maxBuffer: 1 << 26 })
    const r = JSON.parse(stdout) as Result
    if (r.events !== count) throw new Error(`backtest saw ${r.events} events, expected ${count}`)
    return r
  }
  // Best of three after a warm-up run (page cache, JIT of the CLI's modules).
  await once()
  let best: Result | undefined
  for (let i = 0; i < 3; i++) {
    const r = await once()
    if (best === undefined || r.elapsedMs < best.elapsedMs) best = r
  }
  const fillRatio = best!.fills / best!.events
  if (fillRatio < MIN_FILL_RATIO) throw new Error(`only ${(fillRatio * 100).toFixed(2)}% of events filled: not trading-heavy`)
  return {
    events: best!.events,
    events_per_s: best!.eventsPerSecond,
    elapsed_ms: best!.elapsedMs,
    fills: best!.fills,
    fill_ratio_pct: Math.round(fillRatio * 10_000) / 100,
    peak_rss_mb: best!.peakRssMb,
  }
}
