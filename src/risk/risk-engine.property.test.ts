/**
 * Property: thousands of seeded random order flows against a simulated account (random positions, prices,
 * limits, states, P&L, open orders and clock). Every order the engine approves is checked, against the
 * state it is applied to, by an independent checker written here from the limits' definitions (no code
 * shared with the checks): no approved order ever breaches notional, position, gross exposure, open
 * orders, rate, band, daily-loss, trading-state, allow-list or balance limits.
 */
import { describe, expect, it } from 'vitest'
import { Prng } from '../engine/index.js'
import { Decimal, Order, ZERO, dec } from '../model/index.js'
import type { Instrument, OrderSide } from '../model/index.js'
import type { RiskLimits, TradingState } from './context.js'
import { RiskEngine } from './risk-engine.js'
import { FakeRiskContext, TEST_BTC, TEST_ETH } from './testing.js'
import { RISK_CODES, type RiskCode } from './verdict.js'

const VENUES = ['v1', 'v2'] as const
const STRATEGIES = ['a', 'b', 'c'] as const
const INSTRUMENTS: readonly Instrument[] = [TEST_BTC, TEST_ETH]
const BASE_PRICE: Readonly<Record<string, number>> = { 'BTC/USDT': 40_000, 'ETH/USDT': 2_500 }

interface Sim {
  readonly rng: Prng
  readonly ctx: FakeRiskContext
  /** The checker's own books: signed positions, last prices, open orders, approval times. */
  readonly pos: Map<string, Decimal>
  readonly last: Map<string, number>
  readonly open: { strategyId: string; venue: string }[]
  readonly approvals: { t: number; strategyId: string; venue: string }[]
  limits: RiskLimits
}

const key = (venue: string, symbol: string): string => `${venue}|${symbol}`

function pick<T>(rng: Prng, xs: readonly T[]): T {
  return xs[Math.floor(rng.next() * xs.length)]!
}

function onTick(value: number, step: Decimal): Decimal {
  return new Decimal(value).div(step).toDecimalPlaces(0, Decimal.ROUND_DOWN).mul(step)
}

function randomLimits(rng: Prng): RiskLimits {
  const maybe = <T>(p: number, make: () => T): T | undefined => (rng.next() < p ? make() : undefined)
  const between = (lo: number, hi: number): number => lo + rng.next() * (hi - lo)
  const limits = {
    maxOrderNotional: maybe(0.8, () => dec(Math.round(between(1_000, 20_000)))),
    maxPositionNotional: maybe(0.8, () => dec(Math.round(between(5_000, 40_000)))),
    maxGrossExposure: maybe(0.8, () => dec(Math.round(between(20_000, 120_000)))),
    maxDailyLoss: maybe(0.5, () => dec(Math.round(between(500, 5_000)))),
    maxDailyLossPct: maybe(0.5, () => Math.round(between(1, 5)) / 100),
    priceBandPct: maybe(0.7, () => Math.round(between(5, 50)) / 1000),
    maxOpenOrders: maybe(0.8, () => Math.round(between(1, 8))),
    maxOrdersPerSecond: maybe(0.7, () => Math.round(between(1, 5))),
    maxOrdersPerMinute: maybe(0.7, () => Math.round(between(5, 40))),
    allowedVenues: maybe(0.2, () => ['v1']),
    allowedSymbols: maybe(0.2, () => ['BTC/USDT']),
  }
  return Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)) as RiskLimits
}

function newSim(seed: number): Sim {
  const rng = new Prng(seed)
  const ctx = new FakeRiskContext({ v1: [...INSTRUMENTS], v2: [...INSTRUMENTS] })
  const sim: Sim = { rng, ctx, pos: new Map(), last: new Map(), open: [], approvals: [], limits: randomLimits(rng) }
  for (const venue of VENUES) {
    for (const inst of INSTRUMENTS) {
      setLast(sim, venue, inst, BASE_PRICE[inst.symbol]! * (0.9 + 0.2 * rng.next()))
      const maxUnits = 20_000 / BASE_PRICE[inst.symbol]!
      setPos(sim, venue, inst, onTick((rng.next() * 2 - 1) * maxUnits, inst.stepSize))
    }
    ctx.setBalance(venue, 'USDT', String(Math.round(200_000 * rng.next())))
    ctx.setBalance(venue, 'BTC', String(Math.round(5 * rng.next() * 1e5) / 1e5))
    ctx.setBalance(venue, 'ETH', String(Math.round(80 * rng.next() * 1e4) / 1e4))
  }
  ctx.time = 1_700_000_000_000
  return sim
}

function setLast(sim: Sim, venue: string, inst: Instrument, price: number): void {
  const p = onTick(price, inst.tickSize).toNumber()
  sim.last.set(key(venue, inst.symbol), p)
  sim.ctx.setLastPrice(venue, inst.symbol, p)
}

function setPos(sim: Sim, venue: string, inst: Instrument, amount: Decimal): void {
  sim.pos.set(key(venue, inst.symbol), amount)
  sim.ctx.setPosition(venue, inst.symbol, amount)
}

