import { describe, expect, it } from 'vitest'
import { collectEvents, openMarketData } from './open-market-data.js'
import { decimalsOf, inferInstrument } from './infer-instrument.js'
import { sharedFile } from './test-helpers.js'

describe('inferInstrument', () => {
  it.each([
    [0.00002837, 8],
    [1e-7, 7],
    [1.5e-10, 11],
    [43000.51, 2],
    [12, 0],
    [1e21, 0],
  ])('decimalsOf(%d) = %d', (x, d) => {
    expect(decimalsOf(x)).toBe(d)
  })

  it('reads tick and step off real XRP/ETH trades', async () => {
    const data = await openMarketData(sharedFile('trades/binance_XRP-ETH_trades_2019-10-11_2019-10-13.json.gz'))
    const events = await collectEvents(data.source)
    const inst = inferInstrument({ symbol: data.info.symbol! }, events)
    expect(inst.tickSize.toString()).toBe('0.00000001')
    expect(inst.priceDecimals).toBe(8)
    expect(inst.stepSize.toString()).toBe('1') // XRP amounts are whole numbers on this market
    expect(inst.takerFee.toString()).toBe('0.001')
  })

  it('reads Kraken BCH/EUR precision (6 dp prices in the file print shorter; 8 dp volumes)', async () => {
    const data = await openMarketData(sharedFile('trades/kraken_BCH-EUR_trades_2023-01-01.csv'))
    const inst = inferInstrument({ symbol: 'BCH/EUR' }, await collectEvents(data.source))
    expect(inst.priceDecimals).toBeLessThanOrEqual(6)
    expect(inst.amountDecimals).toBe(8)
  })
})
