// The shapes of the API answers the dashboard reads (decimals are strings).

export interface KillSwitchState {
  readonly active: boolean
  readonly mode?: string
  readonly trigger: string | null
  readonly reason: string | null
  readonly actor: string | null
  readonly since: number | null
}

export interface StatusView {
  readonly mode: string
  readonly running: boolean
  readonly startedAt: number
  readonly strategies: readonly string[]
  readonly venues: readonly string[]
  readonly currency: string
  readonly equity: string
  readonly pnl: { readonly realized: string; readonly unrealized: string; readonly fees: string; readonly net: string; readonly daily: string }
  readonly killSwitch: KillSwitchState
  readonly tradingStates: { readonly account: string; readonly strategies: Readonly<Record<string, string>> }
  readonly orders: Readonly<Record<string, number>>
  readonly alerts: number
}

export interface Monitor {
  readonly name: string
  readonly level: string
  readonly value: number
  readonly warning: number
  readonly critical: number
  readonly unit: string
  readonly feed?: string
  readonly detail: string
}

export interface Breaker {
  readonly key: string
  readonly state: string
  readonly consecutiveFailures: number
  readonly errorRate: number
}

export interface LimitUse {
  readonly limit: string
  readonly value: string
  readonly current: string | null
  readonly usedPct: number | null
  readonly detail: string
}

export interface RiskStatus {
  readonly killSwitch: KillSwitchState
  readonly tradingStates: { readonly account: string; readonly strategies: Readonly<Record<string, string>> }
  readonly limits: Readonly<Record<string, unknown>>
  readonly usage?: readonly LimitUse[]
  readonly dailyPnl: { readonly pnl: string; readonly limit: string | null; readonly remaining: string | null; readonly usedPct: number | null }
  readonly monitors: readonly Monitor[]
  readonly breakers: readonly Breaker[]
  readonly positionOverride: { readonly account: string; readonly strategies: Readonly<Record<string, string>> }
}

export interface Position {
  readonly venue: string
  readonly symbol: string
  readonly strategyId?: string | null
  readonly amount: string
  readonly averagePrice: string | null
  readonly markPrice: string | null
  readonly unrealizedPnl: string | null
  readonly realizedPnl: string
  readonly fees: string
  readonly quote: string
}

export interface Order {
  readonly clientOrderId: string
  readonly strategyId: string
  readonly venue: string
  readonly symbol: string
  readonly type: string
  readonly side: string
  readonly amount: string
  readonly price: string | null
  readonly filled: string
  readonly state: string
  readonly timestamp: number
}

/** A trigger or trailing order Sofia works itself (GET /orders `emulated`): not on the exchange until it fires. */
export interface EmulatedOrder {
  readonly clientOrderId: string
  readonly strategyId: string
  readonly venue: string
  readonly symbol: string
  readonly side: string
  readonly amount: string
  readonly description: string
  readonly timestamp: number
}

export interface Fill {
  readonly id: string
  readonly clientOrderId: string
  readonly strategyId: string
  readonly venue: string
  readonly symbol: string
  readonly side: string
  readonly price: string
  readonly amount: string
  readonly fee: { readonly cost: string; readonly currency: string }
  readonly timestamp: number
}

export interface AuditRecord {
  readonly seq: number
  readonly ts: number
  readonly type: string
  readonly actor: string
  readonly payload: unknown
  readonly prevHash: string
  readonly hash: string
}

export interface AuditPage {
  readonly head: number | null
  readonly records: readonly AuditRecord[]
  readonly nextBefore?: number | null
  readonly scanned?: number
}

export interface KillSwitchHistoryEntry {
  readonly at: number
  readonly action: string
  readonly trigger: string | null
  readonly reason: string | null
  readonly actor: string | null
}

export interface ReconciliationRun {
  readonly file: string
  readonly generatedAt: string
  readonly status: string
  readonly venue: string | null
  readonly from: number | null
  readonly to: number | null
  readonly counts: { readonly matched?: number; readonly discrepancies?: number; readonly byType?: Readonly<Record<string, number>> }
  readonly discrepancies: readonly Record<string, unknown>[]
}

export interface PnlRow {
  readonly key: string
  readonly fills: number
  readonly volume: string
  readonly realizedPnl: string
  readonly fees: string
  readonly costs: string
  readonly netPnl: string
  readonly unrealizedPnl: string | null
  readonly slippageCost: string
  readonly slippageBps: string | null
  readonly winRate: number | null
}

export interface PnlBreakdown {
  readonly period: { readonly label: string; readonly from: string | null; readonly to: string | null }
  readonly currency: string
  readonly totals: PnlRow
  readonly byStrategy: readonly PnlRow[]
  readonly byVenue: readonly PnlRow[]
  readonly bySymbol: readonly PnlRow[]
  readonly byDay: readonly PnlRow[]
  /** live: what the exchange did; simulated: the simulator's fills (paper, shadow). Nets without unrealized. */
  readonly legs: Readonly<Record<'live' | 'simulated', { readonly fills: number; readonly net: string; readonly netIncludesUnrealized: boolean }>>
}

export interface AttributionRow {
  readonly key: string
  readonly netPnl: string
  readonly alpha: string
  readonly slippage: string
  readonly inventory: string
  readonly fees: string
  readonly costs: string
}

export interface Attribution {
  readonly date: string
  readonly currency: string
  readonly formula: string
  readonly totals: AttributionRow
  readonly byStrategy: readonly AttributionRow[]
  readonly byVenue: readonly AttributionRow[]
  readonly bySymbol: readonly AttributionRow[]
}

/** `GET /strategies`. */
export interface StrategyView {
  readonly id: string
  readonly name: string
  readonly version: string | null
  readonly params: Readonly<Record<string, string>>
  readonly state: string
  readonly multiplier: string
  readonly openOrders: number
  readonly positions: readonly { venue: string; symbol: string; amount: string; averagePrice: string | null; realizedPnl: string; fees: string; netRealized: string }[]
  readonly lastSignal: { readonly name: string; readonly at: number; readonly detail: unknown } | null
}

export interface StrategiesView {
  readonly account: { readonly state: string; readonly multiplier: string }
  readonly strategies: readonly StrategyView[]
}
