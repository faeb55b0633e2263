// The shapes of the API answers the dashboard reads (decimals are strings). Those the server declares (src/api/wire.ts)
// are imported from there; the rest are declared here.
import type { KillSwitchView, LimitUse } from '../../src/api/wire'

export type {
  AttributionJson as Attribution,
  AttributionRowJson as AttributionRow,
  AuditPage,
  AuditRecord,
  EmulatedOrderView as EmulatedOrder,
  Fill,
  KillSwitchStatus,
  KillSwitchView,
  LimitUse,
  OrderView as Order,
  OrdersList,
  PnlBreakdown,
  PnlRowJson as PnlRow,
  PositionView as Position,
  PositionsList,
} from '../../src/api/wire'

export interface StatusView {
  readonly mode: string
  readonly running: boolean
  readonly startedAt: number
  readonly strategies: readonly string[]
  readonly venues: readonly string[]
  readonly currency: string
  readonly equity: string
  readonly pnl: { readonly realized: string; readonly unrealized: string; readonly fees: string; readonly net: string; readonly daily: string }
  readonly killSwitch: KillSwitchView
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


export interface RiskStatus {
  readonly killSwitch: KillSwitchView
  readonly tradingStates: { readonly account: string; readonly strategies: Readonly<Record<string, string>> }
  readonly limits: Readonly<Record<string, unknown>>
  readonly usage?: readonly LimitUse[]
  readonly dailyPnl: { readonly pnl: string; readonly limit: string | null; readonly remaining: string | null; readonly usedPct: number | null }
  readonly monitors: readonly Monitor[]
  readonly breakers: readonly Breaker[]
  readonly positionOverride: { readonly account: string; readonly strategies: Readonly<Record<string, string>> }
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
