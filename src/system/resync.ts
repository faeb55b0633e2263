/**
 * @module system/resync
 * Brings a session's orders and fills in line with what its exchange says, on start (before any new order
 * is sent) and on demand (`sofia resync`, control command `resync`): fills the session missed are applied,
 * orders the exchange finished are finished here, and working orders the exchange has no record of are
 * closed — but an order in flight at a crash only once the exchange can no longer accept it. Cancels the
 * previous process asked for are asked again, and open orders with Sofia's id scheme that the store does not
 * know are cancelled and alerted. Every correction is an audit record (`resync.fill_applied`, `resync.order_updated`,
 * `resync.order_closed`, `resync.unknown_open_order`, `resync.completed`).
 */
import { isSofiaClientOrderId } from '../execution/index.js'
import { InvalidStateTransition, OrderNotFound, fillKey } from '../model/index.js'
import type { Order } from '../model/index.js'
import type { Venue } from '../venues/index.js'
import { syncBalances } from './exchange-account.js'
import type { Trader } from './trader.js'
import type { AuditPayload, AuditPayloads, ResyncSummary } from '../audit/index.js'

export type { ResyncSummary }

/** A resync's summary as one log line. */
export function describeResync(r: ResyncSummary): string {
  return `resync ${r.venue}: ${r.fillsApplied} fills applied, ${r.ordersUpdated} orders updated, ${r.ordersClosed} closed, ${r.unknownOpen.length} unknown open`
}

type ResyncRecordType = Extract<keyof AuditPayloads, `resync.${string}`>

export interface ResyncOptions {
  readonly actor: string
  /** How far back fills are fetched when no working order is older (default 24 h). */
  readonly lookbackMs?: number
  /**
   * Whether an order of the session was sent to this venue as the session's own (default: all). A mode
   * router says no for orders whose exchange copy was a canary's: their fills there are not the session's.
   */
  readonly owns?: (clientOrderId: string) => boolean
  /** Take in fills of orders that are not Sofia's as external fills (strategy `external`), audited. */
  readonly adopt?: boolean
  /** Cancel open orders with Sofia's id scheme that the store does not know (default true). */
  readonly cancelUnknown?: boolean
  /** Where an operator should hear of what resync found (unknown open orders). */
  readonly onAlert?: (line: string) => void
  /** A routine check while trading: `resync.completed` is recorded only when something was corrected. */
  readonly quiet?: boolean
  /**
   * Unknown open orders already reported by an earlier pass (routine checks share one set): not audited and
   * alerted again every pass while a foreign order rests on the account.
   */
  readonly reported?: Set<string>
}

