/**
 * @module audit/types
 * The audit vocabulary: every record type Sofia writes, in one list, and the payload each carries
 * (`AuditPayloads`). Sofia's writers (the session's persistence, the sinks of the CLI and the registry, the API,
 * the cluster) take a type of this list and its payload, so a misspelt type or a payload of the wrong shape
 * does not compile; `audit.append` on the control channel checks the type at run time. `operator.*` is left to
 * an operator's own records (any JSON object). Readers of the chain still take any type: a chain may hold older
 * types and shapes, so `isRecordOf` and `payloadOf` go by the type string only and validate nothing at run time.
 */
import type { KeyRotation, SignedHead } from '../chain/anchor.js'
import type { EmulatedOrder, OrderSide, OrderState, OrderType } from '../model/index.js'

export const AUDIT_TYPES = [
  'account.rebased',
  'alert',
  'alert.firing',
  'alert.pending',
  'alert.resolved',
  'api.request',
  'api.token.created',
  'api.token.revoked',
  'audit.checkpoint',
  'audit.key',
  'balance.deposit',
  'canary.error',
  'canary.failed',
  'canary.fill',
  'canary.order',
  'canary.percentage_changed',
  'canary.progressed',
  'canary.resumed',
  'canary.skipped',
  'canary.stage_started',
  'circuit_breaker.changed',
  'cluster.joined',
  'cluster.left',
  'config.changed',
  'feed.restarted',
  'fill',
  'kill_switch.activated',
  'kill_switch.cancels',
  'kill_switch.deactivated',
  'ledger.balance_synced',
  'mode.changed',
  'order.accepted',
  'order.cancel_rejected',
  'order.cancel_requested',
  'order.canceled',
  'order.emulated.canceled',
  'order.emulated.created',
  'order.emulated.triggered',
  'order.expired',
  'order.intent',
  'order.rejected',
  'order.submitted',
  'order.triggered',
  'reconcile.balance_drift',
  'reconciliation.balances',
  'reconciliation.run',
  'registry.promoted',
  'registry.registered',
  'registry.rolled_back',
  'registry.validation_skipped',
  'resync.completed',
  'resync.fill_adopted',
  'resync.fill_applied',
  'resync.fill_not_applied',
  'resync.order_closed',
  'resync.order_updated',
  'resync.unknown_open_order',
  'resync.unknown_order_cancel_failed',
  'resync.unknown_order_cancelled',
  'resync.waiting_in_flight',
  'risk.approved',
  'risk.daily_loss_acknowledged',
  'risk.denied',
  'risk.override_changed',
  'risk.override_refused',
  'rollback.completed',
  'rollback.started',
  'rollback.step',
  'session.started',
  'session.stopped',
  'shadow.error',
  'shadow.order',
  'shadow.rollback',
  'state.changed',
  'strategy.error',
  'strategy.paused',
  'strategy.resumed',
  'strategy.version_applied',
] as const

/** A record type Sofia writes. */
export type KnownAuditType = (typeof AUDIT_TYPES)[number]

/** An operator's own record type: `operator.note`, `operator.incident.opened`. */
export type OperatorAuditType = `operator.${string}`

/** A record type Sofia writes, or an operator's own `operator.*` record. */
export type AuditType = KnownAuditType | OperatorAuditType

const KNOWN: ReadonlySet<string> = new Set(AUDIT_TYPES)

/** Whether `type` is in the vocabulary (a record type Sofia writes, or `operator.*`). */
export function isAuditType(type: string): type is AuditType {
  return KNOWN.has(type) || /^operator\.[a-z][a-z_]*(\.[a-z][a-z_]*)*$/.test(type)
}

// ---- payloads ------------------------------------------------------------------------------------------

/** A decimal as the chain records it: its string form (`Decimal.toString()`), never a number. */
type DecimalText = string

/** Set when a record was written without a running session (`store`) or asked of one by another process (`control`). */
interface Via {
  readonly via?: 'store' | 'control'
}

/** A JSON object whose members the vocabulary does not fix (an operator's record, a type no writer has now). */
export type JsonObject = Readonly<Record<string, unknown>>

/** What the chain says about an order when it is decided (`order.intent`; no secrets, decimals as strings). */
export interface OrderIntentPayload {
  readonly clientOrderId: string
  readonly venue: string
  readonly symbol: string
  readonly side: OrderSide
  readonly type: OrderType
  readonly amount: DecimalText
  readonly price: DecimalText | null
  readonly decisionPrice: DecimalText | null
  readonly tag?: string
  /** The order's options as `optionsToJson` writes them; only when it has any. */
  readonly options?: unknown
}

