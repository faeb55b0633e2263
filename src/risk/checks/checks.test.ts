/**
 * Table-driven tests of every pre-trade check: at, just below and just above each limit. Exactly at a limit
 * is allowed everywhere except the daily loss, which is hit when reached (see daily-loss.ts).
 */
import { describe, expect, it } from 'vitest'
import { dec, makeInstrument } from '../../model/index.js'
import type { RiskContext, RiskLimits } from '../context.js'
import { FakeRiskContext, TEST_BTC, testOrder } from '../testing.js'
import type { TestOrderSpec } from '../testing.js'
import type { RiskVerdict } from '../verdict.js'
import { checkAllowedMarkets } from './allowed-markets.js'
import { checkAvailableBalance } from './available-balance.js'
import { checkDailyLoss, effectiveDailyLossLimit } from './daily-loss.js'
import { checkGrossExposure } from './gross-exposure.js'
import { checkMaxNotional } from './max-notional.js'
import { checkMaxPosition } from './max-position.js'
import { checkOpenOrders } from './open-orders.js'
import { checkPrecisionAndMinimums } from './precision.js'
import { checkPriceBand } from './price-band.js'
import { checkSelfTrade } from './self-trade.js'
import { checkTradingState } from './trading-state.js'

type Check = (order: ReturnType<typeof testOrder>, ctx: RiskContext, limits: RiskLimits) => RiskVerdict

interface Row {
  readonly name: string
  readonly order: TestOrderSpec
  readonly ctx?: (c: FakeRiskContext) => void
  readonly limits?: RiskLimits
  /** Limits to use instead of the table's (to show an absent limit is not checked). */
  readonly onlyLimits?: RiskLimits
  /** Expected code, or 'OK'. */
  readonly expect: string
}

function run(check: Check, baseLimits: RiskLimits, base: (c: FakeRiskContext) => void, rows: readonly Row[]): void {
  it.each(rows.map((r) => [r.name, r] as const))('%s', (_name, row) => {
    const ctx = new FakeRiskContext()
    base(ctx)
    row.ctx?.(ctx)
    const verdict = check(testOrder(row.order), ctx, row.onlyLimits ?? { ...baseLimits, ...row.limits })
    if (row.expect === 'OK') {
      expect(verdict).toEqual({ approved: true })
    } else {
      expect(verdict).toMatchObject({ approved: false, code: row.expect })
      // A reason is for a human: one line, carrying the numbers.
      if (!verdict.approved) {
        expect(verdict.reason).not.toContain('\n')
        expect(verdict.reason.length).toBeGreaterThan(10)
      }
    }
  })
}

const withLast = (c: FakeRiskContext): void => void c.setLastPrice('sim', 'BTC/USDT', 50_000)

describe('checkTradingState', () => {
  run(checkTradingState, {}, withLast, [
    { name: 'ACTIVE passes anything', order: {}, expect: 'OK' },
    { name: 'HALTED denies', order: {}, ctx: (c) => void c.setState('s1', 'HALTED'), expect: 'TRADING_HALTED' },
    {
      name: 'HALTED denies even a reducing order',
      order: { side: 'sell', amount: '0.1' },
      ctx: (c) => void c.setState('s1', 'HALTED').setPosition('sim', 'BTC/USDT', '1'),
      expect: 'TRADING_HALTED',
    },
    { name: 'another strategy halted does not matter', order: {}, ctx: (c) => void c.setState('s2', 'HALTED'), expect: 'OK' },
    ...(
      [
        ['long 0.5, sell 0.4 reduces', '0.5', 'sell', '0.4', 'OK'],
        ['long 0.5, sell 0.5 closes (reduces)', '0.5', 'sell', '0.5', 'OK'],
        ['long 0.5, sell 0.50001 crosses zero', '0.5', 'sell', '0.50001', 'REDUCE_ONLY'],
        ['long 0.5, buy 0.1 increases', '0.5', 'buy', '0.1', 'REDUCE_ONLY'],
        ['short 0.5, buy 0.5 closes', '-0.5', 'buy', '0.5', 'OK'],
        ['short 0.5, buy 0.49999 reduces', '-0.5', 'buy', '0.49999', 'OK'],
        ['short 0.5, buy 0.50001 crosses zero', '-0.5', 'buy', '0.50001', 'REDUCE_ONLY'],
        ['short 0.5, sell increases', '-0.5', 'sell', '0.1', 'REDUCE_ONLY'],
        ['flat, buy', '0', 'buy', '0.1', 'REDUCE_ONLY'],
        ['flat, sell', '0', 'sell', '0.1', 'REDUCE_ONLY'],
      ] as const
    ).map(
      ([name, pos, side, amount, code]): Row => ({
        name: `REDUCING: ${name}`,
        order: { side, amount },
        ctx: (c) => void c.setState('s1', 'REDUCING').setPosition('sim', 'BTC/USDT', pos),
        expect: code,
      }),
    ),
    {
      name: 'REDUCING: a position on another venue does not count',
      order: { side: 'sell', amount: '0.1' },
      ctx: (c) => void c.setState('s1', 'REDUCING').setPosition('other', 'BTC/USDT', '1'),
      expect: 'REDUCE_ONLY',
    },
  ])
})

