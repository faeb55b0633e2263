/**
 * Bollinger breakout with a trailing stop.
 *
 * Buys when a bar closes above the upper band, then trails a stop `trailPct` below the highest close since the
 * entry and sells when a close falls through it (checked on bar closes, exited with a market order).
 *
 *   npx sofia backtest --strategy examples/strategies/bollinger-breakout.ts \
 *     --data ../shared/data/candles/binance_XRP-ETH_1m_2019-10-11_2019-10-13.json
 */
import { defineStrategy, indicators, z } from 'sofia'

export default defineStrategy({
  name: 'bollinger-breakout',
  description: 'Buys a close above the upper Bollinger band; exits on a trailing stop.',
  params: z.object({
    timeframe: z.string().default('5m').describe('bar timeframe (a backtest on candles uses theirs)'),
    period: z.number().int().min(2).default(20).describe('band length, in bars'),
    deviations: z.number().gt(0).default(2).describe('band width, in standard deviations'),
    trailPct: z.number().gt(0).lt(1).default(0.015).describe('trailing stop distance below the highest close'),
    fraction: z.number().gt(0).max(1).default(0.5).describe('share of the free quote balance one entry spends'),
  }),
  create: (p) => {
    const bands = new indicators.BollingerBands(p.period, p.deviations)
    let highest: number | undefined
    return {
      onBar(bar, ctx) {
        bands.add(bar.close)
        if (!bands.isStable || ctx.openOrders(bar.venue, bar.symbol).length > 0) return
        const band = bands.getResult()
        if (band === null || band === undefined) return
        const position = ctx.position(bar.venue, bar.symbol)
        const inst = ctx.instrument(bar.venue, bar.symbol)
        if (position.gte(inst.minAmount)) {
          highest = Math.max(highest ?? bar.close, bar.close)
          if (bar.close <= highest * (1 - p.trailPct)) {
            ctx.submit({ venue: bar.venue, symbol: bar.symbol, side: 'sell', type: 'market', amount: position, tag: 'trailing-stop' })
            highest = undefined
          }
        } else if (bar.close > Number(band.upper)) {
          const amount = ctx.balance(bar.venue, inst.quote).mul(p.fraction).div(bar.close * 1.02)
          if (amount.gte(inst.minAmount) && ctx.submit({ venue: bar.venue, symbol: bar.symbol, side: 'buy', type: 'market', amount, tag: 'entry' })) highest = bar.close
        }
      },
    }
  },
})