/** A kill switch event (`KillSwitchEvent` of risk) as recorded, with what the writer adds. */
interface KillSwitchPayload extends Via {
  readonly at: number
  readonly action: 'activated' | 'deactivated'
  readonly trigger: string | null
  readonly reason: string
  readonly actor: string
  readonly snapshot?: unknown
  /** Activated in a session: the orders whose cancel it asked for. */
  readonly cancelled?: number
  /** Activated by the KILL_SWITCH file: its path. */
  readonly killFile?: string
  /** Deactivated with the day's loss acknowledged: the breach acknowledged. */
  readonly acknowledgedLoss?: string
}

/** An alert rule's instance changing state (`alert.pending`, `alert.firing`, `alert.resolved`). */
interface AlertStatePayload {
  readonly rule: string
  readonly labels: Readonly<Record<string, string>>
  readonly severity: string
  /** What the session did about it (the rule's action, or that it only notified). */
  readonly action: string
  readonly summary: string
}

interface ClientOrderPayload {
  readonly clientOrderId: string
}

/** An emulated trigger order as the store keeps it. */
type EmulatedOrderPayload = EmulatedOrder

interface CanaryCriterionPayload {
  readonly name: string
  readonly status: string
  readonly measured: unknown
}

/** The fields every `resync.*` record has: the venue resynchronized. */
interface ResyncPayload {
  readonly venue: string
}

/** What a resync with the exchange found and did (`resync.completed`, and the answer to the `resync` command). */
export interface ResyncSummary {
  readonly venue: string
  readonly at: number
  /** Fills of our orders the session had not seen, now applied. */
  readonly fillsApplied: number
  /** Working orders whose state the exchange changed (filled, cancelled, expired, acknowledged). */
  readonly ordersUpdated: number
  /** Working orders the exchange does not know: closed. */
  readonly ordersClosed: number
  /** Orders open on the exchange that this store does not know (client ids; reported and alerted). */
  readonly unknownOpen: readonly string[]
  /** Of those, the ones carrying Sofia's id scheme, cancelled (unless `cancelUnknown` is false). */
  readonly cancelledUnknown: readonly string[]
  /** Fills on the exchange of orders that are not Sofia's (left to reconciliation, unless adopted). */
  readonly foreignFills: number
  /** Of those, taken in as external fills (`adopt`). */
  readonly fillsAdopted: number
  /** Fills of the exchange copies of orders whose primary leg was another (canary copies), or of orders the
   * session had already finished: not applied (left to reconciliation). */
  readonly otherLegFills: number
}

/**
 * The payload of each record type Sofia writes, typed from its writers. Decimals are strings; `via` marks a
 * record written outside a running session. Types no writer uses now (kept for older chains and operators'
 * tools) take any JSON object.
 */
