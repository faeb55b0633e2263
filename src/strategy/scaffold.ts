/**
 * @module strategy/scaffold
 * What `sofia strategy new NAME` writes: a strategy file that backtests and trades as it is (an EMA
 * crossover with a stop-loss, on indicators from the SDK) and a test of it for `node --test`.
 */

/** Strategy file names: lower-case letters, digits and dashes (also the strategy's name). */
export const STRATEGY_NAME = /^[a-z][a-z0-9-]{0,63}$/

export function strategyTemplate(name: string): string {
  return `/**
 * ${name}: an EMA crossover with a stop-loss, written against Sofia's strategy SDK.
 *
 *   npx sofia backtest --strategy ./strategies/${name}.ts --data synthetic
 *   npx sofia backtest --strategy ${name} --data <candles.json> --param fast=12 --param slow=26
 *   npx sofia strategy check ./strategies/${name}.ts
 */
import { defineStrategy, indicators, z } from 'sofia'

export default defineStrategy({
  name: '${name}',
  description: 'Long when the fast EMA crosses above the slow one; out on the cross down or the stop-loss.',
  params: z.object({
    symbol: z.string().optional().describe('market to trade (default: the first one with bars)'),
    fast: z.number().int().min(1).default(9).describe('fast EMA length, in bars'),
    slow: z.number().int().min(2).default(21).describe('slow EMA length, in bars'),
    timeframe: z.string().default('1m').describe('bar timeframe (a backtest on candles uses theirs)'),
    fraction: z.number().gt(0).max(1).default(0.5).describe('share of the free quote balance one entry spends'),
    stopLossPct: z.number().gt(0).lt(1).default(0.02).describe('exit when the close falls this far below the entry'),
  }),
  create: (p) => {
    const fast = new indicators.EMA(p.fast)
    const slow = new indicators.EMA(p.slow)
    let market: string | undefined = p.symbol
    let fastAbove: boolean | undefined
    let entryPrice: number | undefined
    return {
      onBar(bar, ctx) {
        market ??= bar.symbol
        if (bar.symbol !== market) return
        fast.add(bar.close)
        slow.add(bar.close)
        if (!slow.isStable) return
        const above = Number(fast.getResult()) > Number(slow.getResult())
        const crossed = fastAbove !== undefined && above !== fastAbove
        fastAbove = above
        if (ctx.openOrders(bar.venue, bar.symbol).length > 0) return
        const position = ctx.position(bar.venue, bar.symbol)
        const inst = ctx.instrument(bar.venue, bar.symbol)
        if (position.gte(inst.minAmount)) {
          const stopped = entryPrice !== undefined && bar.close <= entryPrice * (1 - p.stopLossPct)
          if (stopped || (crossed && !above)) {
            ctx.submit({ venue: bar.venue, symbol: bar.symbol, side: 'sell', type: 'market', amount: position, tag: stopped ? 'stop-loss' : 'exit' })
            entryPrice = undefined
          }
        } else if (crossed && above) {
          // Room for the fee and for what the venue holds back on a market buy.
          const amount = ctx.balance(bar.venue, inst.quote).mul(p.fraction).div(bar.close * 1.02)
          if (amount.gte(inst.minAmount) && ctx.submit({ venue: bar.venue, symbol: bar.symbol, side: 'buy', type: 'market', amount, tag: 'entry' })) {
            entryPrice = bar.close
          }
        }
      },
    }
  },
})
`
}

export function strategyTestTemplate(name: string, dir: string): string {
  return `// A test of ${name}: a backtest on the synthetic market trades and its books balance.
// Run it with: node --test ${dir}/${name}.test.mjs
import { execFileSync } from 'node:child_process'
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'

const strategy = fileURLToPath(new URL('./${name}.ts', import.meta.url))

test('${name} trades on the synthetic market and its books balance', () => {
  const out = execFileSync('npx', ['sofia', 'backtest', '--strategy', strategy, '--data', 'synthetic', '--events', '100000', '--store', 'none', '--json'], { encoding: 'utf8' })
  const report = JSON.parse(out)
  assert.ok(report.fills > 0, 'no fills')
  assert.equal(report.orders.rejected, 0)
  assert.equal(report.ledgerVerified, true)
})
`
}
