/**
 * @module observability/notifiers/delivery
 * What every notifier shares: a bounded fire-and-forget queue per notifier, one delivery at a time, each
 * attempt under a timeout, retries with exponential backoff up to a bounded number of attempts. `enqueue`
 * never waits (the trading loop calls it); a full queue drops its oldest entry. Outcomes are counted in
 * `notifications_total{notifier,result}` (sent, retried, failed, dropped), failures are logged and handed to
 * `onFailure` (the engine raises them as an internal alert).
 */
import type { Counter } from 'prom-client'
import { SofiaError } from '../../model/index.js'
import type { Alert, DeliveryOptions } from '../alert-rules.js'
import { DEFAULT_DELIVERY } from '../alert-rules.js'

/** A channel alerts go out on. `send` throws on failure; it should honour `signal` (the queue times out anyway). */
export interface Notifier {
  /** `webhook`, `slack`, `pagerduty`, `email`: the `notifier` label. */
  readonly name: string
  send(alert: Alert, signal: AbortSignal): Promise<void>
  close?(): void
}

/** A delivery that retrying cannot fix (HTTP 4xx other than 408/429, a malformed address). */
export class PermanentDeliveryError extends SofiaError {}

/** A delivery attempt that ran past the timeout. */
export class DeliveryTimeout extends SofiaError {}

/** The part of a pino logger the queue uses. */
export interface DeliveryLogger {
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
}

export interface DeliveryFailure {
  readonly notifier: string
  readonly alert: Alert
  readonly error: unknown
  readonly attempts: number
}

export interface DeliveryHooks {
  /** `notifications_total`. */
  readonly counter?: Counter<'notifier' | 'result'>
  readonly logger?: DeliveryLogger
  readonly onFailure?: (failure: DeliveryFailure) => void
  readonly onSuccess?: (notifier: string, alert: Alert, attempts: number) => void
}

export class NotificationQueue {
  private readonly queue: Alert[] = []
  private running = false
  private inFlight = false
  private closed = false
  private readonly idleWaiters: (() => void)[] = []
  private readonly options: DeliveryOptions
  /** Attempts made by the last delivery (tests, status). */
  lastAttempts = 0

  constructor(
    readonly notifier: Notifier,
    options: Partial<DeliveryOptions> = {},
    private readonly hooks: DeliveryHooks = {},
  ) {
    this.options = { ...DEFAULT_DELIVERY, ...options }
  }

  get name(): string {
    return this.notifier.name
  }

  /** Notifications waiting or in flight. */
  get pending(): number {
    return this.queue.length + (this.inFlight ? 1 : 0)
  }

  /** Queues `alert` and returns at once. False when closed. */
  enqueue(alert: Alert): boolean {
    if (this.closed) return false
    if (this.queue.length >= this.options.queueSize) {
      const dropped = this.queue.shift()
      this.count('dropped')
      this.hooks.logger?.warn({ notifier: this.name, rule: dropped?.rule, key: dropped?.key }, 'notification queue full: dropped the oldest notification')
    }
    this.queue.push(alert)
    if (!this.running) {
      this.running = true
      // Deliveries start on a later turn: even their synchronous part (a first fetch loads its client)
      // stays out of the caller's time.
      setImmediate(() => void this.pump())
    }
    return true
  }

  /** Resolves once everything queued so far has been delivered or given up on. */
  drain(): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  /** Stops accepting; waits for the queue up to `waitMs` (default one attempt's timeout), then lets go. */
  async close(waitMs = this.options.timeoutMs): Promise<void> {
    this.closed = true
    let timer: NodeJS.Timeout | undefined
    await Promise.race([this.drain(), new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)))])
    clearTimeout(timer)
    this.queue.length = 0
    this.notifier.close?.()
  }

  private async pump(): Promise<void> {
    this.running = true
    try {
      for (let alert = this.queue.shift(); alert !== undefined; alert = this.queue.shift()) {
        this.inFlight = true
        await this.deliver(alert)
        this.inFlight = false
      }
    } finally {
      this.inFlight = false
      this.running = false
      for (const resolve of this.idleWaiters.splice(0)) resolve()
    }
  }

  private async deliver(alert: Alert): Promise<void> {
    const { attempts, backoffMs, maxBackoffMs } = this.options
    for (let attempt = 1; ; attempt++) {
      this.lastAttempts = attempt
      try {
        await this.attempt(alert)
        this.count('sent')
        this.hooks.onSuccess?.(this.name, alert, attempt)
        return
      } catch (error) {
        const permanent = error instanceof PermanentDeliveryError
        if (permanent || attempt >= attempts) {
          this.count('failed')
          this.hooks.logger?.error(
            { notifier: this.name, rule: alert.rule, key: alert.key, attempts: attempt, err: describe(error) },
            `notification via ${this.name} failed`,
          )
          try {
            this.hooks.onFailure?.({ notifier: this.name, alert, error, attempts: attempt })
          } catch {
            // a failing failure handler must not stop the queue
          }
          return
        }
        this.count('retried')
        this.hooks.logger?.warn({ notifier: this.name, rule: alert.rule, attempt, err: describe(error) }, `notification via ${this.name} failed; retrying`)
        await sleep(Math.min(maxBackoffMs, backoffMs * 2 ** (attempt - 1)))
      }
    }
  }

  private async attempt(alert: Alert): Promise<void> {
    const controller = new AbortController()
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const err = new DeliveryTimeout(`${this.name}: no answer within ${this.options.timeoutMs}ms`)
        controller.abort(err)
        reject(err)
      }, this.options.timeoutMs)
    })
    try {
      await Promise.race([this.notifier.send(alert, controller.signal), timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  private count(result: 'sent' | 'retried' | 'failed' | 'dropped'): void {
    this.hooks.counter?.inc({ notifier: this.name, result })
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref())
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
}
