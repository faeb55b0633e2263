// Circuit breakers: opening on consecutive failures or error rate, cool-down, one probe, close or reopen.
import { describe, expect, it } from 'vitest'
import { InputError } from '../model/index.js'
import { CircuitBreaker, CircuitBreakers } from './circuit-breaker.js'
import type { BreakerState, CircuitBreakerConfig } from './circuit-breaker.js'

const T0 = 1_700_000_000_000
const COOL = 10_000

type Change = [key: string, from: BreakerState, to: BreakerState, reason: string, now: number]

function breaker(config: Partial<CircuitBreakerConfig> = {}): { b: CircuitBreaker; changes: Change[] } {
  const changes: Change[] = []
  const b = new CircuitBreaker(
    'binance',
    { failureThreshold: 3, coolDownMs: COOL, probeTimeoutMs: 5_000, ...config },
    (...args) => changes.push(args),
  )
  return { b, changes }
}

/** Opens a breaker with failureThreshold 3 at `at`. */
function openAt(b: CircuitBreaker, at: number): void {
  for (let i = 0; i < 3; i++) b.onFailure(at, 'timeout')
}

describe('CircuitBreaker: consecutive failures', () => {
  it.each([
    [1, 'closed'],
    [2, 'closed'],
    [3, 'open'],
  ] as const)('%d consecutive failure(s) with a threshold of 3 → %s', (n, state) => {
    const { b } = breaker()
    for (let i = 0; i < n; i++) b.onFailure(T0 + i)
    expect(b.state(T0 + n)).toBe(state)
    expect(b.allow(T0 + n)).toBe(state === 'closed')
  })

  it('reports the opening once, with the reason and the time', () => {
    const { b, changes } = breaker()
    b.onFailure(T0, 'timeout')
    b.onFailure(T0 + 1, 'timeout')
    b.onFailure(T0 + 2, 'HTTP 502')
    expect(changes).toEqual([['binance', 'closed', 'open', '3 consecutive failures ≥ 3 (last: HTTP 502)', T0 + 2]])
    expect(b.snapshot(T0 + 3)).toEqual({
      key: 'binance',
      state: 'open',
      consecutiveFailures: 3,
      errorRate: 0,
      openedAt: T0 + 2,
      reason: '3 consecutive failures ≥ 3 (last: HTTP 502)',
      nextProbeAt: T0 + 2 + COOL,
    })
  })

  it('a success resets the count', () => {
    const { b, changes } = breaker()
    b.onFailure(T0)
    b.onFailure(T0)
    b.onSuccess(T0)
    b.onFailure(T0)
    b.onFailure(T0)
    expect(b.snapshot(T0)).toMatchObject({ state: 'closed', consecutiveFailures: 2 })
    b.onFailure(T0)
    expect(b.state(T0)).toBe('open')
    expect(changes).toHaveLength(1)
  })
})

describe('CircuitBreaker: error rate', () => {
  const errorRate = { threshold: 0.5, windowMs: 60_000, minCalls: 10 }

  function run(b: CircuitBreaker, pattern: string, at = T0): void {
    for (const c of pattern) {
      if (c === 'f') b.onFailure(at)
      else b.onSuccess(at)
    }
  }

  it.each([
    ['sfsfsfsfsf', 'open'], // 5/10 = 0.5: at the threshold, at the minimum calls
    ['ssfsfsfsfsf', 'closed'], // 5/11 = 0.45: just below
    ['sfsfsfsfff', 'open'], // 6/10 = 0.6: above
    ['fffffffff', 'closed'], // 9/9: under the minimum calls, however bad
    ['fsfsfsfsf', 'closed'], // 5/9: under the minimum calls
  ] as const)('calls %s → %s', (pattern, state) => {
    const { b } = breaker({ failureThreshold: 100, errorRate })
    run(b, pattern)
    expect(b.state(T0)).toBe(state)
  })

  it('names the error rate as the reason and shows it in the snapshot', () => {
    const { b, changes } = breaker({ failureThreshold: 100, errorRate })
    run(b, 'sfsfsfsfsf')
    expect(changes[0]?.[3]).toBe('error rate 5/10 ≥ 0.5 over 60000 ms')
    expect(b.snapshot(T0).errorRate).toBe(0.5)
  })

  it.each([
    [30_000, 'open', 6 / 12], // 4 old failures still count: 6/12
    [62_000, 'closed', 2 / 8], // they have left the window: 2/8
  ] as const)('failures %d ms before the latest calls → %s', (gap, state, rate) => {
    const { b } = breaker({ failureThreshold: 100, errorRate })
    run(b, 'ffff', T0)
    run(b, 'ssssssff', T0 + gap)
    expect(b.state(T0 + gap)).toBe(state)
    expect(b.snapshot(T0 + gap).errorRate).toBeCloseTo(rate, 12)
  })
})

