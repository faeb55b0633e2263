import { describe, expect, it } from 'vitest'
import { editDistance, suggestKey } from './suggest.js'

describe('suggestKey', () => {
  const known = ['maxDailyLoss', 'maxDailyLossPct', 'maxOpenOrders', 'host', 'port']
  it.each([
    ['maxDailyLos', 'maxDailyLoss'],
    ['MAX_DAILY_LOSS', 'maxDailyLoss'],
    ['max-open-orders', 'maxOpenOrders'],
    ['prot', 'port'],
    ['hots', 'host'],
    ['banana', undefined],
    ['x', undefined],
  ])('%s → %s', (key, suggestion) => {
    expect(suggestKey(key, known)).toBe(suggestion)
  })

  it('counts edits', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3)
    expect(editDistance('ab', 'ba')).toBe(1)
    expect(editDistance('', 'abc')).toBe(3)
  })
})
