/**
 * @module desk
 * An operator's desk around a trading session: what `sofia serve` runs (the session, the API, alerting,
 * roll-out and reconciliation) and what `sofia run` shares with it (incident records, the position override
 * watch, rollback, a roll-out taken over). Above system, api, ops and cluster; only the CLI is above it.
 */
export { isLoopback, openDesk } from './desk.js'
export type { Desk, DeskApi, DeskOptions, DeskServer, DeskSession, ServedDesk } from './desk.js'
export { attachOperations } from './operations.js'
export type { Operations, OperationsOptions } from './operations.js'
export { POSITION_OVERRIDE_FILE, readPositionOverride, watchSessionPositionOverride } from './position-override.js'
export { reconcileBalances, reconcileSession } from './reconcile.js'
