import { describe, expect, it } from 'vitest'
import { Decimal } from '../model/index.js'
import { SmaCross, SmaPair, smaCrossParams } from './sma-cross.js'
import { createTestContext, testBar, type TestContextOptions } from './testing.js'

const BTC = { venue: 'sim', symbol: 'BTC/USDT', tickSize: '0.01', stepSize: '0.001', takerFee: '0.001' } as const

function setup(raw: Record<string, string | number | boolean>, options: TestContextOptions = {}) {
  const strategy = new SmaCross('sma', smaCrossParams.parse({ fast: 2, slow: 4, ...raw }))
  const ctx = createTestContext({ venues: ['sim'], instruments: [BTC], balances: { sim: { USDT: '1000000' } }, ...options }).bind(strategy)
  strategy.onStart(ctx)
  let t = 0
  const feed = (...closes: number[]) => {
    for (const close of closes) strategy.onBar(testBar({ close, timestamp: (t += 60_000) }), ctx)
  }
  return { strategy, ctx, feed }
}

// fast=2, slow=4. After 13,12,11,10 the fast SMA is below; 11 keeps it below; 12 crosses above
// (fast 11.5 > slow 11); 13 stays above; 9 crosses below (fast 11 < slow 11.25).
const DOWN = [13, 12, 11, 10, 11]

describe('SmaPair', () => {
  it('keeps exact rolling sums over a long series', () => {
    const pair = new SmaPair(3, 5)
    for (let i = 0; i < 100_000; i++) pair.push(1_000_000 + (i % 7))
    // Last five ticks end at i=99999: i%7 for 99995..99999 = 0,1,2,3,4 → slow avg 2, fast (2,3,4) avg 3.
    expect(pair.slowSma(1)).toBe(1_000_002)
    expect(pair.fastSma(1)).toBe(1_000_003)
    expect(pair.compare()).toBe(1)
  })
})

describe('sma-cross', () => {
  it('enters exactly on the bar where the fast SMA crosses above the slow one', () => {
    const { ctx, feed } = setup({ amount: '0.5' })
    feed(...DOWN)
    expect(ctx.submits).toHaveLength(0)
    feed(12)
    expect(ctx.submits).toHaveLength(1)
    const { request } = ctx.lastSubmit()
    expect(request).toMatchObject({ venue: 'sim', symbol: 'BTC/USDT', side: 'buy', type: 'market', tag: 'entry-long' })
    expect(String(request.amount)).toBe('0.5')
  })

  it('does not enter when the first full window already has fast above slow', () => {
    const { ctx, feed } = setup({ amount: '0.5' })
    feed(10, 11, 12, 13, 14, 15)
    expect(ctx.submits).toHaveLength(0)
  })

  it('exits the whole position on the cross down', () => {
    const { ctx, feed } = setup({ amount: '0.5' })
    feed(...DOWN, 12)
    ctx.fill(ctx.lastSubmit().id, { price: 12 })
    feed(13)
    expect(ctx.submits).toHaveLength(1)
    feed(9)
    expect(ctx.submits).toHaveLength(2)
    expect(ctx.lastSubmit().request).toMatchObject({ side: 'sell', type: 'market', tag: 'exit' })
    expect(String(ctx.lastSubmit().request.amount)).toBe('0.5')
  })

  it('sells only what the position holds after a partial entry', () => {
    const { ctx, feed } = setup({ amount: '0.5' })
    feed(...DOWN, 12)
    const entry = ctx.lastSubmit().id
    ctx.fill(entry, { price: 12, amount: '0.2' })
    ctx.confirmCancel(entry)
    feed(13, 9)
    expect(ctx.lastSubmit().request.side).toBe('sell')
    expect(String(ctx.lastSubmit().request.amount)).toBe('0.2')
  })

  it('never submits while an order is working, and acts on the latest crossing once it is done', () => {
    const { ctx, feed } = setup({ amount: '0.5' })
    feed(...DOWN, 12)
    const entry = ctx.lastSubmit().id
    feed(13, 9, 8, 14, 15) // down-cross then up-cross while the entry is still working
    expect(ctx.submits).toHaveLength(1)
    ctx.fill(entry, { price: 12 })
    feed(16) // the pending signal is "long" and we are long: nothing to do
    expect(ctx.submits).toHaveLength(1)
  })

  it('rounds the entry amount down to the instrument step', () => {
    const { ctx, feed } = setup({ amount: '0.12345' })
    feed(...DOWN, 12)
    expect(String(ctx.lastSubmit().request.amount)).toBe('0.123')
  })

  it('never asks for more than the free quote pays at the last price, the fee and the market-buy room included', () => {
    const { ctx, feed } = setup({ amount: '1000' }, { balances: { sim: { USDT: '100' } } })
    feed(...DOWN, 12)
    const amount = new Decimal(String(ctx.lastSubmit().request.amount))
    // 100 / (12 × (1 + 0.001 fee + 0.02 room)) = 8.16193…, on the 0.001 step.
    expect(amount.toString()).toBe('8.161')
    expect(amount.mul(12).mul('1.021').lte(100)).toBe(true)
  })

  it('sizes by fraction of the free quote when no amount is given', () => {
    const { ctx, feed } = setup({ fraction: 0.5 }, { balances: { sim: { USDT: '100' } } })
    feed(...DOWN, 12)
    // 50 / (12 × 1.021) = 4.08096…
    expect(String(ctx.lastSubmit().request.amount)).toBe('4.08')
  })

  it('skips an entry the balance cannot pay for, and logs why', () => {
    const { ctx, feed } = setup({ amount: '1' }, { balances: { sim: { USDT: '0.001' } } })
    feed(...DOWN, 12)
    expect(ctx.submits).toHaveLength(0)
    expect(ctx.logs.join('\n')).toMatch(/long signal at 12 skipped/)
  })

  it('goes short on the cross down only when allowShort is set', () => {
    const { ctx, feed } = setup({ amount: '0.5', allowShort: true })
    feed(14, 15, 16, 17, 16)
    feed(14) // fast 15 < slow 15.75: cross down from above
    expect(ctx.lastSubmit().request).toMatchObject({ side: 'sell', tag: 'entry-short' })
    expect(String(ctx.lastSubmit().request.amount)).toBe('0.5')
  })

  it('ignores bars of other timeframes, symbols and venues', () => {
    const { strategy, ctx } = setup({ amount: '0.5', symbol: 'BTC/USDT' })
    let t = 0
    for (const close of [...DOWN, 12]) {
      strategy.onBar(testBar({ close, timeframe: '5m', timestamp: (t += 60_000) }), ctx)
      strategy.onBar(testBar({ close, symbol: 'ETH/USDT', timestamp: t }), ctx)
      strategy.onBar(testBar({ close, venue: 'other', timestamp: t }), ctx)
    }
    expect(ctx.submits).toHaveLength(0)
    expect(ctx.logs).toEqual(['ignoring 5m bars (wants 1m)'])
  })

  it('asks for bars of its timeframe', () => {
    expect(new SmaCross('s', smaCrossParams.parse({ timeframe: '15m' })).barTimeframe).toBe('15m')
  })
})
