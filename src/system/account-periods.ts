/**
 * @module system/account-periods
 * Whose account a session's ledger holds. A session on an exchange trades the simulator's account while its
 * primary leg is the simulator (paper, shadow, canary) and the exchange's while it is the exchange (live,
 * testnet): one ledger, one venue id, for both (DESIGN §2, execution/mode-router).
 *
 * When the primary leg becomes the exchange — a switch in a running session, or a start in live mode on a store
 * last used in shadow — the simulator's fills of the period that ends leave the ledger. It is rebuilt from the
 * store: the venue's deposits and the fills of the orders that reached the exchange, so positions, average
 * prices and realized P&L are the exchange account's alone; then its balances are set to the exchange's (each
 * difference recorded as a deposit or withdrawal, `system/exchange-session` `syncBalances`). A restart rebuilds
 * the same ledger from the same records.
 *
 * Which orders were the simulator's is told by when they were created (the session's clock): the store keeps
 * the periods the account was the simulator's (state `session.account`). No order is created while a switch
 * is in progress (the router refuses them), so an order created in an ended period [from, to) was the
 * simulator's and every other order went to the exchange (an order adopted from the exchange's trade list is
 * the exchange's, whatever its time). An open period (the ledger is the simulator's now)
 * keeps its fills: the simulator trades on from them.
 */
import type { Ledger } from '../ledger/index.js'
import { BadSymbol, InputError, dec } from '../model/index.js'
import type { Instrument } from '../model/index.js'
import { fillTrade } from '../store/index.js'
import type { Store } from '../store/index.js'

/** The periods, kept in the store's state. */
export const ACCOUNT_KEY = 'session.account'
/** The trading mode of a session on an exchange, kept in the store's state. */
export const SESSION_MODE_KEY = 'session.mode'

/** Which account a session's ledger holds: the simulator's or the exchange's. */
export type AccountLeg = 'sim' | 'live'

export interface AccountPeriods {
  /** Since when (session clock, ms) the ledger has held the simulator's account; null while it holds the exchange's. */
  readonly simulatedSince: number | null
  /** Ended periods [from, to): the orders created in them were the simulator's, and their fills are not the exchange account's. */
  readonly closed: readonly (readonly [from: number, to: number])[]
}

/** A session's periods at its start, and whether the start ends a period of the simulator's (the ledger is then rebuilt). */
export interface StartingPeriods {
  readonly periods: AccountPeriods
  readonly rebased: boolean
}

/** The strategy id of the orders adopted from the exchange's trade list (execution/order-manager `adoptExternalFill`). */
const EXTERNAL_STRATEGY = 'external'

function storedPeriods(value: unknown): AccountPeriods {
  const bad = (what: string): InputError => new InputError(`state '${ACCOUNT_KEY}' in the store: ${what}; the store is damaged or was written by another program`)
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw bad('expected an object')
  const v = value as Record<string, unknown>
  const since = v['simulatedSince']
  if (since !== null && (typeof since !== 'number' || !Number.isFinite(since))) throw bad(`field 'simulatedSince': expected a time or null, got ${JSON.stringify(since)}`)
  const closed = v['closed']
  if (!Array.isArray(closed)) throw bad("field 'closed': expected an array")
  const out: (readonly [number, number])[] = []
  for (const [i, p] of closed.entries()) {
    if (!Array.isArray(p) || p.length !== 2 || typeof p[0] !== 'number' || typeof p[1] !== 'number' || !(p[0] <= p[1])) {
      throw bad(`field 'closed[${i}]': expected [from, to] with from ≤ to, got ${JSON.stringify(p)}`)
    }
    out.push([p[0], p[1]])
  }
  return { simulatedSince: since, closed: out }
}

/** The periods after a change of the primary leg to `to` at `now` (unchanged when the account already is `to`'s). */
export function nextPeriods(periods: AccountPeriods, to: AccountLeg, now: number): AccountPeriods {
  if (to === 'sim') return periods.simulatedSince !== null ? periods : { simulatedSince: now, closed: periods.closed }
  if (periods.simulatedSince === null) return periods
  return { simulatedSince: null, closed: [...periods.closed, [periods.simulatedSince, now]] }
}

/**
 * The periods of a session starting at `now` with `primary` as its primary leg, from what the store holds
 * (`stored`: its state, or what `periodsFromAudit` read; undefined for a fresh store).
 */
export function startingPeriods(stored: unknown, primary: AccountLeg, now: number): StartingPeriods {
  const before: AccountPeriods = stored !== undefined ? storedPeriods(stored) : { simulatedSince: null, closed: [] }
  const periods = nextPeriods(before, primary, now)
  return { periods, rebased: primary === 'live' && before.simulatedSince !== null }
}