function randomOrder(sim: Sim, n: number): Order {
  const { rng } = sim
  const venue = pick(rng, VENUES)
  const inst = pick(rng, INSTRUMENTS)
  const last = sim.last.get(key(venue, inst.symbol))!
  const position = sim.pos.get(key(venue, inst.symbol)) ?? ZERO
  let side: OrderSide = rng.next() < 0.5 ? 'buy' : 'sell'
  let amount: Decimal
  if (rng.next() < 0.25 && !position.isZero()) {
    // Try to reduce, sometimes overshooting through zero.
    side = position.isPositive() ? 'sell' : 'buy'
    amount = onTick(position.abs().toNumber() * (0.2 + rng.next()), inst.stepSize)
  } else {
    amount = onTick((100 + rng.next() * 15_000) / last, inst.stepSize)
  }
  if (rng.next() < 0.01) amount = amount.add(inst.stepSize.div(3))
  const isLimit = rng.next() < 0.7
  const drift = (): Decimal => onTick(last * (1 + 0.02 * rng.normal()), inst.tickSize)
  return new Order({
    clientOrderId: `o${n}`,
    strategyId: pick(rng, STRATEGIES),
    venue,
    symbol: inst.symbol,
    type: isLimit ? 'limit' : 'market',
    side,
    amount,
    timestamp: sim.ctx.time,
    ...(isLimit ? { price: drift() } : rng.next() < 0.5 ? { decisionPrice: drift() } : {}),
  })
}

/** The independent checker: returns the limits an approved order breaches (empty when none). */
function breaches(sim: Sim, order: Order): string[] {
  const out: string[] = []
  const { limits, ctx } = sim
  const inst = INSTRUMENTS.find((i) => i.symbol === order.symbol)!
  const k = key(order.venue, order.symbol)
  const last = new Decimal(sim.last.get(k)!)
  const px = order.type === 'limit' ? order.price! : (order.decisionPrice ?? last)
  const before = sim.pos.get(k) ?? ZERO
  const after = order.side === 'buy' ? before.add(order.amount) : before.sub(order.amount)
  // Reducing: strictly smaller in size and on the same side of zero (or exactly zero).
  const reducing = after.abs().lt(before.abs()) && (after.isZero() || after.isPositive() === before.isPositive())

  const state: TradingState = ctx.tradingState(order.strategyId)
  if (state === 'HALTED') out.push('state: halted')
  if (state === 'REDUCING' && !reducing) out.push('state: reduce-only')
  if (limits.allowedVenues && !limits.allowedVenues.includes(order.venue)) out.push('venue')
  if (limits.allowedSymbols && !limits.allowedSymbols.includes(order.symbol)) out.push('symbol')
  if (!order.amount.div(inst.stepSize).isInteger()) out.push('step')
  if (order.amount.mul(px).lt(inst.minCost)) out.push('min notional')
  if (limits.maxOrderNotional && order.amount.mul(px).gt(limits.maxOrderNotional)) out.push('notional')
  if (limits.priceBandPct !== undefined) {
    const p = order.type === 'limit' ? order.price : order.decisionPrice
    if (p !== undefined && p.sub(last).abs().gt(last.mul(limits.priceBandPct))) out.push('band')
  }
  if (!reducing) {
    if (limits.maxPositionNotional) {
      for (const mark of [last, px]) if (after.abs().mul(mark).gt(limits.maxPositionNotional)) out.push(`position @${mark}`)
    }
    if (limits.maxGrossExposure) {
      let gross = ZERO
      for (const [kk, p] of sim.pos) gross = gross.add((kk === k ? after : p).abs().mul(new Decimal(sim.last.get(kk)!)))
      if (gross.gt(limits.maxGrossExposure)) out.push(`gross ${gross}`)
    }
    const pnl = ctx.dailyPnl()
    if (limits.maxDailyLoss && pnl.lte(limits.maxDailyLoss.neg())) out.push('daily loss')
    if (limits.maxDailyLossPct !== undefined && pnl.lte(ctx.equity().mul(limits.maxDailyLossPct).neg())) out.push('daily loss %')
  }
  if (limits.maxOpenOrders !== undefined) {
    const byStrategy = sim.open.filter((o) => o.strategyId === order.strategyId).length + 1
    const byVenue = sim.open.filter((o) => o.venue === order.venue).length + 1
    if (byStrategy > limits.maxOpenOrders || byVenue > limits.maxOpenOrders) out.push('open orders')
  }
  const now = ctx.time
  for (const [max, w] of [
    [limits.maxOrdersPerSecond, 1_000],
    [limits.maxOrdersPerMinute, 60_000],
  ] as const) {
    if (max === undefined) continue
    const recent = sim.approvals.filter((a) => a.t > now - w)
    if (recent.filter((a) => a.strategyId === order.strategyId).length + 1 > max) out.push(`rate/${w} strategy`)
    if (recent.filter((a) => a.venue === order.venue).length + 1 > max) out.push(`rate/${w} venue`)
  }
  if (order.side === 'buy') {
    if (order.amount.mul(px).mul(inst.takerFee.add(1)).gt(ctx.freeBalance(order.venue, inst.quote))) out.push('quote balance')
  } else if (order.amount.gt(ctx.freeBalance(order.venue, inst.base))) out.push('base balance')
  return out
}

