/**
 * @module system/exchange-account
 * The moment a session on an exchange starts trading the exchange's account after the simulator's (a switch
 * to live or testnet, or a start in live mode on a store last used in shadow): its ledger is rebuilt without
 * the simulator's fills of the period that ended, its balances are set to the exchange's, and today's loss and
 * the drawdown start again from that account (system/account-periods).
 */
import { dec } from '../model/index.js'
import type { Balances } from '../model/index.js'
import { rebuildVenue, simulatedOrders } from './account-periods.js'
import type { AccountPeriods } from './account-periods.js'
import type { Trader } from './trader.js'

/**
 * Makes the session's ledger the exchange account's: rebuilt from the store (its deposits and the fills of the
 * orders that reached the exchange: `periods` tells the simulator's), then its balances set to `exchange`'s.
 * Audited as `account.rebased`. Without a store the venue's books start empty from the exchange's balances.
 */
export async function takeExchangeAccount(
  trader: Trader,
  exchange: Balances,
  venueId: string,
  assets: ReadonlySet<string>,
  periods: AccountPeriods,
  actor: string,
  /** What recovery already rebuilt at this start (then not rebuilt again). */
  recovered?: { readonly fills: number; readonly leftOut: number },
): Promise<void> {
  const persistence = trader.persistence
  let rebuilt = recovered ?? { fills: 0, leftOut: 0 }
  if (recovered !== undefined) {
    // Recovery replayed the store without the simulator's fills: the ledger is already the account's books.
  } else if (persistence !== undefined) {
    // Every order and fill of the period that ended is in the store before it is read.
    await persistence.barrier()
    const store = persistence.store
    rebuilt = await rebuildVenue(trader.ledger, store, venueId, (venue, symbol) => trader.instrument(venue, symbol), await simulatedOrders(store, periods))
  } else {
    trader.ledger.resetVenue(venueId)
  }
  const synced = syncBalances(trader, exchange, venueId, assets, actor, 'the exchange account is now the primary leg')
  // The equity curve so far was the simulator's account: the session's curve starts again from the exchange's.
  trader.ledger.restartEquityCurve()
  trader.safety.accountRebased(periods.closed.at(-1)?.[0])
  persistence?.audit('account.rebased', actor, { venue: venueId, fills: rebuilt.fills, simulatedFillsLeftOut: rebuilt.leftOut, balancesSynced: synced })
}

/**
 * Sets the session ledger's balances of `assets` on `venueId` to the exchange's: each difference is recorded as a
 * deposit (negative: taken out), so a restart rebuilds the same balances, and audited as `ledger.balance_synced`.
 */
export function syncBalances(trader: Trader, exchange: Balances, venueId: string, assets: ReadonlySet<string>, actor: string, reason: string): number {
  let changed = 0
  for (const asset of [...assets].sort()) {
    const want = exchange[asset]?.total ?? dec(0)
    const have = trader.ledger.balance(venueId, asset)
    const diff = want.sub(have)
    if (diff.isZero()) continue
    if (diff.gt(0)) trader.ledger.deposit(venueId, asset, diff)
    else trader.ledger.withdraw(venueId, asset, diff.neg())
    changed++
    trader.persistence?.recordDeposit(venueId, asset, diff.toString(), 'set to the exchange balance', false)
    trader.persistence?.audit('ledger.balance_synced', actor, { venue: venueId, asset, from: have.toString(), to: want.toString(), reason })
  }
  return changed
}
