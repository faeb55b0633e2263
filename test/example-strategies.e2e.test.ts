/**
 * The example strategies in examples/strategies/ (RSI reversion with stop-loss and take-profit, Bollinger
 * breakout with a trailing stop, a two-timeframe trend filter) load, pass `sofia strategy check`, and trade the
 * candle files of ../shared/data without a rejection or a denial.
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO, SHARED_DATA, sofia } from './helpers.js'

const EXAMPLES = join(REPO, 'examples', 'strategies')
const DATA = ['candles/bittrex_ETH-BTC_5m_2018-01-10_2018-01-30.json', 'candles/binance_XRP-ETH_1m_2019-10-11_2019-10-13.json', 'candles/binance-usdm_XRP-USDT-USDT_5m_2021-11-15_2021-11-21.json']

describe('examples/strategies', () => {
  const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.ts'))

  it('has the three examples', () => {
    expect(files.sort()).toEqual(['bollinger-breakout.ts', 'rsi-reversion.ts', 'trend-filter.ts'])
  })

  for (const file of files) {
    it(`${file}: strategy check passes, and it trades every candle file without a rejection`, () => {
      const check = sofia(['strategy', 'check', join(EXAMPLES, file), '--events', '20000'])
      expect(check.stderr).toBe('')
      expect(check.code).toBe(0)
      for (const data of DATA) {
        const r = sofia(['backtest', '--strategy', join(EXAMPLES, file), '--data', join(SHARED_DATA, data), '--store', 'none', '--json'])
        expect(r.stderr).toBe('')
        expect(r.code).toBe(0)
        const report = JSON.parse(r.stdout) as { fills: number; orders: { rejected: number; denied: number }; stateChanges: unknown[]; ledgerVerified: boolean }
        expect(report.fills, `${file} on ${data}`).toBeGreaterThan(0)
        expect(report.orders.rejected).toBe(0)
        expect(report.orders.denied).toBe(0)
        expect(report.stateChanges).toEqual([])
        expect(report.ledgerVerified).toBe(true)
      }
    })
  }
})