describe('CircuitBreaker: cool-down and probe', () => {
  it('stays open for the cool-down, then lets exactly one probe through', () => {
    const { b, changes } = breaker()
    openAt(b, T0)
    expect(b.allow(T0 + COOL - 1)).toBe(false)
    expect(b.state(T0 + COOL - 1)).toBe('open')
    expect(b.allow(T0 + COOL)).toBe(true)
    expect(b.state(T0 + COOL)).toBe('half_open')
    expect(b.allow(T0 + COOL)).toBe(false)
    expect(b.allow(T0 + COOL + 1_000)).toBe(false)
    expect(changes.map(([, from, to, reason, now]) => [from, to, reason, now])).toEqual([
      ['closed', 'open', '3 consecutive failures ≥ 3 (last: timeout)', T0],
      ['open', 'half_open', 'cool-down elapsed', T0 + COOL],
    ])
  })

  it('a successful probe closes it and clears the failure count', () => {
    const { b, changes } = breaker()
    openAt(b, T0)
    expect(b.allow(T0 + COOL)).toBe(true)
    b.onSuccess(T0 + COOL + 50)
    expect(b.snapshot(T0 + COOL + 50)).toMatchObject({
      state: 'closed',
      consecutiveFailures: 0,
      openedAt: undefined,
      reason: undefined,
      nextProbeAt: undefined,
    })
    expect(b.allow(T0 + COOL + 51)).toBe(true)
    expect(b.allow(T0 + COOL + 51)).toBe(true)
    expect(changes.at(-1)).toEqual(['binance', 'half_open', 'closed', 'probe succeeded', T0 + COOL + 50])
  })

  it('a failed probe reopens it and restarts the cool-down', () => {
    const { b, changes } = breaker()
    openAt(b, T0)
    expect(b.allow(T0 + COOL)).toBe(true)
    const failedAt = T0 + COOL + 200
    b.onFailure(failedAt, 'HTTP 503')
    expect(b.snapshot(failedAt)).toMatchObject({
      state: 'open',
      openedAt: failedAt,
      reason: 'probe failed (last: HTTP 503)',
      nextProbeAt: failedAt + COOL,
    })
    expect(b.allow(failedAt + COOL - 1)).toBe(false)
    expect(b.allow(failedAt + COOL)).toBe(true)
    expect(changes.map(([, from, to]) => `${from}→${to}`)).toEqual([
      'closed→open',
      'open→half_open',
      'half_open→open',
      'open→half_open',
    ])
  })

  it('lets another probe go when the first never answers', () => {
    const { b } = breaker({ probeTimeoutMs: 5_000 })
    openAt(b, T0)
    expect(b.allow(T0 + COOL)).toBe(true)
    expect(b.snapshot(T0 + COOL + 1).nextProbeAt).toBe(T0 + COOL + 5_000)
    expect(b.allow(T0 + COOL + 4_999)).toBe(false)
    expect(b.allow(T0 + COOL + 5_000)).toBe(true)
    expect(b.allow(T0 + COOL + 5_001)).toBe(false)
  })

  it('ignores late answers while open, and a success that is not the probe’s while half-open', () => {
    const { b, changes } = breaker()
    openAt(b, T0)
    b.onSuccess(T0 + 1)
    b.onFailure(T0 + 2)
    expect(b.snapshot(T0 + 3)).toMatchObject({ state: 'open', openedAt: T0, nextProbeAt: T0 + COOL })
    expect(b.state(T0 + COOL)).toBe('half_open')
    b.onSuccess(T0 + COOL) // no probe was let through: a straggler
    expect(b.state(T0 + COOL)).toBe('half_open')
    expect(changes).toHaveLength(2)
  })

  it('a zero cool-down goes half-open on the next call', () => {
    const { b } = breaker({ coolDownMs: 0 })
    openAt(b, T0)
    expect(b.state(T0)).toBe('half_open')
    expect(b.allow(T0)).toBe(true)
    expect(b.allow(T0)).toBe(false)
  })
})

