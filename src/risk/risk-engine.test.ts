/**
 * RiskEngine: the order its checks run in (first denial wins), the verdict counts, runtime limits, and the
 * basic gateway kept for existing callers.
 */
import { describe, expect, it } from 'vitest'
import { InputError, dec } from '../model/index.js'
import type { RiskLimits } from './context.js'
import { RiskGateway } from './pre-trade.js'
import { CHECK_ORDER, RiskEngine } from './risk-engine.js'
import { FakeRiskContext, testOrder } from './testing.js'
import type { TestOrderSpec } from './testing.js'

const GOOD: RiskLimits = {
  maxOrderNotional: dec(5000),
  maxPositionNotional: dec(10_000),
  maxGrossExposure: dec(20_000),
  maxDailyLoss: dec(1000),
  maxDailyLossPct: 0.05,
  priceBandPct: 0.01,
  maxOpenOrders: 3,
  maxOrdersPerSecond: 1,
  maxOrdersPerMinute: 100,
  allowedVenues: ['sim'],
  allowedSymbols: ['BTC/USDT'],
  preventSelfTrade: true,
}

function goodContext(): FakeRiskContext {
  return new FakeRiskContext()
    .setLastPrice('sim', 'BTC/USDT', 50_000)
    .setBalance('sim', 'USDT', '1000000')
    .setBalance('sim', 'BTC', '10')
    .setPosition('sim', 'BTC/USDT', '0.05')
}

describe('RiskEngine', () => {
  it('runs the checks in CHECK_ORDER and returns the first denial', () => {
    const engine = new RiskEngine(GOOD)
    // Fill the venue's per-second window with one approved order from another strategy.
    expect(engine.check(testOrder({ strategyId: 'warm' }), goodContext()).approved).toBe(true)

    // Everything broken at once; fixing one thing at a time must reveal the next check in order.
    const ctx = goodContext()
      .setState('s1', 'HALTED')
      .setLastPrice('sim', 'BTC/USDT', 45_000)
      .setPosition('sim', 'BTC/USDT', '0.15')
      .setGrossExposure('18000')
      .setDailyPnl('-1000')
      .setOpenOrders({ strategyId: 's1' }, 3)
      .setBalance('sim', 'USDT', '0')
      .setRestingOwn('sim', 'BTC/USDT', { sell: '49000' })
    let limits: RiskLimits = { ...GOOD, allowedVenues: ['other'], allowedSymbols: ['ETH/USDT'], maxOrderNotional: dec(4000) }
    let spec: TestOrderSpec = { amount: '0.100001' }
    const fixes: readonly (readonly [string, () => void])[] = [
      ['TRADING_HALTED', () => void ctx.setState('s1', 'ACTIVE')],
      ['VENUE_NOT_ALLOWED', () => void (limits = { ...limits, allowedVenues: ['sim'] })],
      ['SYMBOL_NOT_ALLOWED', () => void (limits = { ...limits, allowedSymbols: ['BTC/USDT', 'ETH/USDT'] })],
      ['AMOUNT_PRECISION', () => void (spec = { amount: '0.1' })],
      ['PRICE_OUTSIDE_BAND', () => void ctx.setLastPrice('sim', 'BTC/USDT', 50_000)],
      ['NOTIONAL_EXCEEDS_MAX_PER_ORDER', () => void (limits = { ...limits, maxOrderNotional: dec(5000) })],
      ['POSITION_EXCEEDS_MAX', () => void ctx.setPosition('sim', 'BTC/USDT', '0.05')],
      ['GROSS_EXPOSURE_EXCEEDS_MAX', () => void ctx.setGrossExposure('10000')],
      ['DAILY_LOSS_LIMIT', () => void ctx.setDailyPnl('0')],
      ['MAX_OPEN_ORDERS', () => void ctx.setOpenOrders({ strategyId: 's1' }, 0)],
      ['SELF_TRADE', () => void ctx.setRestingOwn('sim', 'BTC/USDT', { sell: '50010' })],
      ['ORDER_RATE_EXCEEDED', () => void (ctx.time = 1000)],
      ['INSUFFICIENT_BALANCE', () => void ctx.setBalance('sim', 'USDT', '5005')],
    ]
    const seen: string[] = []
    for (const [code, fix] of fixes) {
      engine.setLimits(limits)
      const verdict = engine.check(testOrder(spec), ctx)
      seen.push(verdict.approved ? 'APPROVED' : verdict.code)
      expect(verdict).toMatchObject({ approved: false, code })
      fix()
    }
    engine.setLimits(limits)
    expect(engine.check(testOrder(spec), ctx)).toEqual({ approved: true })
    // The fixes walk every check of CHECK_ORDER (the allow-list check owns two codes).
    expect(seen).toHaveLength(CHECK_ORDER.length + 1)

    const stats = engine.stats()
    expect(stats).toMatchObject({ checked: 15, approved: 2, denied: 13 })
    for (const [code] of fixes) expect(stats.byCode[code]).toBe(1)
  })

  it('applies new limits at once and keeps the rate history across them', () => {
    const ctx = goodContext()
    const engine = new RiskEngine({ maxOrderNotional: dec(1000) })
    expect(engine.check(testOrder(), ctx)).toMatchObject({ code: 'NOTIONAL_EXCEEDS_MAX_PER_ORDER' })
    engine.setLimits({ maxOrderNotional: dec(5000), maxOrdersPerSecond: 1 })
    expect(engine.limits.maxOrdersPerSecond).toBe(1)
    expect(engine.check(testOrder(), ctx).approved).toBe(true)
    engine.setLimits({ maxOrdersPerSecond: 2 })
    expect(engine.check(testOrder(), ctx).approved).toBe(true)
    expect(engine.check(testOrder(), ctx)).toMatchObject({ code: 'ORDER_RATE_EXCEEDED' })
  })

  it.each([
    ['negative money', { maxOrderNotional: dec(-1) }],
    ['NaN band', { priceBandPct: Number.NaN }],
    ['fractional count', { maxOpenOrders: 1.5 }],
    ['negative rate', { maxOrdersPerMinute: -1 }],
  ] as const)('refuses nonsensical limits: %s', (_name, limits) => {
    expect(() => new RiskEngine(limits)).toThrow(InputError)
  })

  it('with no limits checks only the instrument rules and balance', () => {
    const engine = new RiskEngine()
    const ctx = goodContext().setDailyPnl('-1e9').setGrossExposure('1e12')
    expect(engine.check(testOrder({ amount: '10' }), ctx).approved).toBe(true)
    expect(engine.check(testOrder({ amount: '100' }), ctx)).toMatchObject({ code: 'INSUFFICIENT_BALANCE' })
  })
})

describe('RiskGateway (BASIC_CHECKS)', () => {
  it('checks precision and balance, nothing else', () => {
    const gateway = new RiskGateway()
    const ctx = goodContext().setState('s1', 'HALTED')
    expect(gateway.check(testOrder(), ctx).approved).toBe(true)
    expect(gateway.check(testOrder({ amount: '0.000001' }), ctx)).toMatchObject({ code: 'AMOUNT_PRECISION' })
  })
})
