/**
 * @module model/balance
 * Balances in CCXT's `fetchBalance` shape: per currency `{free, used, total}`, exact.
 */
import type { Decimal } from './decimal.js'

export interface Balance {
  readonly free: Decimal
  readonly used: Decimal
  readonly total: Decimal
}

/** Per currency code. */
export type Balances = Readonly<Record<string, Balance>>
