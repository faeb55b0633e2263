import { describe, expect, it } from 'vitest'
import { InputError } from '../model/index.js'
import { CrossVenueArb } from './cross-venue-arb.js'
import { MarketMaker } from './market-maker.js'
import { STRATEGIES, createStrategy, formatStrategies, listStrategies } from './registry.js'
import { SmaCross, smaCrossParams } from './sma-cross.js'

function errorOf(fn: () => unknown): Error {
  try {
    fn()
  } catch (error) {
    return error as Error
  }
  throw new Error('expected an error')
}

describe('strategy registry', () => {
  it('lists the built-in strategies by name', () => {
    expect(STRATEGIES.map((s) => s.name)).toEqual(['sma-cross', 'cross-venue-arb', 'market-maker'])
  })

  it('creates each strategy from CLI strings', () => {
    expect(createStrategy('sma-cross', 's1', { fast: '5', slow: '20', timeframe: '5m' })).toBeInstanceOf(SmaCross)
    expect(createStrategy('cross-venue-arb', 's2', { amount: '0.01' })).toBeInstanceOf(CrossVenueArb)
    const mm = createStrategy('market-maker', 's3', { amount: '0.01', spreadBps: '30' })
    expect(mm).toBeInstanceOf(MarketMaker)
    expect(mm.id).toBe('s3')
    expect(createStrategy('sma-cross', 's4', { timeframe: '5m' }).barTimeframe).toBe('5m')
  })

  it.each([
    ['sma-cross', { fast: 'abc' }, `strategy sma-cross: parameter 'fast': expected a positive integer, got "abc"`],
    ['sma-cross', { fast: '0' }, `strategy sma-cross: parameter 'fast': expected a positive integer, got "0"`],
    ['sma-cross', { fast: '2.5' }, `strategy sma-cross: parameter 'fast': expected a positive integer, got "2.5"`],
    ['sma-cross', { fast: 12, slow: '12' }, `strategy sma-cross: parameter 'slow': must be greater than fast (12), got 12`],
    ['sma-cross', { timeframe: '1 minute' }, `strategy sma-cross: parameter 'timeframe': expected a timeframe like 1m, 5m, 1h, got "1 minute"`],
    ['sma-cross', { amount: '-1' }, `strategy sma-cross: parameter 'amount': expected a positive decimal, got "-1"`],
    ['sma-cross', { amount: '0x10' }, `strategy sma-cross: parameter 'amount': expected a positive decimal, got "0x10"`],
    ['sma-cross', { allowShort: 'maybe' }, `strategy sma-cross: parameter 'allowShort': expected true or false, got "maybe"`],
    ['sma-cross', { symbol: 'BTCUSDT' }, `strategy sma-cross: parameter 'symbol': expected a symbol like BTC/USDT, got "BTCUSDT"`],
    ['market-maker', {}, `strategy market-maker: parameter 'amount': required (a positive decimal)`],
    ['market-maker', { amount: '1', spreadBps: '-3' }, `strategy market-maker: parameter 'spreadBps': expected a number ≥ 0, got "-3"`],
    ['cross-venue-arb', { amount: '1', venueA: 'x', venueB: 'x' }, `strategy cross-venue-arb: parameter 'venueB': must differ from venueA, got "x"`],
    [
      'cross-venue-arb',
      { amount: '1', maxInventory: '2', rebalanceThreshold: '3' },
      `strategy cross-venue-arb: parameter 'rebalanceThreshold': must be at most maxInventory (2), got 3`,
    ],
  ] as const)('%s %j → one-line InputError', (name, raw, message) => {
    const error = errorOf(() => createStrategy(name, 'id', raw))
    expect(error).toBeInstanceOf(InputError)
    expect(error.message).toBe(message)
  })

  it('rejects an unknown strategy, listing the available ones', () => {
    const error = errorOf(() => createStrategy('foo', 'id', {}))
    expect(error).toBeInstanceOf(InputError)
    expect(error.message).toBe(`unknown strategy 'foo' (available: sma-cross, cross-venue-arb, market-maker)`)
  })

  it('rejects an unknown parameter by name', () => {
    const error = errorOf(() => createStrategy('sma-cross', 'id', { fsat: '3' }))
    expect(error).toBeInstanceOf(InputError)
    expect(error.message).toBe(
      `strategy sma-cross: unknown parameter 'fsat' (parameters: venue, symbol, fast, slow, timeframe, amount, fraction, allowShort)`,
    )
  })

  it('coerces numbers and booleans from strings and keeps amounts exact', () => {
    const p = smaCrossParams.parse({ fast: '3', slow: 7, allowShort: 'yes', amount: '0.1', fraction: '0.25' })
    expect(p).toMatchObject({ fast: 3, slow: 7, allowShort: true, fraction: 0.25, timeframe: '1m' })
    expect(p.amount?.toString()).toBe('0.1')
    expect(smaCrossParams.parse({ allowShort: 'false' }).allowShort).toBe(false)
    expect(smaCrossParams.parse({ allowShort: true }).allowShort).toBe(true)
    expect(smaCrossParams.parse({ amount: 0.3 }).amount?.toString()).toBe('0.3')
  })

  it('describes parameters with their defaults for --help', () => {
    const sma = listStrategies().find((s) => s.name === 'sma-cross')
    expect(sma?.params.find((p) => p.name === 'fast')).toEqual({ name: 'fast', description: 'fast SMA length, in bars', required: false, default: '10' })
    const mm = listStrategies().find((s) => s.name === 'market-maker')
    expect(mm?.params.find((p) => p.name === 'amount')).toMatchObject({ required: true })
    expect(mm?.params.find((p) => p.name === 'venue')).toMatchObject({ required: false })
    expect(mm?.params.find((p) => p.name === 'venue')).not.toHaveProperty('default')
    expect(formatStrategies()).toContain('  slow (default 30)  slow SMA length, in bars (> fast)')
  })
})