const PRIMARY_LEG: Readonly<Record<string, AccountLeg>> = { paper: 'sim', shadow: 'sim', canary: 'sim', live: 'live', testnet: 'live' }

/**
 * The periods of a store kept before they were (no `session.account`), from its audit chain: each session's
 * mode (`session.started`) and each switch (`mode.changed`), on the session's clock like the orders' times.
 */
export async function periodsFromAudit(store: Store): Promise<AccountPeriods> {
  let periods: AccountPeriods = { simulatedSince: null, closed: [] }
  for await (const batch of store.iterateAudit({}, 5000)) {
    for (const r of batch) {
      if (r.type !== 'session.started' && r.type !== 'mode.changed') continue
      const payload = (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload) as Record<string, unknown> | null
      const mode = payload?.[r.type === 'session.started' ? 'mode' : 'to']
      const leg = typeof mode === 'string' ? PRIMARY_LEG[mode] : undefined
      if (leg !== undefined) periods = nextPeriods(periods, leg, r.ts)
    }
  }
  return periods
}

/** The client order ids of the orders created in an ended period: the simulator's (nothing is read when there is none). */
export async function simulatedOrders(store: Store, periods: AccountPeriods): Promise<ReadonlySet<string>> {
  const ids = new Set<string>()
  if (periods.closed.length === 0) return ids
  for (const o of await store.loadOrders()) {
    // Adopted from the exchange's trade list (`resync --adopt`): the exchange's, dated by the exchange.
    if (o.strategyId === EXTERNAL_STRATEGY) continue
    for (const [from, to] of periods.closed) {
      if (o.createdAt >= from && o.createdAt < to) {
        ids.add(o.clientOrderId)
        break
      }
    }
  }
  return ids
}

/**
 * The simulator's orders of the periods that ended by `until` (default: all), as the store's state records the
 * periods (none without it): the fills a ledger of the session's account leaves out.
 */
export async function storedSimulatedOrders(store: Store, until = Number.POSITIVE_INFINITY): Promise<ReadonlySet<string>> {
  const stored = await store.getState(ACCOUNT_KEY)
  if (stored === undefined) return new Set()
  const periods = storedPeriods(stored)
  return simulatedOrders(store, { simulatedSince: null, closed: periods.closed.filter(([, to]) => to <= until) })
}

/** Books a stored deposit: a negative amount is a withdrawal (a balance set to the exchange's). */
export function applyDeposit(ledger: Ledger, venue: string, asset: string, amount: string): void {
  const a = dec(amount)
  if (a.isNegative()) ledger.withdraw(venue, asset, a.neg())
  else if (!a.isZero()) ledger.deposit(venue, asset, a)
}

/**
 * Books the store's fills (of `venue`, or all) into `ledger`, except those of the `simulated` orders: recovery's
 * replay and `rebuildVenue`'s. `instrument` names a fill's instrument (venue, symbol).
 */
export async function replayFills(
  ledger: Ledger,
  store: Store,
  instrument: (venue: string, symbol: string) => Instrument | undefined,
  simulated: ReadonlySet<string>,
  venue?: string,
): Promise<{ readonly fills: number; readonly leftOut: number }> {
  let fills = 0
  let leftOut = 0
  for await (const batch of store.iterateFills(venue !== undefined ? { venue } : {})) {
    for (const f of batch) {
      if (simulated.has(f.clientOrderId)) {
        leftOut++
        continue
      }
      const inst = instrument(f.venue, f.symbol)
      if (inst === undefined) throw new BadSymbol(`stored fill ${f.tradeId} is on ${f.venue} ${f.symbol}, which this session does not list`)
      ledger.applyFill(fillTrade(f), inst, f.strategyId)
      fills++
    }
  }
  return { fills, leftOut }
}

/**
 * Rebuilds `venue`'s account in `ledger` from the store: its deposits, then its fills except those of the
 * `simulated` orders. Everything the ledger held of the venue is forgotten first (its marks stay).
 */
export async function rebuildVenue(
  ledger: Ledger,
  store: Store,
  venue: string,
  instrument: (venue: string, symbol: string) => Instrument | undefined,
  simulated: ReadonlySet<string>,
): Promise<{ readonly fills: number; readonly leftOut: number }> {
  ledger.resetVenue(venue)
  for (const d of await store.loadDeposits()) if (d.venue === venue) applyDeposit(ledger, d.venue, d.asset, d.amount)
  return replayFills(ledger, store, instrument, simulated, venue)
}
