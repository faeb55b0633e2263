/**
 * @module bench/risk
 * Pre-trade risk latency and throughput: the full `RiskEngine` check (every limit configured) of realistic
 * orders — limit and market, buys and sells, reducing and growing, across 3 venues × 4 markets and 8
 * strategies on a simulated clock — against an in-memory context, Decimal math included.
 *
 * Latency comes from per-check `process.hrtime.bigint()` pairs, so each sample carries one timer read; its
 * cost is measured separately (`timer_overhead_ns`) and not subtracted. Throughput comes from a separate
 * untimed pass over the same flow. Orders are built before timing, as the order manager builds them before
 * it asks risk.
 *
 * Run alone: `npx tsc -p tsconfig.build.json && node --expose-gc dist/bench/risk.js [checks]`.
 */
import { Prng } from '../src/engine/index.js'
import { Order, dec, makeInstrument } from '../src/model/index.js'
import type { Instrument } from '../src/model/index.js'
import type { RiskLimits } from '../src/risk/index.js'
import { RiskEngine } from '../src/risk/index.js'
import { FakeRiskContext } from '../src/risk/testing.js'
import { runAsScript } from './script.js'

// A type alias, not an interface: bench/run.ts needs it assignable to Record<string, number | string>.
export type RiskBenchResult = {
  p50_us: number
  p99_us: number
  /** Untimed pass: checks / wall time. */
  checks_per_s: number
  checks: number
  /** Cost of one hrtime.bigint() read, included in every latency sample. */
  timer_overhead_ns: number
  approved_pct: number
}

const INSTRUMENTS: readonly (readonly [Instrument, number])[] = [
  [makeInstrument({ symbol: 'BTC/USDT', tickSize: '0.01', stepSize: '0.00001', minCost: '5' }), 64_000],
  [makeInstrument({ symbol: 'ETH/USDT', tickSize: '0.01', stepSize: '0.0001', minCost: '5' }), 3_100],
  [makeInstrument({ symbol: 'SOL/USDT', tickSize: '0.01', stepSize: '0.01', minCost: '5' }), 145],
  [makeInstrument({ symbol: 'XRP/USDT', tickSize: '0.0001', stepSize: '1', minCost: '5' }), 0.52],
]
const VENUES = ['binance', 'okx', 'bybit'] as const
const STRATEGIES = Array.from({ length: 8 }, (_, i) => `strat-${i}`)

const LIMITS: RiskLimits = {
  maxOrderNotional: dec(25_000),
  maxPositionNotional: dec(100_000),
  maxGrossExposure: dec(1_000_000),
  maxDailyLoss: dec(20_000),
  maxDailyLossPct: 0.05,
  priceBandPct: 0.03,
  maxOpenOrders: 200,
  maxOrdersPerSecond: 50,
  maxOrdersPerMinute: 2_000,
  allowedVenues: [...VENUES],
  allowedSymbols: INSTRUMENTS.map(([i]) => i.symbol),
}

function context(rng: Prng): FakeRiskContext {
  const ctx = new FakeRiskContext(Object.fromEntries(VENUES.map((v) => [v, INSTRUMENTS.map(([i]) => i)])))
  for (const venue of VENUES) {
    for (const [inst, price] of INSTRUMENTS) {
      ctx.setLastPrice(venue, inst.symbol, Number((price * (0.99 + 0.02 * rng.next())).toFixed(inst.priceDecimals)))
      const units = (20_000 * (rng.next() * 2 - 1)) / price
      ctx.setPosition(venue, inst.symbol, units.toFixed(inst.amountDecimals))
      ctx.setBalance(venue, inst.base, '1000000')
    }
    ctx.setBalance(venue, 'USDT', '10000000')
  }
  for (const s of STRATEGIES) ctx.addOpenOrder(s, VENUES[0], 5)
  // A losing day above both loss limits: the daily-loss check does its full work.
  ctx.setDailyPnl('-3500.25').setEquity('250000')
  return ctx
}

