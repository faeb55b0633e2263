/**
 * @module ops/pnl/json-types
 * The JSON of the P&L reports (`sofia pnl --json`, `sofia report attribution --json`, `GET /pnl/breakdown`,
 * `GET /reports/attribution`): decimals as strings, what is not known as null. With no import: the dashboard
 * imports these types (through api/wire) and is type-checked without Node's types.
 */

/** What became of an order, counted in the period it was created. */
export const ORDER_OUTCOMES = ['closed', 'canceled', 'expired', 'rejected', 'denied', 'open'] as const
export type OrderOutcome = (typeof ORDER_OUTCOMES)[number]
export type OrderCounts = Record<OrderOutcome, number>

/** live: what the exchange did; simulated: the simulator's fills (paper, shadow). */
export type PnlLeg = 'live' | 'simulated'

export interface PeriodJson {
  readonly label: string
  /** ISO 8601; null for an open end. */
  readonly from: string | null
  readonly to: string | null
}

/** A breakdown row (or the totals) of `pnlJson`. */
export interface PnlRowJson {
  readonly key: string
  readonly fills: number
  readonly volume: string
  readonly realizedPnl: string
  readonly fees: string
  readonly costs: string
  readonly netPnl: string
  /** Null for day rows (positions are not split by day). */
  readonly unrealizedPnl: string | null
  readonly closingFills: number
  readonly wins: number
  readonly losses: number
  readonly winRate: number | null
  readonly slippageCost: string
  /** Rounded to 4 places; null without fills that have a decision price. */
  readonly slippageBps: string | null
  readonly fillsWithDecision: number
  readonly adverseFills: number
  readonly orders: Readonly<OrderCounts>
  readonly fillRate: number | null
}

/** A P&L summary (`pnlJson`). */
export interface PnlJson {
  readonly period: PeriodJson
  readonly currency: string
  readonly totals: PnlRowJson
  readonly byStrategy: readonly PnlRowJson[]
  readonly byVenue: readonly PnlRowJson[]
  readonly bySymbol: readonly PnlRowJson[]
  readonly byDay: readonly PnlRowJson[]
  readonly orderReasons: readonly { readonly state: OrderOutcome; readonly reason: string; readonly count: number }[]
  readonly marks: { readonly source: string; readonly prices: Readonly<Record<string, string>> }
  readonly excludedFills: number
  readonly unvaluedFees: Readonly<Record<string, string>>
  readonly unvaluedCosts: number
  readonly fillsWithoutDecision: number
}

/** One leg's totals (`legsJson`): its net is without unrealized P&L. */
export interface PnlLegJson {
  readonly fills: number
  readonly net: string
  readonly netIncludesUnrealized: false
}

/** A row (or the totals) of `attributionJson`. */
export interface AttributionRowJson {
  readonly key: string
  readonly netPnl: string
  readonly alpha: string
  readonly slippage: string
  readonly inventory: string
  readonly fees: string
  readonly costs: string
  readonly realizedPnl: string
  readonly unrealizedChange: string
}

/** A UTC day's profit attribution (`attributionJson`). */
export interface AttributionJson {
  /** The day, YYYY-MM-DD. */
  readonly date: string
  readonly period: PeriodJson
  readonly currency: string
  readonly formula: string
  readonly totals: AttributionRowJson
  readonly byStrategy: readonly AttributionRowJson[]
  readonly byVenue: readonly AttributionRowJson[]
  readonly bySymbol: readonly AttributionRowJson[]
  readonly byBook: readonly AttributionRowJson[]
  readonly marks: {
    readonly start: Readonly<Record<string, string>>
    readonly end: Readonly<Record<string, { readonly price: string; readonly source: string }>>
  }
}
