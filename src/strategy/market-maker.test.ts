import { describe, expect, it } from 'vitest'
import { MarketMaker, marketMakerParams } from './market-maker.js'
import { createTestContext, testQuote } from './testing.js'

const BTC = { venue: 'sim', symbol: 'BTC/USDT', tickSize: '0.01', stepSize: '0.001', makerFee: '0' } as const

function setup(raw: Record<string, string | number> = {}, position = '0') {
  const strategy = new MarketMaker('mm', marketMakerParams.parse({ amount: '0.5', maxInventory: '1', ...raw }))
  const ctx = createTestContext({ venues: ['sim'], instruments: [BTC], balances: { sim: { USDT: '1000000', BTC: '10' } } }).bind(strategy)
  ctx.setPosition('sim', 'BTC/USDT', position)
  strategy.onStart(ctx)
  /** A quote around `mid` with a one-cent spread. */
  const quoteAt = (mid: number) => strategy.onQuote(testQuote({ bid: mid - 0.01, ask: mid + 0.01, timestamp: ctx.now() }), ctx)
  const resting = () =>
    ctx.openOrders().map((o) => ({ side: o.side, price: o.price?.toString(), amount: o.amount.toString(), state: o.state }))
  return { strategy, ctx, quoteAt, resting }
}

describe('market-maker', () => {
  it('quotes a bid and an ask spreadBps apart around the mid, as limit orders on tick', () => {
    const { ctx, quoteAt, resting } = setup({ spreadBps: 20 })
    quoteAt(100)
    // 100 × (1 ∓ 0.001)
    expect(resting()).toEqual([
      { side: 'buy', price: '99.9', amount: '0.5', state: 'open' },
      { side: 'sell', price: '100.1', amount: '0.5', state: 'open' },
    ])
    expect(ctx.submits.every((s) => s.request.type === 'limit')).toBe(true)
  })

  it('rounds the bid down and the ask up to the tick', () => {
    const { quoteAt, resting } = setup({ spreadBps: 15 })
    quoteAt(100) // 99.925 → 99.92, 100.075 → 100.08
    expect(resting().map((r) => r.price)).toEqual(['99.92', '100.08'])
  })

  it('skews both quotes down when long and up when short', () => {
    const long = setup({ skewBps: 10 }, '0.5')
    long.quoteAt(100)
    // centre 100 × (1 − 0.001 × 0.5) = 99.95; 99.95 × 0.999 = 99.85005 → 99.85; 99.95 × 1.001 = 100.04995 → 100.05
    expect(long.resting().map((r) => r.price)).toEqual(['99.85', '100.05'])

    const short = setup({ skewBps: 10 }, '-0.5')
    short.quoteAt(100)
    // centre 100.05; 99.94995 → 99.94; 100.15005 → 100.16
    expect(short.resting().map((r) => r.price)).toEqual(['99.94', '100.16'])
  })

  it('never crosses the book, however strong the skew', () => {
    const { quoteAt, resting } = setup({ skewBps: 2000, maxInventory: '5' }, '1')
    quoteAt(100) // the centre would be 80; the ask stays one tick above the best bid
    expect(resting().find((r) => r.side === 'sell')?.price).toBe('100')
  })

  it('does not quote the side that would push inventory past maxInventory, and shrinks the other', () => {
    const full = setup({}, '1')
    full.quoteAt(100)
    expect(full.resting().map((r) => r.side)).toEqual(['sell'])

    const near = setup({}, '0.8')
    near.quoteAt(100)
    expect(near.resting().map((r) => [r.side, r.amount])).toEqual([
      ['buy', '0.2'],
      ['sell', '0.5'],
    ])

    const shortFull = setup({}, '-1')
    shortFull.quoteAt(100)
    expect(shortFull.resting().map((r) => r.side)).toEqual(['buy'])
  })

  it('re-quotes only when the wanted price moved more than requoteBps', () => {
    const { ctx, quoteAt } = setup({ requoteBps: 5 })
    quoteAt(100)
    quoteAt(100.03) // 3 bps
    quoteAt(99.96)
    expect(ctx.submits).toHaveLength(2)
    expect(ctx.cancels).toHaveLength(0)

    quoteAt(100.1) // 10 bps: both quotes are stale (new ones at 99.9999 → 99.99 and 100.2001 → 100.21)
    expect(ctx.cancels).toEqual(ctx.submits.map((s) => s.id))
    expect(ctx.submits).toHaveLength(2) // the replacement waits for the cancel to be confirmed
    for (const id of [...ctx.cancels]) ctx.confirmCancel(id)
    expect(ctx.submits.slice(2).map((s) => String(s.request.price))).toEqual(['99.99', '100.21'])
  })

  it('does not quote into its own other side while that is still being replaced (the self-trade check would refuse it)', () => {
    const { ctx, quoteAt } = setup({ spreadBps: 20, requoteBps: 5 })
    quoteAt(100) // bid 99.9, ask 100.1
    quoteAt(100.5) // both stale: cancels go out
    ctx.confirmCancel(ctx.submits[0]!.id) // the bid's cancel is confirmed; the ask at 100.1 still rests
    quoteAt(100.5)
    // The new bid would be 100.39, over our own ask at 100.1: it waits for the ask to go.
    expect(ctx.submits).toHaveLength(2)
    ctx.confirmCancel(ctx.submits[1]!.id)
    quoteAt(100.5)
    expect(ctx.submits.slice(2).map((x) => `${x.request.side} ${String(x.request.price)}`)).toEqual(['buy 100.39', 'sell 100.61'])
  })

  it('a stop of its own waiting for its trigger is not on the book: quotes go on either side of it', () => {
    const { ctx, quoteAt, resting } = setup({ spreadBps: 20 })
    ctx.submit({ venue: 'sim', symbol: 'BTC/USDT', side: 'sell', type: 'limit', amount: '0.1', price: '99.5', triggerPrice: '99.6' })
    quoteAt(100) // bid 99.9 is over the stop-limit's 99.5, which rests nowhere until 99.6 trades
    expect(resting().map((r) => `${r.side} ${r.price}`)).toEqual(['sell 99.5', 'buy 99.9', 'sell 100.1'])
  })

  it('takes over its quotes left from before a restart: re-prices them as its own, and cancels a second one on a side', () => {
    const strategy = new MarketMaker('mm', marketMakerParams.parse({ amount: '0.5', maxInventory: '1', spreadBps: 20, requoteBps: 5 }))
    const ctx = createTestContext({ venues: ['sim'], instruments: [BTC], balances: { sim: { USDT: '1000000', BTC: '10' } } }).bind(strategy)
    // What the restarted session hands back as this strategy's open orders.
    const old = (side: 'buy' | 'sell', price: string, tag = `quote-${side === 'buy' ? 'bid' : 'ask'}`) => ctx.submit({ venue: 'sim', symbol: 'BTC/USDT', side, type: 'limit', amount: '0.5', price, tag })!
    const bid = old('buy', '99.9')
    const ask = old('sell', '100.1')
    const extra = old('buy', '99.5')
    const other = old('sell', '150', 'manual')
    strategy.onStart(ctx)
    strategy.onQuote(testQuote({ bid: 99.99, ask: 100.01, timestamp: ctx.now() }), ctx) // wants 99.9 / 100.1: as they rest
    expect(ctx.submits).toHaveLength(4)
    expect(ctx.cancels).toEqual([extra])
    strategy.onQuote(testQuote({ bid: 100.49, ask: 100.51, timestamp: ctx.now() }), ctx) // moved: both replaced
    expect(ctx.cancels).toEqual([extra, bid, ask])
    expect(ctx.cancels).not.toContain(other)
  })

  it('after a fill, re-quotes with the new inventory: skewed and within maxInventory', () => {
    const { ctx, quoteAt, resting } = setup({ skewBps: 10, requoteBps: 2 })
    quoteAt(100)
    const [bid, ask] = ctx.submits
    ctx.fill(bid!.id) // bought 0.5 at 99.90: now long 0.5, centre 99.95
    expect(ctx.cancels).toEqual([ask!.id]) // 100.10 → 100.05 is a 5 bps move
    expect(resting()).toContainEqual({ side: 'buy', price: '99.85', amount: '0.5', state: 'open' })
    ctx.confirmCancel(ask!.id)
    expect(resting()).toContainEqual({ side: 'sell', price: '100.05', amount: '0.5', state: 'open' })
    const newBid = ctx.openOrders().find((o) => o.side === 'buy')
    ctx.fill(newBid!.clientOrderId) // long 1.0 = maxInventory: no more bids
    expect(resting().map((r) => r.side)).toEqual(['sell'])
  })

  it('re-evaluates on its refresh timer, picking up balance that arrived since', () => {
    const { ctx, quoteAt, resting, strategy } = setup({ refreshMs: 500 })
    expect(ctx.timers.get('requote')?.intervalMs).toBe(500)
    ctx.setBalance('sim', 'USDT', '0')
    quoteAt(100)
    expect(resting().map((r) => r.side)).toEqual(['sell'])
    ctx.setBalance('sim', 'USDT', '1000')
    ctx.advance(499)
    expect(resting().map((r) => r.side)).toEqual(['sell'])
    ctx.advance(1)
    expect(resting().map((r) => r.side)).toEqual(['sell', 'buy'])
    strategy.onStop(ctx)
    expect(ctx.timers.has('requote')).toBe(false)
    expect(ctx.openOrders().every((o) => o.state === 'pending_cancel')).toBe(true)
  })

  it('ignores quotes from other venues and symbols', () => {
    const { strategy, ctx } = setup({ symbol: 'BTC/USDT' })
    strategy.onQuote(testQuote({ venue: 'other', bid: 99.99, ask: 100.01 }), ctx)
    strategy.onQuote(testQuote({ symbol: 'ETH/USDT', bid: 99.99, ask: 100.01 }), ctx)
    expect(ctx.submits).toHaveLength(0)
  })
})
