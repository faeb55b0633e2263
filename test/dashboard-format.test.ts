// The dashboard's display rounding works on the digits of the API's decimal strings (no float).
import { describe, expect, it } from 'vitest'
import { groupThousands, roundDecimal } from '../web/src/decimal.js'
import { TIME_STEPS, timeAxisLabels } from '../web/src/time-axis.js'

describe('roundDecimal', () => {
  it.each([
    ['2993.813333333333333333333333333333333333', 8, '2993.81333333'],
    ['2999.946666666666666666666666666666666667', 8, '2999.94666667'],
    ['-0.123456785', 8, '-0.12345679'],
    ['-0.000000001', 8, '0'],
    ['0.99999999999', 8, '1'],
    ['-9.999999999', 8, '-10'],
    ['150.02', 8, '150.02'],
    ['12345678901234567890.123456789', 2, '12345678901234567890.12'],
    ['1e-9', 8, '1e-9'],
    ['-26.41991969', 8, '-26.41991969'],
    ['0.10000000049', 8, '0.1'],
  ])('%s to %i places is %s', (text, places, expected) => {
    expect(roundDecimal(text, places)).toBe(expected)
  })
})

describe('groupThousands', () => {
  it.each([
    ['-206.65404871', '-206.65404871'],
    ['1234', '1,234'],
    ['-1234567.123456', '-1,234,567.123456'],
    ['12345678901234567890.12', '12,345,678,901,234,567,890.12'],
    ['100000', '100,000'],
    ['0.000012345', '0.000012345'],
    ['1e-9', '1e-9'],
    ['n/a', 'n/a'],
  ])('%s is shown as %s', (text, expected) => {
    expect(groupThousands(text)).toBe(expected)
  })
})

describe('the equity chart time axis', () => {
  const t0 = Date.UTC(2026, 11, 6, 6, 51, 10) / 1000
  it('labels whole seconds as UTC clock times, not fractions (":11.500" before)', () => {
    expect(TIME_STEPS.every((s) => Number.isInteger(s) && s >= 1)).toBe(true)
    expect(timeAxisLabels([t0, t0 + 2, t0 + 4])).toEqual(['06:51:10', '06:51:12', '06:51:14'])
  })
  it('drops the seconds over an hour and adds the date over a day', () => {
    expect(timeAxisLabels([t0, t0 + 1_800, t0 + 3_600])).toEqual(['06:51', '07:21', '07:51'])
    expect(timeAxisLabels([t0, t0 + 86_400])).toEqual(['12-06 06:51', '12-07 06:51'])
    const day = Date.UTC(2026, 11, 5) / 1000
    expect(timeAxisLabels([day, day + 86_400, day + 172_800])).toEqual(['12-05', '12-06', '12-07'])
  })
})