export interface AuditPayloads {
  /**
   * The session's ledger became the exchange account's (system/exchange-account): rebuilt from `fills` stored
   * fills, `simulatedFillsLeftOut` of the simulator's left out, `balancesSynced` balances set to the exchange's.
   */
  'account.rebased': { readonly venue: string; readonly fills: number; readonly simulatedFillsLeftOut: number; readonly balancesSynced: number }
  /** A safety alert raised by the session (listeners). */
  'alert': { readonly name: string; readonly level: string; readonly detail: string }
  'alert.firing': AlertStatePayload
  'alert.pending': AlertStatePayload
  'alert.resolved': AlertStatePayload
  'api.request': { readonly method: string; readonly route: string; readonly status: number }
  'api.token.created': Via & { readonly name: string; readonly role: string; readonly expiresAt: number | null }
  'api.token.revoked': Via & { readonly name: string; readonly role: string }
  'audit.checkpoint': SignedHead
  'audit.key': KeyRotation
  'balance.deposit': { readonly venue: string; readonly asset: string; readonly amount: DecimalText; readonly reason: string }
  /** No writer now. */
  'canary.error': JsonObject
  /** The orchestrator's verdict (with the criteria), or an operator's `sofia canary fail` (failed: ['operator']). */
  'canary.failed':
    | {
        readonly strategy: string
        readonly version: string
        readonly stage: string
        readonly reason: string
        readonly failed: readonly string[]
        readonly criteria: readonly (CanaryCriterionPayload & { readonly threshold: unknown })[]
      }
    | { readonly strategy: string; readonly version: string; readonly stage: string; readonly reason: string; readonly failed: readonly string[] }
  /** A fill of the canary's copy on the exchange (the exchange's trade; fee as cost and currency). */
  'canary.fill': {
    readonly id: string
    readonly order: string
    readonly clientOrderId: string
    readonly symbol: string
    readonly side: OrderSide
    readonly price: DecimalText
    readonly amount: DecimalText
    readonly fee: DecimalText
    readonly feeCurrency: string
    readonly timestamp: number
  }
  'canary.order': {
    readonly clientOrderId: string
    readonly symbol: string
    readonly side: OrderSide
    readonly type: OrderType
    readonly amount: DecimalText
    readonly intent: DecimalText
    readonly price?: DecimalText
  }
  'canary.percentage_changed': { readonly venue: string; readonly from: number; readonly to: number }
  'canary.progressed': {
    readonly strategy: string
    readonly version: string
    readonly from: string
    readonly to: string
    readonly capitalPct: number
    readonly criteria: readonly CanaryCriterionPayload[]
  }
  'canary.resumed': {
    readonly strategy: string
    readonly version: string
    readonly stage: string
    readonly capitalPct: number
    readonly stageStartedAt: number
    readonly metricsFrom: number
  }
  'canary.skipped': { readonly clientOrderId: string; readonly symbol: string; readonly amount: DecimalText; readonly intent: DecimalText; readonly reason: string }
  /** The orchestrator's start of a stage (with its capital), or an operator's `sofia canary progress` (with a reason). */
  'canary.stage_started':
    | { readonly strategy: string; readonly version: string; readonly stage: string; readonly capitalPct: number; readonly from: string | null }
    | { readonly strategy: string; readonly version: string; readonly stage: string; readonly from: string | null; readonly reason: string }
  'circuit_breaker.changed': { readonly key: string; readonly from: string; readonly to: string; readonly reason: string; readonly at: number }
  'cluster.joined': {
    readonly node: string
    readonly instance: string
    readonly host: string
    readonly pid: number
    readonly leases: readonly string[]
    readonly halt: boolean
  }
  'cluster.left': { readonly node: string; readonly instance: string }
  /** No writer now. */
  'config.changed': JsonObject
  'feed.restarted': { readonly venue: string; readonly restarted: boolean; readonly streams: number; readonly reconnects: number }
  'fill': {
    readonly clientOrderId: string
    readonly venue: string
    readonly tradeId: string
    readonly symbol: string
    readonly side: OrderSide
    readonly price: DecimalText
    readonly amount: DecimalText
    readonly cost: DecimalText
    readonly fee: { readonly cost: DecimalText; readonly currency: string }
    readonly takerOrMaker: 'maker' | 'taker'
    /** The order's state after the fill. */
    readonly orderState: OrderState
  }
  'kill_switch.activated': KillSwitchPayload
  /** A round of waiting for the venues to settle the cancels of a trip. */
  'kill_switch.cancels': {
    readonly round: number
    readonly requested: number
    readonly canceled: number
    readonly filled: number
    readonly rejected: number
    readonly pending: readonly string[]
    readonly errors: unknown
  }
  'kill_switch.deactivated': KillSwitchPayload
  'ledger.balance_synced': { readonly venue: string; readonly asset: string; readonly from: DecimalText; readonly to: DecimalText; readonly reason: string }
  'mode.changed': { readonly venue: string; readonly from: string; readonly to: string; readonly cancelled: number; readonly secondaryCancelled: number }
  'order.accepted': ClientOrderPayload & { readonly venueOrderId: string }
  'order.cancel_rejected': ClientOrderPayload & { readonly reason: string }
  'order.cancel_requested': ClientOrderPayload & { readonly filled: DecimalText }
  'order.canceled': ClientOrderPayload & { readonly filled: DecimalText }
  /** Cancelled by the session or by its one-cancels-other sibling's trigger. */
  'order.emulated.canceled': EmulatedOrderPayload & { readonly reason?: string }
  'order.emulated.created': EmulatedOrderPayload
  /** Its trigger level reached; `sent` is the order sent for it (null: none could be). */
  'order.emulated.triggered': EmulatedOrderPayload & { readonly level?: number; readonly sent?: string | null }
  'order.expired': ClientOrderPayload & { readonly filled: DecimalText }
  'order.intent': OrderIntentPayload
  'order.rejected': ClientOrderPayload & { readonly reason: string }
  /** No writer now (older chains). */
  'order.submitted': JsonObject
  'order.triggered': ClientOrderPayload & { readonly triggerPrice: DecimalText | null }
  'reconcile.balance_drift': { readonly venue: string; readonly drifts: readonly { readonly asset: string; readonly ledger: DecimalText; readonly exchange: DecimalText }[] }
  'reconciliation.balances': { readonly status: 'ok' | 'discrepancies'; readonly venues: readonly string[] }
  'reconciliation.run': {
    readonly status: 'ok' | 'discrepancies'
    readonly from: number
    readonly to: number
    readonly venues: readonly string[]
    /** The report files written. */
    readonly files: readonly unknown[]
  }
  'registry.promoted': { readonly strategy: string; readonly version: string; readonly from: string | null; readonly lastGood: string | null; readonly reason: string }
  'registry.registered': {
    readonly strategy: string
    readonly version: string
    readonly params: unknown
    readonly codeHash: string | null
    readonly artifact: unknown
    readonly validationPassed: boolean | null
    readonly reason: string
  }
  'registry.rolled_back': { readonly strategy: string; readonly from: string | null; readonly to: string; readonly lastGood: string | null; readonly reason: string }
  'registry.validation_skipped': { readonly strategy: string; readonly version: string; readonly reason: string; readonly validationPassed: boolean | null }
  'resync.completed': ResyncSummary
  'resync.fill_adopted': ResyncPayload & {
    readonly tradeId: string
    readonly clientOrderId: string
    /** The order it was adopted as. */
    readonly as: string
    readonly symbol: string
    readonly side: OrderSide
    readonly price: DecimalText
    readonly amount: DecimalText
  }
  'resync.fill_applied': ResyncPayload & {
    readonly tradeId: string
    readonly clientOrderId: string
    readonly symbol: string
    readonly side: OrderSide
    readonly price: DecimalText
    readonly amount: DecimalText
  }
  'resync.fill_not_applied': ResyncPayload & { readonly tradeId: string; readonly clientOrderId: string; readonly reason: string }
  'resync.order_closed': ResyncPayload & { readonly clientOrderId: string; readonly from: OrderState; readonly to: OrderState }
  'resync.order_updated': ResyncPayload & { readonly clientOrderId: string; readonly from: OrderState; readonly to: OrderState; readonly filled: DecimalText }
  'resync.unknown_open_order': ResyncPayload & {
    readonly clientOrderId: string
    readonly symbol: string
    readonly side: OrderSide
    readonly amount: DecimalText
    /** Whether the id carries Sofia's scheme. */
    readonly sofiaId: boolean
  }
  'resync.unknown_order_cancel_failed': ResyncPayload & { readonly clientOrderId: string; readonly symbol: string; readonly error: string }
  'resync.unknown_order_cancelled': ResyncPayload & { readonly clientOrderId: string; readonly symbol: string }
  'resync.waiting_in_flight': ResyncPayload & { readonly clientOrderIds: readonly string[]; readonly until: number }
  'risk.approved': ClientOrderPayload
  'risk.daily_loss_acknowledged': { readonly reason: string; readonly breach: string; readonly baselineBefore: DecimalText | null; readonly baselineAfter: DecimalText }
  'risk.denied': ClientOrderPayload & { readonly code: string; readonly reason: string }
  'risk.override_changed': { readonly file: string; readonly from: unknown; readonly to: unknown }
  'risk.override_refused': { readonly file: string; readonly error: string; readonly kept: unknown }
  'rollback.completed': { readonly ok: boolean; readonly trigger: string; readonly incident: string | null; readonly failed: readonly string[] }
  'rollback.started': { readonly trigger: string; readonly reason: string; readonly targetVersion: string | null }
  'rollback.step': { readonly step: string; readonly ok: boolean; readonly detail: string; readonly trigger: string }
  'session.started': {
    readonly mode: string
    readonly epoch: number
    readonly strategies: readonly string[]
    readonly venues: readonly string[]
    /** What recovery found in the store (`RecoverySummary` of system). */
    readonly recovered: unknown
    /** Per strategy id, the strategy and its parameters (`StrategySpec` of system): what replay rebuilds it from. */
    readonly params?: Readonly<Record<string, { readonly name: string; readonly params: Readonly<Record<string, string>> }>>
    /** Per venue, its instruments (`instrumentRecord` of system: symbol, tickSize, stepSize, minAmount, … as text). */
    readonly instruments: Readonly<Record<string, readonly Readonly<Record<string, string>>[]>>
    readonly latencyMs?: number
    readonly slippageBps?: number
  }
  'session.stopped': { readonly fills: number; readonly orders: number }
  /** No writer now. */
  'shadow.error': JsonObject
  /** An order whose primary leg is the simulator (shadow, canary): its fills are not the exchange's. */
  'shadow.order': {
    readonly mode: string
    readonly venue: string
    readonly clientOrderId: string
    readonly symbol: string
    readonly side: OrderSide
    readonly type: OrderType
    readonly amount: DecimalText
    readonly price?: DecimalText
  }
  'shadow.rollback': { readonly from: string; readonly to: string; readonly cancelled: number; readonly secondaryCancelled: number; readonly reason: string }
  'state.changed': Via & { readonly key: string; readonly value: unknown; readonly reason?: string }
  'strategy.error': {
    readonly strategyId: string
    readonly handler: string
    readonly error: string
    /** Where in the strategy's code, when known. */
    readonly at?: string
    readonly cancelled: number
  }
  'strategy.paused': { readonly strategyId: string; readonly feeds: readonly string[]; readonly reason: string }
  'strategy.resumed': { readonly strategyId: string; readonly feeds: readonly string[]; readonly reason: string }
  'strategy.version_applied': {
    readonly strategy: string
    readonly version: string | null
    readonly params: unknown
    readonly codeHash?: string
    /** The strategy instances that now run it. */
    readonly instances: readonly string[]
    readonly reason: string
  }
}

