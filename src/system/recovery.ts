/**
 * @module system/recovery
 * How a session takes up where the store left it: the ledger rebuilt from the stored deposits and fills, the
 * balances the in-process venues start from, the orders still open, sequences, the audit chain's head and the
 * state (kill switch, trading states, overrides). At start, working orders go back to their in-process venue
 * and the order manager; orders in flight to a venue that no longer has them are closed, audited, never re-sent.
 */
import type { Clock, EngineEvents, EventBus } from '../engine/index.js'
import { WallClock } from '../engine/index.js'
import { storeTag } from '../execution/index.js'
import type { OrderManager } from '../execution/index.js'
import { Ledger } from '../ledger/index.js'
import type { Instrument, OrderEvent } from '../model/index.js'
import { Order, ZERO, dec, isTriggerOrder, optionsFromJson, triggeredAtFromJson } from '../model/index.js'
import { storeIdentity } from '../store/index.js'
import type { StoredOrder } from '../store/index.js'
import { SimulatedVenue } from '../venues/index.js'
import type { Venue } from '../venues/index.js'
import { ACCOUNT_KEY, applyDeposit, periodsFromAudit, replayFills, simulatedOrders, startingPeriods } from './account-periods.js'
import type { StartingPeriods } from './account-periods.js'
import { assertNoLiveSession } from './control.js'
import type { TraderOptions } from './session-config.js'

/** What recovery found in the store, for the operator. */
export interface RecoverySummary {
  /** 1 for a fresh session, then one more per restart. */
  readonly epoch: number
  readonly fillsReplayed: number
  readonly ordersRestored: number
  /** Orders the store had as in flight that the restarted venue cannot have: closed as rejected/canceled. */
  readonly ordersClosed: number
  /** Stored fills of the simulator's orders left out because the ledger holds the exchange's account (system/account-periods). */
  readonly simulatedFillsLeftOut?: number
}

export interface Prepared {
  readonly ledger: Ledger
  readonly state: ReadonlyMap<string, unknown>
  readonly balances: ReadonlyMap<string, Record<string, string>>
  readonly openOrders: readonly StoredOrder[]
  readonly sequences: ReadonlyMap<string, number>
  readonly auditHead: { seq: number; hash: string } | undefined
  readonly fresh: boolean
  readonly summary: RecoverySummary
  /** The store's tag in client order ids (see `uniqueClientIds`). */
  readonly idTag?: string
  /** With `options.account`: whose account the ledger holds, over time (recorded at the start). */
  readonly account?: StartingPeriods
}

export const EPOCH_KEY = 'session.epoch'

/** A session without a store (tests, quick runs): the venues' balances, nothing else. */
export function preparedInMemory(options: Omit<TraderOptions, 'store'>): Prepared {
  const ledger = new Ledger({ reportingCurrency: options.reportingCurrency })
  const balances = new Map<string, Record<string, string>>()
  for (const v of options.venues) {
    const b: Record<string, string> = {}
    for (const [asset, amount] of Object.entries(v.balances)) {
      ledger.deposit(v.id, asset, dec(amount))
      b[asset] = dec(amount).toString()
    }
    balances.set(v.id, b)
  }
  return {
    ledger,
    state: new Map(),
    balances,
    openOrders: [],
    sequences: new Map(),
    auditHead: undefined,
    fresh: true,
    summary: { epoch: 1, fillsReplayed: 0, ordersRestored: 0, ordersClosed: 0 },
  }
}

/** What restoring orders at start touches of the session. */
export interface RestoreTarget {
  readonly venues: readonly Venue[]
  readonly orders: OrderManager
  readonly bus: EventBus<EngineEvents>
  readonly clock: Clock
}

/**
 * Working limit orders go back into their (in-process) venue and the order manager; orders that were in
 * flight to a venue that no longer has them are closed, audited, and never re-sent.
 */
export function restoreOrders(o: RestoreTarget, stored: readonly StoredOrder[]): void {
  const now = o.clock.now()
  for (const s of stored) {
    let order = restoredOrder(s)
    const found = o.venues.find((v) => v.id === s.venue)
    if (found !== undefined && !(found instanceof SimulatedVenue)) {
      // A real exchange still has its orders: adopt them as stored; resync settles them before trading.
      o.orders.adopt(order)
      continue
    }
    const venue = found
    // Trigger orders go back waiting for their trigger, unless it had fired: a stop-limit then rests at its
    // price (a fired stop-market was worked at once; one still open is not restored).
    const waiting = isTriggerOrder(order.options) && order.triggeredAt === undefined
    const working = (s.type === 'limit' || waiting) && s.venueOrderId !== null && (s.state === 'open' || s.state === 'pending_cancel')
    if (working && venue !== undefined && (order.price !== undefined || waiting)) {
      venue.restoreOrder({
        clientOrderId: s.clientOrderId,
        venueOrderId: s.venueOrderId!,
        symbol: s.symbol,
        side: s.side,
        price: order.price ?? ZERO,
        amount: order.amount,
        filled: order.filled,
        cost: order.cost,
        timestamp: s.createdAt,
        type: s.type,
        options: order.options,
        ...(order.triggeredAt !== undefined ? { triggered: true } : {}),
      })
      if (s.state === 'pending_cancel') order = restoredOrder({ ...s, state: 'open' }) // the cancel is sent again below
      o.orders.adopt(order)
      if (s.state === 'pending_cancel') o.orders.cancel(order.clientOrderId)
      continue
    }
    const reason = 'lost in restart: the venue has no record of it'
    const event: OrderEvent =
      order.state === 'submitted' || order.state === 'created'
        ? { type: 'rejected', timestamp: now, reason }
        : { type: 'canceled', timestamp: now }
    if (order.state === 'created') order.apply({ type: 'submitted', timestamp: now }) // recorded just before its send: never reached the venue
    order.apply(event)
    o.orders.adopt(order)
    o.bus.publish('order', { order, event, recovered: true })
  }
}

