/**
 * @module execution
 * Order management: deterministic client ids, the path from intent through risk to venue, order state, and the
 * mode router (the venue a session on an exchange trades through: paper, shadow, canary, live).
 */
export { clientOrderId, isSofiaClientOrderId, storeTag } from './client-order-id.js'
export { OrderManager } from './order-manager.js'
export type { CancelReport, OrderManagerOptions, OrderCounters } from './order-manager.js'
export { EMULATED_STATE_KEY, OrderEmulator, describeEmulated, emulatedIdentity, levelOf } from './emulator.js'
export type { EmulatedOrder, EmulatorChange, EmulatorHooks } from './emulator.js'
export { ModeRouter, ROUTER_MODES, primaryLeg } from './mode-router.js'
export type { Leg, LegStatus, ModeRouterOptions, RouterMode, RouterStatus } from './mode-router.js'
