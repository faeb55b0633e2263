import { describe, expect, it } from 'vitest'
import { STRATEGY_LINES_PER_WINDOW, strategyLines } from './strategy-lines.js'

describe('strategyLines', () => {
  it('writes `id: message`, at most the window allowance per strategy, then says how many it held back', () => {
    const out: string[] = []
    let t = 0
    const log = strategyLines((l) => out.push(l), () => t)
    for (let i = 0; i < STRATEGY_LINES_PER_WINDOW + 5; i++) log('mm', `quote ${i} denied`)
    log('sma', 'signal')
    expect(out).toHaveLength(STRATEGY_LINES_PER_WINDOW + 1)
    expect(out[0]).toBe('mm: quote 0 denied')
    expect(out.at(-1)).toBe('sma: signal')
    t = 9_999
    log('mm', 'still held')
    expect(out).toHaveLength(STRATEGY_LINES_PER_WINDOW + 1)
    t = 10_000
    log('mm', 'next window')
    expect(out.slice(-2)).toEqual(['mm: (6 more lines in the last 10 s not shown)', 'mm: next window'])
  })
})
