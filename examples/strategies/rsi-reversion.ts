/**
 * RSI mean reversion with a stop-loss and a take-profit.
 *
 * Buys when RSI falls below `oversold`, then exits at whichever comes first: the take-profit, the stop-loss, or
 * RSI back above `overbought`. Stops are checked on each bar's close and exit with a market order (the strategy
 * manages them itself; they are not resting orders on the exchange).
 *
 *   npx sofia backtest --strategy examples/strategies/rsi-reversion.ts \
 *     --data ../shared/data/candles/bittrex_ETH-BTC_5m_2018-01-10_2018-01-30.json
 */
import { defineStrategy, indicators, z } from 'sofia'

export default defineStrategy({
  name: 'rsi-reversion',
  description: 'Buys oversold RSI; exits on take-profit, stop-loss or overbought RSI.',
  params: z.object({
    timeframe: z.string().default('5m').describe('bar timeframe (a backtest on candles uses theirs)'),
    period: z.number().int().min(2).default(14).describe('RSI length, in bars'),
    oversold: z.number().min(0).max(100).default(30),
    overbought: z.number().min(0).max(100).default(65),
    stopLossPct: z.number().gt(0).lt(1).default(0.03).describe('exit this far below the entry'),
    takeProfitPct: z.number().gt(0).default(0.04).describe('exit this far above the entry'),
    fraction: z.number().gt(0).max(1).default(0.5).describe('share of the free quote balance one entry spends'),
  }),
  create: (p) => {
    const rsi = new indicators.RSI(p.period)
    let entry: number | undefined
    return {
      onBar(bar, ctx) {
        rsi.add(bar.close)
        if (!rsi.isStable || ctx.openOrders(bar.venue, bar.symbol).length > 0) return
        const value = Number(rsi.getResult())
        const position = ctx.position(bar.venue, bar.symbol)
        const inst = ctx.instrument(bar.venue, bar.symbol)
        if (position.gte(inst.minAmount)) {
          const base = entry ?? bar.close
          const tag =
            bar.close <= base * (1 - p.stopLossPct) ? 'stop-loss' : bar.close >= base * (1 + p.takeProfitPct) ? 'take-profit' : value > p.overbought ? 'exit' : undefined
          if (tag !== undefined) {
            ctx.submit({ venue: bar.venue, symbol: bar.symbol, side: 'sell', type: 'market', amount: position, tag })
            entry = undefined
          }
        } else if (value < p.oversold) {
          const amount = ctx.balance(bar.venue, inst.quote).mul(p.fraction).div(bar.close * 1.02)
          if (amount.gte(inst.minAmount) && ctx.submit({ venue: bar.venue, symbol: bar.symbol, side: 'buy', type: 'market', amount, tag: 'entry' })) entry = bar.close
        }
      },
    }
  },
})
