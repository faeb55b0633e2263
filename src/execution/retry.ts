/**
 * @module execution/retry
 * How long to wait before asking a venue again to cancel an order it has not settled: 250 ms doubling to 5 s,
 * and never sooner than a 429's Retry-After. The order manager and the mode router's copies wait alike.
 */
import { RateLimitExceeded } from '../model/index.js'

export function cancelRetryDelay(attempts: number, error?: unknown): number {
  const exp = Math.min(5_000, 250 * 2 ** Math.min(attempts - 1, 5))
  return error instanceof RateLimitExceeded && error.retryAfterMs !== undefined ? Math.max(exp, error.retryAfterMs) : exp
}
