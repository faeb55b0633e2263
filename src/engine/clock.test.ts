import { describe, expect, it } from 'vitest'
import { SimulatedClock, WallClock } from './clock.js'

describe('SimulatedClock', () => {
  it('fires due timers in time then creation order, each at its own time', () => {
    const clock = new SimulatedClock(1000)
    const seen: string[] = []
    clock.setTimer(1500, (now) => seen.push(`b@${now}`))
    clock.setTimer(1200, (now) => seen.push(`a@${now}`))
    clock.setTimer(1500, (now) => seen.push(`c@${now}`))
    clock.setTimer(3000, (now) => seen.push(`d@${now}`))
    clock.advanceTo(2000)
    expect(seen).toEqual(['a@1200', 'b@1500', 'c@1500'])
    expect(clock.now()).toBe(2000)
    clock.advanceTo(5000)
    expect(seen.at(-1)).toBe('d@3000')
  })

  it('skips cancelled timers and never goes backwards', () => {
    const clock = new SimulatedClock(10)
    let fired = false
    const cancel = clock.setTimer(20, () => {
      fired = true
    })
    cancel()
    clock.advanceTo(30)
    clock.advanceTo(15)
    expect(fired).toBe(false)
    expect(clock.now()).toBe(30)
  })

  it('runs timers scheduled by timers within the same advance', () => {
    const clock = new SimulatedClock(0)
    const seen: number[] = []
    clock.setTimer(10, (now) => {
      seen.push(now)
      clock.setTimer(now + 10, (n) => seen.push(n))
    })
    clock.advanceTo(25)
    expect(seen).toEqual([10, 20])
  })

  it('keeps order across many random timers (heap property)', () => {
    const clock = new SimulatedClock(0)
    const fired: number[] = []
    let x = 12345
    for (let i = 0; i < 2000; i++) {
      x = (x * 1103515245 + 12345) % 2147483648
      const at = x % 100_000
      clock.setTimer(at, (now) => fired.push(now))
    }
    clock.advanceTo(100_000)
    expect(fired).toHaveLength(2000)
    expect(fired).toEqual([...fired].sort((a, b) => a - b))
  })

  it('fires a repeating timer exactly as a timer that sets the next one on its return would', () => {
    // Both clocks run the same script: other timers due at the same times, some set from inside the repeating
    // callback, and a stop from inside it; the order of everything fired must be the same.
    const script = (clock: SimulatedClock, repeat: (first: number, every: number, cb: (now: number) => void) => () => void): string[] => {
      const seen: string[] = []
      let n = 0
      let cancel: () => void = () => {}
      cancel = repeat(1100, 100, (now) => {
        seen.push(`r@${now}`)
        if (++n % 3 === 0) clock.setTimer(now + 100, (t) => seen.push(`x@${t}`))
        if (n === 12) cancel()
      })
      for (let t = 1000; t <= 2600; t += 50) clock.setTimer(t, (at) => seen.push(`o@${at}`))
      for (let t = 1000; t <= 3000; t += 70) clock.advanceTo(t)
      return seen
    }
    const manual = new SimulatedClock(1000)
    const once = (first: number, every: number, cb: (now: number) => void): (() => void) => {
      let cancelNext: () => void = () => {}
      let stopped = false
      const schedule = (at: number): void => {
        cancelNext = manual.setTimer(at, (now) => {
          cb(now)
          if (!stopped) schedule(now + every)
        })
      }
      schedule(first)
      return () => {
        stopped = true
        cancelNext()
      }
    }
    const repeating = new SimulatedClock(1000)
    const expected = script(manual, once)
    expect(expected.filter((e) => e.startsWith('r@'))).toHaveLength(12)
    expect(script(repeating, (first, every, cb) => repeating.setRepeatingTimer(first, every, cb))).toEqual(expected)
  })
})

describe('WallClock', () => {
  it('a repeating timer fires again every interval after it last fired, until cancelled', async () => {
    const clock = new WallClock()
    const fired: number[] = []
    const start = Date.now()
    const cancel = clock.setRepeatingTimer(start + 5, 5, (now) => fired.push(now))
    while (fired.length < 3) await new Promise((r) => setTimeout(r, 2))
    cancel()
    const count = fired.length
    await new Promise((r) => setTimeout(r, 30))
    expect(fired.length).toBe(count)
    // Node's timers run on a monotonic clock and Date.now() may read up to 1 ms short of the delay.
    expect(fired[0]!).toBeGreaterThanOrEqual(start + 4)
    for (let i = 1; i < fired.length; i++) expect(fired[i]! - fired[i - 1]!).toBeGreaterThanOrEqual(4)
    expect(() => clock.setRepeatingTimer(start, 0, () => undefined)).toThrow(RangeError)
  })
})
