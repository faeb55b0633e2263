/**
 * RSI mean reversion with a stop-loss and a take-profit (a bracket).
 *
 * Buys when RSI falls below `oversold`. The entry carries `stopLossPrice` and `takeProfitPrice`: once it has
 * filled, Sofia places a reduce-only stop and a take-profit for what it filled, and when one of them trades
 * the other is canceled (one-cancels-other). They work at the venue, so they protect the position between
 * bars, after a restart, and when the strategy is not looking; the kill switch cancels them with every
 * other order. On candles the simulated exchange fills a stop at its trigger price (or at the open after a
 * gap) and, when a bar touches both, the stop first (see `sofia backtest --help`).
 *
 *   npx sofia backtest --strategy examples/strategies/rsi-reversion.ts \
 *     --data ../shared/data/candles/bittrex_ETH-BTC_5m_2018-01-10_2018-01-30.json
 */
import { defineStrategy, indicators, z } from 'sofia'

export default defineStrategy({
  name: 'rsi-reversion',
  description: 'Buys oversold RSI with a bracket: a stop-loss and a take-profit, one cancels the other.',
  params: z.object({
    timeframe: z.string().default('5m').describe('bar timeframe (a backtest on candles uses theirs)'),
    period: z.number().int().min(2).default(14).describe('RSI length, in bars'),
    oversold: z.number().min(0).max(100).default(30),
    stopLossPct: z.number().gt(0).lt(1).default(0.03).describe('stop this far below the entry'),
    takeProfitPct: z.number().gt(0).default(0.04).describe('take profit this far above the entry'),
    fraction: z.number().gt(0).max(1).default(0.5).describe('share of the free quote balance one entry spends'),
  }),
  create: (p) => {
    const rsi = new indicators.RSI(p.period)
    return {
      onBar(bar, ctx) {
        rsi.add(bar.close)
        if (!rsi.isStable) return
        const inst = ctx.instrument(bar.venue, bar.symbol)
        // In a trade (the entry working, or its exits protecting the position): the bracket does the rest.
        if (ctx.openOrders(bar.venue, bar.symbol).length > 0 || ctx.position(bar.venue, bar.symbol).gte(inst.minAmount)) return
        if (Number(rsi.getResult()) >= p.oversold) return
        const amount = ctx.balance(bar.venue, inst.quote).mul(p.fraction).div(bar.close * 1.02)
        if (amount.lt(inst.minAmount)) return
        ctx.submit({
          venue: bar.venue,
          symbol: bar.symbol,
          side: 'buy',
          type: 'market',
          amount,
          tag: 'entry',
          stopLossPrice: bar.close * (1 - p.stopLossPct),
          takeProfitPrice: bar.close * (1 + p.takeProfitPct),
        })
      },
    }
  },
})
