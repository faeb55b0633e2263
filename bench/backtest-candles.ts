/**
 * @module bench/backtest-candles
 * A year of 1m candles (525,600 bars, a seeded random walk written as a CCXT OHLCV JSON file) backtested with
 * `sma-cross` trading, exactly as `sofia backtest` does, in a child process so its peak RSS is its own; and, in
 * the same run, the floor: the same file read and parsed and the same SMA(10)/SMA(30) cross computed over it in
 * a bare loop (bench/floor-candles.ts), also in a child process. The ratio is Sofia's time over the floor's.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { Prng } from '../src/engine/index.js'

const run = promisify(execFile)
const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url))
const FLOOR = fileURLToPath(new URL('./floor-candles.js', import.meta.url))

export const YEAR_OF_MINUTES = 525_600

/** CCXT OHLCV rows ([ms, open, high, low, close, volume]) of a seeded walk, one every `stepMs` from 2024-01-01. */
export function candleJson(count: number, seed = 7, stepMs = 60_000, start = 40_000): string {
  const rng = new Prng(seed)
  let price = start
  const t0 = Date.UTC(2024, 0, 1)
  const rows: string[] = []
  const r2 = (x: number): number => Math.round(x * 100) / 100
  for (let i = 0; i < count; i++) {
    const open = price
    const close = Math.max(1000, open * (1 + 0.0008 * rng.normal()))
    const high = Math.max(open, close) * (1 + 0.0003 * rng.next())
    const low = Math.min(open, close) * (1 - 0.0003 * rng.next())
    rows.push(`[${t0 + i * stepMs},${r2(open)},${r2(high)},${r2(low)},${r2(close)},${Math.round(rng.next() * 5e5) / 1e3}]`)
    price = close
  }
  return `[\n${rows.join(',\n')}\n]\n`
}

interface Result {
  /** Wall time of the whole command, start-up included (measured here). */
  wallMs: number
  eventsPerSecond: number
  peakRssMb: number
  fills: number
  elapsedMs: number
  events: number
}

async function bestOf<T>(times: number, once: () => Promise<T>, better: (a: T, b: T) => boolean): Promise<T> {
  await once() // warm-up: page cache, JIT of the modules
  let best: T | undefined
  for (let i = 0; i < times; i++) {
    const r = await once()
    if (best === undefined || better(r, best)) best = r
  }
  return best!
}

