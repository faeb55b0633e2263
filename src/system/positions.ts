/**
 * @module system/positions
 * Non-zero account positions as plain rows, for status pages and snapshots.
 */
import type { Ledger } from '../ledger/index.js'

export function nonZeroPositions(ledger: Ledger): { venue: string; symbol: string; amount: string }[] {
  return ledger
    .positions()
    .filter((p) => !p.amount.isZero())
    .map((p) => ({ venue: p.venue, symbol: p.symbol, amount: p.amount.toString() }))
}