/** Rebuilds an order from its stored row (its fills are in the ledger; the order keeps the totals). */
function restoredOrder(s: StoredOrder): Order {
  const options = optionsFromJson(s.options ?? null, `order ${s.clientOrderId} in the store`)
  const { tag: _tag, ...rest } = options
  return Order.restore(
    {
      clientOrderId: s.clientOrderId,
      strategyId: s.strategyId,
      venue: s.venue,
      symbol: s.symbol,
      type: s.type,
      side: s.side,
      amount: dec(s.amount),
      timestamp: s.createdAt,
      ...(s.price !== null ? { price: dec(s.price) } : {}),
      ...(s.decisionPrice !== null ? { decisionPrice: dec(s.decisionPrice) } : {}),
      ...(options.tag !== undefined ? { tag: options.tag } : {}),
      options: rest,
    },
    {
      state: s.state,
      filled: dec(s.filled),
      cost: dec(s.cost),
      venueOrderId: s.venueOrderId ?? undefined,
      reason: s.reason ?? undefined,
      lastUpdate: s.updatedAt,
      triggeredAt: triggeredAtFromJson(s.options),
    },
  )
}

/** Reads what the store holds of the session before it starts: ledger, balances, open orders, sequences, chain head, state. */
export async function prepare(options: TraderOptions): Promise<Prepared> {
  const store = options.store
  const ledger = new Ledger({ reportingCurrency: options.reportingCurrency })
  const instruments = new Map<string, Instrument>()
  for (const v of options.venues) for (const i of v.instruments) instruments.set(`${v.id}|${i.symbol}`, i)
  // A live session (wall clock) is the store's only writer: a second one is refused before it touches anything.
  if (store !== undefined && options.clock instanceof WallClock) await assertNoLiveSession(store, options.storeName ?? 'the store')
  const deposits = store === undefined ? [] : await store.loadDeposits()
  const fresh = deposits.length === 0
  if (fresh) {
    for (const v of options.venues) for (const [asset, amount] of Object.entries(v.balances)) ledger.deposit(v.id, asset, dec(amount))
  } else {
    for (const d of deposits) applyDeposit(ledger, d.venue, d.asset, d.amount)
  }
  // A session on an exchange: the fills of the simulator's orders from ended periods are not its account's.
  let account: StartingPeriods | undefined
  let simulated: ReadonlySet<string> = new Set()
  if (options.account !== undefined) {
    // A store kept before the periods were: read from its audit chain, once.
    const stored = store === undefined ? undefined : ((await store.getState(ACCOUNT_KEY)) ?? (fresh ? undefined : await periodsFromAudit(store)))
    account = startingPeriods(stored, options.account, options.clock.now())
    if (store !== undefined && !fresh) simulated = await simulatedOrders(store, account.periods)
  }
  const replayed = store !== undefined && !fresh ? await replayFills(ledger, store, (venue, symbol) => instruments.get(`${venue}|${symbol}`), simulated) : { fills: 0, leftOut: 0 }
  const fillsReplayed = replayed.fills
  const simulatedFillsLeftOut = replayed.leftOut
  const balances = new Map<string, Record<string, string>>()
  for (const b of ledger.balances()) {
    const perVenue = balances.get(b.venue) ?? {}
    perVenue[b.asset] = b.total.toString()
    balances.set(b.venue, perVenue)
  }
  const openOrders = store === undefined || fresh ? [] : await store.loadOrders({ openOnly: true })
  const sequences = store === undefined ? new Map<string, number>() : await store.loadSequences()
  const auditHead = store === undefined ? undefined : await store.auditHead()
  const state = store === undefined ? new Map<string, unknown>() : await store.loadState()
  const lastEpoch = state.get(EPOCH_KEY) as number | undefined
  let idTag: string | undefined
  if (options.uniqueClientIds === true && store !== undefined) {
    const id = await storeIdentity(store)
    idTag = storeTag(id.identity, id.restoreEpoch)
  }
  const working = openOrders.filter(
    (s) =>
      (s.type === 'limit' || (isTriggerOrder(optionsFromJson(s.options ?? null, `order ${s.clientOrderId} in the store`)) && triggeredAtFromJson(s.options) === undefined)) &&
      s.venueOrderId !== null &&
      (s.state === 'open' || s.state === 'pending_cancel'),
  )
  return {
    ledger,
    state,
    balances,
    openOrders,
    sequences,
    auditHead,
    fresh,
    ...(idTag !== undefined ? { idTag } : {}),
    ...(account !== undefined ? { account } : {}),
    summary: {
      epoch: (lastEpoch ?? 0) + 1,
      fillsReplayed,
      ordersRestored: working.length,
      ordersClosed: openOrders.length - working.length,
      ...(simulatedFillsLeftOut > 0 ? { simulatedFillsLeftOut } : {}),
    },
  }
}
