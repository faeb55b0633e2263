import { describe, expect, it } from 'vitest'
import { InputError } from '../model/index.js'
import { FaultInjector, parseFaultConfig } from './faults.js'

describe('fault injection', () => {
  it('fires `next` rules on the next N matching requests only', () => {
    const f = new FaultInjector(1)
    f.set(parseFaultConfig({ rateLimit: { next: 2, retryAfterS: 3 }, latencyByEndpoint: { 'POST /api/v3/order': 40 }, latencyMs: 5 }, 't'))
    expect(f.decide('GET', '/api/v3/time')).toEqual({ latencyMs: 5, drop: false, rateLimitRetryAfterS: 3 })
    expect(f.decide('POST', '/api/v3/order')).toEqual({ latencyMs: 45, drop: false, rateLimitRetryAfterS: 3 })
    expect(f.decide('GET', '/api/v3/time')).toEqual({ latencyMs: 5, drop: false })
  })

  it('applies endpoint filters', () => {
    const f = new FaultInjector(1)
    f.set(parseFaultConfig({ dropResponse: { next: 1, endpoints: ['POST /api/v3/order'] } }, 't'))
    expect(f.decide('GET', '/api/v3/order').drop).toBe(false)
    expect(f.decide('POST', '/api/v3/order').drop).toBe(true)
    expect(f.decide('POST', '/api/v3/order').drop).toBe(false)
  })

  it('draws probabilistic faults from the seed: same seed, same decisions', () => {
    const run = (seed: number): string => {
      const f = new FaultInjector(seed)
      f.set({ serverError: { probability: 0.3, status: 502 } })
      return Array.from({ length: 40 }, () => (f.decide('GET', '/x').serverErrorStatus === 502 ? 'x' : '.')).join('')
    }
    expect(run(9)).toBe(run(9))
    expect(run(9)).not.toBe(run(10))
    expect(run(9)).toMatch(/x/)
  })

  it('times a stale period from when it is set', () => {
    let now = 1000
    const f = new FaultInjector(1, () => now)
    f.set({ staleForMs: 500 })
    expect(f.isStale()).toBe(true)
    now = 1600
    expect(f.isStale()).toBe(false)
  })

  it.each([
    [{ bogus: 1 }, /unknown fault 'bogus'/],
    [{ rateLimit: {} }, /needs 'next' or 'probability'/],
    [{ serverError: { next: 1, status: 404 } }, /status must be one of/],
    [{ timeout: { probability: 2 } }, /probability must be a number in \[0, 1\]/],
    [[1], /expected an object/],
  ])('rejects %j', (raw, message) => {
    expect(() => parseFaultConfig(raw, 'faults.yaml')).toThrow(InputError)
    expect(() => parseFaultConfig(raw, 'faults.yaml')).toThrow(message)
  })
})
