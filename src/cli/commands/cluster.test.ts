import { describe, expect, it } from 'vitest'
import { parseSince } from './cluster.js'

describe('sofia cluster events --since', () => {
  it('takes a duration back from now, or a time', () => {
    const now = 10_000_000
    expect(parseSince('30m', now)).toBe(now - 1_800_000)
    expect(parseSince('1h30m', now)).toBe(now - 5_400_000)
    expect(parseSince('1500ms', now)).toBe(now - 1_500)
    expect(parseSince('2026-12-06T10:00:00Z', now)).toBe(Date.parse('2026-12-06T10:00:00Z'))
    expect(parseSince('2026-12-06', now)).toBe(Date.parse('2026-12-06T00:00:00Z'))
    expect(parseSince('1700000000000', now)).toBe(1_700_000_000_000)
    expect(() => parseSince('5x', now)).toThrow(/^--since: /)
    expect(() => parseSince('yesterday', now)).toThrow(/^--since: /)
  })
})
