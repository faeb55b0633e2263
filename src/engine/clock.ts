/**
 * @module engine/clock
 * Clocks: the only difference in time between a backtest (simulated, advanced by events) and paper or live
 * trading (the wall clock). Timers run through the clock so the same code schedules in both.
 */
import { BinaryHeap } from './binary-heap.js'

export type TimerCallback = (now: number) => void

export interface Clock {
  /** Milliseconds since the Unix epoch, UTC. */
  now(): number
  /** Runs `callback` once at `at` (or as soon as possible after). Returns a cancel function. */
  setTimer(at: number, callback: TimerCallback): () => void
  /**
   * Runs `callback` at `first`, then every `every` ms (> 0) after the time it last fired, as a callback that sets
   * its next timer as it returns would. Returns a cancel function.
   */
  setRepeatingTimer(first: number, every: number, callback: TimerCallback): () => void
}

function checkEvery(every: number): void {
  if (!(every > 0)) throw new RangeError(`repeating timer: every must be > 0, got ${every}`)
}

interface Timer {
  at: number
  seq: number
  callback: TimerCallback
  cancelled: boolean
  /** > 0: after firing, the timer comes due again this many ms after the time it fired at. */
  every: number
}

/**
 * Simulated time, moved forward only by `advanceTo`. Due timers fire in (time, creation) order, each seeing
 * `now()` equal to its own due time, so a backtest is deterministic whatever the wall clock does.
 */
export class SimulatedClock implements Clock {
  private current: number
  private seq = 0
  private readonly heap = new BinaryHeap<Timer>((a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq))

  constructor(start = 0) {
    this.current = start
  }

  now(): number {
    return this.current
  }

  setTimer(at: number, callback: TimerCallback): () => void {
    return this.schedule(at, callback, 0)
  }

  /**
   * Exactly what a callback that sets its next timer as it returns does (same times, same order among timers
   * due together), with one timer for the whole run instead of a timer, a callback and a cancel function per
   * firing (a year of 1m equity samples made half a million of them).
   */
  setRepeatingTimer(first: number, every: number, callback: TimerCallback): () => void {
    checkEvery(every)
    return this.schedule(first, callback, every)
  }

  private schedule(at: number, callback: TimerCallback, every: number): () => void {
    const timer: Timer = { at: Math.max(at, this.current), seq: this.seq++, callback, cancelled: false, every }
    this.heap.push(timer)
    return () => {
      timer.cancelled = true
    }
  }

  /** Number of timers still scheduled (cancelled ones included until they come due). */
  get pendingTimers(): number {
    return this.heap.size
  }

  /** Time of the earliest pending timer, or undefined. */
  nextTimerAt(): number | undefined {
    return this.heap.peek()?.at
  }

  /** Fires every timer due at or before `ts`, then sets the time to `ts` (time never goes backwards). */
  advanceTo(ts: number): void {
    const heap = this.heap
    for (let next = heap.peek(); next !== undefined && next.at <= ts; next = heap.peek()) {
      const timer = heap.pop()!
      if (timer.cancelled) continue
      if (timer.at > this.current) this.current = timer.at
      timer.callback(this.current)
      if (timer.every > 0 && !timer.cancelled) {
        // Numbered after whatever the callback scheduled, as a timer set on its return would be.
        timer.at = this.current + timer.every
        timer.seq = this.seq++
        heap.push(timer)
      }
    }
    if (ts > this.current) this.current = ts
  }
}

/** Real time. Timers are Node timers; they never keep the process alive on their own. */
export class WallClock implements Clock {
  now(): number {
    return Date.now()
  }

  setTimer(at: number, callback: TimerCallback): () => void {
    const delay = at - Date.now()
    if (delay <= 0) {
      // Due now: setTimeout would clamp to ≥ 1 ms; an immediate runs after the current I/O. It stays
      // ref'd: an unref'd immediate lets the loop sleep in its poll phase until some other timer fires.
      const immediate = setImmediate(() => callback(Date.now()))
      return () => clearImmediate(immediate)
    }
    const handle = setTimeout(() => callback(Date.now()), delay)
    handle.unref()
    return () => clearTimeout(handle)
  }

  setRepeatingTimer(first: number, every: number, callback: TimerCallback): () => void {
    checkEvery(every)
    let cancel = (): void => undefined
    const arm = (at: number): void => {
      cancel = this.setTimer(at, (now) => {
        callback(now)
        arm(now + every)
      })
    }
    arm(first)
    return () => cancel()
  }
}
