/**
 * @module api/wire
 * The shapes of the API's answers that the dashboard reads, declared once: the routes and the event feed that
 * build them are typed with them, and web/ imports them with `import type`, so the compiler ties both ends.
 * Types only, importing nothing but files that import nothing: the dashboard is type-checked without Node's
 * types (web/tsconfig.json), so nothing here may reach a Node module, even for a type.
 */
import type { AuditRecord } from '../chain/audit-record.js'
import type { FillTerms } from '../system/report-types.js'
import type { PnlJson, PnlLeg, PnlLegJson } from '../ops/pnl/json-types.js'
import type { KillSwitchEvent, KillSwitchMode, KillSwitchState } from '../risk/kill-switch.js'

export type { AuditRecord } from '../chain/audit-record.js'
export type { AttributionJson, AttributionRowJson, PnlJson, PnlLegJson, PnlRowJson } from '../ops/pnl/json-types.js'
export type { KillSwitchEvent, KillSwitchState } from '../risk/kill-switch.js'

/** An alert as the API lists it (`GET /alerts`, the `alert` event). */
export interface ApiAlert {
  readonly at: number
  readonly name: string
  readonly level: string
  readonly detail: string
}

/** The kill switch with its configured mode (`GET /status`, `GET /risk/status`, `GET /kill-switch`, the `kill_switch` event). */
export interface KillSwitchView extends KillSwitchState {
  readonly mode: KillSwitchMode
}

/** `GET /kill-switch`: the state and the last changes, oldest first. */
export interface KillSwitchStatus {
  readonly state: KillSwitchView
  readonly history: readonly KillSwitchEvent[]
}

/** A fill as every answer carries it (`GET /fills`, the `fill` event): decimals as strings. */
export interface Fill extends FillTerms {
  /** The venue's trade id. */
  readonly id: string
  readonly clientOrderId: string
  readonly cost: string
  readonly fee: { readonly cost: string; readonly currency: string }
  readonly timestamp: number
}

/** A fill of `GET /fills`. */
export interface FillView extends Fill {
  readonly takerOrMaker: string
  readonly datetime: string
}

/** The `fill` event. */
export interface FillEvent extends Fill {
  /** The venue's order id. */
  readonly order: string
}

/** What every answer about an order says of it: CCXT's names, decimals as strings. */
export interface OrderFields {
  readonly clientOrderId: string
  readonly strategyId: string
  readonly venue: string
  readonly symbol: string
  readonly type: string
  readonly side: string
  readonly amount: string
  readonly price: string | null
}

/** An order as the API lists it (`GET /orders`). */
export interface OrderView extends OrderFields {
  readonly filled: string
  readonly remaining: string
  /** CCXT's status: open, closed, canceled, expired, rejected. */
  readonly status: string
  /** Sofia's state machine's state. */
  readonly state: string
  readonly venueOrderId: string | null
  readonly timestamp: number
  readonly datetime: string
}

/** A trigger or trailing order Sofia works itself (`GET /orders` `emulated`): not on the exchange until it fires. */
export interface EmulatedOrderView extends OrderFields {
  readonly state: 'emulated'
  /** Null for a trailing stop. */
  readonly triggerPrice: string | null
  readonly triggerDirection: string
  readonly trailingPercent: string | null
  readonly reduceOnly: boolean
  readonly tag: string | null
  /** In words, e.g. what fires it. */
  readonly description: string
  readonly timestamp: number
  readonly datetime: string
}

/** `GET /orders`. */
export interface OrdersList {
  readonly count: number
  readonly orders: readonly OrderView[]
  readonly emulated: readonly EmulatedOrderView[]
}

/** A position per venue and symbol, or per strategy too (`GET /positions`). */
export interface PositionView {
  readonly venue: string
  readonly symbol: string
  /** In the per-strategy list only. */
  readonly strategyId?: string | null
  readonly amount: string
  readonly averagePrice: string | null
  readonly markPrice: string | null
  readonly unrealizedPnl: string | null
  readonly realizedPnl: string
  readonly fees: string
  readonly quote: string
}

/** `GET /positions`. */
export interface PositionsList {
  readonly currency: string
  readonly positions: readonly PositionView[]
  readonly strategies: readonly PositionView[]
}

/** The `order` event: an order changed. */
export interface OrderEvent extends OrderFields {
  readonly filled: string
  readonly state: string
  /** The order event's type, e.g. `accepted`, `cancel_requested`. */
  readonly event: string
  readonly timestamp: number
}

/** The `status` event, every second. */
export interface StatusTick {
  readonly at: number
  readonly killSwitch: boolean
  readonly tradingState: string
  readonly openOrders: number
  readonly fills: number
  readonly netPnl: string
  readonly equity: string
  readonly dailyPnl: string
  readonly currency: string
}

/** The `hello` event, first on every stream. */
export interface HelloEvent {
  readonly mode: string
  readonly user: string | null
  readonly killSwitch: KillSwitchState
  readonly openOrders: number
  readonly events: readonly string[]
}

/** The data of each event of `GET /events` (server-sent events). */
export interface SseData {
  readonly hello: HelloEvent
  readonly order: OrderEvent
  readonly fill: FillEvent
  readonly kill_switch: KillSwitchView
  readonly alert: ApiAlert
  readonly status: StatusTick
  /** A load test's synthetic event (`sofia serve --sse-load N`). */
  readonly load: { readonly n: number; readonly at: number }
}