/** The payload of a record of type `T`; an operator's `operator.*` record carries any JSON object. */
export type AuditPayload<T extends AuditType> = T extends keyof AuditPayloads ? AuditPayloads[T] : JsonObject

/**
 * Both ways, naming the type: a type added to AUDIT_TYPES without a payload, or a payload of a type not in
 * AUDIT_TYPES, does not compile here.
 */
type _None<T extends never> = T
type _TypesWithoutPayload = _None<Exclude<KnownAuditType, keyof AuditPayloads>>
type _PayloadsWithoutType = _None<Exclude<keyof AuditPayloads, KnownAuditType>>

/** A record to append: a type of the vocabulary with its payload (the union over every type, so `type` narrows `payload`). */
export type AuditEntryOf<T extends AuditType> = { readonly type: T; readonly actor: string; readonly payload: AuditPayload<T> }
export type AuditEntry = { [T in KnownAuditType]: AuditEntryOf<T> }[KnownAuditType] | AuditEntryOf<OperatorAuditType>

/** A record read from the chain, narrowed to type `T`. */
export type AuditRecordOf<T extends AuditType, R extends { readonly type: string; readonly payload: unknown } = { readonly type: string; readonly payload: unknown }> = R & {
  readonly type: T
  readonly payload: AuditPayload<T>
}

