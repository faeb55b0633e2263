/**
 * User strategies written by the tests, as a user writes them: a file that imports from 'sofia'. Their
 * behaviour is written into the code (not only the parameters), so a test can tell which code ran.
 */

/** On bars: a market buy of an amount written in the code every `every` bars, sold back on the next bar. */
export const stepper = (amount: string): string => `import { defineStrategy, z } from 'sofia'

export default defineStrategy({
  name: 'stepper',
  description: 'buys ${amount} now and then and sells it on the next bar',
  params: z.object({ every: z.number().int().min(1).default(50), timeframe: z.string().default('5m') }),
  create: (p) => {
    let bars = 0
    let held = false
    return {
      onBar(bar, ctx) {
        bars++
        if (held) {
          ctx.submit({ venue: bar.venue, symbol: bar.symbol, side: 'sell', type: 'market', amount: '${amount}' })
          held = false
        } else if (bars % p.every === 0) {
          ctx.submit({ venue: bar.venue, symbol: bar.symbol, side: 'buy', type: 'market', amount: '${amount}' })
          held = true
        }
      },
    }
  },
})
`
