import { describe, expect, it } from 'vitest'
import { InputError } from '../model/index.js'
import { formatDuration, parseDuration } from './duration.js'

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1_500],
    [' 2M ', 120_000],
  ])('%s → %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms)
  })

  it.each([
    ['', 'expected a duration such as 30s, 5m or 1h'],
    ['30', 'expected a duration with a unit (ms, s, m, h or d), such as 30s'],
    ['30x', 'unknown duration unit "x" (use ms, s, m, h or d)'],
    ['1h30', 'expected a duration such as 30s, 5m or 1h (a number lacks its unit)'],
    ['soon', 'expected a duration such as 30s, 5m or 1h (bad text at "soon")'],
    ['5 m', 'expected a duration such as 30s, 5m or 1h (a number lacks its unit)'],
  ])('refuses %j', (text, message) => {
    expect(() => parseDuration(text)).toThrow(new InputError(message))
  })
})

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [500, '500ms'],
    [30_000, '30s'],
    [90_000, '1m30s'],
    [86_400_000 + 1, '1d1ms'],
  ])('%i ms → %s, and back', (ms, text) => {
    expect(formatDuration(ms)).toBe(text)
    if (ms > 0) expect(parseDuration(text)).toBe(ms)
  })
})
