import { describe, expect, it } from 'vitest'
import { parseIsoTime, textTimestamp } from './reader-context.js'

describe('parseIsoTime', () => {
  it.each([
    ['2024-01-01', Date.UTC(2024, 0, 1)],
    ['2024-01-01 00:00:00', Date.UTC(2024, 0, 1)],
    ['2024-01-01T13:45', Date.UTC(2024, 0, 1, 13, 45)],
    ['2024-01-01T13:45:30Z', Date.UTC(2024, 0, 1, 13, 45, 30)],
    ['2024-01-01t13:45:30z', Date.UTC(2024, 0, 1, 13, 45, 30)],
    ['2024-01-01 13:45:30.5', Date.UTC(2024, 0, 1, 13, 45, 30, 500)],
    ['2024-01-01T13:45:30.123456Z', Date.UTC(2024, 0, 1, 13, 45, 30, 123)], // µs cut, not rounded
    ['2024-01-01 00:00:00+00:00', Date.UTC(2024, 0, 1)], // pandas' to_csv of a UTC index
    ['2024-01-01T01:00:00+01:00', Date.UTC(2024, 0, 1)],
    ['2024-01-01T01:30:00+0130', Date.UTC(2024, 0, 1)],
    ['2023-12-31T19:00:00-05', Date.UTC(2024, 0, 1)],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
  ])('%s', (text, want) => {
    expect(parseIsoTime(text)).toBe(want)
  })

  it.each(['1/2/2024', 'Jan 2 2024', '2024/01/02', '2024-02-30', '2023-02-29', '2024-13-01', '2024-01-01T24:00', '2024-01-01T12:60', '20240101', 'yesterday', ''])(
    'refuses %j',
    (text) => {
      expect(parseIsoTime(text)).toBeUndefined()
    },
  )
})

describe('textTimestamp', () => {
  it('reads ms and ISO text, and names the field of anything else', () => {
    expect(textTimestamp('1704067200000', 'date')).toBe(1704067200000)
    expect(textTimestamp('2024-01-01 00:00:00', 'date')).toBe(1704067200000)
    expect(() => textTimestamp('1/2/2024', 'date')).toThrow(`field 'date': expected a timestamp in ms or ISO 8601, got "1/2/2024"`)
    expect(() => textTimestamp('', 'date')).toThrow(`field 'date': missing`)
  })
})
