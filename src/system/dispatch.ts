/**
 * @module system/dispatch
 * Runs an operator's command in a session: the control channel, the HTTP API and the dashboard all come here
 * with an `OperatorCommand` (read by `parseCommand`). The kill switch, trading states, cancels, manual orders,
 * flatten and pilot-off act through the safety layer; `mode.set`, `shadow.rollback` and `resync` belong to a
 * session on an exchange, and `rollback` to the rollback procedure, when the session has them.
 */
import type { KillSwitchTrigger, TradingState } from '../risk/index.js'
import { appendOperatorRecord } from './control.js'
import type { ControlRequest } from './control.js'
import type { OperatorCommand } from './commands.js'
import { placeManualOrder } from './operator-orders.js'
import type { OperatorOrderDeps } from './operator-orders.js'
import { POSITION_OVERRIDE_KEY } from './safety-types.js'
import { answer } from './command-results.js'
import type { CommandOutcome } from './command-results.js'
import type { FlattenResult, RollbackHandler, SafetyStatus } from './command-results.js'
import type { SafetyOptions } from './safety-types.js'

/** What the safety layer does for a command. */
export interface SafetyActions {
  activate(trigger: KillSwitchTrigger, reason: string, actor: string): boolean
  deactivate(reason: string, actor: string, options: { clearsReconciliation?: boolean; acknowledgeLoss?: boolean }): { ok: boolean; blockers: readonly string[] }
  setTradingState(state: TradingState, actor: string, strategyId?: string, why?: string): boolean
  flatten(reason: string, actor: string, filter: { readonly strategyId?: string; readonly symbol?: string }): FlattenResult
  status(): SafetyStatus
  /** Pilot-off: halt, record, tell, then end the session. */
  shutdown(reason: string, actor: string): void
}

export type DispatchOptions = OperatorOrderDeps & Pick<SafetyOptions, 'positionOverride' | 'tradingStates' | 'commands' | 'mode'>

type Request = Pick<ControlRequest, 'command' | 'args' | 'actor'>

/** Runs a command; the session's asynchronous ones (mode switches, rollback) are acknowledged as started. */
export function dispatch(o: DispatchOptions, safety: SafetyActions, rollback: RollbackHandler | undefined, c: OperatorCommand, request: Request): CommandOutcome {
  switch (c.command) {
    case 'kill_switch.activate':
    case 'reconciliation.failed': {
      const changed = safety.activate(c.command === 'reconciliation.failed' ? 'reconciliation' : 'manual', c.args.reason, c.actor)
      return answer(c, { changed, state: o.killSwitch.state() })
    }
    case 'kill_switch.deactivate': {
      const r = safety.deactivate(c.args.reason, c.actor, { clearsReconciliation: c.args.clearsReconciliation === true, acknowledgeLoss: c.args.acknowledgeLoss === true })
      return r.ok ? answer(c, { state: o.killSwitch.state() }) : { ok: false, error: r.blockers.join('; ') }
    }
    case 'trading_state.set': {
      const changed = safety.setTradingState(c.args.state, c.actor, c.args.strategyId, c.args.reason === '' ? undefined : c.args.reason)
      return answer(c, { changed, tradingStates: o.tradingStates.snapshot() })
    }
    case 'orders.cancel_all': {
      // Cancels asked for; the venues' confirmations come later (`cancelAllConfirmed` waits for them).
      const requested = o.orders.cancelAll()
      o.persistence?.audit('operator.cancel_all', c.actor, { requested, reason: c.args.reason })
      return answer(c, { requested })
    }
    case 'orders.cancel': {
      const id = c.args.clientOrderId
      const order = o.orders.order(id)
      if (order === undefined) return { ok: false, error: `no order ${id} in this session` }
      if (order.isTerminal) return { ok: false, error: `order ${id} is already ${order.state}` }
      o.orders.cancel(id)
      o.persistence?.audit('operator.cancel', c.actor, { clientOrderId: id, reason: c.args.reason })
      // Asked for: the venue's confirmation settles it (pending_cancel until then).
      return answer(c, { clientOrderId: id, state: o.orders.order(id)?.state ?? 'canceled' })
    }
    case 'orders.place':
      return placeManualOrder(o, c.args, c.actor)
    case 'position_override.set': {
      const scope = c.args.strategyId === undefined ? 'account' : { strategyId: c.args.strategyId }
      o.positionOverride.set(scope, c.args.multiplier)
      o.positionOverride.pinScope(scope, c.args.multiplier)
      o.persistence?.setState(POSITION_OVERRIDE_KEY, o.positionOverride.snapshot(), c.actor, c.args.reason)
      return answer(c, o.positionOverride.snapshot())
    }
    case 'positions.flatten': {
      const { reason, strategy, symbol } = c.args
      const r = safety.flatten(reason, c.actor, { ...(strategy !== undefined ? { strategyId: strategy } : {}), ...(symbol !== undefined ? { symbol } : {}) })
      if (r.denied === 0) return answer(c, r)
      const denials = r.orders.filter((x) => x.code !== null).map((x) => `${x.venue}:${x.symbol} ${x.code}: ${x.reason ?? ''}`)
      return { ok: false, result: r, error: `${r.denied} of ${r.orders.length} flatten orders denied: ${denials.join('; ')}` }
    }
    case 'status':
      return answer(c, safety.status())
    case 'audit.append':
      return appendOperatorRecord(o.persistence, c.args.type, c.args.payload, c.actor)
    case 'shutdown':
      safety.shutdown(c.args.reason, c.actor)
      return answer(c, { stopping: true, state: o.killSwitch.state() })
    case 'mode.set':
    case 'shadow.rollback':
    case 'resync': {
      const handler = o.commands
      if (handler === undefined) return { ok: false, error: `${c.command}: this session (${o.mode}) has no exchange modes` }
      const r = handler(request)
      if (!(r instanceof Promise)) return r
      // Synchronous callers (the API) get an acknowledgement; the outcome is audited by the handler.
      r.catch((error: unknown) => o.log?.(`${c.command} failed: ${String(error)}`))
      return answer(c, { started: true })
    }
    case 'rollback': {
      if (rollback === undefined) return { ok: false, error: `rollback: this session (${o.mode}) has no rollback procedure installed` }
      rollback(request).catch((error: unknown) => o.log?.(`rollback failed: ${String(error)}`))
      return answer(c, { started: true })
    }
  }
}

/** Like `dispatch`, waiting for the outcome of the session's asynchronous commands (the control channel). */
export async function dispatchAsync(o: DispatchOptions, safety: SafetyActions, rollback: RollbackHandler | undefined, c: OperatorCommand, request: Request): Promise<CommandOutcome> {
  const handler = c.command === 'rollback' ? rollback : c.command === 'mode.set' || c.command === 'shadow.rollback' || c.command === 'resync' ? o.commands : undefined
  if (handler === undefined) return dispatch(o, safety, rollback, c, request)
  try {
    return await handler(request)
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) }
  }
}
