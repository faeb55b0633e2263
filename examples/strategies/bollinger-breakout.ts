/**
 * Bollinger breakout with a trailing stop.
 *
 * Buys when a bar closes above the upper band. Once the entry has filled, it places a reduce-only trailing
 * stop (`trailingPercent`): the venue follows the highest price since and sells when the price comes back
 * `trailPct` from it. On candles the simulated exchange first raises the trail to the bar's high, then fires
 * if the bar's low reaches it (the path adverse to the holder).
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
    trailPct: z.number().gt(0).lt(1).default(0.015).describe('trailing stop distance below the highest price'),
    fraction: z.number().gt(0).max(1).default(0.5).describe('share of the free quote balance one entry spends'),
  }),
  create: (p) => {
    const bands = new indicators.BollingerBands(p.period, p.deviations)
    return {
      onFill(trade, order, ctx) {
        // The entry filled completely: protect what it bought with a trailing stop at the venue.
        if (order.tag !== 'entry' || order.state !== 'closed') return
        ctx.submit({
          venue: order.venue,
          symbol: order.symbol,
          side: 'sell',
          type: 'market',
          amount: order.filled,
          reduceOnly: true,
          trailingPercent: p.trailPct * 100,
          tag: 'trailing-stop',
        })
      },
      onBar(bar, ctx) {
        bands.add(bar.close)
        if (!bands.isStable) return
        const band = bands.getResult()
        if (band === null || band === undefined) return
        const inst = ctx.instrument(bar.venue, bar.symbol)
        if (ctx.openOrders(bar.venue, bar.symbol).length > 0 || ctx.position(bar.venue, bar.symbol).gte(inst.minAmount)) return
        if (bar.close <= Number(band.upper)) return
        const amount = ctx.balance(bar.venue, inst.quote).mul(p.fraction).div(bar.close * 1.02)
        if (amount.gte(inst.minAmount)) ctx.submit({ venue: bar.venue, symbol: bar.symbol, side: 'buy', type: 'market', amount, tag: 'entry' })
      },
    }
  },
})
