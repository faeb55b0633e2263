/**
 * A trend filter over two timeframes.
 *
 * The slow timeframe (1h by default, built from the data's candles or ticks) says whether the market is in an
 * uptrend: its close above the EMA of the last `trendBars` slow closes. Entries come from the fast timeframe: a
 * fast EMA crossing above a slower one, taken only in an uptrend. Exits on the fast cross down, or when the
 * trend turns. Uses `ctx.bars` for the slow history.
 *
 *   npx sofia backtest --strategy examples/strategies/trend-filter.ts \
 *     --data ../shared/data/candles/bittrex_LTC-BTC_5m_2018-01-10_2018-01-30.json
 */
import { defineStrategy, indicators, z } from 'sofia'

export default defineStrategy({
  name: 'trend-filter',
  description: 'Fast EMA cross entries, taken only while the slow timeframe trends up.',
  params: z.object({
    fast: z.string().default('5m').describe('entry timeframe'),
    slow: z.string().default('1h').describe('trend timeframe'),
    fastEma: z.number().int().min(1).default(8),
    slowEma: z.number().int().min(2).default(21),
    trendBars: z.number().int().min(2).default(12).describe('slow bars in the trend EMA'),
    fraction: z.number().gt(0).max(1).default(0.5).describe('share of the free quote balance one entry spends'),
  }),
  create: (p) => {
    const fastEma = new indicators.EMA(p.fastEma)
    const slowEma = new indicators.EMA(p.slowEma)
    let above: boolean | undefined
    return {
      timeframes: [p.fast, p.slow],
      history: p.trendBars,
      onBar(bar, ctx) {
        if (bar.timeframe !== p.fast) return
        fastEma.add(bar.close)
        slowEma.add(bar.close)
        if (!slowEma.isStable) return
        const isAbove = Number(fastEma.getResult()) > Number(slowEma.getResult())
        const crossed = above !== undefined && isAbove !== above
        above = isAbove
        const slow = ctx.bars(bar.venue, bar.symbol, p.slow, p.trendBars)
        if (slow.length < p.trendBars || ctx.openOrders(bar.venue, bar.symbol).length > 0) return
        const trend = new indicators.EMA(p.trendBars)
        for (const b of slow) trend.add(b.close)
        const uptrend = slow[slow.length - 1]!.close > Number(trend.getResult())
        const position = ctx.position(bar.venue, bar.symbol)
        const inst = ctx.instrument(bar.venue, bar.symbol)
        if (position.gte(inst.minAmount)) {
          if ((crossed && !isAbove) || !uptrend) ctx.submit({ venue: bar.venue, symbol: bar.symbol, side: 'sell', type: 'market', amount: position, tag: uptrend ? 'exit' : 'trend-over' })
        } else if (crossed && isAbove && uptrend) {
          const amount = ctx.balance(bar.venue, inst.quote).mul(p.fraction).div(bar.close * 1.02)
          if (amount.gte(inst.minAmount)) ctx.submit({ venue: bar.venue, symbol: bar.symbol, side: 'buy', type: 'market', amount, tag: 'entry' })
        }
      },
    }
  },
})
