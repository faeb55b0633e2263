import { describe, expect, it } from 'vitest'
import { CrossVenueArb, crossVenueArbParams } from './cross-venue-arb.js'
import { createTestContext, testQuote, type TestContext } from './testing.js'

const inst = (venue: string) => ({ venue, symbol: 'BTC/USDT', tickSize: '0.01', stepSize: '0.001', takerFee: '0.001' })

function setup(raw: Record<string, string | number>) {
  const strategy = new CrossVenueArb('arb', crossVenueArbParams.parse({ amount: '1', ...raw }))
  const ctx = createTestContext({
    venues: ['a', 'b'],
    instruments: [inst('a'), inst('b')],
    balances: { a: { USDT: '1000000', BTC: '100' }, b: { USDT: '1000000', BTC: '100' } },
  }).bind(strategy)
  strategy.onStart(ctx)
  return { strategy, ctx }
}

/** Quotes A at `aBid/aAsk` and B at `bBid/bAsk`, sizes 10 unless given. */
function quotes(
  strategy: CrossVenueArb,
  ctx: TestContext,
  a: { bid: number; ask: number; bidSize?: number; askSize?: number },
  b: { bid: number; ask: number; bidSize?: number; askSize?: number },
) {
  const now = ctx.now()
  strategy.onQuote(testQuote({ venue: 'a', timestamp: now, bidSize: 10, askSize: 10, ...a }), ctx)
  strategy.onQuote(testQuote({ venue: 'b', timestamp: now, bidSize: 10, askSize: 10, ...b }), ctx)
}

/** Fills every open leg at its venue's quoted price. */
function fillLegs(ctx: TestContext, price = 100) {
  for (const order of ctx.openOrders()) ctx.fill(order.clientOrderId, { price })
}

