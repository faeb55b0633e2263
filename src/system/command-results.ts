/**
 * @module system/command-results
 * What each operator command answers with, typed: `CommandResults` names the `result` of every command, and
 * `answer(command, result)` is how the dispatchers (the session's `dispatch`, the store's `OperatorConsole`)
 * build an answer, so a result of the wrong shape for its command does not compile. A result crosses
 * processes as JSON (the control channel, the HTTP API): a reader of `OperatorResult<C>` trusts the session
 * that answered to be this code.
 */
import type { AuditType, ResyncSummary } from '../audit/index.js'
import type { RouterMode, RouterStatus } from '../execution/index.js'
import type { OrderState } from '../model/index.js'
import type { CircuitBreakers, KillSwitchMode, KillSwitchState, MonitorStatus, PositionOverride, TradingStates, TradingStatesSnapshot } from '../risk/index.js'
import type { EmulatedOrder } from '../execution/index.js'
import type { ControlCommand, ControlRequest, Lease } from './control.js'
import type { StoredOrder } from '../store/index.js'

/** An asynchronous command of the session, acknowledged before its outcome (which is audited). */
export interface Started {
  readonly started: true
}

export interface KillSwitchChange {
  readonly changed: boolean
  readonly state: KillSwitchState
  /** Offline (no session running): what happens to open orders. */
  readonly note?: string
}

export interface ModeChange {
  readonly from: RouterMode
  readonly to: RouterMode
  readonly cancelled: number
  readonly secondaryCancelled?: number
  readonly percentageFrom?: number
  readonly percentage?: number
  readonly status: RouterStatus
}

export interface ManualOrderResult {
  readonly clientOrderId: string
  readonly state: OrderState
  /** Why the risk engine or the venue refused it. */
  readonly denial?: string | null
}

export interface FlattenOrder {
  readonly strategyId: string
  readonly venue: string
  readonly symbol: string
  readonly side: 'buy' | 'sell'
  readonly amount: string
  readonly clientOrderId: string | null
  /** The order's state right after submission (`submitted` once sent; `denied` when refused). */
  readonly state: string
  /** Null when the order was sent. */
  readonly code: string | null
  readonly reason: string | null
}

export interface FlattenResult {
  /** Positions found to close (after the filter). */
  readonly positions: number
  readonly orders: readonly FlattenOrder[]
  readonly denied: number
}

export interface SafetyStatus {
  readonly killSwitch: KillSwitchState & { readonly mode: string }
  readonly tradingStates: ReturnType<TradingStates['snapshot']>
  readonly dailyPnl: string
  readonly monitors: readonly MonitorStatus[]
  readonly breakers: ReturnType<CircuitBreakers['list']>
  readonly openOrders: number
  /** Trigger and trailing orders Sofia works itself (not on the exchange until they fire). */
  readonly emulatedOrders: readonly EmulatedOrder[]
  readonly positions: readonly { venue: string; symbol: string; amount: string }[]
  /** Strategies held to reducing orders because a feed they depend on is stale, with those feeds. */
  readonly stalePaused: Readonly<Record<string, readonly string[]>>
}

export interface OfflineStatus {
  readonly session: Lease | null
  readonly killSwitch: KillSwitchState & { readonly mode: KillSwitchMode }
  readonly tradingStates: TradingStatesSnapshot
  readonly openOrders: readonly StoredOrder[]
  /** Trigger and trailing orders the last session was working itself (state `orders.emulated`). */
  readonly emulatedOrders: readonly EmulatedOrder[]
  readonly positions: readonly { venue: string; symbol: string; amount: string }[]
}

export interface CommandResults {
  'kill_switch.activate': KillSwitchChange
  'reconciliation.failed': KillSwitchChange
  'kill_switch.deactivate': { readonly changed?: boolean; readonly state: KillSwitchState }
  'trading_state.set': { readonly changed: boolean; readonly tradingStates: TradingStatesSnapshot }
  'position_override.set': ReturnType<PositionOverride['snapshot']>
  'orders.cancel_all': { readonly requested: number }
  'orders.cancel': { readonly clientOrderId: string; readonly state: OrderState }
  'orders.place': ManualOrderResult
  'positions.flatten': FlattenResult
  /** A session's status, or the store's when no session runs. */
  status: SafetyStatus | OfflineStatus
  'audit.append': { readonly recorded: AuditType }
  /** With no session running, pilot-off is a kill switch trip in the store. */
  shutdown: { readonly stopping: true; readonly state: KillSwitchState } | KillSwitchChange
  'mode.set': Started | ModeChange
  'shadow.rollback': Started | ModeChange
  resync: Started | ResyncSummary
  /** The rollback procedure's report (ops/canary's RollbackReport, above this layer). */
  rollback: Started | object
}

// Every command has a result type, and nothing else does.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const everyCommandAnswers: Same<keyof CommandResults, ControlCommand> = true
void everyCommandAnswers

/** The answer to command `C`: its result, or an error (with the partial result where there is one). */
export type CommandOutcome<C extends ControlCommand = ControlCommand> = {
  [K in C]: { readonly ok: true; readonly result: CommandResults[K]; readonly error?: undefined } | { readonly ok: false; readonly error: string; readonly result?: CommandResults[K] }
}[C]

/** A successful answer to `command` (narrowed by the dispatcher's switch), checked against its result type. */
export function answer<C extends ControlCommand>(_command: { readonly command: C }, result: CommandResults[C]): CommandOutcome<C> {
  return { ok: true, result } as CommandOutcome<C>
}

/** The commands a session on an exchange carries out itself (its modes and resync), installed in its safety layer. */
export type SessionCommands = (
  request: Pick<ControlRequest, 'command' | 'args' | 'actor'>,
) => CommandOutcome<'mode.set' | 'shadow.rollback' | 'resync'> | Promise<CommandOutcome<'mode.set' | 'shadow.rollback' | 'resync'>>

/** Runs the rollback procedure inside the session (installed by the session's wiring, see `attachSessionRollback`). */
export type RollbackHandler = (request: Pick<ControlRequest, 'args' | 'actor'>) => Promise<CommandOutcome<'rollback'>>

/**
 * An answer read back from JSON (the control channel, the HTTP API), typed as the answer to `C`: trusted to be
 * what this code's dispatcher wrote for that command (see the module's note).
 */
export function fromWire<C extends ControlCommand>(r: { readonly ok: boolean; readonly result?: unknown; readonly error?: string | undefined }): CommandOutcome<C> {
  return { ok: r.ok, ...(r.result !== undefined ? { result: r.result } : {}), ...(r.error !== undefined ? { error: r.error } : {}) } as CommandOutcome<C>
}
