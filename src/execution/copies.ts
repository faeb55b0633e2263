/**
 * @module execution/copies
 * The copies a mode router sends beside the session's own orders: the canary's share of each order on the
 * exchange, and the simulator's full-size twin of each live order. They are not the order manager's, so they
 * are kept here until their venue settles each one, the way the order manager keeps its own:
 *
 * - a copy whose answer was lost is looked up, never sent again;
 * - a cancel wanted while the copy is on its way is sent as soon as the venue answers for it;
 * - a cancel that fails (429, 5xx, a timeout) is retried until the venue settles the copy;
 * - a copy the venue does not know is given up only once the venue can no longer accept it.
 *
 * `settle` cancels and waits, and reports like the order manager's `cancelAllConfirmed`: nothing unconfirmed
 * is counted as canceled. A kill switch and a session stop use it, so no copy is left working unknown.
 */
import { NetworkError, OrderNotFound } from '../model/index.js'
import type { OrderRequest, Venue, VenueOrder } from '../venues/index.js'
import type { CancelReport } from '../venues/index.js'
import { cancelRetryDelay } from './retry.js'

interface Copy<Tag extends string> {
  readonly id: string
  readonly tag: Tag
  readonly symbol: string
  readonly venue: Venue
  /** `sending` until the venue answers (or a lookup finds it); `unknown` when neither did. */
  state: 'sending' | 'open' | 'unknown'
  readonly sentAt: number
  cancelWanted: boolean
  cancelInFlight: boolean
  attempts: number
  timer: NodeJS.Timeout | undefined
}

export interface CopiesOptions {
  /** A copy could not be placed (the venue refused it, or it was never found): recorded by the router. */
  readonly onError?: (clientOrderId: string, tag: string, error: string) => void
}

const describe = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error))

export class Copies<Tag extends string = string> {
  private readonly open = new Map<string, Copy<Tag>>()
  /** How each copy ended: venue status, or `gone` for one the venue never had. Kept for reports. */
  private readonly ended = new Map<string, string>()
  private readonly errors = new Map<string, string>()
  private disposed = false

  constructor(private readonly o: CopiesOptions = {}) {}

  /** Whether a copy with this client id is still working (or on its way). */
  has(clientOrderId: string): boolean {
    return this.open.has(clientOrderId)
  }

  tagOf(clientOrderId: string): Tag | undefined {
    return this.open.get(clientOrderId)?.tag
  }

  get size(): number {
    return this.open.size
  }

  /** Sends a copy to its venue and keeps it until the venue settles it. */
  send(tag: Tag, venue: Venue, req: OrderRequest): void {
    const c: Copy<Tag> = { id: req.clientOrderId, symbol: req.symbol, venue, tag, state: 'sending', sentAt: Date.now(), cancelWanted: false, cancelInFlight: false, attempts: 0, timer: undefined }
    this.open.set(c.id, c)
    venue.createOrder(req).then(
      (ack) => this.update(ack),
      async (error: unknown) => {
        if (error instanceof NetworkError) {
          // Lost answer: ask, never resend.
          const found = await venue.fetchOrder(c.id, c.symbol).catch(() => undefined)
          if (found !== undefined) return this.update(found)
          if (this.open.get(c.id) === c && c.state === 'sending') c.state = 'unknown'
          // Still unknown: a cancel wanted now is sent (and looked up) until the venue can no longer take it.
          if (c.cancelWanted) this.sendCancel(c)
          return
        }
        this.finish(c, 'rejected')
        this.o.onError?.(c.id, c.tag, describe(error))
      },
    )
  }

  /** An update of a copy from its venue (an answer, a push, a lookup). */
  update(o: VenueOrder): void {
    const c = this.open.get(o.clientOrderId)
    if (c === undefined) return
    if (o.status !== 'open') return this.finish(c, o.status)
    const arrived = c.state !== 'open'
    c.state = 'open'
    // A cancel wanted while it was on its way goes now; one already asked for is left to its retries.
    if (arrived && c.cancelWanted && !c.cancelInFlight && c.timer === undefined) this.sendCancel(c)
  }

