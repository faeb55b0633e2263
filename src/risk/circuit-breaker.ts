/**
 * @module risk/circuit-breaker
 * Circuit breakers per venue or per strategy. A breaker opens after N consecutive failures or when the error
 * rate over a rolling window reaches a threshold, stays open for a cool-down, then lets exactly one probe
 * through (half-open): a successful probe closes it, a failed one opens it again and restarts the cool-down.
 * Time comes from `now` arguments only, so backtests and live trading behave the same and nothing here owns
 * a timer; the open → half-open step happens on the first call at or after the cool-down's end.
 */
import { InputError } from '../model/index.js'
import { RollingSums } from './monitors.js'

export const BREAKER_STATES = ['closed', 'open', 'half_open'] as const
export type BreakerState = (typeof BREAKER_STATES)[number]

export interface CircuitBreakerConfig {
  /** Consecutive failures that open the breaker. */
  readonly failureThreshold: number
  /** How long the breaker stays open before it lets a probe through. */
  readonly coolDownMs: number
  /**
   * A probe that reports neither success nor failure within this time is presumed lost, and another probe
   * may go: otherwise one dropped callback would keep the breaker half-open forever.
   */
  readonly probeTimeoutMs: number
  /** Optional second trigger: errors / calls ≥ `threshold` over `windowMs`, once at least `minCalls` are seen. */
  readonly errorRate?: { readonly threshold: number; readonly windowMs: number; readonly minCalls: number }
}

export const DEFAULT_BREAKER_CONFIG: CircuitBreakerConfig = {
  failureThreshold: 5,
  coolDownMs: 30_000,
  probeTimeoutMs: 30_000,
}

/** Called after every state change, with the state already updated. Exceptions propagate to the caller. */
export type BreakerChangeListener = (
  key: string,
  from: BreakerState,
  to: BreakerState,
  reason: string,
  now: number,
) => void

export interface BreakerSnapshot {
  readonly key: string
  readonly state: BreakerState
  readonly consecutiveFailures: number
  /** Errors / calls in the error-rate window (0 without calls or without an error-rate trigger). */
  readonly errorRate: number
  /** When the breaker last opened; undefined while closed. */
  readonly openedAt: number | undefined
  /** Why the breaker last opened; undefined while closed. */
  readonly reason: string | undefined
  /** When a probe may next go through; undefined while closed. */
  readonly nextProbeAt: number | undefined
}

/** One breaker. Call `allow` before an operation and exactly one of `onSuccess` / `onFailure` after it. */
export class CircuitBreaker {
  private current: BreakerState = 'closed'
  private consecutive = 0
  private openedAt: number | undefined
  private openReason: string | undefined
  /** Start of the probe let through in half-open, until its outcome arrives. */
  private probeAt: number | undefined
  /** a = calls, b = errors. */
  private readonly window: RollingSums | undefined

  constructor(
    readonly key: string,
    private readonly config: CircuitBreakerConfig = DEFAULT_BREAKER_CONFIG,
    private readonly onChange?: BreakerChangeListener,
  ) {
    validateConfig(key, config)
    this.window = config.errorRate === undefined ? undefined : new RollingSums(config.errorRate.windowMs)
  }

  /** The state at `now`: an open breaker whose cool-down has passed is half-open from here on. */
  state(now: number): BreakerState {
    if (this.current === 'open' && this.openedAt !== undefined && now >= this.openedAt + this.config.coolDownMs) {
      this.transition('half_open', 'cool-down elapsed', now)
    }
    return this.current
  }

  /**
   * Whether an operation may go now. Closed: always. Open: never. Half-open: one probe at a time — the caller
   * that gets `true` is the probe and must report its outcome.
   */
  allow(now: number): boolean {
    switch (this.state(now)) {
      case 'closed':
        return true
      case 'open':
        return false
      case 'half_open':
        if (this.probeAt !== undefined && now < this.probeAt + this.config.probeTimeoutMs) return false
        this.probeAt = now
        return true
    }
  }

  onSuccess(now: number): void {
    switch (this.state(now)) {
      case 'closed':
        this.consecutive = 0
        this.window?.add(now, 1, 0)
        return
      case 'open':
        // A late answer to a call made before the breaker opened says nothing about the venue now.
        return
      case 'half_open':
        // Only the probe's answer may close the breaker; a stray success from before it opened may not.
        if (this.probeAt === undefined) return
        this.reset(now, 'probe succeeded')
        return
    }
  }