export async function resync(trader: Trader, venue: Venue, options: ResyncOptions): Promise<ResyncSummary> {
  const om = trader.orders
  const actor = options.actor
  // Every resync record names its venue; the rest is the record's own (checked against its type by the caller).
  const audit = <T extends ResyncRecordType>(type: T, payload: Omit<AuditPayloads[T], 'venue'>): void =>
    trader.persistence?.audit(type, actor, { venue: venue.id, ...payload } as AuditPayload<T>)
  const now = Date.now()
  const working = om.openOrders({ venue: venue.id })
  const startState = new Map(working.map((o) => [o.clientOrderId, o.state]))
  const since = Math.min(now - (options.lookbackMs ?? 86_400_000), ...working.map((o) => o.timestamp - 60_000))
  const [open, trades] = await Promise.all([venue.fetchOpenOrders(), venue.fetchMyTrades(undefined, since)])

  // Fills the store already has (after a restart the restored orders do not list their trade ids).
  const known = new Set<string>()
  const store = trader.persistence?.store
  if (store !== undefined) {
    for await (const batch of store.iterateFills({ venue: venue.id, since })) for (const f of batch) known.add(fillKey(f.venue, f.tradeId, f.side))
  }
  let fillsApplied = 0
  let foreignFills = 0
  let fillsAdopted = 0
  let otherLegFills = 0
  for (const t of trades) {
    if (known.has(fillKey(t.venue, t.id, t.side))) continue
    if (om.order(t.clientOrderId) === undefined) {
      if (options.adopt === true) {
        const adopted = om.adoptExternalFill(t)
        if (adopted !== undefined) {
          fillsAdopted++
          audit('resync.fill_adopted', {
            tradeId: t.id,
            clientOrderId: t.clientOrderId,
            as: adopted.clientOrderId,
            symbol: t.symbol,
            side: t.side,
            price: t.price.toString(),
            amount: t.amount.toString(),
          })
        }
        continue
      }
      foreignFills++
      continue
    }
    if (options.owns !== undefined && !options.owns(t.clientOrderId)) {
      otherLegFills++
      continue
    }
    let applied: boolean
    try {
      applied = om.applyVenueTrade(t)
    } catch (error) {
      // A fill for an order the session already finished (e.g. a canary copy's, after a restart that lost
      // which leg it went to): not forced in; reconciliation compares it with the exchange's record.
      if (!(error instanceof InvalidStateTransition)) throw error
      otherLegFills++
      audit('resync.fill_not_applied', { tradeId: t.id, clientOrderId: t.clientOrderId, reason: error.message })
      continue
    }
    if (applied) {
      fillsApplied++
      audit('resync.fill_applied', { tradeId: t.id, clientOrderId: t.clientOrderId, symbol: t.symbol, side: t.side, price: t.price.toString(), amount: t.amount.toString() })
    }
  }

  const openById = new Map(open.map((o) => [o.clientOrderId, o]))
  let ordersUpdated = 0
  let ordersClosed = 0
  /** Orders the exchange does not know yet that it may still accept (sent, unanswered, inside the window). */
  const unsettled: Order[] = []
  const settle = async (order: Order, final: boolean): Promise<void> => {
    const before = startState.get(order.clientOrderId) ?? order.state
    const atVenue = openById.get(order.clientOrderId)
    if (atVenue !== undefined) om.applyVenueOrder(atVenue)
    else if (!order.isTerminal) {
      try {
        om.applyVenueOrder(await venue.fetchOrder(order.clientOrderId, order.symbol))
      } catch (error) {
        if (!(error instanceof OrderNotFound)) throw error
        const deadline = om.acceptDeadline(order)
        if (!final && order.venueOrderId === undefined && deadline !== undefined && Date.now() <= deadline) {
          // In flight at a crash: the exchange may still accept it. Decided once it no longer can.
          unsettled.push(order)
          return
        }
        if (om.closeUnknown(order.clientOrderId, 'resync: the exchange has no record of it')) {
          ordersClosed++
          audit('resync.order_closed', { clientOrderId: order.clientOrderId, from: before, to: order.state })
        }
        return
      }
    }
    if (final && order.state === 'rejected' && before !== 'rejected') {
      // Settled while resync waited out its window (by this pass or the order manager's own look-ups).
      ordersClosed++
      audit('resync.order_closed', { clientOrderId: order.clientOrderId, from: before, to: order.state })
    } else if (order.state !== before) {
      ordersUpdated++
      audit('resync.order_updated', { clientOrderId: order.clientOrderId, from: before, to: order.state, filled: order.filled.toString() })
    }
  }
  for (const order of working) await settle(order, false)
  if (unsettled.length > 0) {
    const until = Math.max(...unsettled.map((o) => om.acceptDeadline(o) ?? 0))
    audit('resync.waiting_in_flight', { clientOrderIds: unsettled.map((o) => o.clientOrderId), until })
    await new Promise((r) => setTimeout(r, Math.max(0, until - Date.now()) + 100))
    for (const o of unsettled) openById.delete(o.clientOrderId)
    for (const o of await venue.fetchOpenOrders()) if (unsettled.some((u) => u.clientOrderId === o.clientOrderId)) openById.set(o.clientOrderId, o)
    for (const order of unsettled) await settle(order, true)
  }
  // A cancel the previous process asked for is still wanted: asked again (until the exchange settles it).
  for (const order of working) if (order.state === 'pending_cancel') om.cancel(order.clientOrderId)

  // Orders working on the account that this store does not know. Those carrying Sofia's id scheme were sent
  // by another store (a restored backup, a second data directory) or lost by this one: cancelled by default.
  // (An order this store already finished — e.g. declared never received — that is open there counts too.)
  const unknownOpen = open.filter((o) => om.order(o.clientOrderId)?.isTerminal !== false).map((o) => o.clientOrderId)
  const cancelledUnknown: string[] = []
  const fresh = unknownOpen.filter((id) => options.reported?.has(id) !== true)
  for (const id of unknownOpen) {
    const o = open.find((x) => x.clientOrderId === id)!
    const ours = isSofiaClientOrderId(id)
    if (fresh.includes(id)) {
      options.reported?.add(id)
      audit('resync.unknown_open_order', { clientOrderId: id, symbol: o.symbol, side: o.side, amount: o.amount.toString(), sofiaId: ours })
    }
    if (ours && (options.cancelUnknown ?? true)) {
      try {
        await venue.cancelOrder(id, o.symbol)
        cancelledUnknown.push(id)
        audit('resync.unknown_order_cancelled', { clientOrderId: id, symbol: o.symbol })
      } catch (error) {
        audit('resync.unknown_order_cancel_failed', { clientOrderId: id, symbol: o.symbol, error: error instanceof Error ? error.message : String(error) })
      }
    }
  }
  if (fresh.length > 0 || cancelledUnknown.length > 0) {
    options.onAlert?.(
      `resync on ${venue.id}: ${unknownOpen.length} open order(s) on the account unknown to this store (${unknownOpen.join(', ')}); ${cancelledUnknown.length} cancelled`,
    )
  }
  if (fillsAdopted > 0) {
    // Adopting takes the exchange's account as it is. A foreign trade may already be in the balances the session
    // took from the exchange (at a start, or at a switch to live): the balances are set to the exchange's again
    // (each difference a deposit, audited), so no adopted trade counts twice.
    const setup = trader.options.venues.find((v) => v.id === venue.id)
    const assets = new Set((setup?.instruments ?? []).flatMap((i) => [i.base, i.quote]))
    syncBalances(trader, await venue.fetchBalance(), venue.id, assets, actor, 'fills adopted from the exchange')
  }
  const summary: ResyncSummary = { venue: venue.id, at: now, fillsApplied, ordersUpdated, ordersClosed, unknownOpen, cancelledUnknown, foreignFills, fillsAdopted, otherLegFills }
  const corrected = fillsApplied + fillsAdopted + ordersUpdated + ordersClosed + fresh.length + cancelledUnknown.length > 0
  if (options.quiet !== true || corrected) audit('resync.completed', { ...summary })
  const barrier = trader.persistence?.barrier()
  if (barrier !== undefined) await barrier
  return summary
}
