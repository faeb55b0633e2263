/**
 * The example strategies in examples/strategies/ (RSI reversion with stop-loss and take-profit, Bollinger
 * breakout with a trailing stop, a two-timeframe trend filter) load, pass `sofia strategy check`, and trade the
 * candle files of ../shared/data without a rejection or a denial.
 */
import { mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { REPO, SHARED_DATA, sofia } from './helpers.js'

const EXAMPLES = join(REPO, 'examples', 'strategies')
const DATA = ['candles/bittrex_ETH-BTC_5m_2018-01-10_2018-01-30.json', 'candles/binance_XRP-ETH_1m_2019-10-11_2019-10-13.json', 'candles/binance-usdm_XRP-USDT-USDT_5m_2021-11-15_2021-11-21.json']

describe('examples/strategies', () => {
  const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.ts'))

  it('has the three examples', () => {
    expect(files.sort()).toEqual(['bollinger-breakout.ts', 'rsi-reversion.ts', 'trend-filter.ts'])
  })

  it('their exits trade as venue orders (bracket stop-loss and take-profit, trailing stop), tagged in the store and the audit chain', () => {
    const tags = (file: string): Record<string, number> => {
      const db = join(mkdtempSync(join(tmpdir(), 'sofia-example-tags-')), 'bt.db')
      const r = sofia(['backtest', '--strategy', join(EXAMPLES, file), '--data', join(SHARED_DATA, DATA[0]!), '--store', db])
      expect(r.code, r.stderr).toBe(0)
      const handle = new Database(db, { readonly: true })
      try {
        // Fills by the tag of their order: the exits must have traded, not only been placed.
        const rows = handle
          .prepare("select json_extract(o.options, '$.tag') as tag, count(*) as n from fills f join orders o on o.client_order_id = f.client_order_id group by 1")
          .all() as { tag: string | null; n: number }[]
        const intents = handle.prepare("select count(*) as n from audit where type = 'order.intent' and json_extract(payload, '$.tag') is not null").get() as { n: number }
        expect(intents.n).toBeGreaterThan(0)
        return Object.fromEntries(rows.map((x) => [x.tag ?? '(none)', x.n]))
      } finally {
        handle.close()
      }
    }
    const rsi = tags('rsi-reversion.ts')
    expect(rsi['entry']).toBeGreaterThan(0)
    expect(rsi['stop-loss']).toBeGreaterThan(0)
    expect(rsi['take-profit']).toBeGreaterThan(0)
    expect(tags('bollinger-breakout.ts')['trailing-stop']).toBeGreaterThan(0)
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
