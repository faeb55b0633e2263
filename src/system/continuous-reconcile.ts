/**
 * @module system/continuous-reconcile
 * Reconciliation while trading on an exchange: every `ordersEveryMs` (default 10 s) the session's orders and
 * fills are resynced with the exchange (open orders listed, missing fills applied, unknown Sofia orders
 * cancelled — see resync); every `balancesEveryMs` (default 60 s) the ledger's balances of the traded assets
 * are compared with the exchange's. A difference that stands on two checks in a row is a discrepancy: audited
 * (`reconcile.balance_drift`), alerted, and — with `haltOnDiscrepancy` — it trips the kill switch with trigger
 * `reconciliation`. Also the start-up retry of a session's first exchange calls.
 */
import { NetworkError, dec } from '../model/index.js'
import type { CcxtVenue } from '../venues/ccxt.js'
import { resync } from './resync.js'
import type { Trader } from './trader.js'

export interface ReconcilerOptions {
  readonly trader: Trader
  readonly venueId: string
  readonly assets: ReadonlySet<string>
  /** The exchange leg when the session's orders go there now, else undefined (nothing to reconcile). */
  readonly venue: () => CcxtVenue | undefined
  readonly owns?: (clientOrderId: string) => boolean
  readonly onAlert?: (line: string) => void
  /** Orders and fills, ms (default 10 000; 0 turns it off). */
  readonly ordersEveryMs?: number
  /** Balances against the exchange's, ms (default 60 000; 0 turns it off). */
  readonly balancesEveryMs?: number
  /** Trip the kill switch (trigger `reconciliation`) on a standing balance discrepancy (default false). */
  readonly haltOnDiscrepancy?: boolean
}

export class ContinuousReconciler {
  private timers: NodeJS.Timeout[] = []
  private busy = false
  private lastOrders = 0
  /** Assets that differed on the last balance check: a difference standing on the next one is reported. */
  private suspect = new Set<string>()
  /** Unknown open orders already reported: a foreign order resting on the account is reported once. */
  private readonly reported = new Set<string>()
  /** Resyncs run so far, and balance checks (for status and tests). */
  runs = 0
  balanceChecks = 0

  constructor(private readonly o: ReconcilerOptions) {}

  start(): void {
    const orders = this.o.ordersEveryMs ?? 10_000
    const balances = this.o.balancesEveryMs ?? 60_000
    if (orders > 0) this.every(orders, () => this.reconcileOrders())
    if (balances > 0) this.every(balances, () => this.compareBalances())
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t)
    this.timers = []
  }

  private every(ms: number, step: () => Promise<void>): void {
    const t = setInterval(() => {
      if (this.busy) return
      this.busy = true
      step()
        .catch((error: unknown) => this.o.onAlert?.(`continuous reconciliation on ${this.o.venueId} failed: ${error instanceof Error ? error.message : String(error)}`))
        .finally(() => (this.busy = false))
    }, ms)
    t.unref()
    this.timers.push(t)
  }

  /** Open orders and fills: a short resync (since the last one, less a minute for late fills). */
  async reconcileOrders(): Promise<void> {
    const venue = this.o.venue()
    if (venue === undefined) return
    const now = Date.now()
    const lookbackMs = this.lastOrders === 0 ? 10 * 60_000 : Math.max(60_000, now - this.lastOrders + 60_000)
    await resync(this.o.trader, venue, {
      actor: 'system',
      lookbackMs,
      quiet: true,
      reported: this.reported,
      ...(this.o.owns !== undefined ? { owns: this.o.owns } : {}),
      ...(this.o.onAlert !== undefined ? { onAlert: this.o.onAlert } : {}),
    })
    this.lastOrders = now
    this.runs++
  }

  /** The ledger's balances of the traded assets against the exchange's totals. */
  async compareBalances(): Promise<void> {
    const venue = this.o.venue()
    if (venue === undefined) return
    // In-flight fills make a momentary difference: settle orders and fills first, and report only what stands.
    await this.reconcileOrders()
    const exchange = await venue.fetchBalance()
    const ledger = this.o.trader.ledger
    const now = new Set<string>()
    const drifts: { asset: string; ledger: string; exchange: string }[] = []
    for (const asset of [...this.o.assets].sort()) {
      const theirs = exchange[asset]?.total ?? dec(0)
      const ours = ledger.balance(this.o.venueId, asset)
      if (theirs.eq(ours)) continue
      now.add(asset)
      if (this.suspect.has(asset)) drifts.push({ asset, ledger: ours.toString(), exchange: theirs.toString() })
    }
    this.suspect = now
    this.balanceChecks++
    if (drifts.length === 0) return
    const line = drifts.map((d) => `${d.asset} ledger ${d.ledger} vs exchange ${d.exchange}`).join('; ')
    this.o.trader.persistence?.audit('reconcile.balance_drift', 'system', { venue: this.o.venueId, drifts })
    this.o.onAlert?.(`reconciliation: balances differ from ${this.o.venueId}'s: ${line}`)
    if (this.o.haltOnDiscrepancy === true) this.o.trader.safety.activate('reconciliation', `balances differ from the exchange's: ${line}`, 'system')
  }
}

/**
 * Runs a session's start-up call to the exchange, waiting out rate limits (Retry-After honoured) and server or
 * network errors with backoff, for at most `budgetMs`. Other errors (a bad key) are thrown at once, mapped.
 */
export async function withStartupRetry<T>(
  call: () => Promise<T>,
  map: (error: unknown) => Error,
  log?: (line: string) => void,
  budgetMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + budgetMs
  for (let attempt = 1; ; attempt++) {
    try {
      return await call()
    } catch (error) {
      const err = map(error)
      if (!(err instanceof NetworkError) || Date.now() >= deadline) throw err
      const retryAfter = (err as { retryAfterMs?: number }).retryAfterMs
      const wait = Math.min(Math.max(retryAfter ?? 0, 250 * 2 ** Math.min(attempt - 1, 5)), Math.max(0, deadline - Date.now()))
      log?.(`${err.message}; retrying in ${wait} ms`)
      await new Promise((r) => setTimeout(r, wait))
    }
  }
}