/**
 * Whether `record` is of type `type`, narrowing its payload to that type's. This looks at the type string
 * only: the payload is not validated at run time, so a record of an older shape, or one written by hand,
 * narrows all the same; a reader of old chains reads optional members with care. Records of other or
 * unknown types are simply not matched (a reader skips what it does not know).
 */
export function isRecordOf<R extends { readonly type: string; readonly payload: unknown }, T extends AuditType>(record: R, type: T): record is AuditRecordOf<T, R> {
  return record.type === type
}

/** What appends typed records to a session's chain (the session's persistence, or a part of it). */
export interface AuditWriter<T extends AuditType = AuditType> {
  audit<U extends T>(type: U, actor: string, payload: AuditPayload<U>): void
}

/**
 * A record's payload when the record is of type `type` (undefined for any other type, so a reader skips what it
 * does not know), for reading chains leniently: every member is optional, as an older record may lack some,
 * and a payload that is not an object reads as one with no members. Only the type string is checked: the
 * members' values are not validated at run time, so a reader that cannot trust the writer still checks them.
 */
export function payloadOf<T extends AuditType>(record: { readonly type: string; readonly payload: unknown }, type: T): Partial<AuditPayload<T>> | undefined {
  if (record.type !== type) return undefined
  const p = record.payload
  return (typeof p === 'object' && p !== null && !Array.isArray(p) ? p : {}) as Partial<AuditPayload<T>>
}
