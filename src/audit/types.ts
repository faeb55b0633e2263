/**
 * @module audit/types
 * The audit vocabulary: every record type Sofia writes, in one list. Sofia's writers (the session's
 * persistence, the sinks of the CLI and the registry, the API) take only these, so a misspelt type does not
 * compile; `audit.append` on the control channel checks the same list at run time. `operator.*` is left to an
 * operator's own records. Readers of the chain still take any type: a chain may hold older ones.
 */
export const AUDIT_TYPES = [
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

/** A record type Sofia writes, or an operator's own `operator.*` record. */
export type AuditType = (typeof AUDIT_TYPES)[number] | `operator.${string}`

const KNOWN: ReadonlySet<string> = new Set(AUDIT_TYPES)

/** Whether `type` is in the vocabulary (a record type Sofia writes, or `operator.*`). */
export function isAuditType(type: string): type is AuditType {
  return KNOWN.has(type) || /^operator\.[a-z][a-z_]*(\.[a-z][a-z_]*)*$/.test(type)
}