// Both taker fees 0.1%, minEdgeBps 5: buying at 99.90 needs a bid with bid·0.999 − 99.90·1.001 > 99.90·0.0005,
// i.e. bid > 100.15 exactly (100.15 · 0.999 = 100.04985 = 99.90 · 1.0015).
describe('cross-venue-arb', () => {
  it.each([
    ['just below', 100.14, 0],
    ['exactly at', 100.15, 0],
    ['just above', 100.16, 2],
  ])('fires only when the net edge beats fees + minEdgeBps: %s the threshold', (_label, bBid, expected) => {
    const { strategy, ctx } = setup({})
    quotes(strategy, ctx, { bid: 99.8, ask: 99.9 }, { bid: bBid, ask: bBid + 0.1 })
    expect(ctx.submits).toHaveLength(expected)
  })

  it('buys on the cheap venue and sells on the rich one with market orders of the same size', () => {
    const { strategy, ctx } = setup({})
    quotes(strategy, ctx, { bid: 100.3, ask: 100.4 }, { bid: 99.8, ask: 99.9 })
    expect(ctx.submits.map((s) => s.request)).toMatchObject([
      { venue: 'b', side: 'buy', type: 'market', tag: 'arb-buy' },
      { venue: 'a', side: 'sell', type: 'market', tag: 'arb-sell' },
    ])
    expect(ctx.submits.map((s) => String(s.request.amount))).toEqual(['1', '1'])
  })

  it('sizes by the smaller top-of-book size', () => {
    const { strategy, ctx } = setup({})
    quotes(strategy, ctx, { bid: 99.8, ask: 99.9, askSize: 0.3 }, { bid: 100.5, ask: 100.6, bidSize: 0.5 })
    expect(ctx.submits.map((s) => String(s.request.amount))).toEqual(['0.3', '0.3'])
  })

  it('sizes by the free balances: quote on the buy venue (with fee), base on the sell venue', () => {
    const { strategy, ctx } = setup({})
    ctx.setBalance('a', 'USDT', '49.95')
    quotes(strategy, ctx, { bid: 99.8, ask: 99.9 }, { bid: 100.5, ask: 100.6 })
    // 49.95 / (99.9 × 1.001) = 0.49950…; without the fee it would be exactly 0.5
    expect(String(ctx.lastSubmit().request.amount)).toBe('0.499')
    ctx.cancelAll()
    for (const o of ctx.openOrders()) ctx.confirmCancel(o.clientOrderId)
    ctx.setBalance('a', 'USDT', '1000000')
    ctx.setBalance('b', 'BTC', '0.25')
    quotes(strategy, ctx, { bid: 99.8, ask: 99.9 }, { bid: 100.5, ask: 100.6 })
    expect(String(ctx.lastSubmit().request.amount)).toBe('0.25')
  })

  it('does not stack legs while a leg is still open', () => {
    const { strategy, ctx } = setup({})
    quotes(strategy, ctx, { bid: 99.8, ask: 99.9 }, { bid: 100.5, ask: 100.6 })
    const [buy] = ctx.submits
    ctx.fill(buy!.id, { price: 99.9 })
    quotes(strategy, ctx, { bid: 99.8, ask: 99.9 }, { bid: 100.5, ask: 100.6 })
    expect(ctx.submits).toHaveLength(2)
  })

  it('ignores a stale quote from the other venue', () => {
    const { strategy, ctx } = setup({ maxQuoteAgeMs: 1000 })
    strategy.onQuote(testQuote({ venue: 'a', timestamp: ctx.now(), bid: 99.8, ask: 99.9, askSize: 10 }), ctx)
    ctx.advance(1001)
    strategy.onQuote(testQuote({ venue: 'b', timestamp: ctx.now(), bid: 100.5, ask: 100.6, bidSize: 10 }), ctx)
    expect(ctx.submits).toHaveLength(0)
  })

  it('does not send the second leg when the first is denied', () => {
    const strategy = new CrossVenueArb('arb', crossVenueArbParams.parse({ amount: '1' }))
    const ctx = createTestContext({
      instruments: [inst('a'), inst('b')],
      balances: { a: { USDT: '1000000' }, b: { BTC: '10' } },
      deny: (r) => (r.side === 'buy' ? { code: 'MAX_NOTIONAL', reason: 'too big' } : undefined),
    }).bind(strategy)
    strategy.onStart(ctx)
    quotes(strategy, ctx, { bid: 99.8, ask: 99.9 }, { bid: 100.5, ask: 100.6 })
    expect(ctx.submits).toHaveLength(1)
    expect(ctx.denials).toHaveLength(1)
  })

  it('stops widening the drift at maxInventory, still trades the other way, and signals rebalance once per crossing', () => {
    const { strategy, ctx } = setup({ maxInventory: '1.5', rebalanceThreshold: '1' })
    const aCheap = () => quotes(strategy, ctx, { bid: 99.8, ask: 99.9 }, { bid: 100.5, ask: 100.6 })
    const bCheap = () => quotes(strategy, ctx, { bid: 100.5, ask: 100.6 }, { bid: 99.8, ask: 99.9 })

    aCheap()
    fillLegs(ctx)
    expect(strategy.drift.toString()).toBe('1')
    expect(ctx.signals).toEqual([
      { name: 'rebalance', detail: { symbol: 'BTC/USDT', from: 'a', to: 'b', asset: 'BTC', amount: '1', quoteAsset: 'USDT', threshold: '1' } },
    ])

    aCheap() // only 0.5 of headroom left
    expect(String(ctx.lastSubmit().request.amount)).toBe('0.5')
    fillLegs(ctx)
    expect(strategy.drift.toString()).toBe('1.5')
    expect(ctx.signals).toHaveLength(1) // still beyond the threshold: no repeat

    const before = ctx.submits.length
    aCheap() // at maxInventory: this direction is closed
    expect(ctx.submits).toHaveLength(before)

    bCheap() // the reducing direction still trades
    expect(ctx.lastSubmit().request).toMatchObject({ venue: 'a', side: 'sell' })
    fillLegs(ctx)
    expect(strategy.drift.toString()).toBe('0.5')

    aCheap()
    fillLegs(ctx)
    expect(strategy.drift.toString()).toBe('1.5')
    expect(ctx.signals).toHaveLength(2) // a second crossing, a second signal
  })

  it('signals a rebalance from B to A when the drift is the other way', () => {
    const { strategy, ctx } = setup({ maxInventory: '2', rebalanceThreshold: '1' })
    quotes(strategy, ctx, { bid: 100.5, ask: 100.6 }, { bid: 99.8, ask: 99.9 })
    fillLegs(ctx)
    expect(ctx.signals[0]?.detail).toMatchObject({ from: 'b', to: 'a', amount: '1' })
  })

  it('needs two venues', () => {
    const strategy = new CrossVenueArb('arb', crossVenueArbParams.parse({ amount: '1' }))
    expect(() => strategy.onStart(createTestContext({ venues: ['a'] }))).toThrow(/needs two venues, the run has 1 \(a\)/)
  })
})