/** A risk limit with what uses it now (`GET /risk/status` `usage`; null where the limit is per order or per second and has no standing use). */
export interface LimitUse {
  /** The limit's name in the risk settings, e.g. `maxDailyLoss`. */
  readonly limit: string
  readonly value: string
  readonly current: string | null
  /** current / value × 100, for a bar; the decimals above are exact. */
  readonly usedPct: number | null
  readonly detail: string
}

/** `GET /risk/audit`: a page of the audit chain, oldest first. */
export interface AuditPage {
  /** The chain's last seq; null while it is empty. */
  readonly head: number | null
  readonly records: readonly AuditRecord[]
  /** The `before` of the next (older) page; null when nothing older is left. */
  readonly nextBefore: number | null
  /** Records read to fill this page. */
  readonly scanned: number
}

/** `GET /pnl/breakdown`: the period's P&L, and each leg's net. */
export interface PnlBreakdown extends PnlJson {
  readonly legs: Readonly<Record<PnlLeg, PnlLegJson>>
}

/** The trading states: the account's and each strategy's that is not ACTIVE. */
export interface TradingStatesView {
  readonly account: string
  readonly strategies: Readonly<Record<string, string>>
}

/** A position summed per venue and symbol (`GET /status`, `GET /risk/status`). */
export interface NetPosition {
  readonly venue: string
  readonly symbol: string
  readonly amount: string
}

/** `GET /status`: the session at a glance. */
export interface StatusView {
  readonly mode: string
  readonly running: boolean
  readonly pid: number
  readonly startedAt: number
  readonly uptimeMs: number
  /** The store's location (file or URL, password hidden). */
  readonly store: string
  /** What the session recovered from its store at start. */
  readonly recovery: object
  readonly strategies: readonly string[]
  readonly venues: readonly string[]
  readonly currency: string
  readonly equity: string
  readonly pnl: { readonly realized: string; readonly unrealized: string; readonly fees: string; readonly net: string; readonly daily: string }
  readonly killSwitch: KillSwitchView
  readonly tradingStates: TradingStatesView
  /** `open` and the order manager's counters (submitted, filled, canceled, rejected, denied, fills, …). */
  readonly orders: Readonly<Record<string, number>>
  readonly positions: readonly NetPosition[]
  /** Alerts held by the server (`GET /alerts` lists them). */
  readonly alerts: number
}

/** A runtime monitor's reading (`GET /risk/status`). */
export interface MonitorView {
  readonly name: string
  /** ok, warning or critical. */
  readonly level: string
  readonly value: number
  readonly warning?: number
  readonly critical?: number
  readonly unit: string
  /** For `data_staleness`: the feed (`venue:symbol`) the reading is about. */
  readonly feed?: string
  readonly detail: string
}

/** A circuit breaker per venue or strategy (`GET /risk/status`). */
export interface BreakerView {
  readonly key: string
  /** closed, open or half_open. */
  readonly state: string
  readonly consecutiveFailures: number
  readonly errorRate: number
  readonly openedAt: number | undefined
  readonly reason: string | undefined
  readonly nextProbeAt: number | undefined
}

/** `GET /risk/status`: limits and their use, monitors, breakers, trading states, kill switch, daily P&L against its limit. */
export interface RiskStatus {
  readonly killSwitch: KillSwitchView
  readonly tradingStates: TradingStatesView
  /** The risk limits as configured (decimals as strings). */
  readonly limits: Readonly<Record<string, unknown>>
  readonly dailyPnl: { readonly pnl: string; readonly limit: string | null; readonly remaining: string | null; readonly usedPct: number | null }
  readonly usage: readonly LimitUse[]
  readonly monitors: readonly MonitorView[]
  readonly breakers: readonly BreakerView[]
  readonly positionOverride: { readonly account: string; readonly strategies: Readonly<Record<string, string>>; readonly maxPositionPct?: number }
  readonly openOrders: number
  readonly positions: readonly NetPosition[]
}

/** A reconciliation report in `<data-dir>/reports/reconciliation` (`GET /reconciliation/runs`). */
export interface ReconciliationRun {
  readonly file: string
  readonly generatedAt: string
  /** ok, discrepancies, unknown (no status in the file) or unreadable. */
  readonly status: string
  readonly venue: string | null
  readonly from: number | null
  readonly to: number | null
  readonly counts: { readonly matched?: number; readonly discrepancies?: number; readonly byType?: Readonly<Record<string, number>> }
  /** The first 20. */
  readonly discrepancies: readonly Readonly<Record<string, unknown>>[]
}

/** `GET /reconciliation/runs`: newest first. */
export interface ReconciliationRuns {
  readonly dir: string
  readonly total: number
  readonly runs: readonly ReconciliationRun[]
}

/** A strategy of the session (`GET /strategies`). */
export interface StrategyView {
  readonly id: string
  readonly name: string
  /** The registered version it runs; null for a built-in or an unregistered file. */
  readonly version: string | null
  readonly params: Readonly<Record<string, string>>
  readonly state: string
  /** Its size multiplier. */
  readonly multiplier: string
  readonly openOrders: number
  readonly positions: readonly {
    readonly venue: string
    readonly symbol: string
    readonly amount: string
    readonly averagePrice: string | null
    readonly realizedPnl: string
    readonly fees: string
    readonly netRealized: string
  }[]
  readonly lastSignal: { readonly name: string; readonly at: number; readonly detail: unknown } | null
}

/** `GET /strategies`. */
export interface StrategiesView {
  readonly account: { readonly state: string; readonly multiplier: string }
  readonly strategies: readonly StrategyView[]
}