describe('checkAllowedMarkets', () => {
  run(checkAllowedMarkets, { allowedVenues: ['sim', 'binance'], allowedSymbols: ['BTC/USDT'] }, withLast, [
    { name: 'allowed venue and symbol', order: {}, expect: 'OK' },
    { name: 'venue not allowed', order: { venue: 'kraken' }, expect: 'VENUE_NOT_ALLOWED' },
    { name: 'symbol not allowed', order: { symbol: 'ETH/USDT' }, expect: 'SYMBOL_NOT_ALLOWED' },
    { name: 'no lists: everything allowed', order: { venue: 'x', symbol: 'Y/Z' }, onlyLimits: {}, expect: 'OK' },
    { name: 'empty list: nothing allowed', order: {}, limits: { allowedVenues: [] }, expect: 'VENUE_NOT_ALLOWED' },
  ])
})

describe('checkPrecisionAndMinimums', () => {
  const HALF = makeInstrument({ symbol: 'HALF/USDT', tickSize: '0.25', stepSize: '0.5', minAmount: '1' })
  run(checkPrecisionAndMinimums, {}, withLast, [
    { name: 'on step and tick', order: { amount: '0.12345', price: '50000.01' }, expect: 'OK' },
    { name: 'zero amount', order: { amount: '0' }, expect: 'AMOUNT_NOT_POSITIVE' },
    { name: 'negative amount', order: { amount: '-0.1' }, expect: 'AMOUNT_NOT_POSITIVE' },
    { name: 'amount off step', order: { amount: '0.123451' }, expect: 'AMOUNT_PRECISION' },
    { name: 'price off tick', order: { price: '50000.001' }, expect: 'PRICE_PRECISION' },
    { name: 'limit without price', order: { price: '0' }, expect: 'PRICE_MISSING' },
    { name: 'min notional: exactly 5 passes', order: { amount: '0.0001', price: '50000' }, expect: 'OK' },
    { name: 'min notional: 4.99995 is below', order: { amount: '0.0001', price: '49999.95' }, expect: 'NOTIONAL_BELOW_MIN' },
    { name: 'market order valued at last trade', order: { type: 'market', amount: '0.00009' }, expect: 'NOTIONAL_BELOW_MIN' },
    { name: 'market order valued at decision price', order: { type: 'market', amount: '0.00009', decisionPrice: '60000' }, expect: 'OK' },
  ])
  it('uses the general mod path for steps that are not powers of ten', () => {
    const ctx = new FakeRiskContext({ half: [HALF] })
    const at = (amount: string, price: string): RiskVerdict =>
      checkPrecisionAndMinimums(testOrder({ venue: 'half', symbol: 'HALF/USDT', amount, price }), ctx, {})
    expect(at('1.5', '10.25').approved).toBe(true)
    expect(at('1.25', '10.25')).toMatchObject({ code: 'AMOUNT_PRECISION' })
    expect(at('1.5', '10.1')).toMatchObject({ code: 'PRICE_PRECISION' })
    expect(at('0.5', '10')).toMatchObject({ code: 'AMOUNT_BELOW_MIN' })
    expect(at('1', '10').approved).toBe(true)
  })
})