/** n distinct orders: 70% limit within ±2% of the last trade, 30% market (half with a decision price). */
function orders(rng: Prng, ctx: FakeRiskContext, n: number): Order[] {
  const out: Order[] = []
  for (let i = 0; i < n; i++) {
    const venue = VENUES[Math.floor(rng.next() * VENUES.length)]!
    const [inst] = INSTRUMENTS[Math.floor(rng.next() * INSTRUMENTS.length)]!
    const last = ctx.lastPrice(venue, inst.symbol)!
    const notional = 20 + rng.next() * 15_000
    const amount = dec((notional / last).toFixed(inst.amountDecimals))
    const price = dec((last * (1 + 0.02 * (rng.next() * 2 - 1))).toFixed(inst.priceDecimals))
    const limit = rng.next() < 0.7
    out.push(
      new Order({
        clientOrderId: `b-${i}`,
        strategyId: STRATEGIES[Math.floor(rng.next() * STRATEGIES.length)]!,
        venue,
        symbol: inst.symbol,
        type: limit ? 'limit' : 'market',
        side: rng.next() < 0.5 ? 'buy' : 'sell',
        amount: amount.isZero() ? inst.stepSize : amount,
        timestamp: 0,
        ...(limit ? { price } : rng.next() < 0.5 ? { decisionPrice: price } : {}),
      }),
    )
  }
  return out
}

/** Median and p99 of back-to-back timer reads. */
function timerOverhead(): { p50: number; p99: number } {
  const n = 100_000
  const s = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const a = process.hrtime.bigint()
    s[i] = Number(process.hrtime.bigint() - a)
  }
  s.sort()
  return { p50: s[n >> 1]!, p99: s[Math.floor(n * 0.99)]! }
}

export async function benchRisk(opts: { checks?: number; seed?: number } = {}): Promise<RiskBenchResult> {
  const checks = opts.checks ?? 250_000
  const rng = new Prng(opts.seed ?? 7)
  const ctx = context(rng)
  const pool = orders(rng, ctx, Math.min(checks, 50_000))
  // Orders arrive ~40 ms apart over all strategies: the rate limits bind now and then, as in a busy session.
  const STEP_MS = 40
  const runFlow = (engine: RiskEngine, n: number, sample?: Float64Array): number => {
    let approved = 0
    for (let i = 0; i < n; i++) {
      ctx.time += STEP_MS
      const order = pool[i % pool.length]!
      if (sample === undefined) {
        if (engine.check(order, ctx).approved) approved++
      } else {
        const t0 = process.hrtime.bigint()
        const v = engine.check(order, ctx)
        sample[i] = Number(process.hrtime.bigint() - t0)
        if (v.approved) approved++
      }
    }
    return approved
  }

  // Warm-up: let the JIT settle on every path.
  for (let r = 0; r < 3; r++) runFlow(new RiskEngine(LIMITS), 100_000)
  const gc = (globalThis as { gc?: () => void }).gc
  gc?.()
  await Promise.resolve()

  const timer = timerOverhead()
  const samples = new Float64Array(checks)
  const approved = runFlow(new RiskEngine(LIMITS), checks, samples)
  samples.sort()
  gc?.()

  let best = Infinity
  for (let r = 0; r < 2; r++) {
    const engine = new RiskEngine(LIMITS)
    const t0 = process.hrtime.bigint()
    runFlow(engine, checks)
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9)
  }
  const us = (ns: number): number => Number((ns / 1000).toFixed(2))
  return {
    p50_us: us(samples[Math.floor(checks * 0.5)]!),
    p99_us: us(samples[Math.floor(checks * 0.99)]!),
    checks_per_s: Math.round(checks / best),
    checks,
    timer_overhead_ns: Math.round(timer.p50),
    approved_pct: Number(((100 * approved) / checks).toFixed(1)),
  }
}

runAsScript(import.meta.url, (checks) => benchRisk(checks === undefined ? {} : { checks }))
