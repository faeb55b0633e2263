import { describe, expect, it } from 'vitest'
import { amountToLots, makeInstrument, roundAmount, roundPrice } from './instrument.js'

const btc = makeInstrument({ symbol: 'BTC/USDT', tickSize: '0.01', stepSize: '0.00001' })

describe('instrument rounding', () => {
  it('rounds an amount down to the step, toward zero for a negative one', () => {
    expect(roundAmount(btc, '0.123456789').toString()).toBe('0.12345')
    expect(roundAmount(btc, '0.00000999').toString()).toBe('0')
    expect(roundAmount(btc, '-0.123456789').toString()).toBe('-0.12345')
    expect(roundAmount(btc, '7').toString()).toBe('7')
    expect(amountToLots(btc, '0.123456789')).toBe(12345)
  })

  it('never rounds up onto the next step, even when the quotient is longer than the 40 digits of a division', () => {
    // 0.12345 minus 1e-46: divided to 40 digits and then rounded down, this gave 0.12345 (one step too many).
    const justBelow = `0.12344${'9'.repeat(41)}`
    expect(roundAmount(btc, justBelow).toString()).toBe('0.12344')
    expect(amountToLots(btc, justBelow)).toBe(12344)
    const odd = makeInstrument({ symbol: 'X/Y', tickSize: '1', stepSize: '0.3' })
    expect(roundAmount(odd, '1').toString()).toBe('0.9')
    expect(roundAmount(odd, '0.9').toString()).toBe('0.9')
  })

  it('rounds a price to the nearest tick, half to even', () => {
    expect(roundPrice(btc, '100.005').toString()).toBe('100')
    expect(roundPrice(btc, '100.015').toString()).toBe('100.02')
    expect(roundPrice(btc, '100.0151').toString()).toBe('100.02')
  })
})