describe('checkPriceBand (5%, last 50,000)', () => {
  run(checkPriceBand, { priceBandPct: 0.05 }, withLast, [
    { name: 'at the last trade', order: { price: '50000' }, expect: 'OK' },
    { name: 'exactly +5% passes', order: { price: '52500' }, expect: 'OK' },
    { name: 'just above +5%', order: { price: '52500.01' }, expect: 'PRICE_OUTSIDE_BAND' },
    { name: 'just inside +5%', order: { price: '52499.99' }, expect: 'OK' },
    { name: 'exactly −5% passes', order: { side: 'sell', price: '47500' }, expect: 'OK' },
    { name: 'just below −5%', order: { side: 'sell', price: '47499.99' }, expect: 'PRICE_OUTSIDE_BAND' },
    { name: 'market order: decision price outside', order: { type: 'market', decisionPrice: '52600' }, expect: 'PRICE_OUTSIDE_BAND' },
    { name: 'market order: decision price inside', order: { type: 'market', decisionPrice: '52400' }, expect: 'OK' },
    { name: 'market order without decision price', order: { type: 'market' }, expect: 'OK' },
    {
      name: 'market order, no last trade',
      order: { type: 'market', decisionPrice: '50000' },
      ctx: (c) => void c.setLastPrice('sim', 'BTC/USDT', undefined),
      expect: 'NO_REFERENCE_PRICE',
    },
    { name: 'limit order, no last trade: nothing to judge', order: { price: '99999' }, ctx: (c) => void c.setLastPrice('sim', 'BTC/USDT', undefined), expect: 'OK' },
    {
      name: 'no band configured: no last trade is fine',
      order: { type: 'market' },
      onlyLimits: {},
      ctx: (c) => void c.setLastPrice('sim', 'BTC/USDT', undefined),
      expect: 'OK',
    },
  ])
  it('decides the exact edge in decimal, not float (last 100.1, band 3% → ±3.003)', () => {
    const ctx = new FakeRiskContext().setLastPrice('sim', 'BTC/USDT', 100.1)
    const at = (price: string): boolean => checkPriceBand(testOrder({ price }), ctx, { priceBandPct: 0.03 }).approved
    expect(at('103.103')).toBe(true)
    expect(at('97.097')).toBe(true)
    expect(at('103.1030000001')).toBe(false)
    expect(at('97.0969999999')).toBe(false)
  })
})

describe('checkMaxNotional (max 5,000)', () => {
  run(checkMaxNotional, { maxOrderNotional: dec(5000) }, withLast, [
    { name: 'exactly at the max passes', order: { amount: '0.1', price: '50000' }, expect: 'OK' },
    { name: 'just below', order: { amount: '0.09999', price: '50000' }, expect: 'OK' },
    { name: 'just above', order: { amount: '0.10001', price: '50000' }, expect: 'NOTIONAL_EXCEEDS_MAX_PER_ORDER' },
    { name: 'sells count the same', order: { side: 'sell', amount: '0.10001' }, expect: 'NOTIONAL_EXCEEDS_MAX_PER_ORDER' },
    { name: 'market: decision price first', order: { type: 'market', amount: '0.1', decisionPrice: '50000.01' }, expect: 'NOTIONAL_EXCEEDS_MAX_PER_ORDER' },
    { name: 'market: else last trade (at max)', order: { type: 'market', amount: '0.1' }, expect: 'OK' },
    { name: 'market: else last trade (above)', order: { type: 'market', amount: '0.1' }, ctx: (c) => void c.setLastPrice('sim', 'BTC/USDT', 50_000.5), expect: 'NOTIONAL_EXCEEDS_MAX_PER_ORDER' },
    { name: 'market: no price at all', order: { type: 'market' }, ctx: (c) => void c.setLastPrice('sim', 'BTC/USDT', undefined), expect: 'NO_REFERENCE_PRICE' },
    { name: 'unlimited', order: { amount: '1000' }, onlyLimits: {}, expect: 'OK' },
  ])
})