  /** Asks the copy's venue to cancel it, and keeps asking until the venue settles it. */
  cancel(clientOrderId: string): void {
    const c = this.open.get(clientOrderId)
    if (c === undefined) return
    if (c.cancelWanted) {
      // A waiting retry goes now; one on its way is left to answer.
      if (!c.cancelInFlight && c.timer !== undefined) {
        clearTimeout(c.timer)
        c.timer = undefined
        this.sendCancel(c)
      }
      return
    }
    c.cancelWanted = true
    // On its way: the venue's answer sends the cancel (asking now would only hear of an order it has not seen).
    if (c.state !== 'sending') this.sendCancel(c)
  }

  /** Cancels every copy (of the tag, on the symbol) and waits up to `timeoutMs` for their venues to settle them. */
  async settle(filter: { tag?: Tag; symbol?: string } = {}, timeoutMs = 5_000): Promise<CancelReport> {
    const targets = [...this.open.values()].filter((c) => (filter.tag === undefined || c.tag === filter.tag) && (filter.symbol === undefined || c.symbol === filter.symbol))
    for (const c of targets) this.cancel(c.id)
    const deadline = Date.now() + timeoutMs
    while (targets.some((c) => this.open.get(c.id) === c) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    const by = (...statuses: string[]): string[] => targets.filter((c) => statuses.includes(this.ended.get(c.id) ?? '')).map((c) => c.id)
    const errors: Record<string, string> = {}
    for (const c of targets) {
      const e = this.errors.get(c.id)
      if (e !== undefined) errors[c.id] = e
    }
    return {
      requested: targets.length,
      canceled: by('canceled', 'expired', 'gone'),
      filled: by('closed'),
      rejected: by('rejected'),
      pending: targets.filter((c) => this.open.get(c.id) === c).map((c) => c.id),
      errors,
    }
  }

  /** Stops every retry (the session is over); what is still working stays as the venue has it. */
  dispose(): void {
    this.disposed = true
    for (const c of this.open.values()) if (c.timer !== undefined) clearTimeout(c.timer)
  }

  private finish(c: Copy<Tag>, status: string): void {
    if (this.open.get(c.id) !== c) return
    if (c.timer !== undefined) clearTimeout(c.timer)
    this.open.delete(c.id)
    this.ended.set(c.id, status)
    // Reports ask about recent copies only: keep the record bounded.
    if (this.ended.size > 10_000) {
      const oldest = this.ended.keys().next().value
      if (oldest !== undefined) {
        this.ended.delete(oldest)
        this.errors.delete(oldest)
      }
    }
  }

  private sendCancel(c: Copy<Tag>): void {
    if (this.disposed || this.open.get(c.id) !== c) return
    c.attempts++
    c.cancelInFlight = true
    c.venue.cancelOrder(c.id, c.symbol).then(
      (o) => {
        c.cancelInFlight = false
        this.update(o)
        if (this.open.get(c.id) === c) this.retry(c, `the venue answered the cancel with status ${o.status}`)
      },
      (error: unknown) => {
        c.cancelInFlight = false
        if (this.open.get(c.id) !== c) return
        if (!(error instanceof OrderNotFound)) return this.retry(c, describe(error), error)
        // Not known by that id: finished, or not arrived yet. Its venue's record says which.
        c.cancelInFlight = true
        c.venue.fetchOrder(c.id, c.symbol).then(
          (found) => {
            c.cancelInFlight = false
            this.update(found)
            if (this.open.get(c.id) === c) this.retry(c, describe(error), error)
          },
          (lookup: unknown) => {
            c.cancelInFlight = false
            if (this.open.get(c.id) !== c) return
            if (lookup instanceof OrderNotFound) {
              // Never answered for and still inside the venue's accept window: it may yet arrive.
              const window = c.venue.acceptWindowMs?.()
              if (c.state !== 'open' && window !== undefined && Date.now() <= c.sentAt + window) return this.retry(c, describe(error), error)
              return this.finish(c, 'gone')
            }
            this.retry(c, describe(lookup), lookup)
          },
        )
      },
    )
  }

  private retry(c: Copy<Tag>, reason: string, error?: unknown): void {
    if (this.disposed || this.open.get(c.id) !== c) return
    this.errors.set(c.id, reason)
    const after = cancelRetryDelay(c.attempts, error)
    c.timer = setTimeout(() => {
      c.timer = undefined
      this.sendCancel(c)
    }, after)
    c.timer.unref?.()
  }
}
