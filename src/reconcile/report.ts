/**
 * @module reconcile/report
 * The reconciliation report: plain JSON (decimals as strings), written under `reports/reconciliation/` and
 * returned by the API. Every discrepancy carries the records on both sides, so an operator can act on it
 * without looking anything up.
 */
import type { SerializedTrade } from './trade-record.js'

export const DISCREPANCY_TYPES = [
  /** The exchange has a trade Sofia did not record. */
  'missing_internal',
  /** Sofia recorded a trade the exchange does not have. */
  'missing_exchange',
  /** The same trade id twice on one side. */
  'duplicate',
  'price_mismatch',
  'amount_mismatch',
  'fee_mismatch',
  'side_mismatch',
  'symbol_mismatch',
  /** A net position differs although every trade of its symbol matched, or differs from a given position. */
  'position_mismatch',
  'balance_mismatch',
] as const
export type DiscrepancyType = (typeof DISCREPANCY_TYPES)[number]

/** How a pair was matched: by the venue's trade id, or by (order id, time within the window, amount). */
export type MatchedBy = 'id' | 'order_time_amount'

export interface Discrepancy {
  readonly type: DiscrepancyType
  readonly venue: string | null
  /** The symbol (for a balance: the asset). */
  readonly symbol: string
  /** The trade id, null for positions and balances. */
  readonly id: string | null
  /** For a duplicate: the side that repeats the id. */
  readonly side: 'internal' | 'exchange' | null
  readonly matchedBy: MatchedBy | null
  readonly internalValue: string | null
  readonly exchangeValue: string | null
  /** internal − exchange. */
  readonly difference: string | null
  /** (internal − exchange) / exchange. */
  readonly relativeDifference: string | null
  readonly detail: string
  readonly internal: readonly SerializedTrade[]
  readonly exchange: readonly SerializedTrade[]
}

/** A matched pair whose field differs within its tolerance: not a discrepancy, listed for the record. */
export interface MatchedDifference {
  readonly field: 'price' | 'amount' | 'fee'
  readonly venue: string
  readonly symbol: string
  readonly id: string
  readonly exchangeId: string
  readonly matchedBy: MatchedBy
  readonly internalValue: string
  readonly exchangeValue: string
  readonly relativeDifference: string | null
}

export interface PositionLine {
  /** `position`: net base amount of a symbol; `balance`: an asset's total. */
  readonly kind: 'position' | 'balance'
  /** `trades`: derived from the two trade sets; `given`: from the inputs' position or balance maps. */
  readonly source: 'trades' | 'given'
  readonly venue: string | null
  /** Symbol or asset. */
  readonly key: string
  readonly internal: string
  readonly exchange: string
  /** internal − exchange. */
  readonly difference: string
  readonly status: 'ok' | 'mismatch'
  /** A derived difference that the trade discrepancies of the same symbol account for. */
  readonly explained: boolean
}

/**
 * How the internal side was narrowed to what the account did on the exchange (reconcile/legs): the fills of
 * orders whose primary leg was the simulator (shadow, canary: a `shadow.order` record) left out, the canary's
 * exchange fills (`canary.fill` records) added. Counts are inside the time range and of the venue.
 */
export interface LegSelection {
  readonly exchangeLegsOnly: true
  /** Recorded fills kept: orders that went to the exchange (live, testnet), or with no shadow record. */
  readonly kept: number
  /** Recorded fills left out: the simulator filled them (their orders have a `shadow.order` record). */
  readonly excludedSimulated: number
  /** Exchange fills of canary copies added from the audit chain. */
  readonly canaryFills: number
  /** Orders recorded in the shadow order log (distinct client ids). */
  readonly shadowOrders: number
}

export interface SourceInfo {
  /** What was read: `store:/path/sofia.db`, `file:trades.json`, `audit:chain.jsonl`, `venue:binance`. */
  readonly source: string
  /** Records inside the time range. */
  readonly records: number
  /** Present when the internal side was narrowed to the exchange legs (the default for a store or an audit export). */
  readonly legs?: LegSelection
}

export interface ReconciliationReport {
  readonly status: 'ok' | 'discrepancies'
  readonly generatedAt: string
  readonly inputs: {
    readonly internal: SourceInfo
    readonly exchange: SourceInfo
    readonly venue: string | null
    readonly from: number | null
    readonly to: number | null
    readonly priceTolerance: string
    readonly amountTolerance: string
    readonly feeTolerance: string
    readonly timeWindowMs: number
  }
  readonly counts: {
    /** Pairs with no discrepancy (within-tolerance differences included). */
    readonly matched: number
    readonly matchedWithDifference: number
    /** Every matched pair, with or without discrepancies. */
    readonly pairs: number
    readonly pairsById: number
    readonly pairsByOrder: number
    readonly discrepancies: number
    readonly byType: Readonly<Record<DiscrepancyType, number>>
  }
  readonly discrepancies: readonly Discrepancy[]
  readonly differences: readonly MatchedDifference[]
  readonly positions: readonly PositionLine[]
}