describe('checkMaxPosition (max 10,000 per market, last 50,000)', () => {
  run(checkMaxPosition, { maxPositionNotional: dec(10_000) }, withLast, [
    { name: 'flat, buy exactly to the max', order: { amount: '0.2' }, expect: 'OK' },
    { name: 'flat, buy just above', order: { amount: '0.20001' }, expect: 'POSITION_EXCEEDS_MAX' },
    { name: 'long 0.1, buy 0.1 → at max', order: { amount: '0.1' }, ctx: (c) => void c.setPosition('sim', 'BTC/USDT', '0.1'), expect: 'OK' },
    { name: 'long 0.1, buy 0.09999 → below', order: { amount: '0.09999' }, ctx: (c) => void c.setPosition('sim', 'BTC/USDT', '0.1'), expect: 'OK' },
    { name: 'long 0.1, buy 0.10001 → above', order: { amount: '0.10001' }, ctx: (c) => void c.setPosition('sim', 'BTC/USDT', '0.1'), expect: 'POSITION_EXCEEDS_MAX' },
    { name: 'short 0.1, sell 0.1 → at max', order: { side: 'sell', amount: '0.1' }, ctx: (c) => void c.setPosition('sim', 'BTC/USDT', '-0.1'), expect: 'OK' },
    { name: 'short 0.1, sell 0.10001 → above', order: { side: 'sell', amount: '0.10001' }, ctx: (c) => void c.setPosition('sim', 'BTC/USDT', '-0.1'), expect: 'POSITION_EXCEEDS_MAX' },
    { name: 'long 0.3 (over max), reducing sell passes', order: { side: 'sell', amount: '0.1' }, ctx: (c) => void c.setPosition('sim', 'BTC/USDT', '0.3'), expect: 'OK' },
    { name: 'long 0.1, sell 0.3 crosses to −0.2 (at max)', order: { side: 'sell', amount: '0.3' }, ctx: (c) => void c.setPosition('sim', 'BTC/USDT', '0.1'), expect: 'OK' },
    { name: 'long 0.1, sell 0.30001 crosses beyond', order: { side: 'sell', amount: '0.30001' }, ctx: (c) => void c.setPosition('sim', 'BTC/USDT', '0.1'), expect: 'POSITION_EXCEEDS_MAX' },
    {
      name: 'valued at the last trade when it is above the limit price',
      order: { amount: '0.2', price: '49000' },
      ctx: (c) => void c.setLastPrice('sim', 'BTC/USDT', 50_001),
      expect: 'POSITION_EXCEEDS_MAX',
    },
    { name: 'valued at the limit price when it is above the last trade', order: { amount: '0.2', price: '50000.01' }, expect: 'POSITION_EXCEEDS_MAX' },
    { name: 'other markets do not count', order: { amount: '0.2' }, ctx: (c) => void c.setPosition('sim', 'ETH/USDT', '100'), expect: 'OK' },
  ])
})

describe('checkGrossExposure (max 20,000, current 15,000)', () => {
  const base = (c: FakeRiskContext): void => void c.setLastPrice('sim', 'BTC/USDT', 50_000).setGrossExposure('15000')
  run(checkGrossExposure, { maxGrossExposure: dec(20_000) }, base, [
    { name: 'flat, buy to exactly the max', order: { amount: '0.1' }, expect: 'OK' },
    { name: 'flat, buy just below', order: { amount: '0.09999' }, expect: 'OK' },
    { name: 'flat, buy just above', order: { amount: '0.10001' }, expect: 'GROSS_EXPOSURE_EXCEEDS_MAX' },
    { name: 'short grows by a sell', order: { side: 'sell', amount: '0.10001' }, ctx: (c) => void c.setPosition('sim', 'BTC/USDT', '-0.1'), expect: 'GROSS_EXPOSURE_EXCEEDS_MAX' },
    { name: 'long 0.1, sell 0.3 crosses: |−0.2| − 0.1 adds 5,000 → at max', order: { side: 'sell', amount: '0.3' }, ctx: (c) => void c.setPosition('sim', 'BTC/USDT', '0.1'), expect: 'OK' },
    { name: 'long 0.1, sell 0.30002 crosses: adds 5,001', order: { side: 'sell', amount: '0.30002' }, ctx: (c) => void c.setPosition('sim', 'BTC/USDT', '0.1'), expect: 'GROSS_EXPOSURE_EXCEEDS_MAX' },
    { name: 'over the max, a reducing order passes', order: { side: 'sell', amount: '0.1' }, ctx: (c) => void c.setGrossExposure('30000').setPosition('sim', 'BTC/USDT', '0.2'), expect: 'OK' },
    { name: 'over the max, an increasing one does not', order: { amount: '0.00001' }, ctx: (c) => void c.setGrossExposure('30000'), expect: 'GROSS_EXPOSURE_EXCEEDS_MAX' },
  ])
})