export async function benchBacktestCandles(opts: { bars?: number } = {}): Promise<Record<string, number>> {
  const count = opts.bars ?? YEAR_OF_MINUTES
  const dir = await mkdtemp(join(tmpdir(), 'sofia-bench-candles-'))
  try {
    const file = join(dir, 'bench_BTC-USDT_1m.json')
    await writeFile(file, candleJson(count))
    const sofia = await bestOf(
      3,
      async () => {
        const t0 = performance.now()
        const { stdout } = await run(process.execPath, [CLI, 'backtest', '--strategy', 'sma-cross', '--data', file, '--store', 'none', '--json'], { maxBuffer: 1 << 26 })
        const r = { ...(JSON.parse(stdout) as Omit<Result, 'wallMs'>), wallMs: performance.now() - t0 }
        if (r.events !== count) throw new Error(`backtest saw ${r.events} bars, expected ${count}`)
        return r
      },
      (a, b) => a.elapsedMs < b.elapsedMs,
    )
    const floor = await bestOf(
      3,
      async () => {
        const t0 = performance.now()
        const { stdout } = await run(process.execPath, [FLOOR, file], { maxBuffer: 1 << 20 })
        return { ...(JSON.parse(stdout) as { bars: number; crosses: number; elapsedMs: number; peakRssMb: number }), wallMs: performance.now() - t0 }
      },
      (a, b) => a.elapsedMs < b.elapsedMs,
    )
    if (floor.bars !== count) throw new Error(`floor saw ${floor.bars} bars, expected ${count}`)
    return {
      bars: count,
      bars_per_s: Math.round((count / sofia.elapsedMs) * 1000),
      elapsed_ms: sofia.elapsedMs,
      peak_rss_mb: sofia.peakRssMb,
      fills: sofia.fills,
      floor_bars_per_s: Math.round((count / floor.elapsedMs) * 1000),
      floor_elapsed_ms: floor.elapsedMs,
      floor_crosses: floor.crosses,
      floor_peak_rss_mb: floor.peakRssMb,
      vs_floor: Math.round((sofia.elapsedMs / floor.elapsedMs) * 10) / 10,
      wall_ms: Math.round(sofia.wallMs),
      floor_wall_ms: Math.round(floor.wallMs),
      wall_vs_floor: Math.round((sofia.wallMs / floor.wallMs) * 10) / 10,
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/**
 * A strategy that trades every symbol it sees: an SMA(10)/SMA(30) cross of its own per symbol, long only, each entry a
 * tenth of the free quote. The built-in `sma-cross` trades one symbol; this is what a user writes to trade ten.
 */
export const SMA_PER_SYMBOL = `import { defineStrategy, indicators, z } from 'sofia'

export default defineStrategy({
  name: 'sma-per-symbol',
  description: 'An SMA(10)/SMA(30) cross on every symbol, long only, a tenth of the free quote per entry.',
  params: z.object({ timeframe: z.string().default('5m'), fraction: z.number().gt(0).max(1).default(0.1) }),
  create: (p) => {
    const bySymbol = new Map()
    return {
      timeframes: [p.timeframe],
      onBar(bar, ctx) {
        let s = bySymbol.get(bar.symbol)
        if (s === undefined) bySymbol.set(bar.symbol, (s = { fast: new indicators.SMA(10), slow: new indicators.SMA(30), above: undefined }))
        s.fast.add(bar.close)
        s.slow.add(bar.close)
        if (!s.slow.isStable) return
        const above = Number(s.fast.getResult()) > Number(s.slow.getResult())
        const crossed = s.above !== undefined && above !== s.above
        s.above = above
        if (!crossed || ctx.openOrders(bar.venue, bar.symbol).length > 0) return
        const inst = ctx.instrument(bar.venue, bar.symbol)
        const position = ctx.position(bar.venue, bar.symbol)
        if (!above && position.gte(inst.minAmount)) {
          ctx.submit({ venue: bar.venue, symbol: bar.symbol, side: 'sell', type: 'market', amount: position, tag: 'exit' })
        } else if (above && position.lt(inst.minAmount)) {
          const amount = ctx.balance(bar.venue, inst.quote).mul(p.fraction).div(bar.close * 1.02)
          if (amount.gte(inst.minAmount)) ctx.submit({ venue: bar.venue, symbol: bar.symbol, side: 'buy', type: 'market', amount, tag: 'entry' })
        }
      },
    }
  },
})
`

/**
 * Ten symbols, a year of 5m candles each (105,120 bars a file, 1,051,200 in all), in one `sofia backtest`: with
 * `sma-cross`, which trades the first symbol only, and with a user strategy file that trades each of the ten
 * (`each_traded_*`: about ten times the orders).
 */
export async function benchBacktestTenSymbols(): Promise<Record<string, number>> {
  const perFile = 105_120
  const dir = await mkdtemp(join(tmpdir(), 'sofia-bench-ten-'))
  try {
    const files: string[] = []
    for (let k = 0; k < 10; k++) {
      const file = join(dir, `bench_S${k}-USDT_5m.json`)
      await writeFile(file, candleJson(perFile, 100 + k, 300_000, 10 + k * 1000))
      files.push(file)
    }
    const strategyFile = join(dir, 'sma-per-symbol.ts')
    await writeFile(strategyFile, SMA_PER_SYMBOL)
    const backtest = (strategy: string[]) =>
      bestOf(
        3,
        async () => {
          const t0 = performance.now()
          const { stdout } = await run(process.execPath, [CLI, 'backtest', ...strategy, '--data', ...files, '--store', 'none', '--json'], { maxBuffer: 1 << 26 })
          const r = { ...(JSON.parse(stdout) as Omit<Result, 'wallMs'>), wallMs: performance.now() - t0 }
          if (r.events !== perFile * 10) throw new Error(`backtest saw ${r.events} bars, expected ${perFile * 10}`)
          return r
        },
        (a, b) => a.wallMs < b.wallMs,
      )
    const best = await backtest(['--strategy', 'sma-cross', '--param', 'timeframe=5m'])
    const each = await backtest(['--strategy', strategyFile])
    return {
      bars: perFile * 10,
      wall_ms: Math.round(best.wallMs),
      elapsed_ms: best.elapsedMs,
      bars_per_s: Math.round((perFile * 10 * 1000) / best.elapsedMs),
      peak_rss_mb: best.peakRssMb,
      fills: best.fills,
      each_traded_wall_ms: Math.round(each.wallMs),
      each_traded_elapsed_ms: each.elapsedMs,
      each_traded_peak_rss_mb: each.peakRssMb,
      each_traded_fills: each.fills,
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
