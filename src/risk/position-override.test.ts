import { describe, expect, it } from 'vitest'
import { InputError, dec, makeInstrument } from '../model/index.js'
import { PositionOverride, applyPositionOverride } from './position-override.js'
import { TEST_BTC } from './testing.js'

describe('applyPositionOverride', () => {
  const HALF = makeInstrument({ symbol: 'X/USDT', tickSize: '0.01', stepSize: '0.5' })
  it.each([
    ['1', '0.1', TEST_BTC, '0.1'],
    ['0.12345', '0.1', TEST_BTC, '0.01234'],
    ['0.00009', '0.1', TEST_BTC, '0'],
    ['0.5', '1', TEST_BTC, '0.5'],
    ['0.5', '0', TEST_BTC, '0'],
    ['7', '0.3', HALF, '2'],
    ['7', '0.5', HALF, '3.5'],
  ] as const)('%s × %s → %s… rounded down to the step', (amount, m, inst, expected) => {
    expect(applyPositionOverride(dec(amount), dec(m), inst).eq(dec(expected))).toBe(true)
  })
})

describe('PositionOverride', () => {
  it('defaults to 1, takes the tighter of account and strategy, and 1 clears a strategy', () => {
    const p = new PositionOverride()
    expect(p.get('s1').toString()).toBe('1')
    p.set({ strategyId: 's1' }, '0.5')
    expect(p.get('s1').toString()).toBe('0.5')
    expect(p.get('s2').toString()).toBe('1')
    p.set('account', '0.1')
    expect(p.get('s1').toString()).toBe('0.1')
    p.set('account', 1)
    expect(p.get('s1').toString()).toBe('0.5')
    p.set({ strategyId: 's1' }, 1)
    expect(p.snapshot()).toEqual({ account: '1', strategies: {} })
  })

  it.each(['-0.1', '1.01', 'NaN'])('refuses %s', (m) => {
    expect(() => new PositionOverride().set('account', m)).toThrow(InputError)
  })
})