describe('checkDailyLoss (1,000 absolute, 2% of 100,000 equity)', () => {
  const abs: RiskLimits = { maxDailyLoss: dec(1000) }
  const pct: RiskLimits = { maxDailyLossPct: 0.02 }
  const pnl = (v: string) => (c: FakeRiskContext): void => void c.setDailyPnl(v)
  run(checkDailyLoss, {}, withLast, [
    { name: 'profit', order: {}, limits: abs, ctx: pnl('500'), expect: 'OK' },
    { name: 'loss just below the limit', order: {}, limits: abs, ctx: pnl('-999.99'), expect: 'OK' },
    { name: 'loss exactly at the limit is hit', order: {}, limits: abs, ctx: pnl('-1000'), expect: 'DAILY_LOSS_LIMIT' },
    { name: 'loss beyond the limit', order: {}, limits: abs, ctx: pnl('-1000.01'), expect: 'DAILY_LOSS_LIMIT' },
    {
      name: 'beyond the limit, a reducing order passes',
      order: { side: 'sell', amount: '0.1' },
      limits: abs,
      ctx: (c) => void c.setDailyPnl('-5000').setPosition('sim', 'BTC/USDT', '0.5'),
      expect: 'OK',
    },
    {
      name: 'beyond the limit, crossing zero does not',
      order: { side: 'sell', amount: '0.6' },
      limits: abs,
      ctx: (c) => void c.setDailyPnl('-5000').setPosition('sim', 'BTC/USDT', '0.5'),
      expect: 'DAILY_LOSS_LIMIT',
    },
    { name: '% of equity: just below', order: {}, limits: pct, ctx: pnl('-1999.99'), expect: 'OK' },
    { name: '% of equity: exactly at', order: {}, limits: pct, ctx: pnl('-2000'), expect: 'DAILY_LOSS_LIMIT' },
    { name: '% of equity: beyond', order: {}, limits: pct, ctx: pnl('-2000.01'), expect: 'DAILY_LOSS_LIMIT' },
    { name: '% of equity follows equity', order: {}, limits: pct, ctx: (c) => void c.setDailyPnl('-1500').setEquity('50000'), expect: 'DAILY_LOSS_LIMIT' },
    { name: 'both: the tighter wins', order: {}, limits: { ...abs, maxDailyLossPct: 0.005 }, ctx: pnl('-500'), expect: 'DAILY_LOSS_LIMIT' },
    { name: 'no limits', order: {}, ctx: pnl('-1000000'), expect: 'OK' },
  ])
})

describe('checkOpenOrders (max 3)', () => {
  run(checkOpenOrders, { maxOpenOrders: 3 }, withLast, [
    { name: 'none open', order: {}, expect: 'OK' },
    { name: '2 open: this one makes 3 (at max)', order: {}, ctx: (c) => void c.setOpenOrders({ strategyId: 's1' }, 2).setOpenOrders({ venue: 'sim' }, 2), expect: 'OK' },
    { name: '3 open for the strategy', order: {}, ctx: (c) => void c.setOpenOrders({ strategyId: 's1' }, 3), expect: 'MAX_OPEN_ORDERS' },
    { name: '3 open on the venue', order: {}, ctx: (c) => void c.setOpenOrders({ venue: 'sim' }, 3), expect: 'MAX_OPEN_ORDERS' },
    { name: 'another strategy full does not matter', order: {}, ctx: (c) => void c.setOpenOrders({ strategyId: 's2' }, 3), expect: 'OK' },
    { name: 'max 0 allows nothing', order: {}, limits: { maxOpenOrders: 0 }, expect: 'MAX_OPEN_ORDERS' },
  ])
})

