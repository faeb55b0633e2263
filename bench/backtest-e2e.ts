/**
 * @module bench/backtest-e2e
 * End-to-end backtest throughput: N trade ticks (default 1,000,000) in a Sofia CSV file, read by the
 * streaming reader, through the engine, `sma-cross` on 1m bars built from the ticks, the simulated exchange
 * and the ledger — exactly what `sofia backtest` does, in a child process so its peak RSS is its own —
 * once recording to a SQLite store (the default) and once with no store, to show what the store costs.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { writeSofiaCsv } from '../src/data/index.js'
import { Prng } from '../src/engine/index.js'
import type { MarketEvent, TradeTick } from '../src/model/index.js'

const run = promisify(execFile)
const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url))

/** A seeded random walk of BTC/USDT trades, 50 ms apart, prices on a 0.01 tick. */
async function* ticks(count: number): AsyncGenerator<MarketEvent[]> {
  const rng = new Prng(42)
  let price = 60_000
  let t = Date.UTC(2024, 0, 1)
  let batch: TradeTick[] = []
  for (let i = 0; i < count; i++) {
    price = Math.max(1000, price * (1 + 0.0004 * rng.normal()))
    t += 50
    batch.push({
      kind: 'trade',
      venue: 'bench',
      symbol: 'BTC/USDT',
      timestamp: t,
      price: Math.round(price * 100) / 100,
      amount: Math.round((0.001 + rng.next() * 0.5) * 1e5) / 1e5,
      side: rng.next() < 0.5 ? 'buy' : 'sell',
    })
    if (batch.length === 4096) {
      yield batch
      batch = []
    }
  }
  if (batch.length > 0) yield batch
}

interface Result {
  eventsPerSecond: number
  peakRssMb: number
  fills: number
  elapsedMs: number
}

export async function benchBacktest(opts: { ticks?: number } = {}): Promise<Record<string, number>> {
  const count = opts.ticks ?? 1_000_000
  const dir = await mkdtemp(join(tmpdir(), 'sofia-bench-'))
  try {
    const file = join(dir, 'bench_BTC-USDT_trades.csv')
    await writeSofiaCsv(file, ticks(count))
    const base = [CLI, 'backtest', '--strategy', 'sma-cross', '--data', file, '--param', 'amount=0.5', '--balance', 'USDT=1000000', '--json']
    // Best of three after a warm-up run (page cache, JIT of the CLI's modules).
    const measure = async (store: string): Promise<Result> => {
      const args = [...base, '--store', store]
      await run(process.execPath, args, { maxBuffer: 1 << 24 })
      let best: Result | undefined
      for (let i = 0; i < 3; i++) {
        const { stdout } = await run(process.execPath, args, { maxBuffer: 1 << 24 })
        const r = JSON.parse(stdout) as Result & { events: number }
        if (r.events !== count) throw new Error(`backtest saw ${r.events} events, expected ${count}`)
        if (best === undefined || r.eventsPerSecond > best.eventsPerSecond) best = r
      }
      return best!
    }
    const sqlite = await measure(join(dir, 'backtest.db'))
    const none = await measure('none')
    return {
      ticks: count,
      ticks_per_s: sqlite.eventsPerSecond,
      elapsed_ms: sqlite.elapsedMs,
      peak_rss_mb: sqlite.peakRssMb,
      fills: sqlite.fills,
      ticks_per_s_without_store: none.eventsPerSecond,
      store_overhead_pct: Math.round((1 - sqlite.eventsPerSecond / none.eventsPerSecond) * 1000) / 10,
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