  onFailure(now: number, reason?: string): void {
    const why = reason === undefined ? '' : ` (last: ${reason})`
    switch (this.state(now)) {
      case 'closed': {
        this.consecutive++
        this.window?.add(now, 1, 1)
        const n = this.config.failureThreshold
        if (this.consecutive >= n) {
          this.open(now, `${this.consecutive} consecutive failures ≥ ${n}${why}`)
          return
        }
        const rate = this.config.errorRate
        if (rate !== undefined && this.window !== undefined) {
          const { a: calls, b: errors } = this.window.totals(now)
          if (calls >= rate.minCalls && errors / calls >= rate.threshold) {
            this.open(now, `error rate ${errors}/${calls} ≥ ${rate.threshold} over ${rate.windowMs} ms${why}`)
          }
        }
        return
      }
      case 'open':
        return
      case 'half_open':
        // Any failure while probing is evidence enough: reopen and start the cool-down again.
        this.consecutive++
        this.open(now, `probe failed${why}`)
        return
    }
  }

  /** Opens the breaker by hand (an operator, or a rule outside the breaker). */
  trip(now: number, reason: string): void {
    this.state(now)
    this.open(now, reason)
  }

  /** Closes the breaker by hand and forgets the failure history. */
  reset(now: number, reason = 'reset'): void {
    const from = this.current
    this.consecutive = 0
    this.openedAt = undefined
    this.openReason = undefined
    this.probeAt = undefined
    this.window?.clear()
    if (from !== 'closed') this.transition('closed', reason, now)
  }

  snapshot(now: number): BreakerSnapshot {
    const state = this.state(now)
    let errorRate = 0
    if (this.window !== undefined) {
      const { a: calls, b: errors } = this.window.totals(now)
      if (calls > 0) errorRate = errors / calls
    }
    let nextProbeAt: number | undefined
    if (state === 'open' && this.openedAt !== undefined) nextProbeAt = this.openedAt + this.config.coolDownMs
    if (state === 'half_open') nextProbeAt = this.probeAt === undefined ? now : Math.max(now, this.probeAt + this.config.probeTimeoutMs)
    return {
      key: this.key,
      state,
      consecutiveFailures: this.consecutive,
      errorRate,
      openedAt: this.openedAt,
      reason: this.openReason,
      nextProbeAt,
    }
  }

  private open(now: number, reason: string): void {
    this.openedAt = now
    this.openReason = reason
    this.probeAt = undefined
    // Re-tripping an open breaker restarts its cool-down but is not a state change.
    if (this.current !== 'open') this.transition('open', reason, now)
  }

  private transition(to: BreakerState, reason: string, now: number): void {
    const from = this.current
    this.current = to
    this.onChange?.(this.key, from, to, reason, now)
  }
}

/** Breakers by key (`binance`, `strategy:momo`, …), created on first use with one shared configuration. */
export class CircuitBreakers {
  private readonly breakers = new Map<string, CircuitBreaker>()
  private readonly config: CircuitBreakerConfig

  constructor(
    config: Partial<CircuitBreakerConfig> = {},
    private readonly onChange?: BreakerChangeListener,
  ) {
    this.config = { ...DEFAULT_BREAKER_CONFIG, ...config }
    validateConfig('(defaults)', this.config)
  }

  get(key: string): CircuitBreaker {
    let breaker = this.breakers.get(key)
    if (breaker === undefined) {
      breaker = new CircuitBreaker(key, this.config, this.onChange)
      this.breakers.set(key, breaker)
    }
    return breaker
  }

  has(key: string): boolean {
    return this.breakers.has(key)
  }

  /** Every breaker's snapshot, sorted by key, for status pages and metrics. */
  list(now: number): BreakerSnapshot[] {
    return [...this.breakers.keys()].sort().map((key) => this.breakers.get(key)!.snapshot(now))
  }
}

function validateConfig(key: string, c: CircuitBreakerConfig): void {
  const bad = (what: string): never => {
    throw new InputError(`circuit breaker ${key}: ${what}`)
  }
  if (!Number.isInteger(c.failureThreshold) || c.failureThreshold < 1) bad(`failureThreshold must be an integer ≥ 1, got ${c.failureThreshold}`)
  if (!Number.isFinite(c.coolDownMs) || c.coolDownMs < 0) bad(`coolDownMs must be ≥ 0, got ${c.coolDownMs}`)
  if (!Number.isFinite(c.probeTimeoutMs) || c.probeTimeoutMs <= 0) bad(`probeTimeoutMs must be > 0, got ${c.probeTimeoutMs}`)
  const r = c.errorRate
  if (r !== undefined) {
    if (!(r.threshold > 0 && r.threshold <= 1)) bad(`errorRate.threshold must be in (0, 1], got ${r.threshold}`)
    if (!Number.isFinite(r.windowMs) || r.windowMs <= 0) bad(`errorRate.windowMs must be > 0, got ${r.windowMs}`)
    if (!Number.isInteger(r.minCalls) || r.minCalls < 1) bad(`errorRate.minCalls must be an integer ≥ 1, got ${r.minCalls}`)
  }
}
