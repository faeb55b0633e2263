/**
 * @module model
 * Domain types: decimals, instruments, orders and their state machine, fills, balances, market events, errors.
 */
export { Decimal, ZERO, ONE, dec, sum } from './decimal.js'
export { isRecord } from './json.js'
export type { DecimalLike } from './decimal.js'
export {
  SofiaError,
  InputError,
  InvariantViolation,
  InvalidStateTransition,
  DuplicateFill,
  ExchangeError,
  AuthenticationError,
  InsufficientFunds,
  InvalidOrder,
  OrderNotFound,
  BadSymbol,
  NetworkError,
  RateLimitExceeded,
  RequestTimeout,
  ExchangeNotAvailable,
  RiskRejected,
  KillSwitchActive,
} from './errors.js'
export {
  makeInstrument,
  parseSymbol,
  roundPrice,
  roundAmount,
  priceToTicks,
  ticksToPrice,
  amountToLots,
  lotsToAmount,
  fastPriceToTicks,
  fastAmountToLots,
} from './instrument.js'
export type { Instrument, InstrumentSpec } from './instrument.js'
export { MARKET_EVENT_KINDS, timeframeMs, barCloseTime } from './market.js'
export type { MarketEvent, MarketEventKind, TradeTick, QuoteTick, BookUpdate, BookLevel, Bar } from './market.js'
export {
  ORDER_SIDES,
  ORDER_TYPES,
  ORDER_STATUSES,
  ORDER_STATES,
  TERMINAL_STATES,
  TIME_IN_FORCES,
  TRIGGER_DIRECTIONS,
  oppositeSide,
} from './order-types.js'
export type { EmulatedOrder, OrderSide, OrderType, OrderStatus, OrderState, TimeInForce, TriggerDirection } from './order-types.js'
export { isTriggerOrder, optionsToJson, optionsFromJson, triggeredAtFromJson, checkOptions, triggerDirectionOf } from './order-options.js'
export type { OrderOptions } from './order-options.js'
export { Order, ORDER_EVENT_TYPES, TRANSITIONS, ccxtStatus } from './order.js'
export type { OrderEvent, OrderEventType, OrderIdentity, OrderInit, RecordedOrderState } from './order.js'
export { fillKey, tradeFigures } from './trade.js'
export type { Trade, TradeFigures, Fee } from './trade.js'
export type { Balance, Balances } from './balance.js'