describe('checkSelfTrade (own sell resting at 50,010, own buy at 49,990)', () => {
  const own = (c: FakeRiskContext): void => void c.setLastPrice('sim', 'BTC/USDT', 50_000).setRestingOwn('sim', 'BTC/USDT', { buy: '49990', sell: '50010' })
  run(checkSelfTrade, { preventSelfTrade: true }, own, [
    { name: 'buy below own sell', order: { price: '50009.99' }, expect: 'OK' },
    { name: 'buy at own sell', order: { price: '50010' }, expect: 'SELF_TRADE' },
    { name: 'buy through own sell', order: { price: '50100' }, expect: 'SELF_TRADE' },
    { name: 'sell above own buy', order: { side: 'sell', price: '49990.01' }, expect: 'OK' },
    { name: 'sell at own buy', order: { side: 'sell', price: '49990' }, expect: 'SELF_TRADE' },
    { name: 'market buy while own sell rests', order: { type: 'market' }, expect: 'SELF_TRADE' },
    { name: 'market sell while own buy rests', order: { type: 'market', side: 'sell' }, expect: 'SELF_TRADE' },
    { name: 'market buy with only own buys resting', order: { type: 'market' }, ctx: (c) => void c.setRestingOwn('sim', 'BTC/USDT', { buy: '49990' }), expect: 'OK' },
    { name: 'another market', order: { type: 'market', symbol: 'ETH/USDT' }, expect: 'OK' },
    { name: 'a stop waits off the book', order: { type: 'market', options: { triggerPrice: dec('50500') } }, expect: 'OK' },
    { name: 'not checked when allowed', order: { price: '50100' }, onlyLimits: {}, expect: 'OK' },
  ])
  it('names the own order and its price', () => {
    const ctx = new FakeRiskContext()
    own(ctx)
    const verdict = checkSelfTrade(testOrder({ price: '50100' }), ctx, { preventSelfTrade: true })
    expect(verdict).toMatchObject({ reason: "buy at 50100 on sim:BTC/USDT would trade with the account's own resting sell own-sell at 50010" })
  })
})

describe('checkAvailableBalance', () => {
  const base = (c: FakeRiskContext): void => void c.setLastPrice('sim', 'BTC/USDT', 50_000).setBalance('sim', 'BTC', '0.1')
  run(checkAvailableBalance, {}, base, [
    { name: 'buy: quote incl. taker fee exactly free', order: { amount: '0.1' }, ctx: (c) => void c.setBalance('sim', 'USDT', '5005'), expect: 'OK' },
    { name: 'buy: one cent short', order: { amount: '0.1' }, ctx: (c) => void c.setBalance('sim', 'USDT', '5004.99'), expect: 'INSUFFICIENT_BALANCE' },
    { name: 'sell: exactly the free base', order: { side: 'sell', amount: '0.1' }, expect: 'OK' },
    { name: 'sell: one step more', order: { side: 'sell', amount: '0.10001' }, expect: 'INSUFFICIENT_BALANCE' },
    { name: 'market buy without any price', order: { type: 'market' }, ctx: (c) => void c.setLastPrice('sim', 'BTC/USDT', undefined), expect: 'NO_REFERENCE_PRICE' },
  ])
})

it('the test instrument is what the tables assume', () => {
  expect(TEST_BTC.stepSize.toString()).toBe('0.00001')
  expect(TEST_BTC.takerFee.toString()).toBe('0.001')
})

describe('effectiveDailyLossLimit', () => {
  const equity = (): ReturnType<typeof dec> => dec('20000')
  it('is the tighter of the absolute limit and the fraction of equity, or undefined without either', () => {
    expect(effectiveDailyLossLimit({}, equity)).toBeUndefined()
    expect(effectiveDailyLossLimit({ maxDailyLoss: dec('500') }, equity)?.toString()).toBe('500')
    expect(effectiveDailyLossLimit({ maxDailyLossPct: 0.05 }, equity)?.toString()).toBe('1000')
    expect(effectiveDailyLossLimit({ maxDailyLoss: dec('500'), maxDailyLossPct: 0.05 }, equity)?.toString()).toBe('500')
    expect(effectiveDailyLossLimit({ maxDailyLoss: dec('1500'), maxDailyLossPct: 0.05 }, equity)?.toString()).toBe('1000')
  })
  it('asks for the equity only when a fraction is set', () => {
    let asked = 0
    const counted = (): ReturnType<typeof dec> => (asked++, dec('1'))
    effectiveDailyLossLimit({ maxDailyLoss: dec('500') }, counted)
    expect(asked).toBe(0)
    effectiveDailyLossLimit({ maxDailyLossPct: 0.01 }, counted)
    expect(asked).toBe(1)
  })
})