describe('CircuitBreaker: manual control', () => {
  it('trip opens it with the given reason; reset closes it and forgets', () => {
    const { b, changes } = breaker()
    b.onFailure(T0)
    b.trip(T0 + 1, 'operator: venue maintenance')
    expect(b.snapshot(T0 + 1)).toMatchObject({ state: 'open', reason: 'operator: venue maintenance' })
    b.trip(T0 + 5, 'again') // restarts the cool-down, not a state change
    expect(b.snapshot(T0 + 5).nextProbeAt).toBe(T0 + 5 + COOL)
    b.reset(T0 + 6, 'operator: back')
    expect(b.snapshot(T0 + 6)).toMatchObject({ state: 'closed', consecutiveFailures: 0 })
    expect(changes.map(([, from, to, reason]) => [from, to, reason])).toEqual([
      ['closed', 'open', 'operator: venue maintenance'],
      ['open', 'closed', 'operator: back'],
    ])
  })
})

describe('CircuitBreaker: configuration', () => {
  it.each<[string, Partial<CircuitBreakerConfig>]>([
    ['failureThreshold 0', { failureThreshold: 0 }],
    ['fractional failureThreshold', { failureThreshold: 2.5 }],
    ['negative cool-down', { coolDownMs: -1 }],
    ['zero probe timeout', { probeTimeoutMs: 0 }],
    ['error-rate threshold above 1', { errorRate: { threshold: 1.5, windowMs: 1_000, minCalls: 1 } }],
    ['error-rate threshold 0', { errorRate: { threshold: 0, windowMs: 1_000, minCalls: 1 } }],
    ['error-rate minCalls 0', { errorRate: { threshold: 0.5, windowMs: 1_000, minCalls: 0 } }],
  ])('refuses %s', (_, config) => {
    expect(() => breaker(config)).toThrow(InputError)
    expect(() => new CircuitBreakers(config)).toThrow(InputError)
  })
})

describe('CircuitBreakers', () => {
  it('keeps one breaker per key, independent, reporting changes with their key', () => {
    const changes: Change[] = []
    const reg = new CircuitBreakers({ failureThreshold: 2, coolDownMs: COOL }, (...args) => changes.push(args))
    const venue = reg.get('venue:kraken')
    expect(reg.get('venue:kraken')).toBe(venue)
    expect(reg.has('strategy:momo')).toBe(false)
    reg.get('strategy:momo').onFailure(T0)
    venue.onFailure(T0, 'down')
    venue.onFailure(T0, 'down')
    expect(changes.map(([key, from, to]) => [key, from, to])).toEqual([['venue:kraken', 'closed', 'open']])
    expect(reg.list(T0).map((s) => [s.key, s.state, s.consecutiveFailures])).toEqual([
      ['strategy:momo', 'closed', 1],
      ['venue:kraken', 'open', 2],
    ])
    expect(reg.list(T0 + COOL).map((s) => s.state)).toEqual(['closed', 'half_open'])
    expect(changes.at(-1)).toEqual(['venue:kraken', 'open', 'half_open', 'cool-down elapsed', T0 + COOL])
  })

  it('uses the defaults when given no configuration', () => {
    const b = new CircuitBreakers().get('x')
    for (let i = 0; i < 4; i++) b.onFailure(T0)
    expect(b.state(T0)).toBe('closed')
    b.onFailure(T0)
    expect(b.state(T0)).toBe('open')
    expect(b.snapshot(T0).nextProbeAt).toBe(T0 + 30_000)
  })
})
