/**
 * @module model/errors
 * Error classes. Venue and I/O failures mirror CCXT's hierarchy; broken invariants throw InvariantViolation,
 * which halts trading; bad user input throws InputError, which the CLI turns into exit code 2.
 */

/** Base of every Sofia error: sets `name` from the subclass and keeps the cause. */
export class SofiaError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
  }
}

/** Bad input from a user, a file or a config: the message says what and where. CLI exit code 2. */
export class InputError extends SofiaError {}

/** A broken invariant (illegal state transition, duplicate fill, unbalanced ledger). Halts trading. */
export class InvariantViolation extends SofiaError {}
export class InvalidStateTransition extends InvariantViolation {}
export class DuplicateFill extends InvariantViolation {}

// CCXT-compatible hierarchy for venue errors.
export class ExchangeError extends SofiaError {}
export class AuthenticationError extends ExchangeError {}
export class InsufficientFunds extends ExchangeError {}
export class InvalidOrder extends ExchangeError {}
export class OrderNotFound extends InvalidOrder {}
export class BadSymbol extends ExchangeError {}
export class NetworkError extends SofiaError {
  readonly retryable: boolean = true
}
export class RateLimitExceeded extends NetworkError {
  /** How long the venue asked us to wait (its Retry-After), when it said. */
  readonly retryAfterMs: number | undefined
  constructor(message: string, options?: { cause?: unknown; retryAfterMs?: number }) {
    super(message, options)
    this.retryAfterMs = options?.retryAfterMs
  }
}
export class RequestTimeout extends NetworkError {}
export class ExchangeNotAvailable extends NetworkError {}

// Sofia's own refusals.
export class RiskRejected extends SofiaError {}
export class KillSwitchActive extends RiskRejected {}
