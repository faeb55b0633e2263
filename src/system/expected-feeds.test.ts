/**
 * @module system/expected-feeds.test
 * A live session watches every market it listens to for staleness from its start: a market that never delivers
 * (a subscription that failed, a market silent since a restart) goes stale like one that stopped, instead of
 * staying unseen ("no feeds watched") while a position on it goes unpriced.
 */
import { describe, expect, it } from 'vitest'
import { WallClock } from '../engine/index.js'
import type { MarketEvent } from '../model/index.js'
import { makeInstrument } from '../model/index.js'
import { DEFAULT_RISK } from './risk-setup.js'
import { Trader } from './trader.js'

describe('the data-staleness monitor of a live session', () => {
  it('names a market that has not delivered since the start as stale, beside one that delivers', async () => {
    const instrument = (symbol: string) => makeInstrument({ symbol, tickSize: '0.01', stepSize: '0.001' })
    const trader = Trader.inMemory({
      clock: new WallClock(),
      venues: [{ id: 'x', instruments: [instrument('BTC/USDT'), instrument('ETH/USDT')], balances: { USDT: '1000' } }],
      strategies: [],
      reportingCurrency: 'USDT',
      equitySampleMs: 60_000,
      riskSettings: DEFAULT_RISK,
    })
    const start = Date.now()
    // One event on BTC/USDT, stamped a minute on; ETH/USDT never delivers.
    const btc: MarketEvent = { kind: 'trade', venue: 'x', symbol: 'BTC/USDT', timestamp: start + 60_000, price: 50_000, amount: 1 }
    await trader.run((async function* () {
      yield [btc]
    })())
    const staleness = trader.safety.monitors.evaluate(start + 61_000).filter((m) => m.name === 'data_staleness')
    expect(staleness.map((m) => `${m.feed} ${m.level}`).sort()).toEqual(['x:BTC/USDT ok', 'x:ETH/USDT critical'])
  })
})