function apply(sim: Sim, order: Order): void {
  const { ctx, rng } = sim
  sim.approvals.push({ t: ctx.time, strategyId: order.strategyId, venue: order.venue })
  const inst = INSTRUMENTS.find((i) => i.symbol === order.symbol)!
  if (order.type === 'market' || rng.next() < 0.5) {
    const k = key(order.venue, order.symbol)
    const before = sim.pos.get(k) ?? ZERO
    setPos(sim, order.venue, inst, order.side === 'buy' ? before.add(order.amount) : before.sub(order.amount))
    const px = order.price ?? order.decisionPrice ?? new Decimal(sim.last.get(k)!)
    const cost = order.amount.mul(px)
    const quote = ctx.freeBalance(order.venue, inst.quote)
    const base = ctx.freeBalance(order.venue, inst.base)
    if (order.side === 'buy') {
      ctx.setBalance(order.venue, inst.quote, quote.sub(cost.mul(inst.takerFee.add(1))))
      ctx.setBalance(order.venue, inst.base, base.add(order.amount))
    } else {
      ctx.setBalance(order.venue, inst.base, base.sub(order.amount))
      ctx.setBalance(order.venue, inst.quote, quote.add(cost))
    }
  } else {
    sim.open.push({ strategyId: order.strategyId, venue: order.venue })
    ctx.addOpenOrder(order.strategyId, order.venue)
  }
}

function perturb(sim: Sim, engine: RiskEngine): void {
  const { rng, ctx } = sim
  const r = rng.next()
  if (r < 0.35) {
    ctx.time += rng.next() < 0.9 ? Math.floor(rng.next() * 400) : Math.floor(rng.next() * 70_000)
  } else if (r < 0.6) {
    const venue = pick(rng, VENUES)
    const inst = pick(rng, INSTRUMENTS)
    setLast(sim, venue, inst, sim.last.get(key(venue, inst.symbol))! * (1 + 0.01 * rng.normal()))
  } else if (r < 0.8) {
    const i = Math.floor(rng.next() * sim.open.length)
    const [o] = sim.open.splice(i, 1)
    if (o !== undefined) ctx.addOpenOrder(o.strategyId, o.venue, -1)
  } else if (r < 0.9) {
    ctx.setDailyPnl(String(Math.round((rng.next() - 0.7) * 8_000)))
  } else if (r < 0.97) {
    const states: readonly TradingState[] = ['ACTIVE', 'ACTIVE', 'ACTIVE', 'REDUCING', 'HALTED']
    ctx.setState(pick(rng, STRATEGIES), pick(rng, states))
  } else {
    sim.limits = randomLimits(rng)
    engine.setLimits(sim.limits)
  }
}

describe('RiskEngine property: approved orders never breach a configured limit', () => {
  const RUNS = 40
  const STEPS = 1_500
  it(`${RUNS} seeded flows × ${STEPS} steps`, () => {
    const codes = new Map<string, number>()
    let approved = 0
    let orders = 0
    for (let seed = 1; seed <= RUNS; seed++) {
      const sim = newSim(seed)
      const engine = new RiskEngine(sim.limits)
      for (let step = 0; step < STEPS; step++) {
        if (sim.rng.next() < 0.55) {
          perturb(sim, engine)
          continue
        }
        sim.ctx.time += Math.floor(sim.rng.next() * 120)
        const order = randomOrder(sim, step)
        orders++
        const verdict = engine.check(order, sim.ctx)
        if (!verdict.approved) {
          codes.set(verdict.code, (codes.get(verdict.code) ?? 0) + 1)
          continue
        }
        const broken = breaches(sim, order)
        if (broken.length > 0) {
          throw new Error(`seed ${seed} step ${step}: approved ${JSON.stringify(order.toJSON())} breaches ${broken.join(', ')}; limits ${JSON.stringify(sim.limits)}`)
        }
        approved++
        apply(sim, order)
      }
      const stats = engine.stats()
      expect(stats.checked).toBe(stats.approved + stats.denied)
    }
    // The flows must exercise both outcomes and every limit, or the property says nothing.
    expect(orders).toBeGreaterThan(20_000)
    expect(approved / orders).toBeGreaterThan(0.1)
    // Every risk code but those these flows are not built to produce.
    const notProduced = new Set<RiskCode>([
      'AMOUNT_NOT_POSITIVE',
      'AMOUNT_BELOW_MIN',
      'PRICE_MISSING',
      'PRICE_PRECISION',
      'NOTIONAL_BELOW_MIN',
      'NO_REFERENCE_PRICE',
      'SELF_TRADE',
    ])
    for (const code of RISK_CODES.filter((c) => !notProduced.has(c))) {
      expect(codes.get(code) ?? 0, `${code} never seen: ${JSON.stringify(Object.fromEntries(codes))}`).toBeGreaterThan(0)
    }
  })
})
